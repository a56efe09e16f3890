/* SPDX-License-Identifier: MIT */
/* credvault init: a new vault and its first keyslot. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/kdfopts.h"
#include "cli/passquality.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "base/banned.h"

#define INIT_USAGE "[--label LABEL] [--allow-weak-passphrase] " KDFOPTS_USAGE

/* The new passphrase: the global passphrase options, else asked twice. */
static int
init_read_passphrase(struct cli *c, struct secbuf **out)
{
	const char *file = c->passphrase_file;
	int rc;

	if (file == NULL)
		file = getenv("CREDVAULT_PASSPHRASE_FILE");
	if (c->passphrase_fd >= 0)
		rc = prompt_read_fd(c->passphrase_fd, CV_PASSPHRASE_MAX, out);
	else if (file != NULL && file[0] != '\0')
		rc = prompt_read_file(file, CV_PASSPHRASE_MAX, out);
	else
		rc = prompt_tty("New vault passphrase: ", 1, CV_PASSPHRASE_MAX,
		    out);
	if (rc == CV_E_NOTFOUND && c->passphrase_fd < 0 && file == NULL)
		cli_error(c, "no terminal to ask for a passphrase on; use "
		    "--passphrase-file FILE or --passphrase-fd N");
	else if (rc == CV_E_INVALID && file == NULL)
		cli_error(c, "the passphrases did not match; try again");
	else if (rc != 0)
		cli_error(c, "cannot read the new passphrase: %s",
		    cv_strerror(rc));
	else if ((*out)->len == 0) {
		cli_error(c, "the passphrase is empty; choose a real one");
		secbuf_free(out);
		rc = CV_E_INVALID;
	}
	return rc;
}

int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "label", required_argument, NULL, 'l' },
		{ "allow-weak-passphrase", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		KDFOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	const char *label = "owner";
	struct secbuf *pass = NULL;
	struct kdfopts ko;
	struct kdf_params kdf;
	char why[1024] = "";
	int ch, rc, allow_weak = 0;

	memset(&ko, 0, sizeof(ko));
	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		if ((rc = kdfopts_take(c, &ko, ch, optarg)) < 0)
			return CV_EXIT_USAGE;
		if (rc > 0)
			continue;
		if (ch == 'l')
			label = optarg;
		else if (ch == 'w')
			allow_weak = 1;
		else if (ch == 'h') {
			printf("usage: credvault init %s\n"
			    "Create a vault (--vault DIR) with a passphrase "
			    "keyslot named LABEL (default \"owner\").\n"
			    "Argon2id is calibrated to about 1 s unless "
			    "given.\nA weak passphrase (libpwquality, under "
			    "/etc/security/pwquality.conf) is\nrefused unless "
			    "--allow-weak-passphrase.\n", INIT_USAGE);
			return 0;
		} else
			return cli_usage(c, INIT_USAGE);
	}
	if (cli_want_operands(c, argc, argv, 0, INIT_USAGE) != 0)
		return CV_EXIT_USAGE;
	if (!keyslot_label_is_valid(label)) {
		cli_error(c, "invalid label '%s': use 1-%d of A-Z a-z 0-9 . _ "
		    "@ -", label, CV_LABEL_MAX);
		return CV_EXIT_USAGE;
	}
	if ((rc = cli_vault_dir(c)) != 0)
		return rc;
	if ((rc = kdfopts_resolve(c, &ko, &kdf)) != 0)
		return rc;
	if (init_read_passphrase(c, &pass) != 0)
		return CV_EXIT_USAGE;
	if (!allow_weak && (rc = passquality_check(c, pass->data,
	    pass->len)) != 0) {
		secbuf_free(&pass);
		return cv_exit_code(rc);
	}
	rc = vault_create(c->vault_dir, label, &kdf, pass->data, pass->len,
	    why, sizeof(why));
	secbuf_free(&pass);
	if (rc != 0) {
		cli_error(c, "%s", why[0] ? why : cv_strerror(rc));
		return cv_exit_code(rc);
	}
	fprintf(stderr, "created vault '%s' with keyslot '%s' (Argon2id: %u "
	    "MiB, %u iterations, %u lanes)\n", c->vault_dir, label,
	    kdf.memory_kib / 1024, kdf.iterations, kdf.parallelism);
	return 0;
}
