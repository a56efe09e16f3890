/* SPDX-License-Identifier: MIT */
/* The vault: open, unlock, records, keyslots, audit.  The API above LMDB. */
#ifndef CV_VAULT_VAULT_H
#define CV_VAULT_VAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/kdf.h"
#include "crypto/keyslot.h"
#include "crypto/secmem.h"
#include "vault/audit.h"
#include "vault/record.h"

#define VAULT_FORMAT_VERSION 2 /* 1: before the state commitment */
#define VAULT_ID_BYTES KEYSLOT_VAULT_ID_BYTES

struct vault;

/*
 * Most calls leave a short, secret-free description of what an error
 * concerns (a record name, a keyslot label, a path and the fix) in
 * vault_subject(); it stays valid until the next call on v.
 */
const char *vault_subject(const struct vault *v);

/*
 * Create a new vault in dir (created 0700 if absent; it must not hold a
 * vault yet) with one passphrase keyslot.  CV_E_EXISTS if one is there.
 * why (may be NULL) receives a message on failure.
 */
int vault_create(const char *dir, const char *label,
    const struct kdf_params *kdf, const void *pass, size_t passlen,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Open the vault in dir, locked.  Refuses (CV_E_PERM, reason in why) a
 * directory or file that others can write; CV_E_NOTFOUND when there is no
 * vault; CV_E_INTEGRITY or CV_E_VERSION for a damaged or foreign one.  The
 * caller frees *out with vault_free().
 */
int vault_open(const char *dir, struct vault **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * A second handle on an open vault for another thread: it shares v's
 * database environment (LMDB must be opened once per process) and copies
 * its keys, so both can be used at the same time, each from one thread.
 * v must outlive the clone.  Free it with vault_free().
 */
int vault_clone(struct vault *v, struct vault **out)
    __attribute__((warn_unused_result));

/* Lock (wipe every key) and free; accepts NULL, sets *vp to NULL. */
void vault_free(struct vault **vp);

/*
 * Unlock with a passphrase (KEYSLOT_PASSPHRASE) or key file bytes
 * (KEYSLOT_KEYFILE), trying each slot of that kind, or only the slot named
 * by label when it is not NULL.  CV_E_AUTH when nothing opens;
 * CV_E_INTEGRITY (subject: the slot) when a slot is damaged and no other
 * one opened.  Appends an "unlock" audit entry (see
 * vault_unlock_is_audited for a full disk).
 */
int vault_unlock(struct vault *v, enum keyslot_kind kind, const void *secret,
    size_t len, const char *label) __attribute__((warn_unused_result));

/* 0 when the disk was too full to append the unlock's audit entry (the
 * unlock still succeeds, so a full disk does not lock anyone out). */
int vault_unlock_is_audited(const struct vault *v);

/* Something the user should know that did not stop the work (the
 * high-water mark could not be kept), or "". */
const char *vault_warning(const struct vault *v);

/* Wipe the keys; the vault stays open.  Safe from any thread while
 * another one uses v: a call in progress finishes first, later ones fail
 * with CV_E_LOCKED. */
void vault_lock(struct vault *v);
/* Whether the keys are there; from any thread (see vault_lock). */
int vault_is_unlocked(struct vault *v);

const char *vault_path(const struct vault *v);
/* Owner of the vault directory, who may also own hooks and stack files. */
uid_t vault_owner(const struct vault *v);
/* Label of the keyslot that unlocked the vault, or "". */
const char *vault_unlocked_by(const struct vault *v);

/* Actor recorded in audit entries from now on (default "keyslot:LABEL"). */
void vault_set_actor(struct vault *v, const char *actor);

/*
 * Read a record.  plain (cap >= CV_RECORD_MAX) receives the decrypted
 * record and must stay alive, unchanged, while *r is used; the caller wipes
 * it with secbuf_reset() or secbuf_free().  CV_E_NOTFOUND, or
 * CV_E_INTEGRITY when the sealed record fails authentication.
 */
int vault_record_get(struct vault *v, const char *name, struct secbuf *plain,
    struct record *r) __attribute__((warn_unused_result));

/* Add new records in one transaction, each audited; CV_E_EXISTS if any
 * name is taken (nothing is added then). */
int vault_records_add(struct vault *v, const struct record *rs, size_t n)
    __attribute__((warn_unused_result));

/* Remove a record (audited).  CV_E_NOTFOUND when absent. */
int vault_record_remove(struct vault *v, const char *name)
    __attribute__((warn_unused_result));

/*
 * Reveal once: commit revealed_at and an audit entry, then copy the active
 * secret into secret (cap >= CV_SECRET_MAX).  CV_E_REFUSED (subject says
 * why) when it was revealed before or is never revealable.
 */
int vault_record_reveal(struct vault *v, const char *name,
    struct secbuf *secret) __attribute__((warn_unused_result));

/*
 * Read-modify-write one record in one transaction.  fn may change *r
 * (pointers may point into its own memory, which must live until
 * vault_record_update returns) and returns 0 to commit, or an error.  The
 * change is audited with action and result (NULL: "ok").  fn may run more
 * than once (after the map grows); it must not have outside effects.
 */
typedef int (*vault_update_fn)(struct record *r, void *ctx);
int vault_record_update(struct vault *v, const char *name,
    vault_update_fn fn, void *ctx, const char *action, const char *result)
    __attribute__((warn_unused_result));

/*
 * Visit every record (in storage order, not by name).  Records that fail
 * authentication go to corrupt() with a hex id of their storage key.
 * Records that authenticate but are not the ones the vault committed to
 * (put back from an older copy, or lost: vault/state.h) are not visited;
 * stale() (may be NULL: then corrupt() with the id "state") hears why,
 * once per group of records.  A non-zero return from a callback stops
 * the walk and is returned.
 */
struct vault_visitor {
	int (*record)(const struct record *r, void *ctx);
	int (*corrupt)(const char *id, int err, void *ctx);
	void *ctx;
	int (*stale)(const char *why, void *ctx);
};
int vault_record_foreach(struct vault *v, const struct vault_visitor *vis)
    __attribute__((warn_unused_result));

/* Keyslots.  Listing needs no unlock; a damaged slot has corrupt set. */
struct vault_slot_info {
	char label[CV_LABEL_MAX + 1];
	uint8_t kind;
	struct kdf_params kdf;
	int corrupt;
};
int vault_keyslot_list(struct vault *v,
    int (*fn)(const struct vault_slot_info *si, void *ctx), void *ctx)
    __attribute__((warn_unused_result));
int vault_keyslot_add(struct vault *v, enum keyslot_kind kind,
    const char *label, const struct kdf_params *kdf, const void *secret,
    size_t len) __attribute__((warn_unused_result));
/*
 * Whether secret opens keyslot label (of kind) of the unlocked vault v:
 * the proof that whoever asks knows that keyslot's passphrase.  One
 * Argon2id; the keys of v are not changed.  0, CV_E_AUTH (wrong secret,
 * or no such keyslot of that kind), CV_E_INTEGRITY (the keyslot is not
 * the committed one), CV_E_LOCKED.
 */
int vault_keyslot_verify(struct vault *v, const char *label,
    enum keyslot_kind kind, const void *secret, size_t len)
    __attribute__((warn_unused_result));
/* Refuses (CV_E_REFUSED) to remove the last slot. */
int vault_keyslot_remove(struct vault *v, const char *label)
    __attribute__((warn_unused_result));
/* New VMK: every record and audit entry resealed, every remaining slot
 * resealed to its public key, all in one transaction. */
int vault_rekey(struct vault *v) __attribute__((warn_unused_result));

/* Append audit entries (their actor defaults to the vault's actor when
 * NULL) in one transaction. */
int vault_audit_append(struct vault *v, const struct audit_entry *e,
    size_t n) __attribute__((warn_unused_result));
/* Walk and verify the chain; CV_E_INTEGRITY with the entry in subject. */
int vault_audit_verify(struct vault *v, audit_visit_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/*
 * Check everything an unlocked vault can: each keyslot's authenticity,
 * every record, the audit chain.  report() is called for each problem;
 * the result is CV_E_INTEGRITY if there was any.
 */
typedef void (*vault_report_fn)(const char *what, const char *subject,
    int err, void *ctx);
int vault_check(struct vault *v, vault_report_fn report, void *ctx)
    __attribute__((warn_unused_result));

/*
 * Backup: a compacted copy of the vault (LMDB's copy of its newest
 * snapshot, free pages left out) written next to file, opened as a vault
 * of its own and checked in full with v's keys, then renamed to file
 * (0600; it must not exist).  The backup is audited in v (and the copy
 * holds that entry).  The copy holds only what the vault holds: sealed
 * records, keyslots, the audit log; any keyslot of the vault opens it.
 * why says what failed.
 */
int vault_backup(struct vault *v, const char *file, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/*
 * Restore: copy the backup at file next to the vault directory dir
 * (created if need be), open it, unlock it with secret (as for
 * vault_unlock()) and check it in full; only then, and only when nobody
 * has the vault in dir open (CV_E_BUSY) and it is the same vault or none
 * can be read there (CV_E_REFUSED), rename it into place.  The user's
 * high-water mark is set to the restored change counter (*counter), and
 * the restore is audited in the restored vault.  why says what failed.
 */
int vault_restore(const char *dir, const char *file, enum keyslot_kind kind,
    const void *secret, size_t len, const char *label, uint64_t *counter,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* Current time for records and audit entries (Unix seconds). */
int64_t vault_now(void);

#endif
