/* SPDX-License-Identifier: MIT */
/* The agent's broker: a request's bytes and its peer in, a reply out. */
#ifndef CV_AGENT_BROKER_BROKER_H
#define CV_AGENT_BROKER_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "agent/broker/session.h"
#include "hooks/peer_ident.h"
#include "vault/vault.h"

/*
 * The broker never sees a file descriptor: whoever carries the bytes
 * (the transport, or a fuzzer) opens a session per client with the
 * kernel's view of the peer, hands it each request body, and carries the
 * replies back.  A reply that needs a hook comes later, through the
 * session's reply function.  All of it runs on one thread (the event
 * loop); workers only run hooks, and their results come back through
 * broker_drain() after the broker's wake function said so.
 */
struct broker;

struct broker_opts {
	unsigned lifetime_s;      /* lock after this long without a request; 0: never */
	const char *default_mint; /* NULL: the shipped oauth2-mint */
	unsigned hook_timeout_ms; /* 0: CV_HOOK_TIMEOUT_MS */
	unsigned hook_threads;    /* 0: CV_HOOKS_CONCURRENT_MAX; fewer when
	                             RLIMIT_NOFILE is low (broker_new()) */
};

/*
 * A broker for the unlocked vault v, which it takes over whatever happens
 * (v NULL: a broker that is locked from the start, which only fuzzers
 * want).  It starts the hook workers and the audit thread, so the caller
 * must have blocked the signals it takes elsewhere in every thread first.
 * The vault's actor becomes "agent".  Free with broker_free().
 */
int broker_new(struct vault *v, const struct broker_opts *o,
    struct broker **out) __attribute__((warn_unused_result));

/*
 * The hook workers broker_new() started (0 for a broker locked from the
 * start): hook_threads, but running hooks may take at most half of the
 * descriptors RLIMIT_NOFILE allows beyond CV_AGENT_FDS_BASE, at
 * CV_AGENT_FDS_PER_HOOK each.  One record's jobs hold at most a tenth of
 * them, at least 1, at most CV_HOOKS_PER_RECORD_MAX.  Both are logged.
 */
unsigned broker_hook_threads(const struct broker *b);

/* Lock (if not yet), stop the workers, commit the audit queue, free.
 * Every session must have been freed.  Accepts NULL; sets *bp to NULL. */
void broker_free(struct broker **bp);

/*
 * Who to tell, from a worker thread, that finished hook runs wait for
 * broker_drain() (it must only wake the loop; NULL: nobody).  After this
 * returns the old function is never called again.
 */
void broker_set_wake(struct broker *b, void (*fn)(void *arg), void *arg);

/* Finish what the workers did: answer the sessions that waited. */
void broker_drain(struct broker *b);

/*
 * A session for peer (from the kernel, never from the client); fn(arg)
 * receives deferred replies (may be NULL).  CV_E_BUSY when there are
 * CV_AGENT_CLIENTS_MAX sessions.  Free with broker_session_free().
 */
int broker_session_new(struct broker *b, const struct peer_ident *peer,
    session_reply_fn fn, void *arg, struct session **out)
    __attribute__((warn_unused_result));
void broker_session_free(struct broker *b, struct session **sp);

/*
 * Answer one request body: 0 with the reply frame at *reply (*replylen
 * bytes, valid until the next call on s), or 1 when the reply comes
 * later through the session's function (never for a locked broker).
 * Any input gets an answer, never a crash.  Call broker_session_sent()
 * once the reply was carried.
 */
int broker_handle(struct broker *b, struct session *s,
    const unsigned char *body, size_t len, const unsigned char **reply,
    size_t *replylen);

/* A reply "failed cls" for a frame that never reached broker_handle()
 * (too large, cut off, too slow); same rules as for its replies. */
void broker_refuse(struct broker *b, struct session *s, const char *cls,
    const unsigned char **reply, size_t *replylen);

/* The reply of s was carried (wiped unless kept for the next one). */
void broker_session_sent(struct broker *b, struct session *s);

/* Once a second or so: kill and reap hooks' orphans (hooks/reap.h),
 * expire tokens, sweep retired secrets, lock after the idle lifetime. */
void broker_tick(struct broker *b);

/* Read stack files again (SIGHUP). */
void broker_reload(struct broker *b);

/* Lock: audit, commit, wipe keys and tokens, answer waiting sessions
 * "locked"; why goes to the audit log. */
void broker_lock(struct broker *b, const char *why);

/* What the agent is doing, cheaply (the loop's thread, once a second). */
struct broker_counts {
	int locked;
	size_t records; /* records read since the last lock or SIGHUP */
	size_t tokens;  /* tokens cached */
};
void broker_counts(struct broker *b, struct broker_counts *out);

#endif
