/* SPDX-License-Identifier: MIT */
/* Wiping retired secrets once their grace period is over. */
#ifndef CV_AGENT_SWEEP_H
#define CV_AGENT_SWEEP_H

struct server;

/* Sweep interval: a retired secret outlives its grace by at most this. */
#define SWEEP_INTERVAL_MS (15 * 60 * 1000)

/*
 * Loop thread, on every tick: at most one sweep at a time, one per
 * SWEEP_INTERVAL_MS (the first soon after start).  The sweep runs on a
 * worker with a clone of the vault and wipes, in each record, the secrets
 * of generations retired longer ago than the record's grace period
 * (audited as "wipe retired secrets").
 */
void sweep_tick(struct server *s);

#endif
