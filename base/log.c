/* SPDX-License-Identifier: MIT */
/* Log lines to stderr or syslog, one write each. */
#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

#define LOG_LINE_MAX 2048

static const char *log_ident = "credvault";
static atomic_int log_style;
static atomic_int log_syslog;
static atomic_int log_level = LOG_INFO;

static const char *const log_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void
log_set_ident(const char *ident, enum log_style style)
{
	log_ident = ident;
	atomic_store(&log_style, (int)style);
}

void
log_to_syslog(void)
{
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	atomic_store(&log_syslog, 1);
}

void
log_set_level(int prio)
{
	atomic_store(&log_level, prio);
}

/* What goes before "FUNC: " on stderr. */
static size_t
log_prefix(char *line, size_t len, int prio)
{
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	int k;

	if (atomic_load(&log_style) == LOG_STYLE_PLAIN) {
		k = snprintf(line, len, "%s: ", log_ident);
	} else {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		stamp[0] = '\0';
		if (gmtime_r(&ts.tv_sec, &tm) != NULL)
			(void)strftime(stamp, sizeof(stamp),
			    "%Y-%m-%dT%H:%M:%SZ", &tm);
		k = snprintf(line, len, "%s %s[%ld] %s: ", stamp, log_ident,
		    (long)getpid(), log_names[prio]);
	}
	return k > 0 ? (size_t)k : 0;
}

void
log_put(int prio, const char *func, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	size_t n = 0, i;
	int k;

	if (prio < 0 || prio > LOG_DEBUG || prio > atomic_load(&log_level))
		return;
	if (!atomic_load(&log_syslog))
		n = log_prefix(line, sizeof(line), prio);
	k = snprintf(line + n, sizeof(line) - n, "%s: ", func);
	n += k > 0 ? (size_t)k : 0;
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		n += k > 0 ? (size_t)k : 0;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/* One line per event: no control characters from names or paths. */
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (atomic_load(&log_syslog)) {
		line[n] = '\0';
		syslog(prio, "%s", line);
		return;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

void
log_clean(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i;

	if (dstsz == 0)
		return;
	for (i = 0; i < n && i < dstsz - 1; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	dst[i] = '\0';
}
