/* SPDX-License-Identifier: MIT */
/* An admin request on a worker: the admin stack, then the operation. */
#ifndef CV_AGENT_JOBS_ADMINRUN_H
#define CV_AGENT_JOBS_ADMINRUN_H

#include <stdint.h>

#include <jansson.h>

#include "agent/jobs/guard.h"
#include "agent/jobs/pool.h"
#include "crypto/secmem.h"
#include "hooks/peer_ident.h"
#include "hooks/policy.h"
#include "base/limits.h"

/*
 * Who proved which keyslot's passphrase, and when: the `passphrase`
 * module's timestamps (like sudo's), per uid and keyslot, in memory
 * only, forgotten when the agent locks.  Thread-safe.
 */
struct admin_proofs;
int admin_proofs_new(struct admin_proofs **out)
    __attribute__((warn_unused_result));
void admin_proofs_free(struct admin_proofs **pp);
void admin_proofs_clear(struct admin_proofs *p);

/* How a request ended, for the broker's reply, log and audit. */
enum adminrun_outcome {
	ADMINRUN_DONE = 0,      /* the operation ran (ok or failed): reply */
	ADMINRUN_BAD_REQUEST,   /* malformed: reply failed bad_request */
	ADMINRUN_UNSUPPORTED,   /* no such command */
	ADMINRUN_DENIED,        /* the admin stack said no */
	ADMINRUN_PROOF_NEEDED,  /* a passphrase line wants a proof */
	ADMINRUN_PROOF_WRONG,   /* the proof did not open the keyslot */
};

/*
 * One admin request, embedded (first member) in the caller's job.  The
 * caller fills the inputs, sets pj.done and pj.cancel (pool.h) and
 * submits &a->pj; the worker parses the body, runs the admin stack
 * (policy_admin()) and, when it allows, the operation (admin_ops.h) on a
 * clone of the vault with the peer as the audit actor, and builds the
 * whole reply object (docs/protocol.md, "admin") for the broker to send.
 */
struct adminrun {
	struct pool_job pj;
	/* In (borrowed but body, which the job owns and wipes). */
	struct guard *guard;
	struct policy *policy;
	struct admin_proofs *proofs;
	struct peer_ident peer;
	struct secbuf *body;                /* the request body */
	/* Out. */
	enum adminrun_outcome outcome;
	char cmd[33];
	char op[33];                  /* for the admin stack; "" for none */
	char record[CV_NAME_MAX + 1]; /* the record it was on, or "" */
	char keyslot[CV_LABEL_MAX + 1]; /* the keyslot the peer proved, or "" */
	char actor[CV_AUDIT_FIELD_MAX + 1]; /* who asked, as audited */
	char reason[CV_HOOK_REASON_MAX + 128]; /* for the log */
	int err;                      /* the operation's, ADMINRUN_DONE */
	json_t *reply;                /* the reply object (may hold a secret) */
};

/* Zero a and point its run() at the admin runner. */
void adminrun_init(struct adminrun *a);

/* Release what a owns (body, reply). */
void adminrun_clear(struct adminrun *a);

#endif
