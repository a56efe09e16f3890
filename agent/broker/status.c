/* SPDX-License-Identifier: MIT */
/* The status reply: the broker's counts and the cache's entries. */
#include "agent/broker/status.h"

#include <string.h>

#include "client/wire.h"
#include "base/banned.h"

struct status_walk {
	json_t *list;
	size_t listed;
	int failed;
};

static int
status_token(void *arg, const struct cache_info *info)
{
	struct status_walk *w = arg;
	json_t *o;

	if (w->listed == STATUS_TOKENS_MAX)
		return 1;
	o = json_pack("{s:s,s:I,s:s,s:I,s:I,s:I,s:b}", "record", info->name,
	    "generation", (json_int_t)info->generation, "scope", info->scope,
	    "expires_in", (json_int_t)info->expires_in, "lifetime",
	    (json_int_t)info->lifetime, "hits", (json_int_t)info->hits,
	    "refreshing", info->refreshing);
	if (o == NULL || json_array_append_new(w->list, o) != 0) {
		w->failed = 1;
		return 1;
	}
	w->listed++;
	return 0;
}

json_t *
status_json(const struct status_in *in)
{
	const struct token_stats *t = in->tk;
	struct status_walk w;
	size_t entries = 0, minting = 0;
	uint64_t denials = t->denials + in->denials;
	uint64_t rotations = t->rotations + in->admin_rotations;
	json_t *j, *counters;

	memset(&w, 0, sizeof(w));
	if ((w.list = json_array()) == NULL)
		return NULL;
	if (in->cache != NULL && !in->locked)
		entries = cache_walk(in->cache, in->now_ms, status_token, &w,
		    &minting);
	if (w.failed) {
		json_decref(w.list);
		return NULL;
	}
	counters = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "requests", (json_int_t)in->requests,
	    "token_requests", (json_int_t)t->requests,
	    "tokens_issued", (json_int_t)t->issued,
	    "cache_hits", (json_int_t)t->hits,
	    "cache_misses", (json_int_t)t->misses,
	    "mints", (json_int_t)t->mints,
	    "mint_failures", (json_int_t)t->mint_failures,
	    "denials", (json_int_t)denials,
	    "rotations", (json_int_t)rotations);
	if (counters == NULL) {
		json_decref(w.list);
		return NULL;
	}
	/* "o": the object takes the references over. */
	j = json_pack("{s:i,s:s,s:b,s:I,s:I,s:I,s:s,s:I,s:{s:I,s:I,s:b,s:o},"
	    "s:I,s:I,s:I,s:I,s:I,s:o}",
	    "v", WIRE_VERSION, "status", "ok",
	    "locked", in->locked,
	    "pid", (json_int_t)in->pid,
	    "started_at", (json_int_t)in->started_s,
	    "uptime_s", (json_int_t)(in->uptime_ms / 1000),
	    "vault", in->vault,
	    "records_served", (json_int_t)t->records_served,
	    "cache", "entries", (json_int_t)entries, "listed",
	    (json_int_t)w.listed, "truncated", w.listed < entries,
	    "tokens", w.list,
	    "mints_in_flight", (json_int_t)minting,
	    "hooks_running", (json_int_t)in->hooks_running,
	    "hooks_queued", (json_int_t)in->hooks_queued,
	    "hook_workers", (json_int_t)in->hook_workers,
	    "audit_queue", (json_int_t)in->audit_depth,
	    "counters", counters);
	return j;
}
