/* SPDX-License-Identifier: MIT */
/* The agent's event loop: the listening socket, signals, ticks, wake-ups. */
#ifndef CV_AGENT_TRANSPORT_LOOP_H
#define CV_AGENT_TRANSPORT_LOOP_H

#include "agent/broker/broker.h"

/* Block the signals the loop takes through a signalfd (SIGTERM, SIGINT,
 * SIGHUP), in this thread and the threads it creates later; call before
 * creating any thread (broker_new() starts some). */
int loop_block_signals(void) __attribute__((warn_unused_result));

/*
 * Serve b on the listening socket lfd (non-blocking, close-on-exec; still
 * the caller's) until SIGTERM or SIGINT: then lock b (commit the audit
 * queue, wipe keys and tokens), answer waiting clients "locked", close
 * every connection and return 0.  SIGHUP reloads stack files.  An error
 * setting up the loop returns a CV_E_* code.
 */
int loop_run(struct broker *b, int lfd) __attribute__((warn_unused_result));

#endif
