/* SPDX-License-Identifier: MIT */
/* credvault restore FILE: verify a backup, then put it in place. */
#include <stdio.h>
#include <unistd.h>

#include "cli/commands.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_restore(struct cli *c, int argc, char **argv)
{
	struct secbuf *secret = NULL;
	enum keyslot_kind kind;
	unsigned long long counter;
	uint64_t n = 0;
	char why[512];
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "FILE",
	    "Put the backup FILE (from 'credvault backup') in place of the "
	    "vault.  The\nbackup is copied next to the vault, unlocked with "
	    "one of its keyslots (the\nglobal options, or a prompt) and "
	    "checked in full first; nothing is replaced\nunless all of it "
	    "verifies, it is a backup of this vault (or the directory\nholds "
	    "none that can be read), and no agent or other credvault has the "
	    "vault\nopen.  The vault then is exactly as it was when backed "
	    "up: this user's\nhigh-water mark is set to it, and the restore "
	    "is audited.\n", &rc))
		return rc;
	if ((rc = cli_vault_dir(c)) != 0)
		return rc;
	if ((rc = cli_read_unlock_secret(c, &kind, &secret)) != 0)
		return CV_EXIT_USAGE;
	rc = vault_restore(c->vault_dir, argv[optind], kind, secret->data,
	    secret->len, c->keyslot, &n, why, sizeof(why));
	secbuf_free(&secret);
	if (rc != 0) {
		cli_error(c, "cannot restore '%s' from '%s': %s", c->vault_dir,
		    argv[optind], why);
		return cv_exit_code(rc);
	}
	counter = (unsigned long long)n;
	fprintf(stderr, "restored '%s' from '%s' (verified; change %llu)\n",
	    c->vault_dir, argv[optind], counter);
	return 0;
}
