/* SPDX-License-Identifier: MIT */
/* stderr diagnostics for hook executables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "hooks/bin/hooklog.h"

#include "vault/banned.h"

static const char *hooklog_prog = "hook";

void
hooklog_set_progname(const char *prog)
{
	hooklog_prog = prog;
}

void
hooklog(const char *func, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* One fprintf keeps the line whole when stderr is a shared pipe. */
	(void)fprintf(stderr, "%s: %s: %s\n", hooklog_prog, func, line);
}

void
hooklog_clean(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i;

	if (dstsz == 0)
		return;
	for (i = 0; i < n && i < dstsz - 1; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = '\0';
}
