/* SPDX-License-Identifier: MIT */
/* Private to vault/: the vault object and helpers shared by its files. */
#ifndef CV_VAULT_VAULT_IMPL_H
#define CV_VAULT_VAULT_IMPL_H

#include <pthread.h>

#include "base/limits.h"
#include "vault/store.h"
#include "vault/vault.h"

struct state_txn;  /* vault/state.h */
struct state_head; /* vault/state.h */
struct state_seen; /* vault/state.h */

/* Every key an unlocked vault holds, in one locked secbuf. */
struct vault_keys {
	unsigned char vmk[KEYSLOT_VMK_BYTES];
	unsigned char record[SEAL_KEY_BYTES];
	unsigned char index[SEAL_KEY_BYTES];
	unsigned char meta[SEAL_KEY_BYTES];
	struct audit_keys audit;
	/* The unlocking slot's own key: follows a rekey by another process
	 * without asking for the passphrase again. */
	unsigned char slot_sk[KEYSLOT_SK_BYTES];
};

/*
 * A handle is used by one thread at a time, except that vault_lock() and
 * vault_is_unlocked() may come from any thread at any moment (the agent
 * locks its workers' clones): keys_mu guards keys_sb and keys, and every
 * use of the keys happens inside vault_txn(), which holds it.
 */
struct vault {
	struct store *store;
	char path[CV_VAULT_DIR_MAX];
	uid_t owner;
	unsigned char vault_id[VAULT_ID_BYTES];
	pthread_mutex_t keys_mu;
	struct secbuf *keys_sb; /* NULL while locked */
	struct vault_keys *keys; /* points into keys_sb */
	char unlocked_by[CV_LABEL_MAX + 1];
	char actor[CV_AUDIT_FIELD_MAX + 1];
	char subject[512];
	unsigned char *sealed; /* VAULT_SEALED_MAX scratch for reads */
	int is_clone;          /* the store belongs to another handle */
	int unaudited;         /* the disk was full when it unlocked */
	uint32_t format;       /* VAULT_FORMAT_VERSION, or 1 until upgraded */
	/* The state commitment (state.h): what the write transaction under
	 * way changed, and the head the transaction under way verified. */
	struct state_txn *st;
	struct state_head *head;
	int have_head;         /* head is valid in this transaction */
	struct state_seen *seen; /* what was verified in the snapshot read last */
	int seen_now;          /* this read transaction reads seen's snapshot */
	unsigned long keys_gen; /* changes whenever keys do */
	char detail[256];      /* what is inconsistent, for the subject */
	uint64_t hwm_seen;     /* the high-water mark as last written */
	int no_hwm;            /* a backup being verified: no mark */
	int open_fd;           /* open.lock, held shared while open; -1 */
	char warning[256];     /* vault_warning() */
};

#define VAULT_RECORD_KEY_BYTES 32
#define VAULT_SEALED_MAX (CV_RECORD_MAX + SEAL_OVERHEAD)

/*
 * Run fn in a transaction (VAULT_TXN_WRITE: a write transaction) holding
 * keys_mu, after making sure the keys are current: when another process
 * rekeyed the vault since we unlocked, reopen the new VMK with our slot's
 * key first (CV_E_AUTH if our slot is gone).  With VAULT_TXN_KEYS, fn
 * needs the keys: CV_E_LOCKED when the vault is locked.
 */
#define VAULT_TXN_WRITE 0x1
#define VAULT_TXN_KEYS 0x2
/* With keys, every transaction first checks the state head (the audit
 * head it committed to, vault/state.h), and a write transaction commits
 * a new head with what fn changed; a failure sets v->detail. */
int vault_txn(struct vault *v, unsigned flags, store_fn fn, void *ctx)
    __attribute__((warn_unused_result));
/* Copy from's keys into to (which has none yet), under from's lock.
 * CV_E_LOCKED when from is locked. */
int vault_keys_copy(struct vault *from, struct vault *to)
    __attribute__((warn_unused_result));
/* Replace the keys with *sbp (taken over) unless v was locked meanwhile
 * (then *sbp is wiped). */
void vault_keys_install(struct vault *v, struct secbuf **sbp);
/* Derive every subkey of vmk (and keep sk) into a new locked secbuf. */
int vault_keys_new(const struct vault *v, const unsigned char *vmk,
    const unsigned char *sk, struct secbuf **sbp)
    __attribute__((warn_unused_result));

/* Take open.lock in dir, without waiting: shared (every open handle) or
 * exclusive (a restore); *fd holds it until closed.  CV_E_BUSY when the
 * other kind is held. */
int vault_open_lock(const char *dir, mode_t mode, int exclusive, int *fd,
    char *why, size_t whylen) __attribute__((warn_unused_result));

void vault_set_subject(struct vault *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int vault_audit_txn(struct store_txn *t, struct vault *v, const char *action,
    const char *record, const char *result)
    __attribute__((warn_unused_result));
void vault_check_mac(const struct vault *v, const struct vault_keys *k,
    unsigned char out[SEAL_MAC_BYTES]);
int vault_put_check(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k) __attribute__((warn_unused_result));
void vault_slot_key(const char *label, char *key, size_t cap);
int vault_put_slot(struct store_txn *t, const struct keyslot *ks,
    int noreplace) __attribute__((warn_unused_result));

/* Storage key of a record name: a keyed hash, so names do not leak. */
void vault_record_key(const struct vault_keys *k, const char *name,
    unsigned char key[VAULT_RECORD_KEY_BYTES]);
/* Seal an encoded record stored under key. */
int vault_record_seal(const struct vault *v, const struct vault_keys *k,
    const unsigned char key[VAULT_RECORD_KEY_BYTES],
    const struct secbuf *plain, unsigned char *out, size_t *outlen)
    __attribute__((warn_unused_result));
/*
 * Open a sealed record stored under key into plain and decode it.  The
 * associated data already binds the storage key; with check_name, also
 * check that the name inside hashes to it (defence in depth, one more
 * BLAKE2b, skipped when walking every record).
 */
int vault_record_open(const struct vault *v, const struct vault_keys *k,
    const unsigned char key[VAULT_RECORD_KEY_BYTES], const unsigned char *c,
    size_t clen, struct secbuf *plain, struct record *r, int check_name)
    __attribute__((warn_unused_result));

#endif
