/* SPDX-License-Identifier: MIT */
/* credvault rm: remove a record. */
#include <getopt.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_rm(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vault *v = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: credvault rm NAME\nRemove the record "
			    "NAME and all its secret generations. The API "
			    "client\nitself is not deleted at the provider.\n");
			return 0;
		}
		return cli_usage(c, "NAME");
	}
	if (optind + 1 != argc)
		return cli_usage(c, "NAME");
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_record_remove(v, argv[optind]);
	if (rc != 0)
		rc = cli_fail(c, v, rc, "remove the record");
	vault_free(&v);
	return rc;
}
