/* SPDX-License-Identifier: MIT */
/* The token request: authorize, then the cache, else a mint on a worker. */
#include "agent/broker/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/broker/cache.h"
#include "agent/broker/known.h"
#include "hooks/scope.h"
#include "agent/jobs/hookrun.h"
#include "hooks/proto.h"
#include "vault/record.h"
#include "vault/rotate.h"
#include "base/err.h"
#include "base/log.h"
#include "base/hash.h"
#include "base/banned.h"

#define TOKEN_AUDIT_SCOPE_MAX 400 /* scope text kept in an audit result */
#define TOKEN_SERVED_BUCKETS 1024
#define TOKEN_SERVED_MAX 100000   /* distinct records counted as served */

/* A record a token was issued for (the set behind records_served). */
struct token_served {
	struct token_served *next;
	char name[];
};

struct token {
	struct guard *guard;       /* borrowed */
	struct policy *policy;     /* borrowed; NULL: always locked */
	struct pool *pool;         /* borrowed */
	struct audit_queue *audit; /* borrowed */
	struct sessions *sessions; /* borrowed */
	struct cache *cache;
	struct known *known;
	struct secbuf *scratch; /* a token copy */
	struct secbuf *plain;   /* a decrypted record */
	uint64_t next_seq;
	int64_t last_request_ms;
	int64_t now_ms; /* monotonic, of the request or job at hand */
	int64_t now_s;  /* wall clock, likewise */
	int64_t damage_logged_ms; /* the last "vault damaged" line */
	unsigned long damage_unlogged; /* damaged reads since that line */
	char damage_why[512];     /* what that line said */
	struct token_stats stats; /* since the start */
	struct token_served *served[TOKEN_SERVED_BUCKETS];
};

#define TOKEN_DAMAGE_LOG_MS 60000 /* one "vault damaged" line a minute */

/*
 * A hook run for the token path.  Besides the hook run it owns a
 * reference to flight (a mint's).  For an authorize job, slot/id/seq name
 * the session that waits; it may be gone by the time the job is done.
 */
struct token_job {
	struct hookrun hr; /* first: the pool hands this back */
	struct token *tk;
	unsigned slot;
	uint64_t session_id;
	uint64_t seq;
	struct cache_flight *flight;
};

static void token_job_done(struct pool_job *pj);
static void token_job_cancel(struct pool_job *pj);

int
token_new(struct guard *g, struct policy *p, struct pool *pool,
    struct audit_queue *q, struct sessions *sessions, struct token **out)
{
	struct token *tk;
	int r = CV_E_NOMEM;

	*out = NULL;
	if ((tk = calloc(1, sizeof(*tk))) == NULL)
		return CV_E_NOMEM;
	tk->guard = g;
	tk->policy = p;
	tk->pool = pool;
	tk->audit = q;
	tk->sessions = sessions;
	tk->next_seq = 1;
	tk->last_request_ms = hookrun_now_ms(); /* idle since the start */
	if ((tk->scratch = secbuf_new(CV_TOKEN_MAX)) == NULL ||
	    (tk->plain = secbuf_new(CV_RECORD_MAX)) == NULL ||
	    (r = known_new(&tk->known)) != 0 ||
	    (r = cache_new(CV_CACHE_ENTRIES_MAX, &tk->cache)) != 0) {
		token_free(&tk);
		return r;
	}
	*out = tk;
	return 0;
}

void
token_free(struct token **tp)
{
	struct token *tk;
	struct token_served *sv, *next;
	size_t i;

	if (tp == NULL || (tk = *tp) == NULL)
		return;
	for (i = 0; i < TOKEN_SERVED_BUCKETS; i++)
		for (sv = tk->served[i]; sv != NULL; sv = next) {
			next = sv->next;
			free(sv);
		}
	known_free(&tk->known);
	cache_free(&tk->cache);
	secbuf_free(&tk->scratch);
	secbuf_free(&tk->plain);
	free(tk);
	*tp = NULL;
}

static void
token_clock(struct token *tk)
{
	tk->now_ms = hookrun_now_ms();
	tk->now_s = (int64_t)time(NULL);
}

static void
token_job_free(struct token *tk, struct token_job *j)
{
	hookrun_clear(&j->hr);
	cache_flight_put(tk->cache, &j->flight);
	free(j);
}

/* A new job for s's peer (s NULL: no peer, for a refresh ahead). */
static struct token_job *
token_job_new(struct token *tk, enum hookrun_kind kind,
    const struct session *s, const char *name, const char *scope)
{
	struct token_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	hookrun_init(&j->hr, kind);
	/* A record's jobs share its key: the pool keeps them from taking
	 * every worker. */
	j->hr.pj.key = hash_str(HASH_INIT, name);
	j->hr.pj.done = token_job_done;
	j->hr.pj.cancel = token_job_cancel;
	j->hr.policy = tk->policy;
	j->hr.guard = tk->guard;
	j->tk = tk;
	if (s != NULL)
		j->hr.peer = s->peer;
	(void)snprintf(j->hr.name, sizeof(j->hr.name), "%s", name);
	(void)snprintf(j->hr.scope, sizeof(j->hr.scope), "%s", scope);
	return j;
}

struct token_get {
	const char *name;
	struct secbuf *plain;
	struct record *r;
	char why[512];
};

static int
token_record_get_fn(struct vault *v, void *arg)
{
	struct token_get *g = arg;
	int rc;

	if ((rc = vault_record_get(v, g->name, g->plain, g->r)) != 0)
		(void)snprintf(g->why, sizeof(g->why), "%s", vault_subject(v));
	return rc;
}

/*
 * A damaged vault is logged when the damage is new, else at most once a
 * minute with the count since: the agent keeps serving what it still can
 * (records elsewhere in the vault) while every request for what is
 * damaged fails with "vault_damaged".
 */
static void
token_damage_log(struct token *tk, const char *why)
{
	if (tk->damage_logged_ms != 0 &&
	    tk->now_ms - tk->damage_logged_ms < TOKEN_DAMAGE_LOG_MS &&
	    strcmp(why, tk->damage_why) == 0) {
		tk->damage_unlogged++;
		return;
	}
	(void)snprintf(tk->damage_why, sizeof(tk->damage_why), "%s", why);
	if (tk->damage_unlogged > 0)
		log_err("the vault is damaged: %s (and %lu more reads since "
		    "the last such line); the agent keeps serving what it "
		    "still can; see 'credvault check'", why,
		    tk->damage_unlogged);
	else
		log_err("the vault is damaged: %s; the agent keeps serving "
		    "what it still can; see 'credvault check'", why);
	tk->damage_logged_ms = tk->now_ms != 0 ? tk->now_ms : 1;
	tk->damage_unlogged = 0;
}

/* Look up a record into tk->plain; the caller wipes with token_wipe(). */
static int
token_record_get(struct token *tk, const char *name, struct record *r)
{
	struct token_get g;
	int rc;

	memset(r, 0, sizeof(*r));
	g.name = name;
	g.plain = tk->plain;
	g.r = r;
	g.why[0] = '\0';
	rc = guard_run(tk->guard, token_record_get_fn, &g);
	if (rc == CV_E_INTEGRITY)
		token_damage_log(tk, g.why[0] != '\0' ? g.why :
		    cv_strerror(rc));
	return rc;
}

/* The failure class of a vault error (damage is logged already). */
static const char *
token_vault_class(int rc)
{
	switch (rc) {
	case CV_E_BUSY:
		return "busy";
	case CV_E_NOTFOUND:
		return "no_such_record";
	case CV_E_INTEGRITY:
		return "vault_damaged";
	default:
		return "internal";
	}
}

static void
token_wipe(struct token *tk)
{
	secbuf_reset(tk->plain);
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

	proto_record_of(&pr, r, g);
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

int
token_audit(struct token *tk, const struct session *s, const char *action,
    const char *record, const char *result)
{
	int r;

	if (tk->audit == NULL)
		return 0;
	r = audit_queue_add(tk->audit, s->actor, action, record, result,
	    (int64_t)time(NULL));
	if (r != 0)
		log_err("audit queue full: %s for %s on '%s' cannot be "
		    "recorded; refusing", action, s->actor, record);
	return r;
}

/* "WHAT scope=SCOPE" for an audit result, the scope cut at
 * TOKEN_AUDIT_SCOPE_MAX ("..."); buf has CV_AUDIT_FIELD_MAX + 1 bytes.
 * (memcpy, not snprintf: every issued token comes through here.) */
static void
token_audit_text(char *buf, const char *what, const char *scope)
{
	size_t w = strnlen(what, CV_ERROR_CLASS_MAX + 16), n = strlen(scope);
	const char *sc = n > 0 ? scope : "(record's)";

	if (n == 0)
		n = strlen(sc);
	memcpy(buf, what, w);
	/* Not terminated here: the scope's copy below ends buf. */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(buf + w, " scope=", 7);
	w += 7;
	if (n > TOKEN_AUDIT_SCOPE_MAX) {
		memcpy(buf + w, sc, TOKEN_AUDIT_SCOPE_MAX);
		memcpy(buf + w + TOKEN_AUDIT_SCOPE_MAX, "...", 4);
		return;
	}
	memcpy(buf + w, sc, n + 1);
}

/* Answer s: denied (cls NULL), or failed with cls for a denial the peer
 * may hear more of; with an audit entry. */
static void
token_deny(struct token *tk, struct session *s, const char *why,
    const char *cls)
{
	char res[CV_AUDIT_FIELD_MAX + 1];

	tk->stats.denials++;
	session_log(LOG_NOTICE, s, "denied", s->req.name,
	    "record '%s': denied to %s%s: %s", s->req.name, s->actor,
	    cls != NULL ? " (told to name scopes)" : "", why);
	token_audit_text(res, "denied", s->scope);
	if (token_audit(tk, s, "token", s->req.name, res) != 0) {
		session_reply(s, WIRE_FAILED, "busy");
		return;
	}
	if (cls != NULL)
		session_reply(s, WIRE_FAILED, cls);
	else
		session_reply(s, WIRE_DENIED, NULL);
}

/*
 * Asked without a scope, denied for the record's whole scope set: would
 * the stack allow this peer some scopes (scopes= passes an empty ask)?
 * Then the rules limit the scopes, and the peer hears so (DESIGN: a peer
 * without --scope under such a rule is told to name them).
 */
static int
token_scope_would_do(struct token *tk, const struct policy_stack *stack,
    const struct session *s)
{
	struct policy_outcome o;
	int allowed;

	policy_authorize(tk->policy, stack, &s->peer, "", NULL, &o);
	allowed = o.verdict == POLICY_ALLOW;
	policy_outcome_clear(&o);
	return allowed;
}

/* Answer s: failed with cls, audited. */
static void
token_fail(struct token *tk, struct session *s, const char *cls)
{
	char what[CV_ERROR_CLASS_MAX + 16], res[CV_AUDIT_FIELD_MAX + 1];

	(void)snprintf(what, sizeof(what), "failed: %s", cls);
	token_audit_text(res, what, s->scope);
	/* Not audited (logged): the peer still hears of the failure. */
	if (token_audit(tk, s, "token", s->req.name, res) != 0)
		log_err("record '%s': failure for %s not audited", s->req.name,
		    s->actor);
	session_reply(s, WIRE_FAILED, cls);
}

/* Count name among the records served (a set; loop thread only). */
static void
token_note_served(struct token *tk, const char *name)
{
	unsigned h = hash_str(HASH_INIT, name) % TOKEN_SERVED_BUCKETS;
	struct token_served *sv;
	size_t n;

	for (sv = tk->served[h]; sv != NULL; sv = sv->next)
		if (strcmp(sv->name, name) == 0)
			return;
	if (tk->stats.records_served >= TOKEN_SERVED_MAX)
		return;
	n = strlen(name) + 1;
	if ((sv = malloc(sizeof(*sv) + n)) == NULL)
		return; /* a count, not a promise */
	memcpy(sv->name, name, n);
	sv->next = tk->served[h];
	tk->served[h] = sv;
	tk->stats.records_served++;
}

/* Answer s with a token, audited first (no audit, no token). */
static void
token_issue(struct token *tk, struct session *s, const struct cache_token *t)
{
	char res[CV_AUDIT_FIELD_MAX + 1];

	token_audit_text(res, "issued", t->scope);
	if (token_audit(tk, s, "token", s->req.name, res) != 0) {
		session_reply(s, WIRE_FAILED, "busy");
		return;
	}
	session_reply_token(s, t, tk->now_s);
	tk->stats.issued++;
	token_note_served(tk, s->req.name);
}

/*
 * What the agent knows of record name: from the table while fresh, else
 * read from the vault (and remembered).  0 with *info; CV_E_NOTFOUND; or
 * the vault's error.  info->generation is 0 when there is no active
 * secret.
 */
static int
token_info(struct token *tk, const char *name,
    const struct known_info **info)
{
	struct known_info fresh;
	const struct generation *g;
	struct record r;
	int rc;

	if ((*info = known_get(tk->known, name, tk->now_ms)) != NULL)
		return 0;
	rc = token_record_get(tk, name, &r);
	if (rc == 0) {
		g = record_active(&r);
		fresh.generation = g != NULL && g->secret_len > 0 ? g->number : 0;
		rc = scope_normalize(r.scope != NULL ? r.scope : "", fresh.scope,
		    sizeof(fresh.scope));
	}
	token_wipe(tk);
	if (rc == CV_E_NOTFOUND)
		known_forget(tk->known, name);
	if (rc != 0)
		return rc;
	if ((rc = known_put(tk->known, name, &fresh, tk->now_ms)) != 0)
		return rc;
	*info = known_get(tk->known, name, tk->now_ms);
	return 0;
}

/*
 * Start a mint for flight: takes over *fp (a flight reference) and
 * *stackp (a stack reference) whatever happens.  The record is read now,
 * with its secret; when its active generation is no longer gen (rotated
 * since the table was filled), nothing starts and CV_E_BUSY says "ask
 * again".  When the mint cannot start, the flight is finished with the
 * error, so that whoever waits for it gets an answer.  s may be NULL.
 */
static int
token_start_mint(struct token *tk, const struct session *s,
    struct policy_stack **stackp, const char *name, uint32_t gen,
    const char *scope, struct cache_flight **fp)
{
	const struct generation *g;
	struct token_job *j = NULL;
	struct record r;
	int rc;

	if ((rc = token_record_get(tk, name, &r)) != 0) {
		if (rc != CV_E_INTEGRITY)
			log_err("record '%s': cannot read it to mint: %s",
			    name, cv_strerror(rc));
		goto out;
	}
	g = record_active(&r);
	if (g == NULL || g->number != gen || g->secret_len == 0) {
		known_forget(tk->known, name);
		rc = CV_E_BUSY;
		goto out;
	}
	rc = CV_E_NOMEM;
	if ((j = token_job_new(tk, HOOKRUN_MINT, s, name, scope)) == NULL)
		goto out;
	j->hr.gen = gen;
	j->hr.due = rotate_is_due(&r, vault_now());
	if ((rc = token_hook_request(&r, g, PROTO_MINT, &j->hr.peer, scope,
	    &j->hr.request)) != 0) {
		log_err("record '%s': cannot encode the mint request: %s",
		    name, cv_strerror(rc));
		goto out;
	}
	token_wipe(tk);
	/* Complete before it is queued: a worker may run it at once. */
	j->hr.stack = *stackp;
	j->flight = *fp;
	if ((rc = pool_submit(tk->pool, &j->hr.pj)) != 0) {
		log_err("record '%s': cannot start a mint: the hook queue is "
		    "full", name);
		j->hr.stack = NULL; /* still the caller's */
		j->flight = NULL;
		goto out;
	}
	*stackp = NULL; /* transferred */
	*fp = NULL;     /* transferred */
	j = NULL;       /* transferred: the worker owns it now */
out:
	token_wipe(tk);
	if (j != NULL)
		token_job_free(tk, j);
	if (rc != 0) {
		cache_flight_finish(tk->cache, *fp, NULL, rc,
		    token_vault_class(rc), tk->now_ms);
		cache_flight_put(tk->cache, fp);
		policy_put(tk->policy, stackp);
	}
	return rc;
}

/*
 * Answer s from the finished flight it waits for, and release the flight.
 * The caller hands the reply over.
 */
static void
token_answer_flight(struct token *tk, struct session *s)
{
	struct cache_token tok;
	char cls[CV_ERROR_CLASS_MAX + 1];
	int rc;

	memset(&tok, 0, sizeof(tok));
	tok.token = tk->scratch;
	rc = cache_flight_result(tk->cache, s->flight, tk->now_ms, &tok, cls,
	    sizeof(cls));
	cache_flight_put(tk->cache, &s->flight);
	if (rc == CV_E_LOCKED)
		session_reply(s, WIRE_LOCKED, NULL);
	else if (rc != 0)
		token_fail(tk, s, cv_class_is_valid(cls) ? cls : "internal");
	else if (tok.lifetime < s->req.min_ttl)
		token_fail(tk, s, "ttl_unavailable");
	else
		token_issue(tk, s, &tok);
	secbuf_reset(tk->scratch);
}

/* A refresh ahead was handed out with a hit: start it, or give it back. */
static void
token_refresh(struct token *tk, const struct session *s, uint32_t gen,
    struct cache_flight **refresh)
{
	struct policy_stack *stack = NULL;

	log_info("record '%s': refreshing its token ahead of expiry",
	    s->req.name);
	if (policy_get(tk->policy, s->req.name, 1, &stack) == 0)
		(void)token_start_mint(tk, s, &stack, s->req.name, gen,
		    s->scope, refresh);
	else
		cache_flight_finish(tk->cache, *refresh, NULL, CV_E_NOMEM,
		    "internal", tk->now_ms);
	cache_flight_put(tk->cache, refresh);
}

/*
 * After authorize allowed: the cache, else a mint (with the record's
 * stack, fetched here).  Returns 0 when s is answered, 1 when it waits
 * for a flight.
 */
static int
token_serve(struct token *tk, struct session *s)
{
	const struct known_info *info;
	struct policy_stack *stack = NULL;
	struct cache_token tok;
	struct cache_key key;
	struct cache_flight *f = NULL, *refresh = NULL;
	uint32_t gen = 0;
	int rc, wait = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = token_info(tk, s->req.name, &info)) != 0) {
			token_fail(tk, s, token_vault_class(rc));
			goto out;
		}
		if ((gen = info->generation) == 0) {
			token_fail(tk, s, "no_active_secret");
			goto out;
		}
		key.name = s->req.name;
		key.generation = gen;
		key.scope = s->scope;
		memset(&tok, 0, sizeof(tok));
		tok.token = tk->scratch;
		/* The token s's last reply carries needs no copy when that
		 * reply can go out again as it is. */
		tok.known_serial = s->memo_reply ? s->memo_serial : 0;
		rc = cache_get(tk->cache, &key, s->req.min_ttl, tk->now_ms,
		    &tok, &f, &refresh);
		if (rc == CACHE_HIT && !tok.copied &&
		    !session_reply_is_memo(s, &tok, tk->now_s)) {
			tok.known_serial = 0; /* another second: the bytes */
			rc = cache_get(tk->cache, &key, s->req.min_ttl,
			    tk->now_ms, &tok, &f, NULL);
		}
		if (rc != CACHE_LEAD)
			break;
		s->flight = cache_flight_ref(tk->cache, f);
		if (policy_get(tk->policy, s->req.name, 1, &stack) != 0) {
			cache_flight_finish(tk->cache, f, NULL, CV_E_NOMEM,
			    "internal", tk->now_ms);
			cache_flight_put(tk->cache, &f);
			token_answer_flight(tk, s);
			goto out;
		}
		rc = token_start_mint(tk, s, &stack, s->req.name, gen,
		    s->scope, &f);
		if (rc == 0) {
			tk->stats.misses++;
			wait = 1;
			goto out;
		}
		if (rc != CV_E_BUSY) {
			token_answer_flight(tk, s); /* failed at once */
			goto out;
		}
		/* Rotated since the table was filled: once more, afresh. */
		cache_flight_put(tk->cache, &s->flight);
	}
	switch (rc) {
	case CACHE_HIT:
		tk->stats.hits++;
		token_issue(tk, s, &tok);
		if (refresh != NULL)
			token_refresh(tk, s, gen, &refresh);
		break;
	case CACHE_UNSATISFIABLE:
		token_fail(tk, s, "ttl_unavailable");
		break;
	case CACHE_JOIN:
		tk->stats.misses++;
		s->flight = f; /* transferred */
		wait = 1;
		break;
	case CACHE_LEAD:
		token_fail(tk, s, "busy"); /* rotated twice meanwhile */
		break;
	default:
		log_err("record '%s': cache: %s", s->req.name, cv_strerror(rc));
		token_fail(tk, s, token_vault_class(rc));
		break;
	}
out:
	if (refresh != NULL) {
		/* Handed out but not started (the hit turned into a miss). */
		cache_flight_finish(tk->cache, refresh, NULL, CV_E_BUSY, "busy",
		    tk->now_ms);
		cache_flight_put(tk->cache, &refresh);
	}
	secbuf_reset(tk->scratch);
	policy_put(tk->policy, &stack);
	if (wait)
		s->busy = 1;
	return wait;
}

/* After authorize: deny, or go on. */
static int
token_authorized(struct token *tk, struct session *s,
    const struct policy_outcome *o, int missing)
{
	if (o->verdict != POLICY_ALLOW) {
		token_deny(tk, s, o->reason, NULL);
		return 0;
	}
	if (missing) {
		session_log(LOG_INFO, s, "no_such_record", s->req.name,
		    "record '%s': no such record (asked by %s)", s->req.name,
		    s->actor);
		token_fail(tk, s, "no_such_record");
		return 0;
	}
	return token_serve(tk, s);
}

/* Authorize hooks that are executables run on a worker.  Takes over
 * *stackp.  0 when s is answered, 1 when it waits. */
static int
token_authorize_async(struct token *tk, struct session *s,
    struct policy_stack **stackp, int missing)
{
	struct token_job *j = NULL;
	struct record r;
	int rc = 0, wait = 0;

	memset(&r, 0, sizeof(r));
	r.name = s->req.name;
	if (!missing && (rc = token_record_get(tk, s->req.name, &r)) != 0 &&
	    rc != CV_E_NOTFOUND)
		goto out;
	if (rc == CV_E_NOTFOUND) {
		memset(&r, 0, sizeof(r));
		r.name = s->req.name;
	}
	if ((j = token_job_new(tk, HOOKRUN_AUTHORIZE, s, s->req.name,
	    s->scope)) == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	if ((rc = token_hook_request(&r, rc == 0 && !missing ?
	    record_active(&r) : NULL, PROTO_AUTHORIZE, &s->peer, s->scope,
	    &j->hr.request)) != 0)
		goto out;
	j->hr.stack = *stackp;
	j->slot = s->slot;
	j->session_id = s->id;
	j->seq = s->wait_seq = tk->next_seq++;
	if ((rc = pool_submit(tk->pool, &j->hr.pj)) != 0) {
		j->hr.stack = NULL;
		s->wait_seq = 0;
		goto out;
	}
	*stackp = NULL; /* transferred */
	j = NULL;       /* transferred: the worker owns it now */
	s->busy = 1;
	wait = 1;
out:
	token_wipe(tk);
	if (j != NULL)
		token_job_free(tk, j);
	if (!wait)
		token_fail(tk, s, token_vault_class(rc));
	policy_put(tk->policy, stackp);
	return wait;
}

/* Whether s's last allow for this very request may stand (see
 * struct session). */
static int
token_memo_allows(struct token *tk, const struct session *s)
{
	return s->memo_authorized && s->memo_len > 0 &&
	    s->memo_epoch == policy_epoch(tk->policy) &&
	    tk->now_ms - s->memo_at_ms < CV_AGENT_RECORD_TTL_MS &&
	    tk->now_ms >= s->memo_at_ms;
}

int
token_op(struct token *tk, struct session *s, const struct wire_request *req,
    int64_t now_ms, int64_t now_s)
{
	const struct known_info *info = NULL;
	struct policy_stack *stack = NULL;
	struct policy_outcome o;
	uint64_t epoch;
	int rc, missing, wait = 0;

	tk->now_ms = now_ms;
	tk->now_s = now_s;
	tk->last_request_ms = now_ms;
	tk->stats.requests++;
	rc = token_info(tk, req->name, &info);
	missing = rc == CV_E_NOTFOUND;
	if (rc != 0 && !missing) {
		if (rc != CV_E_INTEGRITY)
			log_err("record '%s' for %s: %s", req->name, s->actor,
			    cv_strerror(rc));
		token_fail(tk, s, token_vault_class(rc));
		return 0;
	}
	/* No scope: the record's scopes; else a subset of them. */
	if (!missing && s->req_scope[0] == '\0') {
		memcpy(s->scope, info->scope, strlen(info->scope) + 1);
	} else {
		memcpy(s->scope, s->req_scope, strlen(s->req_scope) + 1);
		if (!missing && !scope_is_subset(s->scope, info->scope)) {
			s->memo_authorized = 0;
			token_deny(tk, s, "scopes beyond the record's", NULL);
			return 0;
		}
	}
	if (!missing && token_memo_allows(tk, s))
		return token_serve(tk, s);
	s->memo_authorized = 0;
	/* Names that are not records are not remembered: peers must not
	 * fill the table. */
	epoch = policy_epoch(tk->policy);
	if (policy_get(tk->policy, req->name, !missing, &stack) != 0) {
		token_fail(tk, s, "internal");
		return 0;
	}
	if (policy_authorize_execs(stack))
		return token_authorize_async(tk, s, &stack, missing);
	policy_authorize(tk->policy, stack, &s->peer, s->scope, NULL, &o);
	if (o.verdict != POLICY_ALLOW && !missing && s->req_scope[0] == '\0' &&
	    token_scope_would_do(tk, stack, s)) {
		policy_put(tk->policy, &stack);
		token_deny(tk, s, o.reason, "scope_required");
		policy_outcome_clear(&o);
		return 0;
	}
	policy_put(tk->policy, &stack);
	if (o.verdict == POLICY_ALLOW && !missing) {
		s->memo_authorized = 1;
		s->memo_epoch = epoch;
		s->memo_at_ms = tk->now_ms;
	}
	wait = token_authorized(tk, s, &o, missing);
	policy_outcome_clear(&o);
	return wait;
}

void
token_release(struct token *tk, struct session *s)
{
	cache_flight_put(tk->cache, &s->flight);
	s->wait_seq = 0;
}

/* The session an authorize job was for, if it still waits for it. */
static struct session *
token_job_session(struct token *tk, const struct token_job *j)
{
	struct session *s = sessions_at(tk->sessions, j->slot);

	if (s == NULL || s->id != j->session_id || !s->busy ||
	    s->wait_seq != j->seq)
		return NULL;
	return s;
}

/* Report a finished mint to its flight (stored, and for the joiners). */
static void
token_job_finish_flight(struct token *tk, struct token_job *j)
{
	const struct policy_outcome *o = &j->hr.out;
	struct cache_mint m;

	if (o->verdict != POLICY_ALLOW) {
		cache_flight_finish(tk->cache, j->flight, NULL, CV_E_UPSTREAM,
		    o->cls, j->hr.started_ms);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.token = o->mint.access_token->data;
	m.toklen = o->mint.access_token->len;
	m.token_type = o->mint.token_type;
	/* A hook that does not say what it granted granted what was asked
	 * for. */
	m.scope = o->mint.scope[0] != '\0' ? o->mint.scope : j->hr.scope;
	m.expires_in = o->mint.expires_in;
	cache_flight_finish(tk->cache, j->flight, &m, 0, NULL,
	    j->hr.started_ms);
}

static void
token_job_done_authorize(struct token *tk, struct token_job *j)
{
	const struct known_info *info;
	struct session *s;
	int missing;

	if ((s = token_job_session(tk, j)) == NULL)
		return;
	s->wait_seq = 0;
	s->busy = 0;
	/* The record may be gone or new by now; look again. */
	missing = token_info(tk, s->req.name, &info) == CV_E_NOTFOUND;
	if (token_authorized(tk, s, &j->hr.out, missing) == 0)
		session_complete(s);
}

static void
token_job_done_mint(struct token *tk, struct token_job *j)
{
	struct session *s;
	size_t i;

	if (j->hr.rotated) {
		known_forget(tk->known, j->hr.name); /* a new generation */
		tk->stats.rotations++;
	}
	tk->stats.mints++;
	if (j->hr.out.verdict != POLICY_ALLOW)
		tk->stats.mint_failures++;
	if (j->hr.out.verdict == POLICY_ALLOW)
		log_info("record '%s': minted a token (scope '%s'): %s",
		    j->hr.name, j->hr.scope, j->hr.out.reason);
	else
		log_err("record '%s': mint failed (%s): %s", j->hr.name,
		    j->hr.out.cls, j->hr.out.reason);
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		s = sessions_at(tk->sessions, i);
		if (s != NULL && s->busy && s->flight == j->flight) {
			token_answer_flight(tk, s);
			session_complete(s);
		}
	}
}

/* The loop thread, for each job a worker finished. */
static void
token_job_done(struct pool_job *pj)
{
	struct token_job *j = (struct token_job *)pj;
	struct token *tk = j->tk;

	token_clock(tk);
	if (j->flight != NULL)
		token_job_finish_flight(tk, j);
	/* Locked meanwhile: the waiting sessions were told so already. */
	if (!guard_is_locked(tk->guard)) {
		if (j->hr.kind == HOOKRUN_AUTHORIZE)
			token_job_done_authorize(tk, j);
		else
			token_job_done_mint(tk, j);
	}
	token_job_free(tk, j);
}

/* The pool is going away before the job ran or was drained. */
static void
token_job_cancel(struct pool_job *pj)
{
	struct token_job *j = (struct token_job *)pj;

	if (j->flight != NULL)
		cache_flight_finish(j->tk->cache, j->flight, NULL, CV_E_LOCKED,
		    NULL, hookrun_now_ms());
	token_job_free(j->tk, j);
}

void
token_clear(struct token *tk)
{
	cache_clear(tk->cache);
	known_clear(tk->known);
	secbuf_reset(tk->scratch);
	secbuf_reset(tk->plain);
}

void
token_reload(struct token *tk)
{
	known_clear(tk->known);
}

void
token_sweep(struct token *tk, int64_t now_ms)
{
	(void)cache_sweep(tk->cache, now_ms);
}

int64_t
token_last_request_ms(const struct token *tk)
{
	return tk->last_request_ms;
}

const struct token_stats *
token_stats(const struct token *tk)
{
	return &tk->stats;
}

struct cache *
token_cache(struct token *tk)
{
	return tk->cache;
}

void
token_counts(struct token *tk, size_t *records, size_t *tokens)
{
	*records = known_count(tk->known);
	*tokens = cache_count(tk->cache);
}
