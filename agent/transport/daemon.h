/* SPDX-License-Identifier: MIT */
/* Agent process set-up: hardening, and detaching with a readiness report. */
#ifndef CV_AGENT_TRANSPORT_DAEMON_H
#define CV_AGENT_TRANSPORT_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Harden the process before it holds a key (ssh-agent main): no core
 * files (RLIMIT_CORE 0), not dumpable or ptrace-able by its uid
 * (PR_SET_DUMPABLE 0), umask 077, SIGPIPE ignored, and all memory locked
 * (mlockall MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT) when RLIMIT_MEMLOCK is
 * unlimited or the process may lock without limit (CAP_IPC_LOCK).  When
 * it cannot lock everything, warn says why (keys and tokens still live in
 * locked secbufs); "" otherwise.  CV_E_INTERNAL when a must-have step
 * (core files, dumpable) fails.
 */
int daemon_harden(char *warn, size_t warnlen)
    __attribute__((warn_unused_result));

/*
 * Detaching, ssh-agent style but with a readiness report, so that the
 * passphrase prompt, the unlock and the bind all happen in the process
 * that stays, and the parent only exits once the agent serves.
 *
 * daemon_fork(): in the parent, waits until the child calls daemon_ready()
 * (returns 1, *child its pid) or exits (returns 2, *status its exit
 * code); in the child returns 0.  CV_E_IO when fork or pipe fail.
 */
int daemon_fork(pid_t *child, int *status) __attribute__((warn_unused_result));

/* In the child: tell the parent it serves, then detach: new session,
 * working directory "/", standard descriptors on /dev/null. */
void daemon_ready(void);

#endif
