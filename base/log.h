/* SPDX-License-Identifier: MIT */
/* One logging call for every module: stderr, a file, syslog or a sink. */
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
 *
 * Where lines go, one place at a time: stderr (the default), a file
 * (log_to_file()), syslog (log_to_syslog()), or a sink (log_to_sink(): the
 * journal, which the agent's transport provides; base links no service
 * manager).  Switch before other threads log.
 */

enum log_style {
	/* "TIME IDENT[PID] LEVEL: FUNC: MESSAGE", for a long-running
	 * process (the agent); the default.  TIME is ISO 8601 in UTC with
	 * milliseconds: 2026-01-31T12:00:00.000Z. */
	LOG_STYLE_STAMPED = 0,
	/* "IDENT: FUNC: MESSAGE", for a short-lived helper whose stderr
	 * someone else collects (a hook executable). */
	LOG_STYLE_PLAIN,
};

/*
 * A structured field for the sink: name is a journal field name
 * ([A-Z0-9_], e.g. "CREDVAULT_RECORD"), value its text (cleaned like the
 * line).  Other destinations ignore fields: the message must say it all.
 */
struct log_field {
	const char *name;
	const char *value;
};

#define LOG_FIELDS_MAX 8    /* fields per line; more are dropped */
#define LOG_FIELD_VALUE_MAX 512 /* bytes of a value; cut beyond */

/*
 * The sink gets each line that passes the level: prio, the ident, the
 * function, the message (without time, ident or function; cleaned), and
 * the fields.  Called on the logging thread; must be thread-safe.
 */
typedef void log_sink_fn(void *arg, int prio, const char *ident,
    const char *func, const char *msg, const struct log_field *fields,
    size_t nfields);

/* Name and form of the lines from now on; ident must stay valid (a
 * literal).  The default is "credvault", stamped. */
void log_set_ident(const char *ident, enum log_style style);

/* Send lines to syslog (the ident, facility LOG_AUTHPRIV). */
void log_to_syslog(void);

/* Whether a syslog daemon listens on /dev/log (datagram or stream):
 * syslog(3) drops lines silently when none does. */
int log_syslog_is_reachable(void);

/* Send lines to fn(arg, ...) (the journal). */
void log_to_sink(log_sink_fn *fn, void *arg);

/*
 * Append lines to the file at path (absolute), stamped: opened
 * O_APPEND|O_CLOEXEC|O_NOFOLLOW, created 0600.  Refused: a symbolic link
 * (CV_E_PERM), anything but a regular file, a file of another user, or
 * one that its group may write or others may read or write (CV_E_PERM);
 * why says which and what to do.  Lines go there from now on.
 */
int log_to_file(const char *path, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Open the log file again by its path (logrotate moved it away: SIGHUP),
 * with the checks of log_to_file().  The new file takes the old one's
 * descriptor number (dup2), so a line being written by another thread
 * meanwhile lands in one or the other, never elsewhere.  On failure the
 * old file stays in use and why says why.  0 when there is no log file.
 */
int log_reopen(char *why, size_t whylen) __attribute__((warn_unused_result));

/* Drop lines less important than prio (default LOG_INFO). */
void log_set_level(int prio);

void log_put(int prio, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* log_put() with structured fields for the sink (at most
 * LOG_FIELDS_MAX). */
void log_put_fields(int prio, const char *func, const struct log_field *f,
    size_t nf, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

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
