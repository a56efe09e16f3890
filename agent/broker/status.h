/* SPDX-License-Identifier: MIT */
/* The status request: what the agent is doing, never a token or secret. */
#ifndef CV_AGENT_BROKER_STATUS_H
#define CV_AGENT_BROKER_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "agent/broker/cache.h"
#include "agent/broker/token.h"

/* Cached tokens listed in one reply; the rest are only counted. */
#define STATUS_TOKENS_MAX 1000

/* What the broker knows, gathered on the loop thread.  Borrowed. */
struct status_in {
	int locked;
	pid_t pid;
	int64_t started_s;   /* wall clock */
	int64_t uptime_ms;
	const char *vault;   /* the vault directory */
	unsigned hook_workers;
	size_t hooks_running, hooks_queued;
	size_t audit_depth;
	uint64_t requests;   /* every request answered */
	uint64_t denials;    /* besides token denials: owner-only and admin */
	uint64_t admin_rotations;
	const struct token_stats *tk;
	struct cache *cache; /* NULL: no tokens (locked from the start) */
	int64_t now_ms;
};

/*
 * The reply object of docs/protocol.md, "status": counts and the cached
 * tokens (record, scope set, seconds left, hits), never a token.  NULL
 * when out of memory.  The caller json_decref()s it.
 */
json_t *status_json(const struct status_in *in);

#endif
