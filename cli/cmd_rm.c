/* SPDX-License-Identifier: MIT */
/* credvault rm: remove a record, after asking on a terminal. */
#include <getopt.h>
#include <stdio.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "base/banned.h"

#define RM_USAGE "NAME [--yes]"

int
cmd_rm(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char question[CV_NAME_MAX + 96];
	json_t *res = NULL;
	int ch, rc, yes = 0;

	while ((ch = cli_getopt(c, argc, argv, "hy", opts)) != -1) {
		if (ch == 'y') {
			yes = 1;
		} else if (ch == 'h') {
			printf("usage: credvault rm " RM_USAGE "\nRemove the "
			    "record NAME and all its secret generations. The "
			    "API client\nitself is not deleted at the provider."
			    " On a terminal rm asks first;\n--yes (-y) does "
			    "not ask.\n");
			return 0;
		} else {
			return cli_usage(c, RM_USAGE);
		}
	}
	if (cli_want_operands(c, argc, argv, 1, RM_USAGE) != 0)
		return CV_EXIT_USAGE;
	if (!yes && prompt_stdin_is_tty()) {
		(void)snprintf(question, sizeof(question), "Remove '%s' and "
		    "its secrets for good? [y/N] ", argv[optind]);
		if (prompt_confirm(question) != 1) {
			cli_error(c, "'%s' was not removed", argv[optind]);
			return CV_EXIT_FAILURE;
		}
	}
	rc = cli_admin(c, "rm", json_pack("{s:s}", "name", argv[optind]),
	    &res);
	if (rc == 0)
		fprintf(stderr, "removed '%s'\n", argv[optind]);
	json_decref(res);
	return rc;
}
