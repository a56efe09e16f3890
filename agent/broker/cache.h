/* SPDX-License-Identifier: MIT */
/* The agent's token cache: locked memory, lifetime margins, single-flight. */
#ifndef CV_AGENT_BROKER_CACHE_H
#define CV_AGENT_BROKER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/secmem.h"
#include "base/limits.h"

/*
 * Tokens are keyed by record name, generation and normalised scope set
 * (scope_normalize()).  A cached token is served while its remaining
 * lifetime is above a margin of min(CV_TOKEN_MARGIN_MAX_S, 10 % of its
 * expires_in) and at least the request's min_ttl.  A miss makes the first
 * caller the leader of a "flight": it mints and reports the result with
 * cache_flight_finish(); callers missing the same key meanwhile join that
 * flight and get its result (single-flight).  A hit on a token within
 * twice its margin of expiry also hands out a refresh flight (refresh
 * ahead): the old token keeps being served until the new one arrives.
 *
 * Times are milliseconds on a monotonic clock, passed in by the caller.
 * Tokens live in secbufs and are wiped when replaced, evicted, expired
 * (cache_sweep()) or cleared (cache_clear()).  Every function is
 * thread-safe.
 */
struct cache;
struct cache_flight;

struct cache_key {
	const char *name;    /* record name */
	uint32_t generation; /* the active generation's number */
	const char *scope;   /* normalised scope set ("" for none) */
};

/*
 * A token copied out of the cache.  The caller provides token (a secbuf
 * with cap >= CV_TOKEN_MAX), which is filled, and may name in known_serial
 * a token it still holds (0: none): when the cache would hand out that very
 * token, its bytes are not copied and copied is 0.  The rest is set by
 * the cache.
 */
struct cache_token {
	struct secbuf *token;
	uint64_t known_serial; /* in */
	int copied;            /* out: token holds the token */
	char token_type[CV_TOKEN_TYPE_MAX + 1];
	char scope[CV_SCOPE_MAX + 1]; /* as granted */
	uint32_t expires_in;          /* whole seconds left, rounded down */
	uint32_t lifetime;            /* expires_in when it was minted */
	uint64_t serial;              /* names this token: unique per mint */
};

/* What a successful mint produced; everything is borrowed. */
struct cache_mint {
	const unsigned char *token;
	size_t toklen; /* 1..CV_TOKEN_MAX */
	const char *token_type;
	const char *scope;
	uint32_t expires_in; /* 1..CV_EXPIRES_IN_MAX */
};

enum cache_result {
	CACHE_HIT = 0,      /* *tok is filled */
	CACHE_LEAD,         /* mint for *flight, then cache_flight_finish() */
	CACHE_JOIN,         /* *flight is being minted: wait for it */
	CACHE_UNSATISFIABLE, /* tokens of this key live less than min_ttl */
};

/* New empty cache holding up to max entries (0: CV_CACHE_ENTRIES_MAX).
 * The caller frees it with cache_free(). */
int cache_new(size_t max, struct cache **out)
    __attribute__((warn_unused_result));

/* Wipe every token and free the cache; flights still referenced must have
 * been released.  Accepts NULL; sets *cp to NULL. */
void cache_free(struct cache **cp);

/*
 * Look up key for a request that needs min_ttl seconds of lifetime.
 * Returns a cache_result, or CV_E_NOMEM, or CV_E_BUSY when the cache is
 * full of entries being minted.  For CACHE_LEAD and CACHE_JOIN, *flight
 * holds a reference the caller releases with cache_flight_put().  For a
 * CACHE_HIT, *refresh may receive a refresh flight (a reference, same
 * rules as CACHE_LEAD) that the caller should mint in the background;
 * refresh may be NULL to decline.  *flight and *refresh are cleared on
 * entry.
 */
int cache_get(struct cache *c, const struct cache_key *key, uint32_t min_ttl,
    int64_t now_ms, struct cache_token *tok, struct cache_flight **flight,
    struct cache_flight **refresh) __attribute__((warn_unused_result));

/*
 * Report the leader's result: m for a token (stored and handed to the
 * joiners), or m NULL with err (a CV_E_* code) and cls (a failure class
 * for the peers, may be NULL).  started_ms is when the mint began: the
 * token's lifetime counts from then.  A failed refresh keeps the old
 * token and is not retried for CV_AGENT_REFRESH_RETRY_S.  When the cache
 * was cleared since the flight began, the token is discarded and the
 * flight fails with CV_E_LOCKED.  Wakes every waiter.  Finishing a flight
 * twice is a programmer error (abort).
 */
void cache_flight_finish(struct cache *c, struct cache_flight *f,
    const struct cache_mint *m, int err, const char *cls, int64_t started_ms);

/* Block until f is finished (for threads; the agent's event loop is told
 * by its workers instead). */
void cache_flight_wait(struct cache *c, struct cache_flight *f);

/* Whether f is finished. */
int cache_flight_is_done(struct cache *c, struct cache_flight *f);

/*
 * The result of a finished flight: 0 with *tok filled, or its error with
 * the failure class copied to cls (clslen > CV_ERROR_CLASS_MAX; "" when
 * none).  CV_E_BUSY when f is not finished yet.
 */
int cache_flight_result(struct cache *c, struct cache_flight *f,
    int64_t now_ms, struct cache_token *tok, char *cls, size_t clslen)
    __attribute__((warn_unused_result));

/* Take one more reference to f; returns f. */
struct cache_flight *cache_flight_ref(struct cache *c, struct cache_flight *f);

/* Release a reference; accepts NULL and sets *fp to NULL. */
void cache_flight_put(struct cache *c, struct cache_flight **fp);

/* Evict and wipe tokens within their margin of expiry; returns how many. */
size_t cache_sweep(struct cache *c, int64_t now_ms);

/* Wipe every token and cancel every flight (lock). */
void cache_clear(struct cache *c);

/*
 * What status may know of one cached token (never its bytes): borrowed,
 * valid during the call only.
 */
struct cache_info {
	const char *name;
	uint32_t generation;
	const char *scope;   /* the key's normalised scope set */
	uint32_t expires_in; /* whole seconds left */
	uint32_t lifetime;   /* expires_in when it was minted */
	uint64_t hits;       /* requests it served */
	int refreshing;      /* a refresh ahead is being minted */
};

/*
 * Call fn for each entry that holds a token, most recently used first,
 * until fn returns non-zero; *minting counts every entry with a mint
 * under way (first mints and refreshes).  Returns how many entries hold
 * a token (fn may have stopped before it saw them all).  fn
 * runs under the cache's lock: it must not call the cache.
 */
size_t cache_walk(struct cache *c, int64_t now_ms,
    int (*fn)(void *arg, const struct cache_info *info), void *arg,
    size_t *minting);

/* Entries held (tokens and flights in progress). */
size_t cache_count(struct cache *c);

/* min(CV_TOKEN_MARGIN_MAX_S, 10 % of expires_in), in milliseconds. */
int64_t cache_margin_ms(uint32_t expires_in);

#endif
