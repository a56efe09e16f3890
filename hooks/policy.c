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
#include "hooks/runner.h"
#include "hooks/stack.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/mutex.h"
#include "base/banned.h"

/* The installed hook directory, from the build (CMakeLists.txt). */
#ifndef CV_HOOKDIR
#error "CV_HOOKDIR must name the installed hook directory"
#endif

#define POLICY_BUCKETS 256
/* The admin stack's name in the table: no record is called this. */
#define POLICY_ADMIN_NAME "(admin)"

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

/* One phase run: how each module that faulted went wrong. */
struct policy_run {
	const struct stack *st;
	enum runner_fault fault[CV_STACK_LINES_MAX];
};

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
	if (n < 0 || (size_t)n >= sizeof(p->hooksdir))
		goto out;
	if (default_mint == NULL)
		default_mint = CV_HOOKDIR "/oauth2-mint";
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
	return hash_str(HASH_INIT, name) % POLICY_BUCKETS;
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

	mutex_lock(&p->mu);
	for (i = 0; i < POLICY_BUCKETS; i++) {
		for (s = p->table[i]; s != NULL; s = next) {
			next = s->next;
			s->next = NULL;
			policy_unref(s); /* the table's reference */
		}
		p->table[i] = NULL;
	}
	p->epoch++;
	mutex_unlock(&p->mu);
}

uint64_t
policy_epoch(struct policy *p)
{
	uint64_t e;

	mutex_lock(&p->mu);
	e = p->epoch;
	mutex_unlock(&p->mu);
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
	if (strcmp(name, POLICY_ADMIN_NAME) == 0)
		r = stack_load_admin(p->hooksdir, p->owner, &s->st, s->problem,
		    sizeof(s->problem));
	else
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
	mutex_lock(&p->mu);
	for (s = p->table[h]; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0) {
			s->refs++;
			*out = s;
			mutex_unlock(&p->mu);
			return 0;
		}
	mutex_unlock(&p->mu);
	if ((loaded = policy_load(p, name)) == NULL)
		return CV_E_NOMEM;
	if (!keep) {
		*out = loaded;
		return 0;
	}
	mutex_lock(&p->mu);
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
	mutex_unlock(&p->mu);
	return 0;
}

void
policy_put(struct policy *p, struct policy_stack **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	mutex_lock(&p->mu);
	policy_unref(*sp);
	mutex_unlock(&p->mu);
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

/* Runner callbacks: what each module did, by stack entry. */
static void
policy_note_fault(void *arg, const struct stack_entry *e,
    enum runner_fault f)
{
	struct policy_run *run = arg;

	run->fault[e - run->st->entries] = f;
}

static void
policy_log(void *arg, const struct stack_entry *e, enum proto_result r,
    const char *msg, const char *hook_stderr)
{
	const struct policy_run *run = arg;

	(void)r;
	log_debug("%s line %u: %s%s%s", run->st->file, e->line, msg,
	    hook_stderr[0] != '\0' ? "; stderr: " : "", hook_stderr);
}

/* Run phase of st with ctx and the policy's own fields; *fault is how
 * the deciding module went wrong. */
static void
policy_eval_ctx(const struct policy *p, const struct stack *st,
    enum proto_phase phase, const struct runner_ctx *ctx, struct stack_verdict *v,
    enum runner_fault *fault)
{
	struct policy_run run;
	struct runner_ctx c = *ctx;

	memset(&run, 0, sizeof(run));
	run.st = st;
	c.owner = p->owner;
	c.timeout_ms = p->timeout_ms;
	c.log = policy_log;
	c.fault = policy_note_fault;
	c.arg = &run;
	runner_run(st, phase, &c, v);
	*fault = v->decisive < st->n ? run.fault[v->decisive] :
	    RUNNER_FAULT_NONE;
}

static void
policy_eval(const struct policy *p, const struct stack *st,
    enum proto_phase phase, const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct stack_verdict *v,
    enum runner_fault *fault)
{
	struct runner_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.request = request;
	ctx.peer = peer;
	ctx.scope = scope;
	policy_eval_ctx(p, st, phase, &ctx, v, fault);
}

void
policy_authorize(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct policy_outcome *out)
{
	struct stack_verdict v;
	enum runner_fault fault;

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

int
policy_get_admin(struct policy *p, struct policy_stack **out)
{
	return policy_get(p, POLICY_ADMIN_NAME, 1, out);
}

void
policy_admin(struct policy *p, const struct policy_stack *s,
    const struct policy_admin_ask *ask, struct policy_outcome *out)
{
	struct stack_verdict v;
	struct runner_ctx ctx;
	enum runner_fault fault;

	memset(out, 0, sizeof(*out));
	out->verdict = POLICY_DENY;
	/* The agent's own uid (and root) own the files: they may anyway. */
	if (ask->peer->uid == p->agent_uid || ask->peer->uid == 0) {
		out->verdict = POLICY_ALLOW;
		cv_why(out->reason, sizeof(out->reason), "the agent's own uid%s",
		    ask->peer->uid == 0 ? " or root" : "");
		return;
	}
	if (s->unusable) {
		cv_why(out->reason, sizeof(out->reason), "%s", s->problem);
		return;
	}
	if (s->st == NULL || !stack_has_phase(s->st, PROTO_ADMIN)) {
		cv_why(out->reason, sizeof(out->reason), "no admin rule (%s): "
		    "only uid %lu administers", s->st == NULL ? "no "
		    "hooks.d/admin" : "no admin line in hooks.d/admin",
		    (unsigned long)p->agent_uid);
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.request = ask->request;
	ctx.peer = ask->peer;
	ctx.op = ask->op;
	ctx.record = ask->record;
	ctx.passphrase = ask->passphrase;
	ctx.passphrase_arg = ask->passphrase_arg;
	policy_eval_ctx(p, s->st, PROTO_ADMIN, &ctx, &v, &fault);
	if (v.result == PROTO_SUCCESS)
		out->verdict = POLICY_ALLOW;
	cv_why(out->reason, sizeof(out->reason), "%s",
	    v.result == PROTO_SUCCESS ? "admin stack allowed" : v.reason);
	stack_verdict_clear(&v);
}

/* The failure class of a failed mint verdict. */
static void
policy_mint_class(const struct stack_verdict *v, enum runner_fault fault,
    char *cls, size_t clslen)
{
	struct proto_error_reply er;

	if (v->result == PROTO_ERROR) {
		cv_why(cls, clslen, "%s", fault == RUNNER_FAULT_TIMEOUT ?
		    "hook_timeout" : fault == RUNNER_FAULT_REFUSED ?
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
	enum runner_fault fault;
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
	/* A success always carries a reply (runner_run). */
	policy_eval(p, st, PROTO_MINT, peer, scope, request, &v, &fault);
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
	enum runner_fault fault;

	memset(v, 0, sizeof(*v));
	v->result = PROTO_FAIL;
	v->decisive = SIZE_MAX;
	if (s->st == NULL || !stack_has_phase(s->st, phase))
		return CV_E_NOTFOUND;
	policy_eval(p, s->st, phase, NULL, "", request, v, &fault);
	return 0;
}


/* ---- explain ------------------------------------------------------------ */

struct policy_explain_run {
	const struct stack *st;
	struct policy_explanation *ex;
	int dry;
};

static void
policy_explain_log(void *arg, const struct stack_entry *e,
    enum proto_result r, const char *msg, const char *hook_stderr)
{
	struct policy_explain_run *run = arg;
	struct policy_explanation *ex = run->ex;
	struct policy_trace *t;
	size_t skip, i;

	log_debug("explain: %s line %u: %s%s%s", run->st->file, e->line, msg,
	    hook_stderr[0] != '\0' ? "; stderr: " : "", hook_stderr);
	if (ex->n == CV_STACK_LINES_MAX)
		return;
	t = &ex->trace[ex->n++];
	t->line = e->line;
	t->control = stack_control_name(e->control);
	t->module = e->path;
	t->nargs = e->nargs;
	for (i = 0; i < e->nargs; i++)
		t->args[i] = e->args[i];
	t->result = r;
	t->ran = !run->dry || e->module != STACK_MODULE_EXEC;
	/* msg is "phase control module: result[; why]": keep the why. */
	skip = strlen(proto_phase_name(e->phase)) + strlen(t->control) +
	    strlen(e->path) + 4 + strlen(proto_result_name(r));
	if (strlen(msg) > skip + 2 && strncmp(msg + skip, "; ", 2) == 0)
		cv_why(t->why, sizeof(t->why), "%s", msg + skip + 2);
}

/* The module that decided, as stack_eval() decides: on success the first
 * that succeeded while nothing had failed (PAM's grantor), on failure the
 * first required or requisite one that failed. */
static size_t
policy_explain_decisive(const struct policy_explanation *ex,
    enum proto_result verdict)
{
	const struct policy_trace *t;
	size_t i;
	int bad;

	for (i = 0; i < ex->n; i++) {
		t = &ex->trace[i];
		bad = (t->result == PROTO_FAIL || t->result == PROTO_ERROR) &&
		    (strcmp(t->control, "required") == 0 ||
		    strcmp(t->control, "requisite") == 0);
		if (bad)
			return verdict == PROTO_SUCCESS ? SIZE_MAX : i;
		if (t->result == PROTO_SUCCESS && verdict == PROTO_SUCCESS)
			return i;
	}
	return SIZE_MAX;
}

/* One evaluation of the authorize phase into ex; its verdict. */
static enum proto_result
policy_explain_pass(struct policy *p, const struct stack *st,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, int dry, enum proto_result assume,
    struct policy_explanation *ex)
{
	struct policy_explain_run run = { st, ex, dry };
	struct stack_verdict v;
	struct runner_ctx ctx;
	enum proto_result r;
	size_t i;

	ex->n = 0;
	ex->not_run = 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.owner = p->owner;
	ctx.timeout_ms = p->timeout_ms;
	ctx.request = request;
	ctx.peer = peer;
	ctx.scope = scope;
	ctx.dry_run = dry;
	ctx.dry_result = assume;
	ctx.log = policy_explain_log;
	ctx.arg = &run;
	runner_run(st, PROTO_AUTHORIZE, &ctx, &v);
	r = v.result;
	cv_why(ex->reason, sizeof(ex->reason), "%s", r == PROTO_SUCCESS ?
	    "authorize stack allowed" : v.reason);
	stack_verdict_clear(&v);
	for (i = 0; i < ex->n; i++)
		if (!ex->trace[i].ran)
			ex->not_run++;
	ex->decisive = policy_explain_decisive(ex, r);
	return r;
}

void
policy_explain(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, int run_hooks,
    struct policy_explanation *out)
{
	enum proto_result fails, succeeds;

	memset(out, 0, sizeof(*out));
	out->verdict = POLICY_EXPLAIN_DENY;
	out->decisive = SIZE_MAX;
	/* The same order of rules as policy_authorize(). */
	if (s->unusable) {
		out->rule = "unusable stack file";
		cv_why(out->reason, sizeof(out->reason), "%s", s->problem);
		return;
	}
	if (s->st == NULL || !stack_has_phase(s->st, PROTO_AUTHORIZE)) {
		out->file = s->st != NULL ? s->st->file : NULL;
		out->rule = s->st == NULL ? "no stack file" :
		    "no authorize line";
		if (peer->uid == p->agent_uid)
			out->verdict = POLICY_EXPLAIN_ALLOW;
		cv_why(out->reason, sizeof(out->reason), "no authorize rule "
		    "(%s): only uid %lu is allowed", out->rule,
		    (unsigned long)p->agent_uid);
		return;
	}
	out->file = s->st->file;
	out->rule = "stack";
	if (run_hooks) {
		out->verdict = policy_explain_pass(p, s->st, peer, scope,
		    request, 0, PROTO_SUCCESS, out) == PROTO_SUCCESS ?
		    POLICY_EXPLAIN_ALLOW : POLICY_EXPLAIN_DENY;
		return;
	}
	succeeds = policy_explain_pass(p, s->st, peer, scope, request, 1,
	    PROTO_SUCCESS, out);
	if (out->not_run == 0) {
		out->verdict = succeeds == PROTO_SUCCESS ?
		    POLICY_EXPLAIN_ALLOW : POLICY_EXPLAIN_DENY;
		return;
	}
	fails = policy_explain_pass(p, s->st, peer, scope, request, 1,
	    PROTO_FAIL, out);
	if (fails == PROTO_SUCCESS) {
		out->verdict = POLICY_EXPLAIN_ALLOW; /* even if hooks fail */
		return;
	}
	/* Report the pass with the hooks succeeding. */
	(void)policy_explain_pass(p, s->st, peer, scope, request, 1,
	    PROTO_SUCCESS, out);
	if (succeeds == PROTO_SUCCESS) {
		out->verdict = POLICY_EXPLAIN_UNDECIDED;
		cv_why(out->reason, sizeof(out->reason), "allowed if the "
		    "hooks that were not run succeed, denied if they fail");
	}
}
