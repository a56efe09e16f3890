/* SPDX-License-Identifier: MIT */
/* credvault backup FILE: a consistent, compacted, verified copy. */
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_backup(struct cli *c, int argc, char **argv)
{
	struct vault *v = NULL;
	char why[512];
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "FILE",
	    "Write a copy of the vault to FILE (a new file, 0600): LMDB's "
	    "copy of its\nnewest state with free pages left out, opened and "
	    "checked in full (every\nkeyslot, record and audit entry and the "
	    "state head) before it gets its\nname.  The copy is as sealed as "
	    "the vault: any keyslot opens it.  Restore\nit with 'credvault "
	    "restore FILE'.\n", &rc))
		return rc;
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_backup(v, argv[optind], why, sizeof(why));
	if (rc != 0)
		cli_error(c, "cannot back up '%s': %s", vault_path(v), why);
	else
		fprintf(stderr, "backed up '%s' to '%s' (verified)\n",
		    vault_path(v), argv[optind]);
	vault_free(&v);
	return cv_exit_code(rc);
}
