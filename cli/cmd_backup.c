/* SPDX-License-Identifier: MIT */
/* credvault backup FILE: a consistent, compacted, verified copy. */
#include <stdio.h>
#include <unistd.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_backup(struct cli *c, int argc, char **argv)
{
	json_t *res = NULL;
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "FILE",
	    "Write a copy of the vault to FILE (a new file, 0600): LMDB's "
	    "copy of its\nnewest state with free pages left out, opened and "
	    "checked in full (every\nkeyslot, record and audit entry and the "
	    "state head) before it gets its\nname.  The copy is as sealed as "
	    "the vault: any keyslot opens it.  Restore\nit with 'credvault "
	    "restore FILE'.  Through the agent, FILE is a plain name\nand "
	    "the copy goes to the vault's backups/ directory, written by the "
	    "agent.\n", &rc))
		return rc;
	if ((rc = cli_admin(c, "backup", json_pack("{s:s}", "file",
	    argv[optind]), &res)) != 0)
		return rc;
	fprintf(stderr, "backed up '%s' to '%s' (verified)\n",
	    json_string_value(json_object_get(res, "path")),
	    json_string_value(json_object_get(res, "file")));
	json_decref(res);
	return 0;
}
