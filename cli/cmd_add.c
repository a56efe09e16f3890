/* SPDX-License-Identifier: MIT */
/* credvault add: store an API client; the secret comes on stdin. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/jobs/admin_ops.h"
#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "base/banned.h"

#define ADD_USAGE                                                           \
	"NAME --provider P --client-id ID --auth-url URL [--project-key K] " \
	"[--scope \"S1 S2\"] [--api-url URL] [--no-reveal]"

/* Secret: a no-echo prompt on a terminal, else all of stdin. */
static int
add_read_secret(struct cli *c, struct secbuf **out)
{
	int rc;

	if (prompt_stdin_is_tty())
		rc = prompt_tty("Client secret: ", 0, CV_SECRET_MAX, out);
	else
		rc = prompt_read_fd(0, CV_SECRET_MAX, out);
	if (rc != 0) {
		cli_error(c, "cannot read the client secret from %s: %s",
		    prompt_stdin_is_tty() ? "the terminal" : "stdin",
		    cv_strerror(rc));
		return rc;
	}
	if (!record_secret_is_valid((*out)->data, (*out)->len)) {
		cli_error(c, "the client secret must be 1-%d printable ASCII "
		    "characters without spaces", CV_SECRET_MAX);
		secbuf_free(out);
		return CV_E_INVALID;
	}
	return 0;
}

int
cmd_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "client-id", required_argument, NULL, 'c' },
		{ "auth-url", required_argument, NULL, 'a' },
		{ "project-key", required_argument, NULL, 'k' },
		{ "scope", required_argument, NULL, 's' },
		{ "api-url", required_argument, NULL, 'u' },
		{ "no-reveal", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct secbuf *secret = NULL;
	json_t *args, *res = NULL;
	struct record r;
	char why[CV_URL_MAX + 160];
	const char *field;
	int ch, rc;

	memset(&r, 0, sizeof(r));
	r.gen[0].flags = 0;
	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		switch (ch) {
		case 'p': r.provider = optarg; break;
		case 'c': r.gen[0].client_id = optarg; break;
		case 'a': r.auth_url = optarg; break;
		case 'k': r.project_key = optarg; break;
		case 's': r.scope = optarg; break;
		case 'u': r.api_url = optarg; break;
		case 'n': r.gen[0].flags |= GEN_F_NO_REVEAL; break;
		case 'h':
			printf("usage: credvault add %s\nStore an API client. "
			    "The secret is read from a no-echo prompt on a "
			    "terminal,\nelse from all of stdin (one trailing "
			    "newline removed). Providers: commercetools,\n"
			    "commercelayer, oauth2.\n", ADD_USAGE);
			return 0;
		default:
			return cli_usage(c, ADD_USAGE);
		}
	}
	if (optind == argc)
		return cli_missing(c, "the record's NAME", ADD_USAGE);
	if (optind + 1 != argc) {
		cli_error(c, "unexpected argument '%s'", argv[optind + 1]);
		return cli_usage(c, ADD_USAGE);
	}
	if (r.provider == NULL)
		return cli_missing(c, "--provider P (commercetools, "
		    "commercelayer or oauth2)", ADD_USAGE);
	if (r.gen[0].client_id == NULL)
		return cli_missing(c, "--client-id ID", ADD_USAGE);
	if (r.auth_url == NULL)
		return cli_missing(c, "--auth-url URL", ADD_USAGE);
	r.name = argv[optind];
	/* Validate everything but the secret before asking for anything. */
	r.created_at = r.updated_at = vault_now();
	r.ngen = 1;
	r.policy.grace_s = ROTATION_GRACE_DEFAULT_S;
	r.gen[0].number = 1;
	r.gen[0].state = GEN_ACTIVE;
	r.gen[0].created_at = r.gen[0].activated_at = r.created_at;
	r.gen[0].secret = "placeholder-for-validation";
	r.gen[0].secret_len = strlen(r.gen[0].secret);
	if (record_check(&r, &field) != 0) {
		cli_error(c, "invalid %s%s", field, strcmp(field, "name") == 0 ?
		    ": use [a-z0-9][a-z0-9._/-]{0,127}" :
		    strcmp(field, "provider") == 0 ?
		    ": use commercetools, commercelayer or oauth2" : "");
		return CV_EXIT_USAGE;
	}
	if (strcmp(r.provider, "commercetools") == 0 &&
	    (r.project_key == NULL || r.project_key[0] == '\0')) {
		cli_error(c, "commercetools records need --project-key");
		return CV_EXIT_USAGE;
	}
	if (admin_url_check("--auth-url", r.auth_url, why, sizeof(why)) != 0 ||
	    (r.api_url != NULL && admin_url_check("--api-url", r.api_url,
	    why, sizeof(why)) != 0)) {
		cli_error(c, "%s", why);
		return CV_EXIT_USAGE;
	}
	if (add_read_secret(c, &secret) != 0)
		return CV_EXIT_USAGE;
	/* jansson copies the secret; the wiping allocator wipes the copy. */
	args = json_pack("{s:s,s:s,s:s,s:s,s:s%,s:b}", "name", r.name,
	    "provider", r.provider, "client_id", r.gen[0].client_id,
	    "auth_url", r.auth_url, "secret", (const char *)secret->data,
	    secret->len, "no_reveal", (r.gen[0].flags & GEN_F_NO_REVEAL) != 0);
	secbuf_free(&secret);
	if (args == NULL ||
	    (r.project_key != NULL && json_object_set_new(args, "project_key",
	    json_string(r.project_key)) != 0) ||
	    (r.scope != NULL && json_object_set_new(args, "scope",
	    json_string(r.scope)) != 0) ||
	    (r.api_url != NULL && json_object_set_new(args, "api_url",
	    json_string(r.api_url)) != 0)) {
		json_decref(args);
		cli_error(c, "out of memory");
		return CV_EXIT_FAILURE;
	}
	rc = cli_admin(c, "add", args, &res);
	if (rc == 0)
		fprintf(stderr, "added '%s' (%s, client id %s)%s\n", r.name,
		    r.provider, r.gen[0].client_id,
		    (r.gen[0].flags & GEN_F_NO_REVEAL) != 0 ? "; its secret "
		    "is never revealed" : "; 'credvault reveal' prints its "
		    "secret once");
	json_decref(res);
	return rc;
}
