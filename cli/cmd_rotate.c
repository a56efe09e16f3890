/* SPDX-License-Identifier: MIT */
/* credvault rotate: a new secret generation, by hand or through hooks. */
#include <getopt.h>
#include <string.h>

#include "hooks/rotator.h"
#include "cli/commands.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "vault/rotate.h"
#include "base/banned.h"

#define ROTATE_USAGE                                                        \
	"NAME [--force] [--secret-stdin [--client-id ID] | --abort]"
/* A generation activated this recently was almost surely made by a
 * concurrent rotation (the agent's, after an invalid_client): rotating it
 * again needs --force. */
#define ROTATE_RECENT_S 60

static int
rotate_report(struct cli *c, struct vault *v, const char *name, int rc,
    const struct rotate_result *res, const char *doing)
{
	if (rc == 0)
		return 0;
	if (res->err[0] != '\0') {
		cli_error(c, "cannot %s '%s': %s", doing, name, res->err);
		if (rc == CV_E_UPSTREAM)
			cli_error(c, "the working secret is unchanged or already "
			    "replaced; nothing is lost: run 'credvault rotate "
			    "%s' again to continue, or see 'credvault show %s'",
			    name, name);
		return cv_exit_code(rc);
	}
	return cli_fail(c, v, rc, doing);
}

static int
rotate_by_hand(struct cli *c, struct vault *v, const char *name,
    const char *client_id)
{
	struct rotate_result res;
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
	rc = rotate_manual(v, name, client_id, secret, &res);
	secbuf_free(&secret);
	if (rc != 0)
		return rotate_report(c, v, name, rc, &res, "rotate");
	fprintf(stderr, "'%s' now uses generation #%u; the previous one is "
	    "retired (delete its API client at the provider)\n", name, res.to);
	return 0;
}

/*
 * The generation this command means to replace: the active one now, so
 * that if the agent rotates it first (after an invalid_client), this
 * command does not create a second new client.  A rotation already under
 * way is finished instead (it replaces the same generation).
 */
static int
rotate_seen(struct vault *v, const char *name, uint32_t *from,
    int64_t *age)
{
	struct secbuf *plain = secbuf_new(CV_RECORD_MAX);
	const struct generation *g;
	struct record r;
	int rc;

	*from = 0;
	*age = -1;
	if (plain == NULL)
		return CV_E_NOMEM;
	if ((rc = vault_record_get(v, name, plain, &r)) == 0 &&
	    (g = record_active(&r)) != NULL) {
		/* Under way elsewhere: finish that one, start no other. */
		*from = g->number;
		if (g->number > 1 && r.rot.step == ROT_NONE)
			*age = vault_now() - g->activated_at;
	}
	secbuf_free(&plain);
	return rc;
}

static int
rotate_by_hooks(struct cli *c, struct vault *v, const char *name, int abort,
    int force)
{
	struct rotator *h = NULL;
	struct rotate_result res = { 0 }; /* unset if rotate_seen() fails */
	char why[512] = "";
	uint32_t from = 0;
	int64_t age;
	int rc;

	if ((rc = rotator_new(v, NULL, name, &h, why,
	    sizeof(why))) != 0) {
		cli_error(c, "cannot rotate '%s': %s", name, why[0] ? why :
		    cv_strerror(rc));
		return cv_exit_code(rc);
	}
	if (abort)
		rc = rotate_abort(v, name, rotator_ops(h), &res);
	else if ((rc = rotate_seen(v, name, &from, &age)) == 0) {
		if (!force && age >= 0 && age < ROTATE_RECENT_S) {
			fprintf(stderr, "'%s' was rotated %lld s ago (generation "
			    "#%u is active); run with --force to rotate it "
			    "again\n", name, (long long)age, from);
			rotator_free(&h);
			return 0;
		}
		rc = rotate_run(v, name, from, rotator_ops(h), &res);
	}
	rotator_free(&h);
	if (rc != 0)
		return rotate_report(c, v, name, rc, &res, abort ?
		    "abort the rotation of" : "rotate");
	if (abort)
		fprintf(stderr, "abandoned the rotation of '%s'; the pending "
		    "client was deleted\n", name);
	else if (res.already)
		fprintf(stderr, "'%s' was rotated by another process meanwhile; "
		    "generation #%u is active\n", name, res.to);
	else
		fprintf(stderr, "'%s' rotated%s: generation #%u is active, "
		    "#%u is retired; the new secret can be revealed once with "
		    "'credvault reveal %s'\n", name, res.resumed ?
		    " (resumed)" : "", res.to, res.from, name);
	return 0;
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
	struct vault *v = NULL;
	int ch, rc, by_hand = 0, abort = 0, force = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
	if (optind + 1 != argc || (client_id != NULL && !by_hand) ||
	    (by_hand && abort))
		return cli_usage(c, ROTATE_USAGE);
	if (client_id != NULL && (client_id[0] == '\0' ||
	    strlen(client_id) > CV_CLIENT_ID_MAX)) {
		cli_error(c, "invalid --client-id");
		return CV_EXIT_USAGE;
	}
	if (!record_name_is_valid(argv[optind])) {
		cli_error(c, "invalid name '%s'", argv[optind]);
		return CV_EXIT_USAGE;
	}
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = by_hand ? rotate_by_hand(c, v, argv[optind], client_id) :
	    rotate_by_hooks(c, v, argv[optind], abort, force);
	vault_free(&v);
	return rc;
}
