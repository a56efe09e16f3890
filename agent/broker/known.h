/* SPDX-License-Identifier: MIT */
/* What the agent remembers of records between vault reads. */
#ifndef CV_AGENT_BROKER_KNOWN_H
#define CV_AGENT_BROKER_KNOWN_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/*
 * A token request needs a record's active generation (part of the cache
 * key) and its scopes, but not its secret unless a mint runs.  Reading and
 * authenticating the sealed record costs microseconds, so the agent keeps
 * these two facts, and reads the record again once they are older than
 * CV_AGENT_RECORD_TTL_MS.  A rotation or a scope change made by another
 * process is therefore seen at most that late; every mint reads the
 * record afresh.  No secret is kept here.  Only for records that exist,
 * at most CV_CACHE_ENTRIES_MAX of them.  Not thread-safe: the event loop
 * owns it.
 */
struct known;

struct known_info {
	uint32_t generation;          /* the active generation's number */
	char scope[CV_SCOPE_MAX + 1]; /* the record's scopes, normalised */
};

int known_new(struct known **out) __attribute__((warn_unused_result));
void known_free(struct known **rp);

/* Forget everything (lock, SIGHUP). */
void known_clear(struct known *r);

/* What is known of name if it was read at most CV_AGENT_RECORD_TTL_MS
 * before now_ms, else NULL.  Valid until the next call on r. */
const struct known_info *known_get(struct known *r, const char *name,
    int64_t now_ms);

/* Remember info for name as read at now_ms.  CV_E_NOMEM only; when the
 * table is full it starts over (every entry is young anyway). */
int known_put(struct known *r, const char *name,
    const struct known_info *info, int64_t now_ms)
    __attribute__((warn_unused_result));

/* Forget name (gone, or rotated since it was read). */
void known_forget(struct known *r, const char *name);

/* How many records are known (read since the last clear). */
size_t known_count(const struct known *r);

#endif
