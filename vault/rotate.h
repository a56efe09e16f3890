/* SPDX-License-Identifier: MIT */
/* Rotation: write-once generations, each step committed and resumable. */
#ifndef CV_VAULT_ROTATE_H
#define CV_VAULT_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/secmem.h"
#include "vault/vault.h"

#define ROTATE_ERR_MAX 256

/*
 * What talks to the provider, implemented above vault/ (hooks).  Each
 * returns 0 or a CV_E_* code with a secret-free reason in err.  Any of
 * them may be called again for the same step after a crash, so each must
 * be safe to repeat: create replaces an earlier client of the same name,
 * retire treats "already gone" as done.
 */
struct rotate_ops {
	/* Create a new API client called client_name with r's scopes; its id
	 * into client_id (cap bytes), its secret into secret. */
	int (*create)(void *ctx, const struct record *r,
	    const char *client_name, uint32_t generation, char *client_id,
	    size_t cap, struct secbuf *secret, char *err, size_t errlen);
	/* Prove that a generation works: mint a token with it. */
	int (*verify)(void *ctx, const struct record *r,
	    const struct generation *g, char *err, size_t errlen);
	/* Delete the API client of an old generation upstream. */
	int (*retire)(void *ctx, const struct record *r,
	    const struct generation *g, char *err, size_t errlen);
	/* Tell someone (never blocks or fails the rotation); may be NULL. */
	void (*notify)(void *ctx, const char *name, const char *event,
	    const char *detail);
	void *ctx;
};

struct rotate_result {
	uint32_t from;      /* active generation before */
	uint32_t to;        /* active generation after (== from if none) */
	int already;        /* another process rotated past `from` first */
	int resumed;        /* an interrupted rotation was continued */
	int deleted;        /* rotate_abort: a pending client was deleted */
	char err[ROTATE_ERR_MAX]; /* what failed, secret-free */
};

/*
 * Rotate name automatically, or resume an interrupted rotation.  With
 * from_generation != 0, nothing new is started if the active generation is
 * no longer that one (someone rotated first): res->already is set and 0
 * returned.  Rotations of one vault are serialised across processes and
 * threads.  CV_E_UPSTREAM when a hook or the provider failed: the step
 * reached is committed, the working secret stays active, and running
 * rotate_run again continues from there.
 */
int rotate_run(struct vault *v, const char *name, uint32_t from_generation,
    const struct rotate_ops *ops, struct rotate_result *res)
    __attribute__((warn_unused_result));

/*
 * Manual rotation: a human created a new client (or secret) by hand.  The
 * new generation becomes active at once; the old one is retired (its
 * client is not deleted: the human does that).  client_id NULL keeps the
 * active generation's client id.  CV_E_REFUSED while an automated rotation
 * is pending.
 */
int rotate_manual(struct vault *v, const char *name, const char *client_id,
    const struct secbuf *secret, struct rotate_result *res)
    __attribute__((warn_unused_result));

/*
 * Abandon an interrupted automated rotation: a pending generation's client
 * is deleted upstream through ops->retire and the generation dropped.
 * Not possible once the new generation is active (finish it instead).
 */
int rotate_abort(struct vault *v, const char *name,
    const struct rotate_ops *ops, struct rotate_result *res)
    __attribute__((warn_unused_result));

/* Wipe retired secrets whose grace period is over (audited). */
int rotate_wipe_expired(struct vault *v, const char *name)
    __attribute__((warn_unused_result));

/* 1 when r's policy asks for an age-triggered rotation at time now. */
int rotate_is_due(const struct record *r, int64_t now);

#endif
