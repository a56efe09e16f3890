/* SPDX-License-Identifier: MIT */
/* The agent's event loop: the listening socket, signals, ticks, wake-ups. */
#ifndef CV_AGENT_TRANSPORT_LOOP_H
#define CV_AGENT_TRANSPORT_LOOP_H

#include "agent/broker/broker.h"

/* Block the signals the loop takes through a signalfd (SIGTERM, SIGINT,
 * SIGHUP), in this thread and the threads it creates later; call before
 * creating any thread (broker_new() starts some). */
int loop_block_signals(void) __attribute__((warn_unused_result));

struct loop_opts {
	unsigned clients_per_uid; /* 0: CV_AGENT_CLIENTS_PER_UID */
};

/*
 * Serve b on the listening socket lfd (non-blocking, close-on-exec; still
 * the caller's) until SIGTERM or SIGINT: then lock b (commit the audit
 * queue, wipe keys and tokens), answer waiting clients "locked", close
 * every connection and return 0.  SIGHUP reloads stack files.  An error
 * setting up the loop returns a CV_E_* code.  o may be NULL (defaults).
 *
 * Descriptors: clients get what RLIMIT_NOFILE leaves beyond
 * CV_AGENT_FDS_BASE and CV_AGENT_FDS_PER_HOOK per hook worker (read
 * again every second), shared as conn.h says.  If accept() still runs out
 * of descriptors, the loop does not retry at once: it logs once, answers
 * the next client with a spare descriptor ("busy", or a connection for
 * the agent's uid or root when an idle one can make room), and stops
 * watching the socket until a connection closes or the next tick; when
 * no accept has failed for two seconds it logs the episode's end.
 */
int loop_run(struct broker *b, int lfd, const struct loop_opts *o)
    __attribute__((warn_unused_result));

#endif
