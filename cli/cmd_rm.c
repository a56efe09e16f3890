/* SPDX-License-Identifier: MIT */
/* credvault rm: remove a record. */
#include <unistd.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_rm(struct cli *c, int argc, char **argv)
{
	json_t *res = NULL;
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "NAME",
	    "Remove the record NAME and all its secret generations. The "
	    "API client\nitself is not deleted at the provider.\n", &rc))
		return rc;
	rc = cli_admin(c, "rm", json_pack("{s:s}", "name", argv[optind]),
	    &res);
	json_decref(res);
	return rc;
}
