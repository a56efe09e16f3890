/* SPDX-License-Identifier: MIT */
/* credvault rm: remove a record. */
#include <unistd.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_rm(struct cli *c, int argc, char **argv)
{
	struct vault *v = NULL;
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "NAME",
	    "Remove the record NAME and all its secret generations. The "
	    "API client\nitself is not deleted at the provider.\n", &rc))
		return rc;
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_record_remove(v, argv[optind]);
	if (rc != 0)
		rc = cli_fail(c, v, rc, "remove the record");
	vault_free(&v);
	return rc;
}
