/* SPDX-License-Identifier: MIT */
/* One logging call for every module: stderr, or syslog once detached. */
#ifndef CV_BASE_LOG_H
#define CV_BASE_LOG_H

#include <stddef.h>
#include <syslog.h>

/*
 * One line per event: the function, what was done to which subject, and
 * why (STYLE.md).  Never a secret or a token: callers pass record names,
 * peer identities, paths and failure classes only, and clean peer input
 * with log_clean() first.  Control bytes in a line become '?'.
 * Thread-safe; each line is written with a single write(2).
 */

enum log_style {
	/* "TIME IDENT[PID] LEVEL: FUNC: MESSAGE", for a long-running
	 * process (the agent); the default. */
	LOG_STYLE_STAMPED = 0,
	/* "IDENT: FUNC: MESSAGE", for a short-lived helper whose stderr
	 * someone else collects (a hook executable). */
	LOG_STYLE_PLAIN,
};

/* Name and form of the lines from now on; ident must stay valid (a
 * literal).  The default is "credvault", stamped. */
void log_set_ident(const char *ident, enum log_style style);

/* Send lines to syslog (the ident, facility LOG_AUTHPRIV) instead of
 * stderr. */
void log_to_syslog(void);

/* Drop lines less important than prio (default LOG_INFO). */
void log_set_level(int prio);

void log_put(int prio, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(...) log_put(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...) log_put(LOG_WARNING, __func__, __VA_ARGS__)
#define log_info(...) log_put(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_put(LOG_DEBUG, __func__, __VA_ARGS__)

/*
 * Copy at most dstsz - 1 bytes of src[0..n) into dst for display: bytes
 * outside printable ASCII become '?'.  dst is always NUL-terminated.
 */
void log_clean(char *dst, size_t dstsz, const char *src, size_t n);

#endif
