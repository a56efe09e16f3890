/* SPDX-License-Identifier: MIT */
/* The state commitment: one authenticated head over the whole vault. */
#ifndef CV_VAULT_STATE_H
#define CV_VAULT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "vault/vault_impl.h"

/*
 * A sealed record, a keyslot or an audit entry put back from an older
 * copy of the vault opens and verifies on its own.  So the vault keeps
 * one head, MAC'd under the meta subkey, that commits to all of the
 * current state at once:
 *
 *   - every record, through a hash tree over the storage keys: 65,536
 *     buckets by the first two bytes of the key, each bucket's hash over
 *     its records (key, length, nonce and tag of the sealed value, which
 *     no other value that opens can share), then four levels of sixteen
 *     children (STORE_STATE holds each inner node as its sixteen child
 *     hashes) up to one root;
 *   - every keyslot, through a commitment per keyslot (its hash, kept in
 *     STORE_STATE) and a digest over the commitments, so that one
 *     keyslot put back is refused while the others keep working;
 *   - the audit log's authenticated head (sequence and chain MAC);
 *   - a counter that grows with every committed change, which a
 *     high-water mark outside the vault checks (vault/hwm.h).
 *
 * A change updates the buckets it touched and their paths in the same
 * transaction: a constant number of reads and writes per record changed,
 * whatever the size of the vault.  Reading a record checks its bucket and
 * path against the head; a record "not found" is checked the same way,
 * so a record lost to damage is damage, never "not found".
 */

#define STATE_SLOTS_NOTED 4 /* more: every keyslot's commitment again */

/* What a write transaction changed, for state_commit().  Owned by the
 * vault handle; reset at the start of every run of a write transaction. */
struct state_txn {
	unsigned char dirty[65536 / 8]; /* buckets whose records changed */
	unsigned char verified[65536 / 8]; /* buckets checked against the head */
	unsigned ndirty;
	int all;   /* every bucket and keyslot (a new vault, an upgrade) */
	int slots; /* the vault check changed (the meta checksum covers it) */
	int slots_all; /* every keyslot changed (rekey) */
	size_t nslots; /* the keyslots changed: */
	char slot[STATE_SLOTS_NOTED][CV_LABEL_MAX + 1];
	int committed; /* the transaction committed its head itself (rekey) */
};

/* The head as committed. */
struct state_head {
	uint64_t counter;
	unsigned char records[SEAL_MAC_BYTES];
	unsigned char slots[SEAL_MAC_BYTES];
	uint64_t audit_seq;
	unsigned char audit_last[SEAL_MAC_BYTES];
};

void state_txn_reset(struct state_txn *st);
/* A record under key was put or deleted. */
void state_note_record(struct state_txn *st,
    const unsigned char key[VAULT_RECORD_KEY_BYTES]);
/* Keyslot label was put or deleted. */
void state_note_slot(struct state_txn *st, const char *label);

/*
 * At the end of a write transaction: recompute what st says changed, the
 * keyslots' hash and the meta checksum when they changed, take the audit
 * head as it now is (under k's audit keys), count one more change than
 * prev (the head verified at the start; NULL for a new vault or an
 * upgrade, with st->all) and write the head MAC'd under k.  *head
 * receives it.  prev and head may be the same.
 */
int state_commit(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k, const struct state_txn *st,
    const struct state_head *prev, struct state_head *head)
    __attribute__((warn_unused_result));

/*
 * At the start of every transaction with keys: the head is authentic and
 * the audit log's head is the one it committed to.  CV_E_INTEGRITY with
 * why saying what does not match; CV_E_NOTFOUND when the vault has no
 * head yet (format 1, before its upgrade).
 */
int state_head_verify(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k, struct state_head *head, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/*
 * What one handle verified in one snapshot.  A read transaction sees a
 * snapshot that does not change, and every commit makes a new one; so
 * reads of the snapshot verified last check only what they did not check
 * before: the head, the inner nodes of the top three levels and each
 * bucket once.  Not secret (hashes of sealed values).  keys_gen names
 * the keys the head was verified under.
 */
struct state_seen;
struct state_seen *state_seen_new(void);
void state_seen_free(struct state_seen **sp);
/* 1 and *head when s holds snapshot snap verified under keys_gen. */
int state_seen_get(const struct state_seen *s, uint64_t snap,
    unsigned long keys_gen, struct state_head *head);
/* s now holds snapshot snap, whose head was verified; nothing else yet. */
void state_seen_set(struct state_seen *s, uint64_t snap,
    unsigned long keys_gen, const struct state_head *head);

/* The bucket of key and its path hash to the head's root; with seen (a
 * read transaction of seen's snapshot), what seen holds is not checked
 * again and what is checked is added.  Same returns. */
int state_verify_bucket(struct store_txn *t, const struct state_head *head,
    struct state_seen *seen, const unsigned char key[VAULT_RECORD_KEY_BYTES],
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Every record, bucket by bucket, hashes to the head's root (what a
 * change of every record, rekey, checks first).  Same returns. */
int state_verify_records(struct store_txn *t, const struct state_head *head,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Keyslot label, whose stored value is (val, vlen), is the one the vault
 * committed to (the commitments themselves hash to the head's).  A
 * keyslot put back, changed or added by hand is refused; the others keep
 * working.  label NULL checks only that the commitments are the vault's
 * (before a keyslot is added or removed).  Same returns.
 */
int state_verify_slot(struct store_txn *t, const struct state_head *head,
    const char *label, const void *val, size_t vlen, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* Every keyslot against its commitment, and every commitment against a
 * keyslot: report() hears each that does not match; CV_E_INTEGRITY if
 * any. */
int state_check_slots(struct store_txn *t, const struct state_head *head,
    void (*report)(const char *label, const char *why, void *ctx),
    void *ctx) __attribute__((warn_unused_result));

/*
 * For a walk of every record in key order: state_walk_begin() checks the
 * inner nodes against the head; then each bucket's records (their keys
 * and sealed values, in key order, as store_scan gives them) go to
 * state_walk_bucket(), which says whether that bucket is the committed
 * one (CV_E_INTEGRITY and why when not: none of its records should be
 * trusted), and state_walk_end() whether a bucket the tree knows went
 * unseen (records lost).
 */
struct state_walk;
int state_walk_begin(struct store_txn *t, const struct state_head *head,
    struct state_walk **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
int state_walk_bucket(struct state_walk *w, unsigned bucket,
    const unsigned char *const *keys, const unsigned char *const *vals,
    const size_t *lens, size_t n, char *why, size_t whylen)
    __attribute__((warn_unused_result));
int state_walk_end(struct state_walk *w, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void state_walk_free(struct state_walk **wp);

/* The bucket of a storage key. */
unsigned state_bucket(const unsigned char key[VAULT_RECORD_KEY_BYTES]);

/*
 * The unkeyed checksum of what opening and unlocking read before any key
 * is known (format version, vault id, vault check, every keyslot), kept
 * in meta: it tells damage from a wrong passphrase.  Checked by
 * vault_open(); CV_E_INTEGRITY with why when it does not match,
 * CV_E_NOTFOUND for a vault of format 1 (none yet).
 */
int state_meta_verify(struct store_txn *t, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
