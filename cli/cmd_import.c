/* SPDX-License-Identifier: MIT */
/* credvault import: a record from the Merchant Center CTP_* preset. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "vault/preset.h"
#include "base/banned.h"

#define IMPORT_USAGE "NAME --from-env FILE [--no-reveal]"

int
cmd_import(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-env", required_argument, NULL, 'f' },
		{ "no-reveal", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *why, *field;
	struct secbuf *text = NULL;
	struct vault *v = NULL;
	struct preset p;
	struct record r;
	unsigned line;
	int ch, rc, no_reveal = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'f')
			file = optarg;
		else if (ch == 'n')
			no_reveal = 1;
		else if (ch == 'h') {
			printf("usage: credvault import %s\nStore the API "
			    "client of a commercetools environment preset "
			    "(CTP_PROJECT_KEY,\nCTP_CLIENT_ID, "
			    "CTP_CLIENT_SECRET, CTP_AUTH_URL, CTP_API_URL, "
			    "CTP_SCOPES).\n", IMPORT_USAGE);
			return 0;
		} else
			return cli_usage(c, IMPORT_USAGE);
	}
	if (optind + 1 != argc || file == NULL)
		return cli_usage(c, IMPORT_USAGE);
	if (!record_name_is_valid(argv[optind])) {
		cli_error(c, "invalid name '%s': use [a-z0-9][a-z0-9._/-]{0,127}",
		    argv[optind]);
		return CV_EXIT_USAGE;
	}
	if ((rc = prompt_read_file(file, CV_ENV_FILE_MAX, &text)) != 0) {
		cli_error(c, "cannot read '%s': %s", file, cv_strerror(rc));
		return rc == CV_E_NOTFOUND || rc == CV_E_TOOBIG ||
		    rc == CV_E_INVALID ? CV_EXIT_USAGE : CV_EXIT_FAILURE;
	}
	if ((rc = preset_parse(text, &p, &line, &why)) != 0) {
		if (line > 0)
			cli_error(c, "%s:%u: %s", file, line, why);
		else if (rc == CV_E_NOTFOUND)
			cli_error(c, "%s: %s is missing", file, why);
		else
			cli_error(c, "%s: %s", file, why);
		secbuf_free(&text);
		return CV_EXIT_USAGE;
	}
	memset(&r, 0, sizeof(r));
	r.name = argv[optind];
	r.provider = "commercetools";
	r.project_key = p.project_key;
	r.scope = p.scope;
	r.api_url = p.api_url;
	r.auth_url = p.auth_url;
	r.created_at = r.updated_at = vault_now();
	r.ngen = 1;
	r.policy.grace_s = ROTATION_GRACE_DEFAULT_S;
	r.gen[0].number = 1;
	r.gen[0].state = GEN_ACTIVE;
	r.gen[0].flags = no_reveal ? GEN_F_NO_REVEAL : 0;
	r.gen[0].created_at = r.gen[0].activated_at = r.created_at;
	r.gen[0].client_id = p.client_id;
	r.gen[0].secret = p.secret;
	r.gen[0].secret_len = p.secret_len;
	if (record_check(&r, &field) != 0) {
		cli_error(c, "%s: invalid %s", file, field);
		secbuf_free(&text);
		return CV_EXIT_USAGE;
	}
	if ((rc = cli_open_unlocked(c, &v)) != 0) {
		secbuf_free(&text);
		return rc;
	}
	rc = vault_records_add(v, &r, 1);
	secbuf_free(&text);
	if (rc == CV_E_EXISTS) {
		cli_error(c, "record '%s' already exists", r.name);
		rc = CV_EXIT_FAILURE;
	} else if (rc != 0)
		rc = cli_fail(c, v, rc, "import the record");
	else
		fprintf(stderr, "imported '%s'; '%s' still holds the secret: "
		    "delete it (e.g. shred -u '%s')\n", r.name, file, file);
	vault_free(&v);
	return rc;
}
