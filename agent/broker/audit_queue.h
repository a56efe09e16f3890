/* SPDX-License-Identifier: MIT */
/* Group commit of the agent's audit entries (token issues and denials). */
#ifndef CV_AGENT_BROKER_AUDIT_QUEUE_H
#define CV_AGENT_BROKER_AUDIT_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/jobs/guard.h"

/*
 * Entries are queued in memory and committed by a thread of their own in
 * one vault_audit_append() transaction: at the latest CV_AGENT_AUDIT_DELAY_MS
 * after the oldest queued entry, as soon as CV_AGENT_AUDIT_BATCH_MAX
 * distinct entries wait, and on audit_queue_flush().  Identical entries (same
 * actor, action, record and result) queued within one batch become one
 * entry whose result says how many times it happened ("issued (37 times)"),
 * time-stamped with the first.  So if the agent is killed without warning
 * (SIGKILL, power loss), at most the last CV_AGENT_AUDIT_DELAY_MS of
 * entries are lost; SIGTERM, lock and the idle lifetime flush first.
 *
 * The guard g is borrowed and must outlive the queue; commits go through
 * guard_run().  While the guard is locked nothing is queued (nothing
 * could be committed).  All functions are thread-safe.
 */
struct audit_queue;

int audit_queue_new(struct guard *g, struct audit_queue **out)
    __attribute__((warn_unused_result));

/* Flush, stop the thread and free; accepts NULL, sets *qp to NULL. */
void audit_queue_free(struct audit_queue **qp);

/*
 * Queue one entry (strings are copied, truncated to CV_AUDIT_FIELD_MAX).
 * time is Unix seconds.  CV_E_BUSY when CV_AGENT_AUDIT_PENDING_MAX
 * distinct entries wait because commits fail or lag: the caller must then
 * not do what it wanted to audit (fail closed).
 */
int audit_queue_add(struct audit_queue *q, const char *actor, const char *action,
    const char *record, const char *result, int64_t time)
    __attribute__((warn_unused_result));

/* Entries waiting to be committed (queued, and in a commit under way). */
size_t audit_queue_depth(struct audit_queue *q);

/* Commit everything queued so far and wait for it; 0 or the vault's
 * error (the entries stay queued for the next try). */
int audit_queue_flush(struct audit_queue *q) __attribute__((warn_unused_result));

#endif
