/* SPDX-License-Identifier: MIT */
/* credvault check: verify keyslots, records and the audit chain. */
#include <unistd.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

struct check_ctx {
	const struct cli *c;
	unsigned problems;
};

static void
check_report(const char *what, const char *subject, int err, void *arg)
{
	struct check_ctx *k = arg;

	k->problems++;
	if (what[0] == 'r')
		cli_error(k->c, "record with storage id %.16s... fails "
		    "authentication: %s", subject, cv_strerror(err));
	else if (what[0] == 'k')
		cli_error(k->c, "keyslot '%s' fails authentication: %s; "
		    "remove it with 'credvault keyslot remove %s'", subject,
		    cv_strerror(err), subject);
	else
		cli_error(k->c, "%s: %s", subject, cv_strerror(err));
}

int
cmd_check(struct cli *c, int argc, char **argv)
{
	struct check_ctx k = { c, 0 };
	struct vault *v = NULL;
	int rc;

	if (cli_plain_args(c, argc, argv, 0, "",
	    "Unlock the vault and verify every keyslot, every sealed "
	    "record and the\naudit chain. Exits 6 if anything fails.\n", &rc))
		return rc;
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_check(v, check_report, &k);
	if (rc == 0)
		printf("vault '%s' is intact\n", vault_path(v));
	else if (rc == CV_E_INTEGRITY)
		cli_error(c, "%u problem(s) found in '%s'", k.problems,
		    vault_path(v));
	else
		cli_fail(c, v, rc, "check the vault");
	rc = cv_exit_code(rc);
	vault_free(&v);
	return rc;
}
