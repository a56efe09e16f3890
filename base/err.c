/* SPDX-License-Identifier: MIT */
/* The one table of error messages and exit codes. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/limits.h"
#include "base/banned.h"

static const struct {
	const char *msg;
	int exit_code;
} err_table[] = {
	[0] = { "success", CV_EXIT_OK },
	[-CV_E_INTERNAL] = { "internal error", CV_EXIT_FAILURE },
	[-CV_E_NOMEM] = { "out of memory", CV_EXIT_FAILURE },
	[-CV_E_IO] = { "input/output error", CV_EXIT_FAILURE },
	[-CV_E_INVALID] = { "invalid input", CV_EXIT_FAILURE },
	[-CV_E_USAGE] = { "usage error", CV_EXIT_USAGE },
	[-CV_E_NOTFOUND] = { "not found", CV_EXIT_NOTFOUND },
	[-CV_E_EXISTS] = { "already exists", CV_EXIT_FAILURE },
	[-CV_E_AUTH] = { "unlock failed", CV_EXIT_UNLOCK },
	[-CV_E_REFUSED] = { "refused", CV_EXIT_REFUSED },
	[-CV_E_DENIED] = { "denied", CV_EXIT_REFUSED },
	[-CV_E_INTEGRITY] = { "integrity check failed", CV_EXIT_INTEGRITY },
	[-CV_E_UPSTREAM] = { "upstream failure", CV_EXIT_UPSTREAM },
	[-CV_E_TOOBIG] = { "input too large", CV_EXIT_FAILURE },
	[-CV_E_PERM] = { "unsafe permissions", CV_EXIT_FAILURE },
	[-CV_E_NOSPACE] = { "no space left on the device (or file size limit reached)", CV_EXIT_FAILURE },
	[-CV_E_VERSION] = { "unsupported format version", CV_EXIT_INTEGRITY },
	[-CV_E_TIMEOUT] = { "timed out", CV_EXIT_UPSTREAM },
	[-CV_E_LOCKED] = { "locked", CV_EXIT_UNLOCK },
	[-CV_E_PROTO] = { "protocol error", CV_EXIT_FAILURE },
	[-CV_E_BUSY] = { "busy", CV_EXIT_FAILURE },
	[-CV_E_NOVAULT] = { "no vault", CV_EXIT_FAILURE },
};

const char *
cv_strerror(int err)
{
	if (err > 0 || err < CV_ERR_MIN)
		return "unknown error";
	return err_table[-err].msg;
}

int
cv_exit_code(int err)
{
	if (err > 0 || err < CV_ERR_MIN)
		return CV_EXIT_FAILURE;
	return err_table[-err].exit_code;
}

void
cv_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

int
cv_class_is_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == CV_ERROR_CLASS_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	}
	return 1;
}
