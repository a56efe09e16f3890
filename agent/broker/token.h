/* SPDX-License-Identifier: MIT */
/* The token request: authorize, then the cache, else a mint on a worker. */
#ifndef CV_AGENT_BROKER_TOKEN_H
#define CV_AGENT_BROKER_TOKEN_H

#include <stdint.h>

#include "agent/broker/audit_queue.h"
#include "agent/broker/session.h"
#include "agent/jobs/guard.h"
#include "agent/jobs/pool.h"
#include "hooks/policy.h"

/*
 * The token service owns the token cache and what it knows of records;
 * it borrows the guard, the policy, the pool, the audit queue and the
 * sessions, which must outlive it.  policy, pool and q may be NULL (a
 * locked agent that only fuzzers make).  Every function runs on the one
 * thread that owns the sessions (the event loop), workers only run hooks.
 */
struct token;

/*
 * What the token service did since it started (status): plain counts,
 * read and written on the loop thread only.
 */
struct token_stats {
	uint64_t requests;      /* token requests */
	uint64_t issued;        /* tokens handed out */
	uint64_t hits;          /* served from the cache */
	uint64_t misses;        /* waited for a mint (led one, or joined) */
	uint64_t mints;         /* mints finished, refreshes ahead included */
	uint64_t mint_failures; /* of those, failed */
	uint64_t denials;       /* token requests denied */
	uint64_t rotations;     /* secrets rotated by a mint (invalid_client,
	                           age) */
	uint64_t records_served; /* distinct records a token was issued for */
};

/* The counts, and the cache (for status: cache_walk()); valid while t
 * lives. */
const struct token_stats *token_stats(const struct token *t);
struct cache;
struct cache *token_cache(struct token *t);

int token_new(struct guard *g, struct policy *p, struct pool *pool,
    struct audit_queue *q, struct sessions *sessions, struct token **out)
    __attribute__((warn_unused_result));
void token_free(struct token **tp);

/*
 * Answer s's token request req (s->req_scope normalised): 0 when s->out
 * holds the reply, 1 when a reply comes later (session_complete()).
 * now_ms is monotonic, now_s the wall clock, both of this request.
 */
int token_op(struct token *t, struct session *s,
    const struct wire_request *req, int64_t now_ms, int64_t now_s);

/* Queue an audit entry for s's peer; non-zero when it cannot be queued
 * (then do not issue). */
int token_audit(struct token *t, const struct session *s,
    const char *action, const char *record, const char *result)
    __attribute__((warn_unused_result));

/* Release what a busy s waits for (before a "locked" reply, or before
 * session_free()). */
void token_release(struct token *t, struct session *s);

/* Wipe every token and what is known of records (lock). */
void token_clear(struct token *t);

/* Forget what is known of records (stack files are read again). */
void token_reload(struct token *t);

/* Evict tokens within their margin of expiry. */
void token_sweep(struct token *t, int64_t now_ms);

/* When the last token request came (monotonic ms; at first, when the
 * service started). */
int64_t token_last_request_ms(const struct token *t);

/* For the service status: records read since the last lock or SIGHUP,
 * and tokens in the cache. */
void token_counts(struct token *t, size_t *records, size_t *tokens);

#endif
