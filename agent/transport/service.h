/* SPDX-License-Identifier: MIT */
/* Running under systemd: socket activation, readiness, the journal. */
#ifndef CV_AGENT_TRANSPORT_SERVICE_H
#define CV_AGENT_TRANSPORT_SERVICE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The service manager's protocols go through libsystemd (sd_listen_fds,
 * sd_is_socket_unix, sd_notify, sd_journal_sendv), which this file loads
 * with dlopen() only when the agent finds itself started by systemd
 * (LISTEN_FDS, NOTIFY_SOCKET or JOURNAL_STREAM set): linked into the
 * credvault command it would cost every `credvault token` about 0.5 ms
 * of start-up (libsystemd and the five libraries it pulls in).  Without
 * those variables nothing is loaded and every call here is a no-op, so
 * the agent behaves as it always did.  When one is set and libsystemd0
 * cannot be loaded, the call that needs it fails and says so.
 *
 * Call everything but service_status() and the journal sink from the
 * main thread before other threads start (the loading is not locked).
 */

/*
 * The listening socket systemd passed (a .socket unit, or
 * systemd-socket-activate): *fd -1 and 0 when none was passed; else 0
 * with *fd, which must be exactly one AF_UNIX stream socket in the
 * listening state (sd_is_socket_unix), or CV_E_INVALID and why.  Call
 * before forking (LISTEN_PID names this process); the LISTEN_*
 * variables are removed so that nothing started later sees them.
 */
int service_listen_fd(int *fd, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Whether stderr is a stream to the journal: $JOURNAL_STREAM names its
 * device and inode (how systemd says so, systemd.exec(5)). */
int service_stderr_is_journal(void);

/*
 * From now on log lines go to the journal natively (sd_journal_sendv):
 * MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, SYSLOG_FACILITY (authpriv),
 * CODE_FUNC and the line's fields (CREDVAULT_RECORD=, ...).  CV_E_IO
 * with why when libsystemd cannot be loaded (nothing changes then).
 */
int service_log_to_journal(char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Readiness notifications, when $NOTIFY_SOCKET is set (Type=notify):
 * loads libsystemd (CV_E_IO and why if it cannot); 0 and nothing to do
 * otherwise.  Call before forking.
 */
int service_notify_init(char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Whether service_notify_init() found a service manager to tell. */
int service_is_notified(void);

/* READY=1 and STATUS=status; mainpid > 0 and not ours: also MAINPID= (a
 * parent that forked the agent tells the manager who serves). */
void service_ready(pid_t mainpid, const char *status);

/* STATUS=... (printf-style), only when it differs from the last one
 * sent: cheap to call once a second. */
void service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* STOPPING=1 and STATUS=status. */
void service_stopping(const char *status);

#endif
