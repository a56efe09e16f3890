/* SPDX-License-Identifier: MIT */
/* secbuf: the only allocator for keys, passphrases, secrets and tokens. */
#ifndef CV_CRYPTO_SECMEM_H
#define CV_CRYPTO_SECMEM_H

#include <stddef.h>

/*
 * A secbuf lives in sodium_malloc() memory: locked, guarded, excluded from
 * core dumps where the kernel allows it, and wiped when freed.  data[len] is
 * always a NUL byte so text secrets can be used as C strings.
 */
struct secbuf {
	size_t cap; /* usable bytes in data, excluding the trailing NUL */
	size_t len;
	unsigned char data[];
};

/* Initialise libsodium once; 0 or CV_E_INTERNAL.  Safe to call repeatedly. */
int secmem_init(void) __attribute__((warn_unused_result));

/* New empty secbuf able to hold cap bytes; NULL when out of memory.
 * The caller frees it with secbuf_free(). */
struct secbuf *secbuf_new(size_t cap) __attribute__((warn_unused_result));

/* Wipe and free *sbp, then set *sbp to NULL.  Accepts NULL and *sbp NULL. */
void secbuf_free(struct secbuf **sbp);

/* Append n bytes; CV_E_TOOBIG (and nothing appended) when over cap. */
int secbuf_append(struct secbuf *sb, const void *p, size_t n)
    __attribute__((warn_unused_result));

/* Replace the contents with n bytes; CV_E_TOOBIG when over cap. */
int secbuf_set(struct secbuf *sb, const void *p, size_t n)
    __attribute__((warn_unused_result));

/*
 * Wipe the contents and set len to 0.  Only data[0..len] is wiped (the rest
 * of the block is wiped when freed): code that writes into data directly
 * must keep len covering what it wrote, or wipe it itself.
 */
void secbuf_reset(struct secbuf *sb);

/* New secbuf holding a copy of n bytes; NULL when out of memory. */
struct secbuf *secbuf_dup(const void *p, size_t n)
    __attribute__((warn_unused_result));

/* Wipe n bytes of ordinary memory (sodium_memzero). */
void secmem_wipe(void *p, size_t n);

/* Constant-time equality of two secret byte strings of equal length. */
int secmem_equal(const void *a, const void *b, size_t n);

#endif
