/* SPDX-License-Identifier: MIT */
/* Runs a stack's modules: the built-in peer rule, or executables. */
#include "hooks/runner.h"

#include <stdio.h>
#include <string.h>

#include "hooks/exec.h"
#include "base/err.h"
#include "base/log.h"
#include "base/banned.h"

struct runner_arg {
	enum proto_phase phase;
	const struct runner_ctx *ctx;
};

static void
runner_fault(const struct runner_ctx *ctx, const struct stack_entry *e,
    enum runner_fault f)
{
	if (ctx->fault != NULL)
		ctx->fault(ctx->arg, e, f);
}

/* Whether a successful module's stdout is a well-formed reply. */
static int
runner_reply_ok(enum proto_phase phase, const struct secbuf *out, char *why,
    size_t whylen)
{
	struct proto_mint_reply m;
	struct proto_rotate_reply rot;
	int r;

	if (phase == PROTO_MINT) {
		r = proto_mint_decode(out->data, out->len, &m, why, whylen);
		proto_mint_reply_clear(&m);
	} else {
		r = proto_rotate_decode(out->data, out->len, &rot, why, whylen);
		proto_rotate_reply_clear(&rot);
	}
	return r == 0;
}

/* Run one executable module; its reply (if kept) into *reply. */
static enum proto_result
runner_exec(const struct runner_arg *a, const struct stack_entry *e,
    struct exec_result *res, struct secbuf **reply, char *why, size_t whylen)
{
	const struct runner_ctx *ctx = a->ctx;
	struct exec_opts opts;
	struct proto_error_reply er;
	char dwhy[CV_HOOK_REASON_MAX];
	enum proto_result r;
	int rc;

	memset(&opts, 0, sizeof(opts));
	opts.owner = ctx->owner;
	opts.timeout_ms = ctx->timeout_ms;
	opts.sha256 = e->pinned ? e->sha256 : NULL;
	rc = exec_run(e->path, e->args, e->nargs, ctx->request, &opts, res,
	    why, whylen);
	if (rc != 0) {
		runner_fault(ctx, e, rc == CV_E_PERM || rc == CV_E_NOTFOUND ||
		    rc == CV_E_INVALID ? RUNNER_FAULT_REFUSED :
		    RUNNER_FAULT_ERROR);
		return PROTO_ERROR;
	}
	r = res->result;
	if (r == PROTO_ERROR) {
		runner_fault(ctx, e, res->timed_out ? RUNNER_FAULT_TIMEOUT :
		    RUNNER_FAULT_ERROR);
		return r;
	}
	if (r == PROTO_SUCCESS && proto_phase_has_reply(a->phase)) {
		if (!runner_reply_ok(a->phase, res->out, dwhy, sizeof(dwhy))) {
			cv_why(why, whylen, "hook '%s' printed a bad %s "
			    "reply: %s", e->path, proto_phase_name(a->phase),
			    dwhy);
			runner_fault(ctx, e, RUNNER_FAULT_ERROR);
			return PROTO_ERROR;
		}
		*reply = res->out;
		res->out = NULL; /* transferred */
	} else if (r == PROTO_FAIL && res->out->len > 0 &&
	    proto_error_decode(res->out->data, res->out->len, &er, NULL,
	    0) == 0) {
		*reply = res->out;
		res->out = NULL; /* transferred */
		cv_why(why, whylen, "hook '%s' denied (exit 1): %s%s%s",
		    e->path, er.error, er.description[0] != '\0' ? ": " : "",
		    er.description);
	} else if (r == PROTO_FAIL) {
		cv_why(why, whylen, "hook '%s' denied (exit 1)", e->path);
	}
	return r;
}

/* Length of the first line of p[0..n). */
static size_t
runner_first_line(const char *p, size_t n)
{
	const char *nl = p != NULL ? memchr(p, '\n', n) : NULL;

	return p == NULL ? 0 : nl != NULL ? (size_t)(nl - p) : n;
}

static enum proto_result
runner_one(void *arg, const struct stack_entry *e, struct secbuf **reply,
    char *why, size_t whylen)
{
	const struct runner_arg *a = arg;
	const struct runner_ctx *ctx = a->ctx;
	struct exec_result res;
	char msg[CV_HOOK_REASON_MAX + 64];
	char errline[RUNNER_STDERR_LOG_MAX + 1];
	enum proto_result r;

	*reply = NULL;
	memset(&res, 0, sizeof(res));
	if (e->module == STACK_MODULE_PEER) {
		struct peer_ask ask = { ctx->scope, ctx->op, ctx->record };

		r = peer_rule_match(&e->peer, ctx->peer, &ask, why, whylen);
	} else if (e->module == STACK_MODULE_PASSPHRASE) {
		r = PROTO_FAIL;
		if (ctx->passphrase != NULL)
			r = ctx->passphrase(ctx->passphrase_arg, e, why, whylen);
		else
			cv_why(why, whylen, "passphrase: nobody to ask");
	} else if (ctx->dry_run) {
		r = ctx->dry_result;
		cv_why(why, whylen, "not run (taken as %s)",
		    proto_result_name(r));
	} else
		r = runner_exec(a, e, &res, reply, why, whylen);
	if (ctx->log != NULL) {
		(void)snprintf(msg, sizeof(msg), "%s %s %s: %s%s%s",
		    proto_phase_name(e->phase), stack_control_name(e->control),
		    e->path, proto_result_name(r), why[0] != '\0' ? "; " : "",
		    why);
		log_clean(errline, sizeof(errline), res.err,
		    runner_first_line(res.err, res.err_len));
		ctx->log(ctx->arg, e, r, msg, errline);
		secmem_wipe(errline, sizeof(errline));
	}
	exec_result_clear(&res);
	return r;
}

void
runner_run(const struct stack *st, enum proto_phase phase,
    const struct runner_ctx *ctx, struct stack_verdict *v)
{
	struct runner_arg a = { phase, ctx };
	struct stack_runner runner = { runner_one, &a };

	stack_eval(st, phase, &runner, v);
	if (v->result == PROTO_SUCCESS && proto_phase_has_reply(phase) &&
	    v->reply == NULL) {
		v->result = PROTO_ERROR;
		cv_why(v->reason, sizeof(v->reason), "%s: no module printed "
		    "a %s reply", st->file, proto_phase_name(phase));
	}
}
