/* SPDX-License-Identifier: MIT */
/* credvault check: verify keyslots, records and the audit chain. */
#include <unistd.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_check(struct cli *c, int argc, char **argv)
{
	const json_t *problems;
	const char *path;
	json_t *res = NULL;
	size_t i, n;
	int rc;

	if (cli_plain_args(c, argc, argv, 0, "",
	    "Unlock the vault and verify every keyslot, every sealed "
	    "record and the\naudit chain. Exits 6 if anything fails.\n", &rc))
		return rc;
	if ((rc = cli_admin(c, "check", NULL, &res)) != 0)
		return rc;
	path = json_string_value(json_object_get(res, "path"));
	problems = json_object_get(res, "problems");
	n = json_array_size(problems);
	for (i = 0; i < n; i++)
		cli_error(c, "%s", json_string_value(json_array_get(problems,
		    i)));
	if (n == 0)
		printf("vault '%s' is intact\n", path);
	else
		cli_error(c, "%zu problem(s) found in '%s'", n, path);
	json_decref(res);
	return n == 0 ? 0 : cv_exit_code(CV_E_INTEGRITY);
}
