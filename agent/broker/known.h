/* SPDX-License-Identifier: MIT */
/* What the agent remembers of records between vault reads. */
#ifndef CV_AGENT_RECORDS_H
#define CV_AGENT_RECORDS_H

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
struct records;

struct records_info {
	uint32_t generation;          /* the active generation's number */
	char scope[CV_SCOPE_MAX + 1]; /* the record's scopes, normalised */
};

int records_new(struct records **out) __attribute__((warn_unused_result));
void records_free(struct records **rp);

/* Forget everything (lock, SIGHUP). */
void records_clear(struct records *r);

/* What is known of name if it was read at most CV_AGENT_RECORD_TTL_MS
 * before now_ms, else NULL.  Valid until the next call on r. */
const struct records_info *records_get(struct records *r, const char *name,
    int64_t now_ms);

/* Remember info for name as read at now_ms.  CV_E_NOMEM only; when the
 * table is full it starts over (every entry is young anyway). */
int records_put(struct records *r, const char *name,
    const struct records_info *info, int64_t now_ms)
    __attribute__((warn_unused_result));

/* Forget name (gone, or rotated since it was read). */
void records_forget(struct records *r, const char *name);

#endif
