/* SPDX-License-Identifier: MIT */
/* Stack files per record, the "no stack, no rule" default, and the phases. */
#include "hooks/policy.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "hooks/exec.h"
#include "hooks/stack.h"
#include "base/err.h"
#include "base/banned.h"

#define POLICY_BUCKETS 256

/* How an executable module went wrong, for the failure class. */
enum policy_fault {
	POLICY_FAULT_NONE = 0,
	POLICY_FAULT_REFUSED,  /* path or pin check refused it */
	POLICY_FAULT_TIMEOUT,  /* killed at the deadline */
	POLICY_FAULT_ERROR,    /* crashed, odd exit, overflow, bad reply */
};

struct policy_stack {
	struct policy_stack *next; /* hash chain, while kept */
	unsigned refs;
	char name[CV_NAME_MAX + 1];
	struct stack *st;       /* NULL: no stack file, or unusable */
	int unusable;           /* st is NULL because the file is bad */
	char problem[CV_HOOK_REASON_MAX + 64];
};

struct policy {
	pthread_mutex_t mu;
	char hooksdir[CV_PATH_MAX];
	uid_t owner;
	uid_t agent_uid;
	unsigned timeout_ms;
	uint64_t epoch;
	struct stack *default_mint;
	struct policy_stack *table[POLICY_BUCKETS];
};

/* One phase run: what each module did, by stack entry. */
struct policy_run {
	const struct policy *p;
	enum proto_phase phase;
	const struct stack *st;
	const struct peer_ident *peer;
	const char *scope;
	const struct secbuf *request;
	enum policy_fault fault[CV_STACK_LINES_MAX];
};

static void
policy_lock(struct policy *p)
{
	if (pthread_mutex_lock(&p->mu) != 0)
		abort();
}

static void
policy_unlock(struct policy *p)
{
	if (pthread_mutex_unlock(&p->mu) != 0)
		abort();
}

int
policy_new(const char *vault_dir, uid_t owner, uid_t agent_uid,
    const char *default_mint, unsigned timeout_ms, struct policy **out)
{
	char text[CV_PATH_MAX + 32], why[CV_HOOK_REASON_MAX];
	struct policy *p;
	int n, r;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CV_E_NOMEM;
	n = snprintf(p->hooksdir, sizeof(p->hooksdir), "%s/hooks.d", vault_dir);
	r = CV_E_INVALID;
	if (n < 0 || (size_t)n >= sizeof(p->hooksdir) || default_mint == NULL)
		goto out;
	p->owner = owner;
	p->agent_uid = agent_uid;
	p->timeout_ms = timeout_ms;
	/* The default mint line, parsed like any stack file. */
	n = snprintf(text, sizeof(text), "mint required %s\n", default_mint);
	if (n < 0 || (size_t)n >= sizeof(text))
		goto out;
	if ((r = stack_parse(text, (size_t)n, "(default mint)",
	    &p->default_mint, why, sizeof(why))) != 0) {
		log_err("default mint hook '%s' unusable: %s", default_mint,
		    why);
		goto out;
	}
	r = CV_E_INTERNAL;
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto out;
	*out = p;
	p = NULL; /* transferred */
	r = 0;
out:
	if (p != NULL) {
		stack_free(&p->default_mint);
		free(p);
	}
	return r;
}

static unsigned
policy_hash(const char *name)
{
	unsigned h = 2166136261u;

	while (*name != '\0')
		h = (h ^ (unsigned char)*name++) * 16777619u;
	return h % POLICY_BUCKETS;
}

/* Drop one reference with the lock held. */
static void
policy_unref(struct policy_stack *s)
{
	if (s->refs == 0)
		abort();
	if (--s->refs == 0) {
		stack_free(&s->st);
		free(s);
	}
}

void
policy_reload(struct policy *p)
{
	struct policy_stack *s, *next;
	size_t i;

	policy_lock(p);
	for (i = 0; i < POLICY_BUCKETS; i++) {
		for (s = p->table[i]; s != NULL; s = next) {
			next = s->next;
			s->next = NULL;
			policy_unref(s); /* the table's reference */
		}
		p->table[i] = NULL;
	}
	p->epoch++;
	policy_unlock(p);
}

uint64_t
policy_epoch(struct policy *p)
{
	uint64_t e;

	policy_lock(p);
	e = p->epoch;
	policy_unlock(p);
	return e;
}

void
policy_free(struct policy **pp)
{
	struct policy *p;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	policy_reload(p);
	stack_free(&p->default_mint);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
	*pp = NULL;
}

/* Read the stack file of name (outside the lock: it touches the disk). */
static struct policy_stack *
policy_load(const struct policy *p, const char *name)
{
	struct policy_stack *s;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->refs = 1;
	(void)snprintf(s->name, sizeof(s->name), "%s", name);
	r = stack_load(p->hooksdir, name, p->owner, &s->st, s->problem,
	    sizeof(s->problem));
	if (r == CV_E_NOTFOUND) {
		/* No file, or no hooks.d at all: "no stack, no rule". */
		s->problem[0] = '\0';
		stack_free(&s->st);
	} else if (r != 0) {
		s->unusable = 1;
		stack_free(&s->st);
		if (s->problem[0] == '\0')
			cv_why(s->problem, sizeof(s->problem), "stack "
			    "file for '%s' unusable: %s", name, cv_strerror(r));
		log_err("record '%s': stack file refused, every request "
		    "for it is denied: %s", name, s->problem);
	}
	return s;
}

int
policy_get(struct policy *p, const char *name, int keep,
    struct policy_stack **out)
{
	struct policy_stack *s, *loaded;
	unsigned h = policy_hash(name);

	*out = NULL;
	policy_lock(p);
	for (s = p->table[h]; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0) {
			s->refs++;
			*out = s;
			policy_unlock(p);
			return 0;
		}
	policy_unlock(p);
	if ((loaded = policy_load(p, name)) == NULL)
		return CV_E_NOMEM;
	if (!keep) {
		*out = loaded;
		return 0;
	}
	policy_lock(p);
	/* Only the event loop loads, but stay correct if that changes. */
	for (s = p->table[h]; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			break;
	if (s == NULL) {
		loaded->refs++; /* the table's reference */
		loaded->next = p->table[h];
		p->table[h] = loaded;
		s = loaded;
	} else {
		policy_unref(loaded); /* loaded twice: keep the first */
		s->refs++;
	}
	*out = s;
	policy_unlock(p);
	return 0;
}

void
policy_put(struct policy *p, struct policy_stack **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	policy_lock(p);
	policy_unref(*sp);
	policy_unlock(p);
	*sp = NULL;
}

const char *
policy_stack_problem(const struct policy_stack *s)
{
	return s->unusable ? s->problem : "";
}

int
policy_authorize_execs(const struct policy_stack *s)
{
	size_t i;

	if (s->st == NULL)
		return 0;
	for (i = 0; i < s->st->n; i++)
		if (s->st->entries[i].phase == PROTO_AUTHORIZE &&
		    s->st->entries[i].module == STACK_MODULE_EXEC)
			return 1;
	return 0;
}

void
policy_outcome_clear(struct policy_outcome *o)
{
	if (o == NULL)
		return;
	proto_mint_reply_clear(&o->mint);
	memset(o, 0, sizeof(*o));
}

/* Run one executable module and note how it failed. */
static enum proto_result
policy_run_exec(struct policy_run *run, const struct stack_entry *e,
    size_t idx, struct secbuf **reply, char *why, size_t whylen)
{
	struct exec_opts opts;
	struct exec_result res;
	struct proto_mint_reply m;
	struct proto_rotate_reply rot;
	struct proto_error_reply er;
	char dwhy[CV_HOOK_REASON_MAX];
	enum proto_result r;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.owner = run->p->owner;
	opts.timeout_ms = run->p->timeout_ms;
	opts.sha256 = e->pinned ? e->sha256 : NULL;
	rc = exec_run(e->path, e->args, e->nargs, run->request, &opts, &res,
	    why, whylen);
	r = res.result;
	if (rc != 0) {
		run->fault[idx] = rc == CV_E_PERM || rc == CV_E_NOTFOUND ||
		    rc == CV_E_INVALID ? POLICY_FAULT_REFUSED :
		    POLICY_FAULT_ERROR;
		r = PROTO_ERROR;
		goto out;
	}
	if (r == PROTO_ERROR) {
		run->fault[idx] = res.timed_out ? POLICY_FAULT_TIMEOUT :
		    POLICY_FAULT_ERROR;
		goto out;
	}
	if (r == PROTO_SUCCESS && proto_phase_has_reply(run->phase)) {
		if (run->phase == PROTO_MINT) {
			rc = proto_mint_decode(res.out->data, res.out->len, &m,
			    dwhy, sizeof(dwhy));
			proto_mint_reply_clear(&m);
		} else {
			rc = proto_rotate_decode(res.out->data, res.out->len,
			    &rot, dwhy, sizeof(dwhy));
			proto_rotate_reply_clear(&rot);
		}
		if (rc != 0) {
			cv_why(why, whylen, "hook '%s' printed a bad %s "
			    "reply: %s", e->path, proto_phase_name(run->phase),
			    dwhy);
			run->fault[idx] = POLICY_FAULT_ERROR;
			r = PROTO_ERROR;
			goto out;
		}
		*reply = res.out;
		res.out = NULL; /* transferred */
	} else if (r == PROTO_FAIL && res.out->len > 0 &&
	    proto_error_decode(res.out->data, res.out->len, &er, NULL, 0) == 0) {
		*reply = res.out;
		res.out = NULL; /* transferred */
		cv_why(why, whylen, "hook '%s' failed: %s%s%s", e->path,
		    er.error, er.description[0] != '\0' ? ": " : "",
		    er.description);
	} else if (r == PROTO_FAIL) {
		cv_why(why, whylen, "hook '%s' failed (exit 1)", e->path);
	}
out:
	exec_result_clear(&res);
	return r;
}

static enum proto_result
policy_run_one(void *arg, const struct stack_entry *e, struct secbuf **reply,
    char *why, size_t whylen)
{
	struct policy_run *run = arg;
	size_t idx = (size_t)(e - run->st->entries);
	enum proto_result r;

	*reply = NULL;
	if (e->module == STACK_MODULE_PEER)
		r = peer_rule_match(&e->peer, run->peer, run->scope, why,
		    whylen);
	else
		r = policy_run_exec(run, e, idx, reply, why, whylen);
	log_debug("%s line %u %s: %s%s%s", run->st->file, e->line, e->path,
	    proto_result_name(r), why[0] != '\0' ? ": " : "", why);
	return r;
}

static void
policy_eval(const struct policy *p, const struct stack *st,
    enum proto_phase phase, const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct stack_verdict *v,
    enum policy_fault *fault)
{
	struct policy_run run;
	struct stack_runner runner = { policy_run_one, &run };

	memset(&run, 0, sizeof(run));
	run.p = p;
	run.phase = phase;
	run.st = st;
	run.peer = peer;
	run.scope = scope;
	run.request = request;
	stack_eval(st, phase, &runner, v);
	*fault = v->decisive < st->n ? run.fault[v->decisive] :
	    POLICY_FAULT_NONE;
}

void
policy_authorize(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct policy_outcome *out)
{
	struct stack_verdict v;
	enum policy_fault fault;

	memset(out, 0, sizeof(*out));
	out->verdict = POLICY_DENY;
	if (s->unusable) {
		cv_why(out->reason, sizeof(out->reason), "%s", s->problem);
		return;
	}
	if (s->st == NULL || !stack_has_phase(s->st, PROTO_AUTHORIZE)) {
		if (peer->uid == p->agent_uid) {
			out->verdict = POLICY_ALLOW;
			cv_why(out->reason, sizeof(out->reason), "no "
			    "authorize rule: the agent's own uid");
		} else {
			cv_why(out->reason, sizeof(out->reason), "no "
			    "authorize rule (%s): only uid %lu is allowed",
			    s->st == NULL ? "no stack file" :
			    "no authorize line", (unsigned long)p->agent_uid);
		}
		return;
	}
	policy_eval(p, s->st, PROTO_AUTHORIZE, peer, scope, request, &v,
	    &fault);
	if (v.result == PROTO_SUCCESS)
		out->verdict = POLICY_ALLOW;
	cv_why(out->reason, sizeof(out->reason), "%s",
	    v.result == PROTO_SUCCESS ? "authorize stack allowed" : v.reason);
	stack_verdict_clear(&v);
}

/* The failure class of a failed mint verdict. */
static void
policy_mint_class(const struct stack_verdict *v, enum policy_fault fault,
    char *cls, size_t clslen)
{
	struct proto_error_reply er;

	if (v->result == PROTO_ERROR) {
		cv_why(cls, clslen, "%s", fault == POLICY_FAULT_TIMEOUT ?
		    "hook_timeout" : fault == POLICY_FAULT_REFUSED ?
		    "hook_refused" : "hook_error");
		return;
	}
	if (v->reply != NULL && proto_error_decode(v->reply->data,
	    v->reply->len, &er, NULL, 0) == 0 && cv_class_is_valid(er.error)) {
		cv_why(cls, clslen, "%s", er.error);
		return;
	}
	cv_why(cls, clslen, "mint_failed");
}

void
policy_mint(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct policy_outcome *out)
{
	const struct stack *st = p->default_mint;
	struct stack_verdict v;
	enum policy_fault fault;
	char why[CV_HOOK_REASON_MAX];

	memset(out, 0, sizeof(*out));
	out->verdict = POLICY_FAIL;
	if (s->unusable) {
		cv_why(out->cls, sizeof(out->cls), "policy_error");
		cv_why(out->reason, sizeof(out->reason), "%s", s->problem);
		return;
	}
	if (s->st != NULL && stack_has_phase(s->st, PROTO_MINT))
		st = s->st;
	policy_eval(p, st, PROTO_MINT, peer, scope, request, &v, &fault);
	if (v.result == PROTO_SUCCESS && v.reply == NULL) {
		v.result = PROTO_ERROR;
		fault = POLICY_FAULT_ERROR;
		cv_why(v.reason, sizeof(v.reason), "%s: no module printed "
		    "a mint reply", st->file);
	}
	if (v.result == PROTO_SUCCESS) {
		if (proto_mint_decode(v.reply->data, v.reply->len, &out->mint,
		    why, sizeof(why)) == 0) {
			out->verdict = POLICY_ALLOW;
			cv_why(out->reason, sizeof(out->reason), "minted by "
			    "%s line %u", st->file,
			    st->entries[v.decisive].line);
		} else {
			cv_why(out->cls, sizeof(out->cls), "hook_error");
			cv_why(out->reason, sizeof(out->reason), "bad mint "
			    "reply: %s", why);
		}
	} else {
		policy_mint_class(&v, fault, out->cls, sizeof(out->cls));
		cv_why(out->reason, sizeof(out->reason), "%s", v.reason);
	}
	stack_verdict_clear(&v);
}

const struct stack *
policy_stack_file(const struct policy_stack *s)
{
	return s->st;
}

int
policy_run_phase(struct policy *p, const struct policy_stack *s,
    enum proto_phase phase, const struct secbuf *request,
    struct stack_verdict *v)
{
	enum policy_fault fault;

	memset(v, 0, sizeof(*v));
	v->result = PROTO_FAIL;
	v->decisive = SIZE_MAX;
	if (s->st == NULL || !stack_has_phase(s->st, phase))
		return CV_E_NOTFOUND;
	policy_eval(p, s->st, phase, NULL, "", request, v, &fault);
	if (v->result == PROTO_SUCCESS && proto_phase_has_reply(phase) &&
	    v->reply == NULL) {
		v->result = PROTO_ERROR;
		cv_why(v->reason, sizeof(v->reason), "%s: no module printed "
		    "a %s reply", s->st->file, proto_phase_name(phase));
	}
	return 0;
}

