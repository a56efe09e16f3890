/* SPDX-License-Identifier: MIT */
/* Whether a new passphrase is strong enough (libpwquality). */
#include "cli/passquality.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <pwquality.h>

#include "crypto/secmem.h"
#include "base/dynlib.h"
#include "base/err.h"
#include "base/banned.h"

/* Debian's cracklib dictionary, when cracklib-runtime is installed. */
#define PASSQUALITY_DICT "/var/cache/cracklib/cracklib_dict"

/* Loaded on first use (base/dynlib.h): only init and keyslot add ask. */
static struct {
	pwquality_settings_t *(*default_settings)(void);
	void (*free_settings)(pwquality_settings_t *);
	int (*read_config)(pwquality_settings_t *, const char *, void **);
	int (*set_int_value)(pwquality_settings_t *, int, int);
	int (*check)(pwquality_settings_t *, const char *, const char *,
	    const char *, void **);
	const char *(*strerror)(char *, size_t, int, void *);
} pwq;

static int
passquality_load(const struct cli *c)
{
	const struct dynlib_sym syms[] = {
		{ "pwquality_default_settings",
		    (void **)&pwq.default_settings },
		{ "pwquality_free_settings", (void **)&pwq.free_settings },
		{ "pwquality_read_config", (void **)&pwq.read_config },
		{ "pwquality_set_int_value", (void **)&pwq.set_int_value },
		{ "pwquality_check", (void **)&pwq.check },
		{ "pwquality_strerror", (void **)&pwq.strerror },
	};
	char why[160];

	if (dynlib_load("libpwquality.so.1", "libpwquality1", syms,
	    sizeof(syms) / sizeof(syms[0]), why, sizeof(why)) == 0)
		return 0;
	cli_error(c, "cannot check the new passphrase: %s; or pass "
	    "--allow-weak-passphrase", why);
	return CV_E_NOTFOUND;
}

int
passquality_check(const struct cli *c, const void *pass, size_t len)
{
	char msg[PWQ_MAX_ERROR_MESSAGE_LEN];
	const struct passwd *pw = getpwuid(getuid());
	pwquality_settings_t *s;
	struct secbuf *z;
	void *aux = NULL;
	int score, rc;

	if ((rc = passquality_load(c)) != 0)
		return rc;
	if (memchr(pass, '\0', len) != NULL) {
		cli_error(c, "the new passphrase holds a NUL byte; choose "
		    "another");
		return CV_E_REFUSED;
	}
	if ((z = secbuf_new(len + 1)) == NULL || (s =
	    pwq.default_settings()) == NULL) {
		secbuf_free(&z);
		cli_error(c, "out of memory");
		return CV_E_NOMEM;
	}
	memcpy(z->data, pass, len);
	z->data[len] = '\0';
	/* The system's policy, where there is one; else the defaults. */
	(void)pwq.read_config(s, NULL, &aux);
	/* Without the dictionary cracklib fails every passphrase. */
	if (access(PASSQUALITY_DICT ".pwd", R_OK) != 0)
		(void)pwq.set_int_value(s, PWQ_SETTING_DICT_CHECK, 0);
	aux = NULL;
	score = pwq.check(s, (const char *)z->data, NULL,
	    pw != NULL ? pw->pw_name : NULL, &aux);
	secbuf_free(&z);
	if (score >= 0) {
		pwq.free_settings(s);
		return 0;
	}
	(void)pwq.strerror(msg, sizeof(msg), score, aux);
	pwq.free_settings(s);
	if (msg[0] >= 'A' && msg[0] <= 'Z')
		msg[0] = (char)(msg[0] - 'A' + 'a');
	cli_error(c, "the new passphrase is too weak: %s; choose a longer "
	    "one (a few unrelated words do), or pass --allow-weak-passphrase",
	    msg);
	secmem_wipe(msg, sizeof(msg));
	return CV_E_REFUSED;
}
