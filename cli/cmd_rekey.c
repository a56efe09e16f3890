/* SPDX-License-Identifier: MIT */
/* credvault rekey: a new vault master key, resealed to every keyslot. */
#include <unistd.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_rekey(struct cli *c, int argc, char **argv)
{
	struct vault *v = NULL;
	int rc;

	if (cli_plain_args(c, argc, argv, 0, "",
	    "Replace the vault master key: every record and audit entry is "
	    "resealed and\nevery remaining keyslot receives the new key, "
	    "in one transaction. Run it\nafter 'keyslot remove' so the "
	    "removed member's copy of the old key is useless.\n", &rc))
		return rc;
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_rekey(v);
	if (rc != 0)
		rc = cli_fail(c, v, rc, "rekey");
	else
		fprintf(stderr, "rekeyed '%s'\n", vault_path(v));
	vault_free(&v);
	return rc;
}
