/* SPDX-License-Identifier: MIT */
/* Keyslots: unlock, wrong secret, tamper, reseal, codec. */
#include <string.h>

#include "crypto/keyslot.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "test.h"
#include "base/banned.h"

static const struct kdf_params fast = { 1, 64, 1 };

static void
test_passphrase_slot(void)
{
	unsigned char vmk[32], vmk2[32], got[32], id[16];
	unsigned char enc[KEYSLOT_ENCODED_MAX];
	struct keyslot ks, dec;
	size_t n, i;

	seal_random(vmk, sizeof(vmk));
	seal_random(vmk2, sizeof(vmk2));
	seal_random(id, sizeof(id));
	ASSERT_INT_EQ(keyslot_create(&ks, KEYSLOT_PASSPHRASE, "owner", &fast,
	    "pw", 2, vmk, id), 0);
	ASSERT_INT_EQ(keyslot_unlock(&ks, "pw", 2, id, got), 0);
	ASSERT_MEM_EQ(got, vmk, 32);
	ASSERT_INT_EQ(keyslot_unlock(&ks, "pW", 2, id, got), CV_E_AUTH);
	id[0] ^= 1; /* a slot copied into another vault does not open */
	ASSERT_INT_EQ(keyslot_unlock(&ks, "pw", 2, id, got), CV_E_AUTH);
	id[0] ^= 1;

	ASSERT_INT_EQ(keyslot_encode(&ks, enc, sizeof(enc), &n), 0);
	ASSERT_INT_EQ(keyslot_decode(enc, n, &dec), 0);
	ASSERT_INT_EQ(keyslot_unlock(&dec, "pw", 2, id, got), 0);
	ASSERT_STR_EQ(dec.label, "owner");
	/* Any flipped byte of the encoding is caught by the checksum. */
	for (i = 0; i < n; i++) {
		enc[i] ^= 0x40;
		ASSERT_INT_EQ(keyslot_decode(enc, n, &dec), CV_E_INTEGRITY);
		enc[i] ^= 0x40;
	}
	ASSERT_INT_EQ(keyslot_decode(enc, n - 1, &dec), CV_E_INTEGRITY);

	/* Reseal to a new VMK without the passphrase. */
	ASSERT_INT_EQ(keyslot_reseal(&ks, vmk2, id), 0);
	ASSERT_INT_EQ(keyslot_unlock(&ks, "pw", 2, id, got), 0);
	ASSERT_MEM_EQ(got, vmk2, 32);
	ASSERT_TRUE(keyslot_is_authentic(&ks, vmk2, id));
	ASSERT_TRUE(!keyslot_is_authentic(&ks, vmk, id));

	/* A swapped sealed VMK (checksum recomputed) is tampering. */
	memcpy(ks.sealed_vmk, dec.sealed_vmk, sizeof(ks.sealed_vmk));
	ASSERT_INT_EQ(keyslot_unlock(&ks, "pw", 2, id, got), CV_E_INTEGRITY);
}

static void
test_keyfile_slot(void)
{
	unsigned char vmk[32], got[32], id[16], kf[64];
	struct keyslot ks;

	seal_random(vmk, sizeof(vmk));
	seal_random(id, sizeof(id));
	seal_random(kf, sizeof(kf));
	ASSERT_INT_EQ(keyslot_create(&ks, KEYSLOT_KEYFILE, "agent", NULL, kf,
	    sizeof(kf), vmk, id), 0);
	ASSERT_INT_EQ(keyslot_unlock(&ks, kf, sizeof(kf), id, got), 0);
	ASSERT_MEM_EQ(got, vmk, 32);
	kf[10] ^= 1;
	ASSERT_INT_EQ(keyslot_unlock(&ks, kf, sizeof(kf), id, got), CV_E_AUTH);
	ASSERT_INT_EQ(keyslot_unlock(&ks, kf, 8, id, got), CV_E_AUTH);
	ASSERT_INT_EQ(keyslot_create(&ks, KEYSLOT_KEYFILE, "short", NULL, kf,
	    8, vmk, id), CV_E_INVALID);
}

static void
test_labels(void)
{
	ASSERT_TRUE(keyslot_label_is_valid("alice@example"));
	ASSERT_TRUE(!keyslot_label_is_valid(""));
	ASSERT_TRUE(!keyslot_label_is_valid("a b"));
	ASSERT_TRUE(!keyslot_label_is_valid("a/b"));
}

int
main(void)
{
	ASSERT_INT_EQ(secmem_init(), 0);
	test_passphrase_slot();
	test_keyfile_slot();
	test_labels();
	return test_done("test_keyslot");
}
