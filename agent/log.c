/* SPDX-License-Identifier: MIT */
/* The agent's log lines, to stderr or syslog. */
#include "agent/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vault/banned.h"

#define LOG_LINE_MAX 2048

static atomic_int log_syslog;
static atomic_int log_level = LOG_INFO;

static const char *const log_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void
log_to_syslog(void)
{
	openlog("credvault-agent", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	atomic_store(&log_syslog, 1);
}

void
log_set_level(int prio)
{
	atomic_store(&log_level, prio);
}

void
log_put(int prio, const char *func, const char *fmt, ...)
{
	char line[LOG_LINE_MAX], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n = 0, i;
	int k;

	if (prio < 0 || prio > LOG_DEBUG || prio > atomic_load(&log_level))
		return;
	if (!atomic_load(&log_syslog)) {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		stamp[0] = '\0';
		if (gmtime_r(&ts.tv_sec, &tm) != NULL)
			(void)strftime(stamp, sizeof(stamp),
			    "%Y-%m-%dT%H:%M:%SZ", &tm);
		k = snprintf(line, sizeof(line), "%s credvault-agent[%ld] %s: ",
		    stamp, (long)getpid(), log_names[prio]);
		n = k > 0 ? (size_t)k : 0;
	}
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
