/* SPDX-License-Identifier: MIT */
/* credvault show: one record and its generations, never a secret. */
#include <getopt.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct secbuf *plain = NULL;
	struct vault *v = NULL;
	struct record r;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'j')
			c->json = 1;
		else if (ch == 'h') {
			printf("usage: credvault show NAME [--json]\nShow a "
			    "record and its secret generations (never the "
			    "secrets).\n");
			return 0;
		} else
			return cli_usage(c, "NAME [--json]");
	}
	if (optind + 1 != argc)
		return cli_usage(c, "NAME [--json]");
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	if ((plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
		vault_free(&v);
		return cli_fail(c, NULL, CV_E_NOMEM, "show the record");
	}
	rc = vault_record_get(v, argv[optind], plain, &r);
	if (rc == 0) {
		if (c->json) {
			json_t *j = output_record_json(&r);

			output_json(j);
			json_decref(j);
		} else
			output_record_text(&r);
	} else
		rc = cli_fail(c, v, rc, "show the record");
	secbuf_free(&plain);
	vault_free(&v);
	return rc;
}
