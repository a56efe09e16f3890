/* SPDX-License-Identifier: MIT */
/* Hook runs on a worker: authorize, and mint (rotating where allowed). */
#ifndef CV_AGENT_JOBS_HOOKRUN_H
#define CV_AGENT_JOBS_HOOKRUN_H

#include <stdint.h>

#include "agent/jobs/guard.h"
#include "agent/jobs/pool.h"
#include "hooks/peer_ident.h"
#include "hooks/policy.h"
#include "base/limits.h"

enum hookrun_kind {
	HOOKRUN_AUTHORIZE, /* the authorize stack, with executables */
	HOOKRUN_MINT,      /* the mint stack, or the default mint */
};

/*
 * One hook run, embedded (first member) in the caller's job.  The caller
 * fills the inputs, sets pj.done and pj.cancel (pool.h) and submits
 * &h->pj; the worker fills the outputs.  For a mint: when the secret is
 * past its policy's max age (due) it is rotated first; when the provider
 * rejects it (invalid_client) it is rotated where the record's policy
 * allows, and the token is minted with the new secret (rotated set; the
 * caller forgets what it knew of the record).
 */
struct hookrun {
	struct pool_job pj;
	/* In; request, stack and guard are owned as hookrun_clear() says. */
	enum hookrun_kind kind;
	struct policy *policy;      /* borrowed */
	struct policy_stack *stack; /* a reference */
	struct guard *guard;        /* borrowed, for rotation */
	struct secbuf *request;     /* the encoded hook request: wiped when
	                               the hooks have run */
	struct peer_ident peer;
	char name[CV_NAME_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	uint32_t gen; /* mint: the generation the request carries */
	int due;      /* mint: its policy wants it rotated for its age */
	/* Out. */
	struct policy_outcome out; /* out.mint holds the token, if any */
	int rotated;
	int64_t started_ms; /* mint: when it started (monotonic) */
};

/* Zero h and point its run() at the hook runner. */
void hookrun_init(struct hookrun *h, enum hookrun_kind kind);

/* Release what h owns (request, stack reference, outcome, token). */
void hookrun_clear(struct hookrun *h);

/* Monotonic milliseconds, the clock of started_ms. */
int64_t hookrun_now_ms(void);

#endif
