/* SPDX-License-Identifier: MIT */
/* The agent's unlocked vault: one handle, clones for workers, one lock. */
#ifndef CV_AGENT_JOBS_GUARD_H
#define CV_AGENT_JOBS_GUARD_H

#include "vault/vault.h"

/*
 * Everything in the agent reaches the vault through its guard.  The
 * guard owns the agent's handle (used by one thread at a time, under the
 * guard's lock) and knows every clone it made for a worker, so that
 * locking wipes the keys of all of them at once: a worker's call in
 * progress finishes, its next one fails with CV_E_LOCKED.  Whether the
 * agent is locked is read and written under that same lock.  Every
 * function is thread-safe.
 */
struct guard;

/* A guard for v, taken over whatever happens (NULL or a locked vault: a
 * guard that is locked from the start).  Free with guard_free(). */
int guard_new(struct vault *v, struct guard **out)
    __attribute__((warn_unused_result));

/* Lock (if not yet) and free the vault and the guard; every clone must
 * have been released.  Accepts NULL; sets *gp to NULL. */
void guard_free(struct guard **gp);

int guard_is_locked(struct guard *g);

/*
 * Run fn on the agent's own handle under the guard's lock, for short
 * calls (a record read, an audit commit).  CV_E_LOCKED when locked, else
 * what fn returned.
 */
int guard_run(struct guard *g, int (*fn)(struct vault *v, void *ctx),
    void *ctx) __attribute__((warn_unused_result));

/* A clone of the vault for the calling thread (vault_clone()), until
 * guard_release().  CV_E_LOCKED when locked. */
int guard_clone(struct guard *g, struct vault **out)
    __attribute__((warn_unused_result));
void guard_release(struct guard *g, struct vault **cp);

/* Lock: append last (may be NULL) to the audit log, then wipe the keys
 * of the handle and of every clone.  Idempotent. */
void guard_lock(struct guard *g, const struct audit_entry *last);

#endif
