/* SPDX-License-Identifier: MIT */
/* Keyslots: one per unlocker; the vault master key sealed to each slot. */
#ifndef CV_CRYPTO_KEYSLOT_H
#define CV_CRYPTO_KEYSLOT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/kdf.h"
#include "crypto/seal.h"
#include "base/limits.h"

#define KEYSLOT_VERSION 1
#define KEYSLOT_VMK_BYTES 32
#define KEYSLOT_VAULT_ID_BYTES 16
#define KEYSLOT_PK_BYTES 32
#define KEYSLOT_SK_BYTES 32
#define KEYSLOT_SEALED_SK_BYTES (SEAL_OVERHEAD + KEYSLOT_SK_BYTES)
#define KEYSLOT_SEALED_VMK_BYTES (48 + KEYSLOT_VMK_BYTES) /* box_SEALBYTES */
#define KEYSLOT_ENCODED_MAX                                                    \
	(2 + 2 + CV_LABEL_MAX + 1 + 12 + KDF_SALT_BYTES + KEYSLOT_PK_BYTES +   \
	    KEYSLOT_SEALED_SK_BYTES + KEYSLOT_SEALED_VMK_BYTES +               \
	    2 * SEAL_MAC_BYTES)

enum keyslot_kind {
	KEYSLOT_PASSPHRASE = 1, /* Argon2id over a passphrase */
	KEYSLOT_KEYFILE = 2,    /* BLAKE2b over a random key file */
};

/*
 * A slot holds an X25519 key pair whose secret half is sealed under a key
 * derived from the unlocker's secret, and the vault master key (VMK) sealed
 * to the public half.  Anyone holding the VMK can therefore reseal it to
 * every slot (rekey) without the other unlockers' secrets.  vmk_mac, keyed
 * by a subkey of the VMK, lets an unlocked vault detect a tampered slot.
 */
struct keyslot {
	uint8_t kind;
	char label[CV_LABEL_MAX + 1];
	struct kdf_params kdf; /* passphrase slots only */
	unsigned char salt[KDF_SALT_BYTES];
	unsigned char pk[KEYSLOT_PK_BYTES];
	unsigned char sealed_sk[KEYSLOT_SEALED_SK_BYTES];
	unsigned char sealed_vmk[KEYSLOT_SEALED_VMK_BYTES];
	unsigned char vmk_mac[SEAL_MAC_BYTES];
};

/* 1 when label is 1..CV_LABEL_MAX of [A-Za-z0-9._@-]. */
int keyslot_label_is_valid(const char *label);

/*
 * Fill *ks with a new slot for secret (a passphrase, or key file bytes)
 * holding vmk.  kdf is used for passphrase slots and ignored for key files.
 * Costs one Argon2id run for passphrase slots.
 */
int keyslot_create(struct keyslot *ks, enum keyslot_kind kind,
    const char *label, const struct kdf_params *kdf, const void *secret,
    size_t secret_len, const unsigned char *vmk, const unsigned char *vault_id)
    __attribute__((warn_unused_result));

/*
 * Recover the VMK into vmk_out (KEYSLOT_VMK_BYTES, locked memory).
 * CV_E_AUTH: wrong secret.  CV_E_INTEGRITY: the slot was altered.
 */
int keyslot_unlock(const struct keyslot *ks, const void *secret,
    size_t secret_len, const unsigned char *vault_id, unsigned char *vmk_out)
    __attribute__((warn_unused_result));

/*
 * The two halves of keyslot_unlock, for holders that must follow a rekey
 * without asking again (the agent): recover the slot's X25519 secret key
 * (KEYSLOT_SK_BYTES, locked memory), then open the VMK sealed to it.
 * Errors as for keyslot_unlock.
 */
int keyslot_unlock_sk(const struct keyslot *ks, const void *secret,
    size_t secret_len, const unsigned char *vault_id, unsigned char *sk_out)
    __attribute__((warn_unused_result));
int keyslot_open_vmk(const struct keyslot *ks, const unsigned char *sk,
    const unsigned char *vault_id, unsigned char *vmk_out)
    __attribute__((warn_unused_result));

/* Seal a new VMK to the slot's public key (rekey); needs no secret. */
int keyslot_reseal(struct keyslot *ks, const unsigned char *vmk,
    const unsigned char *vault_id) __attribute__((warn_unused_result));

/* 1 when vmk_mac matches vmk, i.e. the slot was written by a VMK holder. */
int keyslot_is_authentic(const struct keyslot *ks, const unsigned char *vmk,
    const unsigned char *vault_id);

/* Encoded form: the fields, then an unkeyed checksum of them. */
int keyslot_encode(const struct keyslot *ks, unsigned char *out, size_t cap,
    size_t *len) __attribute__((warn_unused_result));

/* CV_E_INTEGRITY on a bad checksum, CV_E_VERSION, CV_E_INVALID. */
int keyslot_decode(const unsigned char *in, size_t len, struct keyslot *ks)
    __attribute__((warn_unused_result));

#endif
