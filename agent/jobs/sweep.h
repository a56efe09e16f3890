/* SPDX-License-Identifier: MIT */
/* Wiping retired secrets once their grace period is over. */
#ifndef CV_AGENT_JOBS_SWEEP_H
#define CV_AGENT_JOBS_SWEEP_H

#include <stdatomic.h>
#include <stdint.h>

#include "agent/jobs/guard.h"
#include "agent/jobs/pool.h"

/* Sweep interval: a retired secret outlives its grace by at most this. */
#define SWEEP_INTERVAL_MS (15 * 60 * 1000)

/* When the last sweep started and whether one runs; zero-initialise. */
struct sweep {
	int64_t last_ms;
	atomic_int running;
};

/*
 * On every tick of the caller (one thread): at most one sweep at a time,
 * one per SWEEP_INTERVAL_MS (the first soon after start).  The sweep runs
 * on a worker of pool with a clone of the vault (guard) and wipes, in each
 * record, the secrets of generations retired longer ago than the record's
 * grace period (audited as "wipe retired secrets").  sw, pool and g must
 * outlive the sweep: free the pool first.
 */
void sweep_tick(struct sweep *sw, struct pool *pool, struct guard *g,
    int64_t now_ms);

#endif
