/* SPDX-License-Identifier: MIT */
/* The broker: set-up, the {type, flags, handler} table, lock. */
#include "agent/broker/broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent/broker/admin.h"
#include "agent/broker/audit_queue.h"
#include "agent/broker/status.h"
#include "agent/broker/token.h"
#include "agent/jobs/guard.h"
#include "agent/jobs/hookrun.h"
#include "agent/jobs/pool.h"
#include "agent/jobs/sweep.h"
#include "hooks/policy.h"
#include "hooks/reap.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/banned.h"

#define BROKER_F_UNLOCKED 0x1u /* answer "locked" while locked */
#define BROKER_F_OWNER 0x2u    /* the agent's own uid or root only */

struct broker {
	struct guard *guard;
	struct policy *policy;     /* NULL when locked from the start */
	struct pool *pool;         /* likewise */
	struct audit_queue *audit; /* likewise */
	struct sessions *sessions;
	struct token *token;
	struct admin *admin;
	struct sweep sweep;
	struct broker_opts opts;
	uid_t uid; /* the agent's */
	unsigned threads; /* hook workers; 0 when locked at start */
	/* For status (loop thread only). */
	char vault[CV_PATH_MAX];
	int64_t started_ms, started_s;
	uint64_t requests;
	uint64_t denials; /* owner-only requests from anyone else */
};

/* What a handler gets: the request's session, its body, the clocks. */
struct broker_call {
	struct session *s;
	const unsigned char *body;
	size_t len;
	int64_t now_ms, now_s;
};

static int broker_op_token(struct broker *b, const struct broker_call *c);
static int broker_op_lock(struct broker *b, const struct broker_call *c);
static int broker_op_admin(struct broker *b, const struct broker_call *c);
static int broker_op_status(struct broker *b, const struct broker_call *c);

/* The dispatch table (ssh monitor.c): one row per request type. */
static const struct broker_handler {
	enum wire_op type;
	unsigned flags;
	int (*fn)(struct broker *b, const struct broker_call *c);
} broker_handlers[] = {
	{ WIRE_OP_TOKEN, BROKER_F_UNLOCKED, broker_op_token },
	{ WIRE_OP_LOCK, BROKER_F_OWNER, broker_op_lock },
	{ WIRE_OP_ADMIN, BROKER_F_UNLOCKED, broker_op_admin },
	/* Answered locked or not: whether it is locked is part of it. */
	{ WIRE_OP_STATUS, BROKER_F_OWNER, broker_op_status },
};

/*
 * Hook workers: as asked (else CV_HOOKS_CONCURRENT_MAX), but running hooks
 * take at most half of the descriptors beyond the agent's own (each holds
 * up to CV_AGENT_FDS_PER_HOOK), so that a low RLIMIT_NOFILE still leaves
 * room for clients.
 */
static unsigned
broker_threads(const struct broker_opts *o)
{
	unsigned t = o->hook_threads != 0 ? o->hook_threads :
	    CV_HOOKS_CONCURRENT_MAX;
	struct rlimit rl;
	rlim_t fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return t;
	fit = rl.rlim_cur > CV_AGENT_FDS_BASE ? (rl.rlim_cur -
	    CV_AGENT_FDS_BASE) / 2 / CV_AGENT_FDS_PER_HOOK : 0;
	if (fit < t)
		t = fit > 0 ? (unsigned)fit : 1;
	return t;
}

/* A record's hook runs at once: CV_HOOKS_PER_RECORD_MAX, and at most a
 * tenth of the workers, so that ten records with slow hooks still leave
 * workers to an eleventh. */
static unsigned
broker_per_record(unsigned threads)
{
	unsigned k = threads / 10;

	if (k > CV_HOOKS_PER_RECORD_MAX)
		k = CV_HOOKS_PER_RECORD_MAX;
	return k > 0 ? k : 1;
}

int
broker_new(struct vault *v, const struct broker_opts *o, struct broker **out)
{
	struct broker *b;
	unsigned per_record;
	int r;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		vault_free(&v);
		return CV_E_NOMEM;
	}
	b->uid = getuid();
	b->opts = *o;
	b->started_ms = hookrun_now_ms();
	b->started_s = (int64_t)time(NULL);
	if (v != NULL) {
		vault_set_actor(v, "agent");
		(void)snprintf(b->vault, sizeof(b->vault), "%s",
		    vault_path(v));
	}
	if ((r = guard_new(v, &b->guard)) != 0) { /* v transferred */
		free(b);
		return r;
	}
	if (v != NULL) {
		b->threads = broker_threads(o);
		per_record = broker_per_record(b->threads);
		log_info("%u hook workers, at most %u per record", b->threads,
		    per_record);
		if ((r = policy_new(vault_path(v), vault_owner(v), b->uid,
		    o->default_mint, o->hook_timeout_ms, &b->policy)) != 0 ||
		    (r = pool_new(b->threads, CV_AGENT_JOBS_MAX, per_record,
		    &b->pool)) != 0 ||
		    (r = audit_queue_new(b->guard, &b->audit)) != 0)
			goto out;
	}
	if ((r = sessions_new(&b->sessions)) != 0 ||
	    (r = token_new(b->guard, b->policy, b->pool, b->audit,
	    b->sessions, &b->token)) != 0 ||
	    (r = admin_new(b->guard, b->policy, b->pool, b->audit,
	    b->sessions, &b->admin)) != 0)
		goto out;
	*out = b;
	b = NULL; /* transferred */
out:
	broker_free(&b);
	return r;
}

void
broker_free(struct broker **bp)
{
	struct broker *b;

	if (bp == NULL || (b = *bp) == NULL)
		return;
	broker_lock(b, "agent stopping");
	/* Jobs still queued are cancelled, running hooks finish first (at
	 * most their timeout).  XXX #11: exec_run() cannot be cancelled. */
	pool_free(&b->pool);
	/* Nothing a hook started stays behind the agent. */
	reap_orphans(CV_HOOK_REAP_MS);
	audit_queue_free(&b->audit);
	admin_free(&b->admin);
	token_free(&b->token);
	sessions_free(&b->sessions);
	policy_free(&b->policy);
	guard_free(&b->guard);
	free(b);
	*bp = NULL;
}

unsigned
broker_hook_threads(const struct broker *b)
{
	return b->threads;
}

void
broker_set_wake(struct broker *b, void (*fn)(void *arg), void *arg)
{
	if (b->pool != NULL)
		pool_set_wake(b->pool, fn, arg);
}

void
broker_drain(struct broker *b)
{
	if (b->pool != NULL)
		pool_drain(b->pool);
}

int
broker_session_new(struct broker *b, const struct peer_ident *peer,
    session_reply_fn fn, void *arg, struct session **out)
{
	return session_new(b->sessions, peer, fn, arg, out);
}

void
broker_session_free(struct broker *b, struct session **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	token_release(b->token, *sp);
	session_free(b->sessions, sp);
}

void
broker_session_sent(struct broker *b, struct session *s)
{
	(void)b;
	session_sent(s);
}

/* Whether the peer may use owner-only requests. */
static int
broker_is_owner(const struct broker *b, const struct session *s)
{
	return s->peer.uid == b->uid || s->peer.uid == 0;
}

static int
broker_op_token(struct broker *b, const struct broker_call *c)
{
	return token_op(b->token, c->s, &c->s->req, c->now_ms, c->now_s);
}

static int
broker_op_lock(struct broker *b, const struct broker_call *c)
{
	char why[CV_AUDIT_FIELD_MAX + 1];

	(void)snprintf(why, sizeof(why), "credvault lock from %.*s",
	    CV_AUDIT_FIELD_MAX - 24, c->s->actor);
	broker_lock(b, why);
	session_reply(c->s, WIRE_OK, NULL);
	return 0;
}

static int
broker_op_admin(struct broker *b, const struct broker_call *c)
{
	return admin_op(b->admin, c->s, c->body, c->len);
}

/* What the agent is doing: counts the loop thread keeps, and brief
 * looks under the cache's, the pool's and the audit queue's locks. */
static int
broker_op_status(struct broker *b, const struct broker_call *c)
{
	struct status_in in;
	json_t *j;

	memset(&in, 0, sizeof(in));
	in.locked = guard_is_locked(b->guard);
	in.pid = getpid();
	in.started_s = b->started_s;
	in.uptime_ms = c->now_ms - b->started_ms;
	in.vault = b->vault;
	in.hook_workers = b->threads;
	if (b->pool != NULL)
		pool_counts(b->pool, &in.hooks_running, &in.hooks_queued);
	if (b->audit != NULL)
		in.audit_depth = audit_queue_depth(b->audit);
	in.requests = b->requests;
	admin_counts(b->admin, &in.denials, &in.admin_rotations);
	in.denials += b->denials;
	in.tk = token_stats(b->token);
	in.cache = token_cache(b->token);
	in.now_ms = c->now_ms;
	if ((j = status_json(&in)) == NULL) {
		session_reply(c->s, WIRE_FAILED, "internal");
		return 0;
	}
	session_reply_json(c->s, j);
	json_decref(j);
	return 0;
}

int
broker_handle(struct broker *b, struct session *s, const unsigned char *body,
    size_t len, const unsigned char **reply, size_t *replylen)
{
	const struct broker_handler *h = NULL;
	struct broker_call call;
	char why[256];
	size_t i;
	int r, out = 0;

	*reply = NULL;
	*replylen = 0;
	b->requests++;
	if ((r = session_decode(s, body, len, why, sizeof(why))) != 0) {
		session_log(LOG_INFO, s, "refused", NULL,
		    "%s: request refused: %s", s->actor, why);
		session_reply(s, WIRE_FAILED, r == CV_E_TOOBIG ? "too_large" :
		    r == CV_E_VERSION ? "unsupported" : r == CV_E_NOMEM ?
		    "internal" : "bad_request");
		goto out;
	}
	for (i = 0; i < sizeof(broker_handlers) / sizeof(broker_handlers[0]);
	    i++)
		if (broker_handlers[i].type == s->req.op)
			h = &broker_handlers[i];
	if (h == NULL) {
		session_reply(s, WIRE_FAILED, "unsupported");
		goto out;
	}
	if ((h->flags & BROKER_F_OWNER) != 0 && !broker_is_owner(b, s)) {
		session_log(LOG_NOTICE, s, "denied", NULL,
		    "%s: %s refused: not the agent's uid %lu", s->actor,
		    wire_op_name(s->req.op), (unsigned long)b->uid);
		b->denials++;
		if (token_audit(b->token, s, wire_op_name(s->req.op), "",
		    "denied") != 0) {
			session_reply(s, WIRE_FAILED, "busy");
			goto out;
		}
		session_reply(s, WIRE_DENIED, NULL);
		goto out;
	}
	if ((h->flags & BROKER_F_UNLOCKED) != 0 &&
	    guard_is_locked(b->guard)) {
		session_reply(s, WIRE_LOCKED, NULL);
		goto out;
	}
	call.s = s;
	call.body = body;
	call.len = len;
	call.now_ms = hookrun_now_ms();
	call.now_s = (int64_t)time(NULL);
	out = h->fn(b, &call);
out:
	if (out == 0) {
		s->sending = 1;
		/* A large reply (status) has a buffer of its own. */
		*reply = s->big != NULL ? s->big->data : s->out->data;
		*replylen = s->big != NULL ? s->big->len : s->out->len;
	}
	return out;
}

void
broker_refuse(struct broker *b, struct session *s, const char *cls,
    const unsigned char **reply, size_t *replylen)
{
	b->requests++;
	log_info("%s: request refused: %s", s->actor, cls);
	session_reply(s, WIRE_FAILED, cls);
	s->sending = 1;
	*reply = s->out->data;
	*replylen = s->out->len;
}

void
broker_tick(struct broker *b)
{
	int64_t now_ms = hookrun_now_ms();
	char why[64];

	/* Orphans of hooks (their parent exited; the agent is their
	 * subreaper) are killed and reaped, locked or not. */
	reap_orphans(0);
	if (guard_is_locked(b->guard))
		return;
	token_sweep(b->token, now_ms);
	sweep_tick(&b->sweep, b->pool, b->guard, now_ms);
	if (b->opts.lifetime_s != 0 &&
	    now_ms - token_last_request_ms(b->token) >=
	    (int64_t)b->opts.lifetime_s * 1000) {
		(void)snprintf(why, sizeof(why), "idle for %u s",
		    b->opts.lifetime_s);
		broker_lock(b, why);
	}
}

void
broker_reload(struct broker *b)
{
	if (b->policy != NULL)
		policy_reload(b->policy);
	token_reload(b->token);
}

void
broker_lock(struct broker *b, const char *why)
{
	struct audit_entry e;
	struct session *s;
	size_t i;
	int r;

	if (guard_is_locked(b->guard))
		return;
	if (b->audit != NULL && (r = audit_queue_flush(b->audit)) != 0)
		log_err("cannot commit the audit queue before locking: %s",
		    cv_strerror(r));
	memset(&e, 0, sizeof(e));
	e.time = (int64_t)time(NULL);
	e.action = "lock";
	e.record = "";
	e.result = why;
	guard_lock(b->guard, &e);
	if (b->token != NULL)
		token_clear(b->token);
	if (b->admin != NULL)
		admin_lock(b->admin);
	for (i = 0; b->sessions != NULL && i < CV_AGENT_CLIENTS_MAX; i++) {
		if ((s = sessions_at(b->sessions, i)) == NULL)
			continue;
		s->memo_authorized = 0;
		if (s->busy) {
			token_release(b->token, s);
			session_reply(s, WIRE_LOCKED, NULL);
			session_complete(s); /* may free s */
		} else {
			session_forget_reply(s);
		}
	}
	log_info("locked (%s): keys and tokens wiped", why);
}

void
broker_counts(struct broker *b, struct broker_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->locked = guard_is_locked(b->guard);
	token_counts(b->token, &out->records, &out->tokens);
}
