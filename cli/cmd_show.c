/* SPDX-License-Identifier: MIT */
/* credvault show: one record and its generations, never a secret. */
#include <getopt.h>

#include "cli/admin.h"
#include "cli/args.h"
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
	json_t *res = NULL;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
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
	if ((rc = cli_want_operands(c, argc, argv, 1, "NAME [--json]")) != 0)
		return rc;
	if ((rc = cli_admin(c, "show", json_pack("{s:s}", "name",
	    argv[optind]), &res)) != 0)
		return rc;
	if (c->json)
		output_json(res);
	else
		output_record_text(res);
	json_decref(res);
	return 0;
}
