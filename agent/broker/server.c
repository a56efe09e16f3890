/* SPDX-License-Identifier: MIT */
/* The agent server: setup, the {type, flags, handler} table, lock. */
#include "agent/broker/server_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "agent/transport/peercred.h"
#include "agent/broker/scope.h"
#include "base/err.h"
#include "base/limits.h"
#include "vault/record.h"
#include "base/banned.h"

#ifndef CV_HOOKDIR
#define CV_HOOKDIR "/usr/local/libexec/credvault"
#endif

#define SERVER_F_UNLOCKED 0x1u /* answer "locked" while locked */
#define SERVER_F_OWNER 0x2u    /* the agent's own uid or root only */

static int server_op_lock(struct server *s, struct server_conn *c,
    const struct wire_request *req);

/* The dispatch table (ssh monitor.c): one row per request type. */
static const struct server_handler {
	enum wire_op type;
	unsigned flags;
	int (*fn)(struct server *s, struct server_conn *c,
	    const struct wire_request *req);
} server_handlers[] = {
	{ WIRE_OP_TOKEN, SERVER_F_UNLOCKED, token_op },
	{ WIRE_OP_LOCK, SERVER_F_OWNER, server_op_lock },
};

int64_t
server_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
server_block_signals(void)
{
	sigset_t set;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGHUP);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : CV_E_INTERNAL;
}

int
server_new(struct vault *v, const struct server_opts *o, struct server **out)
{
	struct server *s;
	const char *mint;
	char path[CV_PATH_MAX];
	unsigned i, threads;
	int r = CV_E_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		vault_free(&v);
		return CV_E_NOMEM;
	}
	s->epfd = s->lfd = s->evfd = s->sigfd = s->tickfd = -1;
	s->uid = getuid();
	s->opts = *o;
	s->locked = v == NULL || !vault_is_unlocked(v);
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++)
		s->free_slots[i] = CV_AGENT_CLIENTS_MAX - 1 - i;
	s->nfree = CV_AGENT_CLIENTS_MAX;
	s->next_id = 1;
	s->next_seq = 1;
	s->now_ms = s->last_request_ms = server_now_ms();
	if (pthread_mutex_init(&s->vmu, NULL) != 0) {
		vault_free(&v);
		free(s);
		return CV_E_INTERNAL;
	}
	if (pthread_mutex_init(&s->cmu, NULL) != 0) {
		(void)pthread_mutex_destroy(&s->vmu);
		vault_free(&v);
		free(s);
		return CV_E_INTERNAL;
	}
	s->v = v; /* transferred */
	if ((s->scratch = secbuf_new(CV_TOKEN_MAX)) == NULL ||
	    (s->plain = secbuf_new(CV_RECORD_MAX)) == NULL ||
	    (r = records_new(&s->records)) != 0 ||
	    (r = cache_new(CV_CACHE_ENTRIES_MAX, &s->cache)) != 0)
		goto out;
	if (v != NULL) {
		vault_set_actor(v, "agent");
		mint = o->default_mint;
		if (mint == NULL) {
			(void)snprintf(path, sizeof(path), "%s/oauth2-mint",
			    CV_HOOKDIR);
			mint = path;
		}
		threads = o->hook_threads != 0 ? o->hook_threads :
		    CV_HOOKS_CONCURRENT_MAX;
		if ((r = policy_new(vault_path(v), vault_owner(v), s->uid, mint,
		    o->hook_timeout_ms, &s->policy)) != 0 ||
		    (r = pool_new(threads, CV_AGENT_JOBS_MAX, &s->pool)) != 0 ||
		    (r = auditq_new(v, &s->vmu, &s->audit)) != 0)
			goto out;
	}
	*out = s;
	s = NULL; /* transferred */
	r = 0;
out:
	server_free(&s);
	return r;
}

/* Whether the peer may use owner-only requests. */
static int
server_is_owner(const struct server *s, const struct server_conn *c)
{
	return c->peer.uid == s->uid || c->peer.uid == 0;
}

void
server_reply(struct server_conn *c, enum wire_status st, const char *cls)
{
	c->memo_reply = 0;
	if (wire_reply_encode(st, cls, NULL, 0, NULL, 0, 0, NULL, c->out) == 0)
		return;
	if (wire_reply_encode(WIRE_FAILED, "internal", NULL, 0, NULL, 0, 0,
	    NULL, c->out) != 0)
		abort(); /* a constant reply that does not encode: a bug */
}

int
server_reply_is_memo(const struct server_conn *c, const struct cache_token *t,
    int64_t now_s)
{
	return c->memo_reply && c->memo_serial == t->serial &&
	    c->memo_expires_in == t->expires_in &&
	    c->memo_expires_at == now_s + t->expires_in;
}

void
server_reply_token(struct server_conn *c, const struct cache_token *t,
    int64_t now_s)
{
	int64_t at = now_s + t->expires_in;

	/* The same token, the same second: the same bytes as last time. */
	if (server_reply_is_memo(c, t, now_s))
		return;
	if (!t->copied)
		abort(); /* the caller had to ask for the bytes */
	c->memo_reply = 0;
	if (wire_reply_encode(WIRE_OK, NULL, t->token->data, t->token->len,
	    t->token_type, t->expires_in, at, t->scope, c->out) != 0) {
		log_err("record '%s': cannot encode the reply for %s",
		    c->req.name, c->actor);
		server_reply(c, WIRE_FAILED, "internal");
		return;
	}
	c->memo_reply = 1;
	c->memo_serial = t->serial;
	c->memo_expires_in = t->expires_in;
	c->memo_expires_at = at;
}

int
server_audit(struct server *s, struct server_conn *c, const char *action,
    const char *record, const char *result)
{
	int r;

	if (s->audit == NULL || s->locked)
		return 0;
	r = auditq_add(s->audit, c->actor, action, record, result,
	    (int64_t)time(NULL));
	if (r != 0)
		log_err("audit queue full: %s for %s on '%s' cannot be "
		    "recorded; refusing", action, c->actor, record);
	return r;
}

void
server_lock(struct server *s, const char *why)
{
	struct audit_entry e;
	size_t i;
	int r;

	if (s->locked)
		return;
	if (s->audit != NULL) {
		memset(&e, 0, sizeof(e));
		e.time = (int64_t)time(NULL);
		e.action = "lock";
		e.record = "";
		e.result = why;
		if ((r = auditq_flush(s->audit)) != 0)
			log_err("cannot commit the audit queue before locking: "
			    "%s", cv_strerror(r));
		if (pthread_mutex_lock(&s->vmu) != 0)
			abort();
		if ((r = vault_audit_append(s->v, &e, 1)) != 0)
			log_err("cannot audit the lock: %s", cv_strerror(r));
		vault_lock(s->v);
		if (pthread_mutex_unlock(&s->vmu) != 0)
			abort();
	}
	s->locked = 1;
	if (s->cache != NULL)
		cache_clear(s->cache);
	if (s->records != NULL)
		records_clear(s->records);
	if (s->scratch != NULL)
		secbuf_reset(s->scratch);
	if (s->plain != NULL)
		secbuf_reset(s->plain);
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		if (s->conns[i] == NULL)
			continue;
		s->conns[i]->memo_authorized = 0;
		if (s->conns[i]->state == CONN_BUSY)
			token_conn_abandon(s, s->conns[i]);
		else if (s->conns[i]->state == CONN_READ && s->conns[i]->out->len)
			server_conn_forget_reply(s->conns[i]);
	}
	log_info("locked (%s): keys and tokens wiped", why);
}

static int
server_op_lock(struct server *s, struct server_conn *c,
    const struct wire_request *req)
{
	char why[CV_AUDIT_FIELD_MAX + 1];

	(void)req;
	(void)snprintf(why, sizeof(why), "credvault lock from %.*s",
	    CV_AUDIT_FIELD_MAX - 24, c->actor);
	server_lock(s, why);
	server_reply(c, WIRE_OK, NULL);
	return 0;
}

/* Checks the table cannot express: names and scopes of token requests. */
static int
server_check_request(struct server_conn *c, const struct wire_request *req)
{
	if (req->op != WIRE_OP_TOKEN)
		return 0;
	if (!record_name_is_valid(req->name))
		return CV_E_PROTO;
	return scope_normalize(req->scope, c->req_scope, sizeof(c->req_scope));
}

/* Decode and check a request into c->req, unless it is the very request
 * decoded last time on c (then c->req and c->req_scope still hold it). */
static int
server_decode(struct server_conn *c, const unsigned char *body, size_t len,
    char *why, size_t whylen)
{
	int r;

	if (len > 0 && len == c->memo_len && memcmp(body, c->memo_req,
	    len) == 0)
		return 0;
	c->memo_len = 0;
	c->memo_authorized = 0;
	r = wire_request_decode(body, len, &c->req, why, whylen);
	if (r == 0 && (r = server_check_request(c, &c->req)) != 0)
		(void)snprintf(why, whylen, "bad record name or scope");
	if (r == 0 && len <= sizeof(c->memo_req)) {
		memcpy(c->memo_req, body, len);
		c->memo_len = len;
	}
	return r;
}

int
server_dispatch(struct server *s, struct server_conn *c,
    const unsigned char *body, size_t len, const unsigned char **reply,
    size_t *replylen)
{
	const struct server_handler *h = NULL;
	char why[256];
	size_t i;
	int r, out = 0;

	*reply = NULL;
	*replylen = 0;
	s->now_s = (int64_t)time(NULL);
	if ((r = server_decode(c, body, len, why, sizeof(why))) != 0) {
		log_info("%s: request refused: %s", c->actor, why);
		server_reply(c, WIRE_FAILED, r == CV_E_TOOBIG ? "too_large" :
		    r == CV_E_VERSION ? "unsupported" : r == CV_E_NOMEM ?
		    "internal" : "bad_request");
		goto out;
	}
	for (i = 0; i < sizeof(server_handlers) / sizeof(server_handlers[0]);
	    i++)
		if (server_handlers[i].type == c->req.op)
			h = &server_handlers[i];
	if (h == NULL) {
		server_reply(c, WIRE_FAILED, "unsupported");
		goto out;
	}
	if ((h->flags & SERVER_F_OWNER) != 0 && !server_is_owner(s, c)) {
		log_info("%s: %s refused: not the agent's uid %lu", c->actor,
		    wire_op_name(c->req.op), (unsigned long)s->uid);
		if (server_audit(s, c, wire_op_name(c->req.op), "",
		    "denied") != 0) {
			server_reply(c, WIRE_FAILED, "busy");
			goto out;
		}
		server_reply(c, WIRE_DENIED, NULL);
		goto out;
	}
	if ((h->flags & SERVER_F_UNLOCKED) != 0 && s->locked) {
		server_reply(c, WIRE_LOCKED, NULL);
		goto out;
	}
	out = h->fn(s, c, &c->req);
out:
	if (out == 0) {
		*reply = c->out->data;
		*replylen = c->out->len;
	}
	return out;
}

void
server_conn_forget_reply(struct server_conn *c)
{
	secmem_wipe(c->out->data, c->out->len);
	c->out->len = 0;
	c->memo_reply = 0;
}

int
server_conn_new(struct server *s, int fd, const struct peer_ident *peer,
    struct server_conn **out)
{
	struct server_conn *c;

	*out = NULL;
	if (s->nfree == 0)
		return CV_E_BUSY;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(SERVER_IN_MAX)) == NULL) {
		free(c);
		return CV_E_NOMEM;
	}
	if (s->nspare > 0) {
		c->out = s->spare[--s->nspare];
		s->spare[s->nspare] = NULL;
	} else if ((c->out = secbuf_new(SERVER_OUT_MAX)) == NULL) {
		free(c->in);
		free(c);
		return CV_E_NOMEM;
	}
	c->fd = fd;
	c->peer = *peer;
	peer_actor(peer, c->actor, sizeof(c->actor));
	c->id = s->next_id++;
	c->slot = s->free_slots[--s->nfree];
	s->conns[c->slot] = c;
	*out = c;
	return 0;
}

void
server_conn_free(struct server *s, struct server_conn **cp)
{
	struct server_conn *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	cache_flight_put(s->cache, &c->flight);
	if (c->fd >= 0)
		(void)close(c->fd);
	s->conns[c->slot] = NULL;
	s->free_slots[s->nfree++] = c->slot;
	/* Keep the locked reply buffer for the next client, wiped. */
	secmem_wipe(c->out->data, c->out->len);
	c->out->len = 0;
	if (s->nspare < SERVER_SPARE_MAX)
		s->spare[s->nspare++] = c->out;
	else
		secbuf_free(&c->out);
	free(c->in);
	free(c);
	*cp = NULL;
}

void
server_free(struct server **sp)
{
	struct server *s;
	size_t i;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	server_lock(s, "agent stopping");
	s->stopping = 1;
	/* Jobs still queued are cancelled, running hooks finish first (at
	 * most their timeout).  XXX #3: exec_run() cannot be cancelled. */
	pool_free(&s->pool);
	token_drain(s);
	if (s->evfd >= 0)
		(void)close(s->evfd);
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++)
		server_conn_free(s, &s->conns[i]);
	auditq_free(&s->audit);
	policy_free(&s->policy);
	records_free(&s->records);
	cache_free(&s->cache);
	if (s->v != NULL) {
		if (pthread_mutex_lock(&s->vmu) != 0)
			abort();
		vault_free(&s->v);
		if (pthread_mutex_unlock(&s->vmu) != 0)
			abort();
	}
	for (i = 0; i < s->nspare; i++)
		secbuf_free(&s->spare[i]);
	secbuf_free(&s->scratch);
	secbuf_free(&s->plain);
	(void)pthread_mutex_destroy(&s->cmu);
	(void)pthread_mutex_destroy(&s->vmu);
	free(s);
	*sp = NULL;
}
