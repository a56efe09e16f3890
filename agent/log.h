/* SPDX-License-Identifier: MIT */
/* The agent's log: stderr in the foreground, syslog once daemonised. */
#ifndef CV_AGENT_LOG_H
#define CV_AGENT_LOG_H

#include <syslog.h>

/*
 * One line per event: the function, what was done to which subject, and
 * why (STYLE.md).  Never a secret or a token: callers pass record names,
 * peer identities, paths and failure classes only.  Thread-safe; each
 * line is written with a single write(2).
 */

/* Send lines to syslog (ident "credvault-agent", facility LOG_AUTHPRIV)
 * instead of stderr. */
void log_to_syslog(void);

/* Drop lines less important than prio (default LOG_INFO). */
void log_set_level(int prio);

void log_put(int prio, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(...) log_put(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...) log_put(LOG_WARNING, __func__, __VA_ARGS__)
#define log_info(...) log_put(LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_put(LOG_DEBUG, __func__, __VA_ARGS__)

#endif
