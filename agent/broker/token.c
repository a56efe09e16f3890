/* SPDX-License-Identifier: MIT */
/* The token request: authorize, then the cache, else a mint on a worker. */
#include "agent/broker/server_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "agent/jobs/autorotate.h"
#include "base/log.h"
#include "agent/broker/known.h"
#include "agent/broker/scope.h"
#include "hooks/proto.h"
#include "base/err.h"
#include "vault/record.h"
#include "vault/rotate.h"
#include "base/banned.h"

#define TOKEN_AUDIT_SCOPE_MAX 400 /* scope text kept in an audit result */

enum token_job_kind { TOKEN_JOB_AUTHORIZE, TOKEN_JOB_MINT };

/*
 * A hook run handed to a worker.  It owns: a reference to stack, the
 * encoded hook request (the secret, for a mint: wiped when freed), and a
 * reference to flight.  For an authorize job, conn_slot/conn_id/seq name
 * the connection that waits; it may be gone by the time the job is done.
 */
struct token_job {
	struct pool_job pj; /* first: the pool hands this back */
	struct token_job *next;
	struct server *s;
	enum token_job_kind kind;
	struct policy_stack *stack;
	struct secbuf *request;
	struct peer_ident peer;
	char name[CV_NAME_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	unsigned conn_slot;
	uint64_t conn_id;
	uint64_t seq;
	struct cache_flight *flight;
	int64_t started_ms;
	struct policy_outcome out; /* out.mint is never kept past the run */
	uint32_t gen;  /* mint: the generation the request carries */
	int due;       /* mint: its policy wants it rotated for its age */
	int rotated;   /* mint: the record was rotated on the way */
};

static void
token_job_free(struct server *s, struct token_job *j)
{
	secbuf_free(&j->request);
	policy_put(s->policy, &j->stack);
	cache_flight_put(s->cache, &j->flight);
	policy_outcome_clear(&j->out);
	free(j);
}

/* Any thread: hand a finished job to the loop. */
static void
token_post(struct server *s, struct token_job *j)
{
	uint64_t one = 1;

	if (pthread_mutex_lock(&s->cmu) != 0)
		abort();
	j->next = s->done;
	s->done = j;
	if (pthread_mutex_unlock(&s->cmu) != 0)
		abort();
	if (s->evfd >= 0)
		(void)!write(s->evfd, &one, sizeof(one));
}

/* Worker thread: run the hooks, report, hand the job to the loop. */
static void
token_job_run(struct pool_job *pj)
{
	struct token_job *j = (struct token_job *)pj;
	struct server *s = j->s;
	struct cache_mint m;

	if (j->kind == TOKEN_JOB_AUTHORIZE) {
		policy_authorize(s->policy, j->stack, &j->peer, j->scope,
		    j->request, &j->out);
	} else {
		j->started_ms = server_now_ms();
		/* Rotation first when the secret is past its max age; else
		 * mint, and rotate if the provider rejects the secret. */
		if (j->due)
			j->rotated = autorotate(s, j->name, j->gen, 1, j->scope,
			    &j->peer, &j->out);
		if (!j->rotated)
			policy_mint(s->policy, j->stack, &j->peer, j->scope,
			    j->request, &j->out);
		secbuf_free(&j->request); /* wipe the secret at once */
		if (j->out.verdict != POLICY_ALLOW &&
		    strcmp(j->out.cls, "invalid_client") == 0)
			j->rotated = autorotate(s, j->name, j->gen, 0, j->scope,
			    &j->peer, &j->out);
		if (j->out.verdict == POLICY_ALLOW) {
			memset(&m, 0, sizeof(m));
			m.token = j->out.mint.access_token->data;
			m.toklen = j->out.mint.access_token->len;
			m.token_type = j->out.mint.token_type;
			/* A hook that does not say what it granted granted
			 * what was asked for. */
			m.scope = j->out.mint.scope[0] != '\0' ?
			    j->out.mint.scope : j->scope;
			m.expires_in = j->out.mint.expires_in;
			cache_flight_finish(s->cache, j->flight, &m, 0, NULL,
			    j->started_ms);
		} else {
			cache_flight_finish(s->cache, j->flight, NULL,
			    CV_E_UPSTREAM, j->out.cls, j->started_ms);
		}
		proto_mint_reply_clear(&j->out.mint);
	}
	token_post(s, j);
}

/* The pool is going away before the job ran. */
static void
token_job_cancel(struct pool_job *pj)
{
	struct token_job *j = (struct token_job *)pj;

	if (j->flight != NULL)
		cache_flight_finish(j->s->cache, j->flight, NULL, CV_E_LOCKED,
		    NULL, server_now_ms());
	token_job_free(j->s, j);
}

/* A new job for c's peer (c NULL: no peer, for a refresh ahead). */
static struct token_job *
token_job_new(struct server *s, enum token_job_kind kind,
    const struct server_conn *c)
{
	struct token_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->pj.run = token_job_run;
	j->pj.cancel = token_job_cancel;
	j->s = s;
	j->kind = kind;
	if (c != NULL)
		j->peer = c->peer;
	else
		peer_ident_init(&j->peer);
	return j;
}

/* Look up a record into s->plain; the caller wipes with token_wipe(). */
static int
token_record_get(struct server *s, const char *name, struct record *r)
{
	int rc;

	if (pthread_mutex_lock(&s->vmu) != 0)
		abort();
	rc = vault_record_get(s->v, name, s->plain, r);
	if (pthread_mutex_unlock(&s->vmu) != 0)
		abort();
	return rc;
}

static void
token_wipe(struct server *s)
{
	secmem_wipe(s->plain->data, s->plain->len);
	s->plain->len = 0;
}

/* Encode the hook request for phase (the secret only for a mint). */
static int
token_hook_request(const struct record *r, const struct generation *g,
    enum proto_phase phase, const struct peer_ident *peer, const char *scope,
    struct secbuf **out)
{
	struct proto_record pr;
	struct proto_request req;
	struct secbuf *secret = NULL;
	int rc;

	memset(&pr, 0, sizeof(pr));
	pr.name = r->name;
	pr.provider = r->provider;
	pr.project_key = r->project_key;
	pr.client_id = g != NULL ? g->client_id : NULL;
	pr.scope = r->scope;
	pr.api_url = r->api_url;
	pr.auth_url = r->auth_url;
	pr.generation = g != NULL ? g->number : 0;
	memset(&req, 0, sizeof(req));
	req.phase = phase;
	req.record = &pr;
	req.scope = scope;
	req.peer = peer;
	if (phase == PROTO_MINT) {
		if ((secret = secbuf_dup(g->secret, g->secret_len)) == NULL)
			return CV_E_NOMEM;
		req.secret = secret;
	}
	rc = proto_request_encode(&req, out);
	secbuf_free(&secret);
	return rc;
}

/* "WHAT scope=SCOPE" for an audit result, the scope cut at
 * TOKEN_AUDIT_SCOPE_MAX ("..."); buf has CV_AUDIT_FIELD_MAX + 1 bytes.
 * (memcpy, not snprintf: every issued token comes through here.) */
static void
token_audit_text(char *buf, const char *what, const char *scope)
{
	size_t w = strnlen(what, CV_ERROR_CLASS_MAX + 16), n = strlen(scope);
	const char *s = n > 0 ? scope : "(record's)";

	if (n == 0)
		n = strlen(s);
	memcpy(buf, what, w);
	memcpy(buf + w, " scope=", 7);
	w += 7;
	if (n > TOKEN_AUDIT_SCOPE_MAX) {
		memcpy(buf + w, s, TOKEN_AUDIT_SCOPE_MAX);
		memcpy(buf + w + TOKEN_AUDIT_SCOPE_MAX, "...", 4);
		return;
	}
	memcpy(buf + w, s, n + 1);
}

/* Answer c: denied, with an audit entry. */
static void
token_deny(struct server *s, struct server_conn *c, const char *why)
{
	char res[CV_AUDIT_FIELD_MAX + 1];

	log_info("record '%s': denied to %s: %s", c->req.name, c->actor, why);
	token_audit_text(res, "denied", c->scope);
	if (server_audit(s, c, "token", c->req.name, res) != 0) {
		server_reply(c, WIRE_FAILED, "busy");
		return;
	}
	server_reply(c, WIRE_DENIED, NULL);
}

/* Answer c: failed with cls, audited. */
static void
token_fail(struct server *s, struct server_conn *c, const char *cls)
{
	char what[CV_ERROR_CLASS_MAX + 16], res[CV_AUDIT_FIELD_MAX + 1];

	(void)snprintf(what, sizeof(what), "failed: %s", cls);
	token_audit_text(res, what, c->scope);
	/* Not audited (logged): the peer still hears of the failure. */
	if (server_audit(s, c, "token", c->req.name, res) != 0)
		log_err("record '%s': failure for %s not audited", c->req.name,
		    c->actor);
	server_reply(c, WIRE_FAILED, cls);
}

/* Answer c with a token, audited first (no audit, no token). */
static void
token_issue(struct server *s, struct server_conn *c, const struct cache_token *t)
{
	char res[CV_AUDIT_FIELD_MAX + 1];

	token_audit_text(res, "issued", t->scope);
	if (server_audit(s, c, "token", c->req.name, res) != 0) {
		server_reply(c, WIRE_FAILED, "busy");
		return;
	}
	server_reply_token(c, t, s->now_s);
}

/*
 * What the agent knows of record name: from the table while fresh, else
 * read from the vault (and remembered).  0 with *info; CV_E_NOTFOUND; or
 * the vault's error.  info->generation is 0 when there is no active
 * secret.
 */
static int
token_info(struct server *s, const char *name,
    const struct records_info **info)
{
	struct records_info fresh;
	const struct generation *g;
	struct record r;
	int rc;

	if ((*info = records_get(s->records, name, s->now_ms)) != NULL)
		return 0;
	rc = token_record_get(s, name, &r);
	if (rc == 0) {
		g = record_active(&r);
		fresh.generation = g != NULL && g->secret_len > 0 ? g->number : 0;
		rc = scope_normalize(r.scope != NULL ? r.scope : "", fresh.scope,
		    sizeof(fresh.scope));
	}
	token_wipe(s);
	if (rc == CV_E_NOTFOUND)
		records_forget(s->records, name);
	if (rc != 0)
		return rc;
	if ((rc = records_put(s->records, name, &fresh, s->now_ms)) != 0)
		return rc;
	*info = records_get(s->records, name, s->now_ms);
	return 0;
}

/*
 * Start a mint for flight: takes over *fp (a flight reference) and
 * *stackp (a stack reference) whatever happens.  The record is read now,
 * with its secret; when its active generation is no longer gen (rotated
 * since the table was filled), nothing starts and CV_E_BUSY says "ask
 * again".  When the mint cannot start, the flight is finished with the
 * error, so that whoever waits for it gets an answer.  c may be NULL.
 */
static int
token_start_mint(struct server *s, const struct server_conn *c,
    struct policy_stack **stackp, const char *name, uint32_t gen,
    const char *scope, struct cache_flight **fp)
{
	const struct generation *g;
	struct token_job *j = NULL;
	struct record r;
	int rc;

	if ((rc = token_record_get(s, name, &r)) != 0) {
		log_err("record '%s': cannot read it to mint: %s", name,
		    cv_strerror(rc));
		goto out;
	}
	g = record_active(&r);
	if (g == NULL || g->number != gen || g->secret_len == 0) {
		records_forget(s->records, name);
		rc = CV_E_BUSY;
		goto out;
	}
	rc = CV_E_NOMEM;
	if ((j = token_job_new(s, TOKEN_JOB_MINT, c)) == NULL)
		goto out;
	j->gen = gen;
	j->due = rotate_is_due(&r, vault_now());
	if ((rc = token_hook_request(&r, g, PROTO_MINT, &j->peer, scope,
	    &j->request)) != 0) {
		log_err("record '%s': cannot encode the mint request: %s",
		    name, cv_strerror(rc));
		goto out;
	}
	token_wipe(s);
	(void)snprintf(j->name, sizeof(j->name), "%s", name);
	(void)snprintf(j->scope, sizeof(j->scope), "%s", scope);
	/* Complete before it is queued: a worker may run it at once. */
	j->stack = *stackp;
	j->flight = *fp;
	if ((rc = pool_submit(s->pool, &j->pj)) != 0) {
		log_err("record '%s': cannot start a mint: the hook queue is "
		    "full", name);
		j->stack = NULL; /* still the caller's */
		j->flight = NULL;
		goto out;
	}
	*stackp = NULL; /* transferred */
	*fp = NULL;     /* transferred */
	j = NULL;       /* transferred: the worker owns it now */
out:
	token_wipe(s);
	if (j != NULL)
		token_job_free(s, j);
	if (rc != 0) {
		cache_flight_finish(s->cache, *fp, NULL, rc, rc == CV_E_BUSY ?
		    "busy" : "internal", s->now_ms);
		cache_flight_put(s->cache, fp);
		policy_put(s->policy, stackp);
	}
	return rc;
}

/*
 * Answer c from the finished flight it waits for, and release the flight.
 * The caller sends the reply.
 */
static void
token_answer_flight(struct server *s, struct server_conn *c)
{
	struct cache_token tok;
	char cls[CV_ERROR_CLASS_MAX + 1];
	int rc;

	memset(&tok, 0, sizeof(tok));
	tok.token = s->scratch;
	rc = cache_flight_result(s->cache, c->flight, s->now_ms, &tok, cls,
	    sizeof(cls));
	cache_flight_put(s->cache, &c->flight);
	c->state = CONN_READ;
	if (rc == CV_E_LOCKED)
		server_reply(c, WIRE_LOCKED, NULL);
	else if (rc != 0)
		token_fail(s, c, cv_class_is_valid(cls) ? cls : "internal");
	else if (tok.lifetime < c->req.min_ttl)
		token_fail(s, c, "ttl_unavailable");
	else
		token_issue(s, c, &tok);
	secmem_wipe(s->scratch->data, s->scratch->len);
	s->scratch->len = 0;
}

/*
 * After authorize allowed: the cache, else a mint (with the record's
 * stack, fetched here).  Returns 0 when c is answered, 1 when it waits
 * for a flight.
 */
static int
token_serve(struct server *s, struct server_conn *c)
{
	const struct records_info *info;
	struct policy_stack *stack = NULL;
	struct cache_token tok;
	struct cache_key key;
	struct cache_flight *f = NULL, *refresh = NULL;
	uint32_t gen = 0;
	int rc, wait = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = token_info(s, c->req.name, &info)) != 0) {
			token_fail(s, c, rc == CV_E_NOTFOUND ?
			    "no_such_record" : "internal");
			goto out;
		}
		if ((gen = info->generation) == 0) {
			token_fail(s, c, "no_active_secret");
			goto out;
		}
		key.name = c->req.name;
		key.generation = gen;
		key.scope = c->scope;
		memset(&tok, 0, sizeof(tok));
		tok.token = s->scratch;
		/* The token c's last reply carries needs no copy when that
		 * reply can go out again as it is. */
		tok.known_serial = c->memo_reply ? c->memo_serial : 0;
		rc = cache_get(s->cache, &key, c->req.min_ttl, s->now_ms, &tok,
		    &f, &refresh);
		if (rc == CACHE_HIT && !tok.copied &&
		    !server_reply_is_memo(c, &tok, s->now_s)) {
			tok.known_serial = 0; /* another second: the bytes */
			rc = cache_get(s->cache, &key, c->req.min_ttl,
			    s->now_ms, &tok, &f, NULL);
		}
		if (rc != CACHE_LEAD)
			break;
		c->flight = cache_flight_ref(s->cache, f);
		if (policy_get(s->policy, c->req.name, 1, &stack) != 0) {
			cache_flight_finish(s->cache, f, NULL, CV_E_NOMEM,
			    "internal", s->now_ms);
			cache_flight_put(s->cache, &f);
			token_answer_flight(s, c);
			goto out;
		}
		rc = token_start_mint(s, c, &stack, c->req.name, gen, c->scope,
		    &f);
		if (rc == 0) {
			wait = 1;
			goto out;
		}
		if (rc != CV_E_BUSY) {
			token_answer_flight(s, c); /* failed at once */
			goto out;
		}
		/* Rotated since the table was filled: once more, afresh. */
		cache_flight_put(s->cache, &c->flight);
	}
	switch (rc) {
	case CACHE_HIT:
		token_issue(s, c, &tok);
		if (refresh != NULL) {
			log_info("record '%s': refreshing its token ahead of "
			    "expiry", c->req.name);
			if (policy_get(s->policy, c->req.name, 1, &stack) == 0)
				(void)token_start_mint(s, c, &stack,
				    c->req.name, gen, c->scope, &refresh);
			else
				cache_flight_finish(s->cache, refresh, NULL,
				    CV_E_NOMEM, "internal", s->now_ms);
			cache_flight_put(s->cache, &refresh);
		}
		break;
	case CACHE_UNSATISFIABLE:
		token_fail(s, c, "ttl_unavailable");
		break;
	case CACHE_JOIN:
		c->flight = f; /* transferred */
		wait = 1;
		break;
	case CACHE_LEAD:
		token_fail(s, c, "busy"); /* rotated twice meanwhile */
		break;
	default:
		log_err("record '%s': cache: %s", c->req.name, cv_strerror(rc));
		token_fail(s, c, rc == CV_E_BUSY ? "busy" : "internal");
		break;
	}
out:
	if (refresh != NULL) {
		/* Handed out but not started (the hit turned into a miss). */
		cache_flight_finish(s->cache, refresh, NULL, CV_E_BUSY, "busy",
		    s->now_ms);
		cache_flight_put(s->cache, &refresh);
	}
	secmem_wipe(s->scratch->data, s->scratch->len);
	s->scratch->len = 0;
	policy_put(s->policy, &stack);
	if (wait)
		c->state = CONN_BUSY;
	return wait;
}

/* After authorize: deny, or go on. */
static int
token_authorized(struct server *s, struct server_conn *c,
    const struct policy_outcome *o, int missing)
{
	if (o->verdict != POLICY_ALLOW) {
		token_deny(s, c, o->reason);
		return 0;
	}
	if (missing) {
		log_info("record '%s': no such record (asked by %s)",
		    c->req.name, c->actor);
		token_fail(s, c, "no_such_record");
		return 0;
	}
	return token_serve(s, c);
}

/* Authorize hooks that are executables run on a worker.  Takes over
 * *stackp.  0 when c is answered, 1 when it waits. */
static int
token_authorize_async(struct server *s, struct server_conn *c,
    struct policy_stack **stackp, int missing)
{
	struct token_job *j = NULL;
	struct record r;
	int rc = 0, wait = 0;

	memset(&r, 0, sizeof(r));
	r.name = c->req.name;
	if (!missing && (rc = token_record_get(s, c->req.name, &r)) != 0 &&
	    rc != CV_E_NOTFOUND)
		goto out;
	if (rc == CV_E_NOTFOUND) {
		memset(&r, 0, sizeof(r));
		r.name = c->req.name;
	}
	if ((j = token_job_new(s, TOKEN_JOB_AUTHORIZE, c)) == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	if ((rc = token_hook_request(&r, rc == 0 && !missing ?
	    record_active(&r) : NULL, PROTO_AUTHORIZE, &c->peer, c->scope,
	    &j->request)) != 0)
		goto out;
	(void)snprintf(j->name, sizeof(j->name), "%s", c->req.name);
	(void)snprintf(j->scope, sizeof(j->scope), "%s", c->scope);
	j->stack = *stackp;
	j->conn_slot = c->slot;
	j->conn_id = c->id;
	j->seq = c->wait_seq = s->next_seq++;
	if ((rc = pool_submit(s->pool, &j->pj)) != 0) {
		j->stack = NULL;
		c->wait_seq = 0;
		goto out;
	}
	*stackp = NULL; /* transferred */
	j = NULL;       /* transferred: the worker owns it now */
	c->state = CONN_BUSY;
	wait = 1;
out:
	token_wipe(s);
	if (j != NULL)
		token_job_free(s, j);
	if (!wait)
		token_fail(s, c, rc == CV_E_BUSY ? "busy" : "internal");
	policy_put(s->policy, stackp);
	return wait;
}

/* Whether c's last allow for this very request may stand (see
 * server_conn). */
static int
token_memo_allows(struct server *s, const struct server_conn *c)
{
	return c->memo_authorized && c->memo_len > 0 &&
	    c->memo_epoch == policy_epoch(s->policy) &&
	    s->now_ms - c->memo_at_ms < CV_AGENT_RECORD_TTL_MS &&
	    s->now_ms >= c->memo_at_ms;
}

int
token_op(struct server *s, struct server_conn *c,
    const struct wire_request *req)
{
	const struct records_info *info = NULL;
	struct policy_stack *stack = NULL;
	struct policy_outcome o;
	uint64_t epoch;
	int rc, missing, wait = 0;

	s->last_request_ms = s->now_ms;
	rc = token_info(s, req->name, &info);
	missing = rc == CV_E_NOTFOUND;
	if (rc != 0 && !missing) {
		log_err("record '%s' for %s: %s", req->name, c->actor,
		    cv_strerror(rc));
		token_fail(s, c, "internal");
		return 0;
	}
	/* No scope: the record's scopes; else a subset of them. */
	if (!missing && c->req_scope[0] == '\0') {
		memcpy(c->scope, info->scope, strlen(info->scope) + 1);
	} else {
		memcpy(c->scope, c->req_scope, strlen(c->req_scope) + 1);
		if (!missing && !scope_is_subset(c->scope, info->scope)) {
			c->memo_authorized = 0;
			token_deny(s, c, "scopes beyond the record's");
			return 0;
		}
	}
	if (!missing && token_memo_allows(s, c))
		return token_serve(s, c);
	c->memo_authorized = 0;
	/* Names that are not records are not remembered: peers must not
	 * fill the table. */
	epoch = policy_epoch(s->policy);
	if (policy_get(s->policy, req->name, !missing, &stack) != 0) {
		token_fail(s, c, "internal");
		return 0;
	}
	if (policy_authorize_execs(stack))
		return token_authorize_async(s, c, &stack, missing);
	policy_authorize(s->policy, stack, &c->peer, c->scope, NULL, &o);
	policy_put(s->policy, &stack);
	if (o.verdict == POLICY_ALLOW && !missing) {
		c->memo_authorized = 1;
		c->memo_epoch = epoch;
		c->memo_at_ms = s->now_ms;
	}
	wait = token_authorized(s, c, &o, missing);
	policy_outcome_clear(&o);
	return wait;
}

void
token_conn_abandon(struct server *s, struct server_conn *c)
{
	cache_flight_put(s->cache, &c->flight);
	c->wait_seq = 0;
	c->state = CONN_READ;
	server_reply(c, WIRE_LOCKED, NULL);
	conn_send(s, c);
}

/* The connection an authorize job was for, if it still waits for it. */
static struct server_conn *
token_job_conn(struct server *s, const struct token_job *j)
{
	struct server_conn *c = s->conns[j->conn_slot];

	if (c == NULL || c->id != j->conn_id || c->state != CONN_BUSY ||
	    c->wait_seq != j->seq)
		return NULL;
	return c;
}

static void
token_job_done(struct server *s, struct token_job *j)
{
	const struct records_info *info;
	struct server_conn *c;
	size_t i;
	int missing;

	if (s->stopping || s->locked) {
		token_job_free(s, j);
		return;
	}
	if (j->kind == TOKEN_JOB_AUTHORIZE) {
		if ((c = token_job_conn(s, j)) != NULL) {
			c->wait_seq = 0;
			c->state = CONN_READ;
			/* The record may be gone or new by now; look again. */
			missing = token_info(s, c->req.name, &info) ==
			    CV_E_NOTFOUND;
			if (token_authorized(s, c, &j->out, missing) == 0)
				conn_send(s, c);
		}
		token_job_free(s, j);
		return;
	}
	if (j->rotated)
		records_forget(s->records, j->name); /* a new generation */
	if (j->out.verdict == POLICY_ALLOW)
		log_info("record '%s': minted a token (scope '%s'): %s",
		    j->name, j->scope, j->out.reason);
	else
		log_err("record '%s': mint failed (%s): %s", j->name,
		    j->out.cls, j->out.reason);
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		c = s->conns[i];
		if (c != NULL && c->state == CONN_BUSY && c->flight == j->flight) {
			token_answer_flight(s, c);
			conn_send(s, c);
		}
	}
	token_job_free(s, j);
}

void
token_drain(struct server *s)
{
	struct token_job *list, *j, *next, *fifo = NULL;

	if (pthread_mutex_lock(&s->cmu) != 0)
		abort();
	list = s->done;
	s->done = NULL;
	if (pthread_mutex_unlock(&s->cmu) != 0)
		abort();
	for (j = list; j != NULL; j = next) { /* oldest first */
		next = j->next;
		j->next = fifo;
		fifo = j;
	}
	for (j = fifo; j != NULL; j = next) {
		next = j->next;
		token_job_done(s, j);
	}
}
