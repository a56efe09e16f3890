/* SPDX-License-Identifier: MIT */
/* credvault reveal: print the active secret exactly once. */
#include <string.h>
#include <unistd.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_reveal(struct cli *c, int argc, char **argv)
{
	json_t *res = NULL, *secret;
	const char *name;
	size_t n;
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "NAME",
	    "Print the active secret of NAME. This works once: the reveal "
	    "is committed\nto the vault and its audit log before the "
	    "secret is printed.\n", &rc))
		return rc;
	name = argv[optind];
	if ((rc = cli_admin(c, "reveal", json_pack("{s:s}", "name", name),
	    &res)) != 0)
		return rc;
	secret = json_object_get(res, "secret");
	n = json_string_length(secret);
	/* write(2), not stdio: no copy of the secret in a FILE buffer (the
	 * JSON holding it is wiped when freed). */
	if (!json_is_string(secret) ||
	    write(STDOUT_FILENO, json_string_value(secret), n) != (ssize_t)n ||
	    write(STDOUT_FILENO, "\n", 1) != 1) {
		cli_error(c, "cannot write the secret of '%s' to stdout; it is "
		    "now marked revealed, rotate it: credvault rotate %s", name,
		    name);
		rc = CV_EXIT_FAILURE;
	}
	json_decref(res);
	return rc;
}
