/* SPDX-License-Identifier: MIT */
/* Argon2id key derivation, its calibration, and subkeys of the vault key. */
#ifndef CV_CRYPTO_KDF_H
#define CV_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#define KDF_SALT_BYTES 16
#define KDF_KEY_BYTES 32

/* Argon2id cost.  memory_kib is in KiB, as libargon2 counts it. */
struct kdf_params {
	uint32_t iterations;
	uint32_t memory_kib;
	uint32_t parallelism; /* lanes, each computed on its own thread */
};

/* CV_E_INVALID unless every field is within libargon2's and our limits. */
int kdf_params_check(const struct kdf_params *p)
    __attribute__((warn_unused_result));

/* Lanes for this machine: the online cores, at most 4. */
uint32_t kdf_default_parallelism(void);

/*
 * Argon2id(pass, salt) -> key.  key must point to KDF_KEY_BYTES of locked
 * memory; it is wiped on failure.  CV_E_NOMEM when the memory cost cannot be
 * allocated, CV_E_INVALID for bad parameters.
 */
int kdf_derive(const struct kdf_params *p, const void *pass, size_t passlen,
    const unsigned char salt[KDF_SALT_BYTES], unsigned char *key)
    __attribute__((warn_unused_result));

/*
 * Choose parameters that take about target_ms on this machine with the given
 * lanes, in the way LUKS2 does: memory first (never below
 * CV_KDF_MEMORY_MIN_KIB, up to 256 MiB), then iterations.
 */
int kdf_calibrate(uint32_t target_ms, uint32_t parallelism,
    struct kdf_params *out) __attribute__((warn_unused_result));

/* Subkeys of the vault master key, each for one job. */
enum kdf_subkey {
	KDF_SUBKEY_RECORD = 1,     /* seals records */
	KDF_SUBKEY_INDEX = 2,      /* keyed hash of record names */
	KDF_SUBKEY_AUDIT_MAC = 3,  /* audit chain MAC */
	KDF_SUBKEY_AUDIT_SEAL = 4, /* seals audit entries */
	KDF_SUBKEY_META = 5,       /* MACs over keyslots and the vault check */
};

/* out (KDF_KEY_BYTES, locked) = BLAKE2b-KDF(vmk, id). */
void kdf_subkey(unsigned char *out, enum kdf_subkey id,
    const unsigned char *vmk);

#endif
