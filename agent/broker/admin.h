/* SPDX-License-Identifier: MIT */
/* The admin service: members administer the vault through the agent. */
#ifndef CV_AGENT_BROKER_ADMIN_H
#define CV_AGENT_BROKER_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "agent/broker/audit_queue.h"
#include "agent/broker/session.h"
#include "agent/jobs/guard.h"
#include "agent/jobs/pool.h"
#include "hooks/policy.h"

/*
 * Every admin request (docs/protocol.md, "admin") runs on a hook worker,
 * never on the event loop: the admin stack may run executables or check
 * a passphrase (Argon2id), and an operation may take long (a bulk
 * import).  At most CV_HOOKS_PER_RECORD_MAX admin requests run at once,
 * so they never take the workers from token requests.  Denials are
 * audited through the audit queue; what an operation changes, the vault
 * audits with the peer as the actor.
 */
struct admin;

/* Everything borrowed; policy, pool and audit may be NULL (a broker
 * locked from the start: every request is answered "locked"). */
int admin_new(struct guard *g, struct policy *p, struct pool *pool,
    struct audit_queue *audit, struct sessions *sessions,
    struct admin **out) __attribute__((warn_unused_result));
void admin_free(struct admin **ap);

/* Start the request body (len bytes) of s: 1 (the reply comes later) or
 * 0 with the reply in s (busy, locked). */
int admin_op(struct admin *ad, struct session *s, const unsigned char *body,
    size_t len);

/* Admin requests denied and rotations done through the agent since the
 * start (status; loop thread). */
void admin_counts(const struct admin *ad, uint64_t *denials,
    uint64_t *rotations);

/* Forget every passphrase proof (the agent locks). */
void admin_lock(struct admin *ad);

#endif
