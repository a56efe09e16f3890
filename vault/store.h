/* SPDX-License-Identifier: MIT */
/* The storage backend: one LMDB environment with named databases. */
#ifndef CV_VAULT_STORE_H
#define CV_VAULT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Everything above this header speaks of databases, keys and values only,
 * so another key-value backend can replace LMDB here.  Values handed to
 * callbacks point into the map and are valid only inside the callback or
 * transaction; callers copy them out before decrypting.
 */
enum store_db {
	STORE_META = 0,
	STORE_RECORDS = 1,
	STORE_AUDIT = 2,
	STORE_STATE = 3, /* the state commitment's tree (vault/state.h) */
	STORE_DBS = 4,
};

struct store;
struct store_txn;

/*
 * Open (or with create, create) the environment in directory dir; files
 * are created with file_mode.  The map starts at CV_MAP_SIZE_INITIAL and
 * grows on demand.  The file is checked before LMDB reads it
 * (store_damage()): CV_E_INTEGRITY with why saying what is damaged.
 * The caller frees *out with store_free().
 */
int store_open(const char *dir, int create, mode_t file_mode,
    struct store **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void store_free(struct store **sp);

/*
 * Run fn inside one transaction.  For store_write, fn's changes are
 * committed together if fn returns 0 and discarded otherwise; when the map
 * is full, the map is grown and fn runs again from the start, so fn must not
 * have effects outside the transaction that it cannot repeat.  A full disk
 * gives CV_E_NOSPACE with nothing written.
 */
typedef int (*store_fn)(struct store_txn *txn, void *ctx);
int store_write(struct store *s, store_fn fn, void *ctx)
    __attribute__((warn_unused_result));
int store_read(struct store *s, store_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/* Copy the value for key into out (cap bytes).  CV_E_NOTFOUND, or
 * CV_E_INTEGRITY when the stored value is larger than cap. */
int store_get(struct store_txn *t, enum store_db db, const void *key,
    size_t klen, void *out, size_t cap, size_t *len)
    __attribute__((warn_unused_result));

/* Insert or replace; with noreplace, CV_E_EXISTS when key is present. */
int store_put(struct store_txn *t, enum store_db db, const void *key,
    size_t klen, const void *val, size_t vlen, int noreplace)
    __attribute__((warn_unused_result));

/* CV_E_NOTFOUND when absent. */
int store_del(struct store_txn *t, enum store_db db, const void *key,
    size_t klen) __attribute__((warn_unused_result));

/* Visit every entry in key order; a non-zero return from fn stops the scan
 * and is returned.  With prefix, only keys starting with it. */
typedef int (*store_scan_fn)(const void *key, size_t klen, const void *val,
    size_t vlen, void *ctx);
int store_scan(struct store_txn *t, enum store_db db, const void *prefix,
    size_t plen, store_scan_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/* The committed snapshot t reads (a write transaction: the one it began
 * from).  Snapshots are numbered in commit order and never change. */
uint64_t store_txn_snapshot(const struct store_txn *t);

/* Number of entries in db. */
int store_count(struct store_txn *t, enum store_db db, size_t *n)
    __attribute__((warn_unused_result));

/*
 * What is damaged in the file, "" when nothing is known to be.  LMDB
 * trusts its file, so every snapshot this process did not commit itself
 * is checked (vault/store_check.h) before LMDB reads it, and a file that
 * shrank is known truncated; after that every transaction fails with
 * CV_E_INTEGRITY.  The text stays valid while s lives.
 */
const char *store_damage(struct store *s);

/*
 * Write a compacted copy of the environment's newest snapshot (free pages
 * left out) to fd, which must be empty and is not closed: one consistent
 * data file, as a backup.  CV_E_NOSPACE or CV_E_IO when writing fails.
 */
int store_copy(struct store *s, int fd) __attribute__((warn_unused_result));

/* Bytes used by the map file (for benchmarks and `check`). */
int store_file_size(struct store *s, size_t *bytes);

#endif
