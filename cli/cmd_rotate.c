/* SPDX-License-Identifier: MIT */
/* credvault rotate: a new secret generation, by hand or through hooks. */
#include <getopt.h>
#include <string.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "base/banned.h"

#define ROTATE_USAGE                                                        \
	"NAME [--force] [--secret-stdin [--client-id ID] | --abort]"

/* The new secret a human made, from the terminal or stdin, into args. */
static int
rotate_read_secret(struct cli *c, json_t *args)
{
	struct secbuf *secret = NULL;
	int rc;

	if (prompt_stdin_is_tty())
		rc = prompt_tty("New client secret: ", 0, CV_SECRET_MAX,
		    &secret);
	else
		rc = prompt_read_fd(0, CV_SECRET_MAX, &secret);
	if (rc != 0 || !record_secret_is_valid(secret->data, secret->len)) {
		cli_error(c, "the new secret must be 1-%d printable ASCII "
		    "characters without spaces, on stdin", CV_SECRET_MAX);
		secbuf_free(&secret);
		return CV_EXIT_USAGE;
	}
	/* jansson copies it; the wiping allocator wipes the copy. */
	rc = json_object_set_new(args, "secret", json_stringn(
	    (const char *)secret->data, secret->len));
	secbuf_free(&secret);
	return rc == 0 ? 0 : CV_EXIT_FAILURE;
}

static void
rotate_print(const json_t *res)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	const char *outcome = json_string_value(json_object_get(res,
	    "outcome"));
	long long from = json_integer_value(json_object_get(res, "from"));
	long long to = json_integer_value(json_object_get(res, "to"));

	if (strcmp(outcome, "manual") == 0)
		fprintf(stderr, "'%s' now uses generation #%lld; the previous "
		    "one is retired (delete its API client at the provider)\n",
		    name, to);
	else if (strcmp(outcome, "aborted, deleted") == 0)
		fprintf(stderr, "abandoned the rotation of '%s'; the pending "
		    "client was deleted\n", name);
	else if (strcmp(outcome, "aborted") == 0)
		fprintf(stderr, "abandoned the rotation of '%s'; no client had "
		    "been created yet, so none was deleted\n", name);
	else if (strcmp(outcome, "recent") == 0)
		fprintf(stderr, "'%s' was rotated %lld s ago (generation #%lld "
		    "is active); run with --force to rotate it again\n", name,
		    (long long)json_integer_value(json_object_get(res, "age")),
		    to);
	else if (strcmp(outcome, "already") == 0)
		fprintf(stderr, "'%s' was rotated by another process meanwhile; "
		    "generation #%lld is active\n", name, to);
	else
		fprintf(stderr, "'%s' rotated%s: generation #%lld is active, "
		    "#%lld is retired; the new secret can be revealed once "
		    "with 'credvault reveal %s'\n", name,
		    strcmp(outcome, "resumed") == 0 ? " (resumed)" : "", to,
		    from, name);
}

int
cmd_rotate(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret-stdin", no_argument, NULL, 's' },
		{ "client-id", required_argument, NULL, 'c' },
		{ "abort", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *client_id = NULL;
	json_t *args, *res = NULL;
	int ch, rc, by_hand = 0, abort = 0, force = 0;

	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		switch (ch) {
		case 's':
			by_hand = 1;
			break;
		case 'c':
			client_id = optarg;
			break;
		case 'a':
			abort = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			printf("usage: credvault rotate %s\nReplace the secret "
			    "of NAME. Without options, run the record's rotate "
			    "stack:\ncreate a new API client, verify it mints, "
			    "make it active, delete the old\none. Each step is "
			    "committed; run it again to resume after a failure.\n"
			    "--secret-stdin stores a secret created by hand "
			    "(active at once).\n--abort abandons an unfinished "
			    "rotation before its secret is active.\nA secret "
			    "activated less than a minute ago (say, by the agent "
			    "after the\nprovider rejected the old one) is only "
			    "rotated again with --force.\n"
			    "See docs/rotation.md.\n", ROTATE_USAGE);
			return 0;
		default:
			return cli_usage(c, ROTATE_USAGE);
		}
	}
	if (cli_want_operands(c, argc, argv, 1, ROTATE_USAGE) != 0)
		return CV_EXIT_USAGE;
	if (client_id != NULL && !by_hand) {
		cli_error(c, "--client-id goes with --secret-stdin");
		return cli_usage(c, ROTATE_USAGE);
	}
	if (by_hand && abort) {
		cli_error(c, "--secret-stdin and --abort exclude each other");
		return cli_usage(c, ROTATE_USAGE);
	}
	if (client_id != NULL && (client_id[0] == '\0' ||
	    strlen(client_id) > CV_CLIENT_ID_MAX)) {
		cli_error(c, "invalid --client-id");
		return CV_EXIT_USAGE;
	}
	if (!record_name_is_valid(argv[optind])) {
		cli_error(c, "invalid name '%s'", argv[optind]);
		return CV_EXIT_USAGE;
	}
	if ((args = json_pack("{s:s,s:b,s:b}", "name", argv[optind], "abort",
	    abort, "force", force)) == NULL)
		return CV_EXIT_FAILURE;
	if (client_id != NULL)
		(void)json_object_set_new(args, "client_id",
		    json_string(client_id));
	if (by_hand && (rc = rotate_read_secret(c, args)) != 0) {
		json_decref(args);
		return rc;
	}
	if ((rc = cli_admin(c, "rotate", args, &res)) != 0)
		return rc;
	rotate_print(res);
	json_decref(res);
	return 0;
}
