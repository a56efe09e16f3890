/* SPDX-License-Identifier: MIT */
/* credvault reveal: print the active secret exactly once. */
#include <getopt.h>
#include <unistd.h>

#include "cli/commands.h"
#include "base/err.h"
#include "base/banned.h"

int
cmd_reveal(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct secbuf *secret = NULL;
	struct vault *v = NULL;
	const char *name;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: credvault reveal NAME\nPrint the active "
			    "secret of NAME. This works once: the reveal is "
			    "committed\nto the vault and its audit log before "
			    "the secret is printed.\n");
			return 0;
		}
		return cli_usage(c, "NAME");
	}
	if (optind + 1 != argc)
		return cli_usage(c, "NAME");
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
