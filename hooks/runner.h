/* SPDX-License-Identifier: MIT */
/* The one runner of hook stacks: real modules, for the agent and the CLI. */
#ifndef CV_HOOKS_RUNNER_H
#define CV_HOOKS_RUNNER_H

#include <stddef.h>
#include <sys/types.h>

#include "crypto/secmem.h"
#include "hooks/peer_ident.h"
#include "hooks/proto.h"
#include "hooks/stack.h"

#define RUNNER_STDERR_LOG_MAX 256

/* How a module went wrong, beyond its result, for failure classes. */
enum runner_fault {
	RUNNER_FAULT_NONE = 0,
	RUNNER_FAULT_REFUSED, /* its path or pin check refused it */
	RUNNER_FAULT_TIMEOUT, /* killed at its deadline */
	RUNNER_FAULT_ERROR,   /* crashed, odd exit, overflow, bad reply */
};

/* What runner_run() needs to run real modules.  Everything is borrowed. */
struct runner_ctx {
	uid_t owner;                   /* vault owner; see exec_opts */
	unsigned timeout_ms;           /* per hook; 0: CV_HOOK_TIMEOUT_MS */
	const struct secbuf *request;  /* proto_request_encode() for this phase */
	const struct peer_ident *peer; /* for `peer`; NULL: it fails */
	const char *scope;             /* effective requested scopes, for `peer` */
	const char *op;                /* admin: the operation asked for */
	const char *record;            /* admin: the record it is on, or "" */
	/*
	 * `passphrase` lines (admin): whether the peer proved the passphrase
	 * of its keyslot as e->pass says; NULL: they fail.  Called on the
	 * runner's thread; why says what failed (never the passphrase).
	 */
	enum proto_result (*passphrase)(void *arg, const struct stack_entry *e,
	    char *why, size_t whylen);
	void *passphrase_arg;
	/*
	 * A dry run (credvault explain): executables are not run and count
	 * as dry_result; built-in modules run as always.
	 */
	int dry_run;
	enum proto_result dry_result;
	/*
	 * Optional: called once per module run with a one-line summary
	 * (phase, control, module, result, reason; never a secret) and the
	 * first line of the hook's stderr ("" if none; control bytes shown
	 * as '?', at most RUNNER_STDERR_LOG_MAX bytes).  Hook stderr is the
	 * hook author's text: hooks must not print secrets there.
	 */
	void (*log)(void *arg, const struct stack_entry *e,
	    enum proto_result r, const char *msg, const char *hook_stderr);
	/* Optional: called for each module that faulted (never with
	 * RUNNER_FAULT_NONE), before the stack goes on. */
	void (*fault)(void *arg, const struct stack_entry *e,
	    enum runner_fault f);
	void *arg; /* for log and fault */
};

/*
 * stack_eval() with real modules: `peer` runs peer_rule_match(),
 * `passphrase` asks ctx->passphrase, executables run through exec_run()
 * with their pin.  For mint and rotate
 * a successful module's stdout must decode as a mint or rotate reply, or
 * the module counts as PROTO_ERROR; a successful verdict without a reply
 * becomes PROTO_ERROR.  For other phases stdout is discarded.  A failing
 * module's stdout is kept only when it decodes as an error object.  v is
 * the caller's to release with stack_verdict_clear().
 */
void runner_run(const struct stack *st, enum proto_phase phase,
    const struct runner_ctx *ctx, struct stack_verdict *v);

#endif
