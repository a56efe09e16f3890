/* SPDX-License-Identifier: MIT */
/* Finding the vault and unlocking it from the global options. */
#include "cli/cli.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/prompt.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

int
cli_vault_dir(struct cli *c)
{
	const char *env, *home;
	size_t cap = sizeof(c->vault_dir);
	int n;

	if (c->vault_arg != NULL)
		n = snprintf(c->vault_dir, cap, "%s", c->vault_arg);
	else if ((env = getenv("CREDVAULT_DIR")) != NULL && env[0] != '\0')
		n = snprintf(c->vault_dir, cap, "%s", env);
	else if ((env = getenv("XDG_DATA_HOME")) != NULL && env[0] == '/')
		n = snprintf(c->vault_dir, cap, "%s/credvault", env);
	else {
		struct passwd *pw;

		home = getenv("HOME");
		if (home == NULL || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (home == NULL) {
			cli_error(c, "cannot find the vault: no home directory; "
			    "use --vault DIR");
			return CV_EXIT_USAGE;
		}
		n = snprintf(c->vault_dir, cap, "%s/.local/share/credvault",
		    home);
	}
	if (n < 0 || (size_t)n >= cap || c->vault_dir[0] == '\0') {
		cli_error(c, "vault path too long");
		return CV_EXIT_USAGE;
	}
	return 0;
}

int
cli_open_locked(struct cli *c, struct vault **out)
{
	char why[1024] = "";
	int rc;

	*out = NULL;
	if ((rc = cli_vault_dir(c)) != 0)
		return rc;
	if ((rc = vault_open(c->vault_dir, out, why, sizeof(why))) != 0) {
		cli_error(c, "%s", why[0] ? why : cv_strerror(rc));
		return cv_exit_code(rc);
	}
	return 0;
}

int
cli_read_unlock_secret(struct cli *c, enum keyslot_kind *kind,
    struct secbuf **out)
{
	const char *file = c->passphrase_file;
	int rc;

	*kind = KEYSLOT_PASSPHRASE;
	if (c->keyfile != NULL) {
		*kind = KEYSLOT_KEYFILE;
		rc = prompt_read_file(c->keyfile, CV_KEYFILE_MAX, out);
		if (rc != 0)
			cli_error(c, "cannot read key file '%s': %s",
			    c->keyfile, cv_strerror(rc));
		return rc;
	}
	if (c->passphrase_fd >= 0) {
		rc = prompt_read_fd(c->passphrase_fd, CV_PASSPHRASE_MAX, out);
		if (rc != 0)
			cli_error(c, "cannot read the passphrase from fd %d: %s",
			    c->passphrase_fd, cv_strerror(rc));
		return rc;
	}
	if (file == NULL)
		file = getenv("CREDVAULT_PASSPHRASE_FILE");
	if (file != NULL && file[0] != '\0') {
		rc = prompt_read_file(file, CV_PASSPHRASE_MAX, out);
		if (rc != 0)
			cli_error(c, "cannot read passphrase file '%s': %s",
			    file, cv_strerror(rc));
		return rc;
	}
	rc = prompt_tty("Vault passphrase: ", 0, CV_PASSPHRASE_MAX, out);
	if (rc == CV_E_NOTFOUND)
		cli_error(c, "no passphrase: there is no terminal to ask on; "
		    "use --passphrase-file FILE or --passphrase-fd N");
	else if (rc != 0)
		cli_error(c, "cannot read the passphrase: %s",
		    cv_strerror(rc));
	return rc;
}

int
cli_open_unlocked(struct cli *c, struct vault **out)
{
	struct secbuf *secret = NULL;
	enum keyslot_kind kind;
	struct vault *v = NULL;
	int rc;

	*out = NULL;
	if ((rc = cli_open_locked(c, &v)) != 0)
		return rc;
	if ((rc = cli_read_unlock_secret(c, &kind, &secret)) != 0) {
		vault_free(&v);
		return rc == CV_E_NOTFOUND || rc == CV_E_IO ||
		    rc == CV_E_TOOBIG || rc == CV_E_INVALID ? CV_EXIT_USAGE :
		    cv_exit_code(rc);
	}
	rc = vault_unlock(v, kind, secret->data, secret->len, c->keyslot);
	secbuf_free(&secret);
	if (rc != 0) {
		rc = cli_fail(c, v, rc, "unlock the vault");
		vault_free(&v);
		return rc;
	}
	if (!vault_unlock_is_audited(v))
		cli_warn(c, "the disk is full: this unlock is not in the audit "
		    "log; free disk space");
	if (vault_warning(v)[0] != '\0')
		cli_warn(c, "%s", vault_warning(v));
	*out = v;
	return 0;
}
