/* SPDX-License-Identifier: MIT */
/* The agent's policy: each record's stack file, authorize and mint. */
#ifndef CV_HOOKS_POLICY_H
#define CV_HOOKS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/secmem.h"
#include "hooks/peer_ident.h"
#include "hooks/proto.h"
#include "base/limits.h"

/*
 * Stack files are read from DIR/hooks.d (DIR the vault directory) when a
 * record is first asked for, kept, and read again after policy_reload()
 * (SIGHUP).  The rules (DESIGN.md sections 6 and 7):
 *   - no stack file, or no authorize line in it: only the agent's own uid
 *     is authorised ("no stack, no rule");
 *   - a stack file that cannot be used (unsafe permissions, bad syntax)
 *     denies everything for that record;
 *   - no mint line: the shipped oauth2-mint at CV_HOOKDIR mints.
 * A policy_stack is shared and reference-counted: jobs in worker threads
 * keep using the one they started with while a reload installs new ones.
 * Every function is thread-safe.
 */
struct policy;
struct policy_stack;

/*
 * New policy for the vault at vault_dir, whose hooks and stack files may
 * be owned by root or owner; agent_uid is who "no rule" lets in.
 * default_mint is the mint hook used when a stack has none (NULL: the
 * shipped oauth2-mint in the installed libexec directory); timeout_ms is
 * each hook's limit (0: the default).  Free with policy_free().
 */
int policy_new(const char *vault_dir, uid_t owner, uid_t agent_uid,
    const char *default_mint, unsigned timeout_ms, struct policy **out)
    __attribute__((warn_unused_result));
void policy_free(struct policy **pp);

/* Forget every loaded stack file (they are read again on next use). */
void policy_reload(struct policy *p);

/* Counts policy_reload() calls: a decision made under an older epoch may
 * no longer hold. */
uint64_t policy_epoch(struct policy *p);

/*
 * The stack for record name, loaded now or earlier.  With keep 0 it is
 * not remembered (for names that are not records, so that peers cannot
 * fill the table).  Always gives a stack object, which may say "no file"
 * or "unusable" (then why holds the reason, for the log).  Release it
 * with policy_put().  CV_E_NOMEM only.
 */
int policy_get(struct policy *p, const char *name, int keep,
    struct policy_stack **out) __attribute__((warn_unused_result));
void policy_put(struct policy *p, struct policy_stack **sp);

/* Why the stack is unusable ("" when it is usable), for the log. */
const char *policy_stack_problem(const struct policy_stack *s);

/* Whether authorize would run an executable (then it must not run on the
 * event loop). */
int policy_authorize_execs(const struct policy_stack *s);

enum policy_verdict {
	POLICY_ALLOW = 0, /* authorize allowed; mint produced a token */
	POLICY_DENY,      /* authorize refused (also its errors: deny) */
	POLICY_FAIL,      /* mint failed: cls says how */
};

/*
 * The outcome of a phase.  mint is set (and owned) for a successful mint;
 * cls is a failure class (docs/protocol.md) for POLICY_FAIL; reason says
 * what decided, for the log (never a secret).  Clear it with
 * policy_outcome_clear().
 */
struct policy_outcome {
	enum policy_verdict verdict;
	char cls[CV_ERROR_CLASS_MAX + 1];
	char reason[CV_HOOK_REASON_MAX + 128];
	struct proto_mint_reply mint;
};

void policy_outcome_clear(struct policy_outcome *o);

/*
 * Run the authorize phase for peer asking for scope (the effective,
 * normalised scopes), with request the encoded hook request (no secret).
 * out is cleared on entry.
 */
void policy_authorize(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct policy_outcome *out);

/*
 * Run the mint phase (the default mint when the stack has none) with
 * request the encoded hook request carrying the secret.  out is cleared
 * on entry; on POLICY_ALLOW out->mint holds the token.
 */
void policy_mint(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, struct policy_outcome *out);

/*
 * The admin phase.  policy_get_admin() gives the stack of hooks.d/admin
 * (never hooks.d/default), kept like a record's; release it with
 * policy_put().  policy_admin() decides whether ask->peer may run
 * ask->op (proto_admin_op_parse()) on ask->record ("" for none): the
 * agent's own uid and root always may (they own the files); anyone else
 * only when the admin lines of hooks.d/admin allow it ("no admin stack,
 * only the owner").  ask->request is the encoded hook request of the
 * admin phase (no secret); ask->passphrase answers `passphrase` lines
 * (runner_ctx).  out is cleared on entry; POLICY_ALLOW or POLICY_DENY.
 */
struct stack_entry; /* hooks/stack.h */
struct policy_admin_ask {
	const struct peer_ident *peer;
	const char *op;
	const char *record;
	const struct secbuf *request;
	enum proto_result (*passphrase)(void *arg,
	    const struct stack_entry *e, char *why, size_t whylen);
	void *passphrase_arg;
};
int policy_get_admin(struct policy *p, struct policy_stack **out)
    __attribute__((warn_unused_result));
void policy_admin(struct policy *p, const struct policy_stack *s,
    const struct policy_admin_ask *ask, struct policy_outcome *out);

/*
 * credvault explain: the authorize phase of s for peer and scope (the
 * effective, normalised scopes) as a token request would run it, and
 * why.  With run_hooks, executables run for real with request (the
 * encoded authorize request); without, they are not run: the stack is
 * evaluated once with each taken as failing and once as succeeding, and
 * when the two verdicts differ the answer is POLICY_EXPLAIN_UNDECIDED.
 * The trace lists the modules of the pass reported (for a denial the
 * one with hooks succeeding, for an allow the one with hooks failing:
 * the line that decides either way), in the order they ran.  out is
 * cleared on entry.
 */
enum policy_explain_verdict {
	POLICY_EXPLAIN_ALLOW = 0,
	POLICY_EXPLAIN_DENY,
	POLICY_EXPLAIN_UNDECIDED, /* it depends on hooks that were not run */
};

struct policy_trace {
	unsigned line;
	const char *control;      /* static */
	const char *module;       /* "peer" or the hook's path; borrowed from s */
	const char *args[CV_STACK_ARGS_MAX]; /* likewise */
	size_t nargs;
	enum proto_result result;
	int ran;                  /* 0: an executable that was not run */
	char why[CV_HOOK_REASON_MAX];
};

struct policy_explanation {
	enum policy_explain_verdict verdict;
	const char *file;  /* the stack file (borrowed from s), or NULL */
	const char *rule;  /* "stack", "no stack file", "no authorize line",
	                      "unusable stack file" (static) */
	size_t decisive;   /* index in trace of the deciding module, or
	                      SIZE_MAX when none did (the default rule) */
	char reason[CV_HOOK_REASON_MAX + 128];
	size_t n;
	struct policy_trace trace[CV_STACK_LINES_MAX];
	unsigned not_run;  /* executables taken as failing or succeeding */
};

void policy_explain(struct policy *p, const struct policy_stack *s,
    const struct peer_ident *peer, const char *scope,
    const struct secbuf *request, int run_hooks,
    struct policy_explanation *out);

struct stack;          /* hooks/stack.h */
struct stack_verdict;  /* hooks/stack.h */

/* The parsed stack file of s, or NULL when there is none or it is
 * unusable; valid while s is held. */
const struct stack *policy_stack_file(const struct policy_stack *s);

/*
 * Run any phase of s's stack file with request (the encoded hook
 * request), for callers other than the token path (rotation).  `peer`
 * lines fail there (there is no peer).  CV_E_NOTFOUND when the stack file
 * has no line for phase (or there is no usable file); else 0 with the
 * verdict in *v, which the caller releases with stack_verdict_clear().
 * For mint and rotate a success carries the decoded-valid reply.
 */
int policy_run_phase(struct policy *p, const struct policy_stack *s,
    enum proto_phase phase, const struct secbuf *request,
    struct stack_verdict *v) __attribute__((warn_unused_result));

#endif
