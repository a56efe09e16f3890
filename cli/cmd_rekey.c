/* SPDX-License-Identifier: MIT */
/* credvault rekey: a new vault master key, resealed to every keyslot. */
#include <unistd.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_rekey(struct cli *c, int argc, char **argv)
{
	json_t *res = NULL;
	int rc;

	if (cli_plain_args(c, argc, argv, 0, "",
	    "Replace the vault master key: every record and audit entry is "
	    "resealed and\nevery remaining keyslot receives the new key, "
	    "in one transaction. Run it\nafter 'keyslot remove' so the "
	    "removed member's copy of the old key is useless.\n", &rc))
		return rc;
	if ((rc = cli_admin(c, "rekey", NULL, &res)) != 0)
		return rc;
	fprintf(stderr, "rekeyed '%s'\n",
	    json_string_value(json_object_get(res, "path")));
	json_decref(res);
	return 0;
}
