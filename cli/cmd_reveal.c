/* SPDX-License-Identifier: MIT */
/* credvault reveal: print the active secret exactly once. */
#include <unistd.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_reveal(struct cli *c, int argc, char **argv)
{
	struct secbuf *secret = NULL;
	struct vault *v = NULL;
	const char *name;
	int rc;

	if (cli_plain_args(c, argc, argv, 1, "NAME",
	    "Print the active secret of NAME. This works once: the reveal "
	    "is committed\nto the vault and its audit log before the "
	    "secret is printed.\n", &rc))
		return rc;
	name = argv[optind];
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	if ((secret = secbuf_new(CV_SECRET_MAX)) == NULL) {
		vault_free(&v);
		return cli_fail(c, NULL, CV_E_NOMEM, "reveal");
	}
	rc = vault_record_reveal(v, name, secret);
	if (rc == CV_E_REFUSED) {
		cli_error(c, "%s; to get a new secret, rotate it: credvault "
		    "rotate %s", vault_subject(v), name);
		rc = CV_EXIT_REFUSED;
	} else if (rc != 0) {
		rc = cli_fail(c, v, rc, "reveal the secret");
	} else {
		/* write(2), not stdio: no copy of the secret in a FILE
		 * buffer. */
		secret->data[secret->len] = '\n';
		if (write(STDOUT_FILENO, secret->data, secret->len + 1) !=
		    (ssize_t)(secret->len + 1)) {
			cli_error(c, "cannot write the secret of '%s' to "
			    "stdout; it is now marked revealed, rotate it: "
			    "credvault rotate %s", name, name);
			rc = CV_EXIT_FAILURE;
		}
	}
	secbuf_free(&secret);
	vault_free(&v);
	return rc;
}
