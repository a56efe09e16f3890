/* SPDX-License-Identifier: MIT */
/* XChaCha20-Poly1305 sealing with associated data, and keyed hashing. */
#ifndef CV_CRYPTO_SEAL_H
#define CV_CRYPTO_SEAL_H

#include <stddef.h>

#define SEAL_KEY_BYTES 32
#define SEAL_NONCE_BYTES 24
#define SEAL_TAG_BYTES 16
#define SEAL_OVERHEAD (SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
#define SEAL_MAC_BYTES 32

/*
 * Sealed form: random nonce || ciphertext || tag.  out needs
 * mlen + SEAL_OVERHEAD bytes; CV_E_TOOBIG when outcap is smaller.
 */
int seal_seal(unsigned char *out, size_t outcap, size_t *outlen,
    const unsigned char *m, size_t mlen, const unsigned char *ad, size_t adlen,
    const unsigned char *key) __attribute__((warn_unused_result));

/*
 * Open a sealed value into out (clen - SEAL_OVERHEAD bytes; should be
 * locked memory).  CV_E_INTEGRITY when the value or its associated data was
 * altered or the key is wrong; out is wiped then.
 */
int seal_open(unsigned char *out, size_t outcap, size_t *outlen,
    const unsigned char *c, size_t clen, const unsigned char *ad, size_t adlen,
    const unsigned char *key) __attribute__((warn_unused_result));

/* out = BLAKE2b-256 keyed with key (SEAL_KEY_BYTES) over in. */
void seal_mac(unsigned char out[SEAL_MAC_BYTES], const void *in, size_t inlen,
    const unsigned char *key);

/* Constant-time check of a MAC computed as by seal_mac. */
int seal_mac_is_valid(const unsigned char mac[SEAL_MAC_BYTES], const void *in,
    size_t inlen, const unsigned char *key);

/* Unkeyed BLAKE2b-256 checksum, for telling corruption from a wrong key. */
void seal_checksum(unsigned char out[SEAL_MAC_BYTES], const void *in,
    size_t inlen);

/* The same checksum over input given in pieces (no copy to join them). */
struct seal_checksum_ctx {
	_Alignas(64) unsigned char opaque[384]; /* libsodium's state */
};

void seal_checksum_init(struct seal_checksum_ctx *c);
void seal_checksum_update(struct seal_checksum_ctx *c, const void *in,
    size_t inlen);
void seal_checksum_final(struct seal_checksum_ctx *c,
    unsigned char out[SEAL_MAC_BYTES]);

/* n random bytes. */
void seal_random(void *out, size_t n);

#endif
