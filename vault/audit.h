/* SPDX-License-Identifier: MIT */
/* The audit log: sealed entries chained by a MAC under the audit subkey. */
#ifndef CV_VAULT_AUDIT_H
#define CV_VAULT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/seal.h"
#include "vault/store.h"

/* Field texts are borrowed; decoded entries point into a buffer that lives
 * until the visit callback returns. */
struct audit_entry {
	uint64_t seq;
	int64_t time;
	const char *actor;
	const char *action;
	const char *record; /* "" when the entry concerns no record */
	const char *result;
};

/* Keys for one vault; kept in locked memory by the caller. */
struct audit_keys {
	unsigned char mac[SEAL_KEY_BYTES];
	unsigned char seal[SEAL_KEY_BYTES];
	unsigned char vault_id[16];
};

/* Append e (its seq is assigned) inside the write transaction t. */
int audit_append(struct store_txn *t, const struct audit_keys *k,
    const struct audit_entry *e) __attribute__((warn_unused_result));

/*
 * Append many entries with one read and one write of the chain head:
 * audit_batch_begin, audit_batch_put for each entry, audit_batch_end (which
 * must run before the transaction commits, or the entries are rejected by
 * audit_verify as unchained).
 */
struct audit_batch {
	struct store_txn *t;
	const struct audit_keys *k;
	uint64_t seq;
	unsigned char last[SEAL_MAC_BYTES];
};
int audit_batch_begin(struct audit_batch *b, struct store_txn *t,
    const struct audit_keys *k) __attribute__((warn_unused_result));
int audit_batch_put(struct audit_batch *b, const struct audit_entry *e)
    __attribute__((warn_unused_result));
int audit_batch_end(struct audit_batch *b) __attribute__((warn_unused_result));

/*
 * Walk the whole chain from entry 1 to the authenticated head, checking
 * every MAC, the sequence and the head.  fn (may be NULL) sees each entry
 * in order.  CV_E_INTEGRITY with *bad_seq at the first broken entry (0 for
 * the head itself).
 */
typedef int (*audit_visit_fn)(const struct audit_entry *e, void *ctx);
int audit_verify(struct store_txn *t, const struct audit_keys *k,
    audit_visit_fn fn, void *ctx, uint64_t *bad_seq)
    __attribute__((warn_unused_result));

/* The authenticated head: the last entry's sequence number (0 for an
 * empty log) and chain MAC (zeros for an empty log).  CV_E_INTEGRITY
 * when the head fails its MAC. */
int audit_head_read(struct store_txn *t, const struct audit_keys *k,
    uint64_t *seq, unsigned char last[SEAL_MAC_BYTES])
    __attribute__((warn_unused_result));

/* Reseal and rechain every entry from old keys to new ones (rekey). */
int audit_rekey(struct store_txn *t, const struct audit_keys *old,
    const struct audit_keys *new_keys) __attribute__((warn_unused_result));

#endif
