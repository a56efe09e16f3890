/* SPDX-License-Identifier: MIT */
/* Keyslot creation, unlocking, resealing and its byte encoding. */
#include "crypto/keyslot.h"

#include <string.h>

#include <sodium.h>

#include "crypto/secmem.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

#define KEYSLOT_AD_PREFIX "credvault keyslot v1"
#define KEYSLOT_AD_MAX (sizeof(KEYSLOT_AD_PREFIX) + KEYSLOT_ENCODED_MAX)

/* Locked scratch space for one slot operation. */
struct keyslot_keys {
	unsigned char wrap[KDF_KEY_BYTES];
	unsigned char sk[KEYSLOT_SK_BYTES];
	unsigned char meta[KDF_KEY_BYTES];
};

int
keyslot_label_is_valid(const char *label)
{
	size_t i, n = strlen(label);

	if (n == 0 || n > CV_LABEL_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = label[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

/* The slot's public header, bound into every seal and MAC of the slot. */
static void
keyslot_put_header(struct buf_writer *w, const struct keyslot *ks)
{
	buf_put_u8(w, KEYSLOT_VERSION);
	buf_put_u8(w, ks->kind);
	buf_put_str(w, ks->label);
	buf_put_u32(w, ks->kdf.iterations);
	buf_put_u32(w, ks->kdf.memory_kib);
	buf_put_u32(w, ks->kdf.parallelism);
	buf_put_bytes(w, ks->salt, sizeof(ks->salt));
	buf_put_bytes(w, ks->pk, sizeof(ks->pk));
}

static void
keyslot_ad(const struct keyslot *ks, const unsigned char *vault_id,
    unsigned char *ad, size_t *adlen)
{
	struct buf_writer w;

	buf_writer_init(&w, ad, KEYSLOT_AD_MAX);
	buf_put_bytes(&w, KEYSLOT_AD_PREFIX, sizeof(KEYSLOT_AD_PREFIX));
	buf_put_bytes(&w, vault_id, KEYSLOT_VAULT_ID_BYTES);
	keyslot_put_header(&w, ks);
	*adlen = w.len;
}

/* MAC over the header and both sealed keys under the VMK's meta subkey. */
static void
keyslot_mac(const struct keyslot *ks, const unsigned char *vault_id,
    const unsigned char *meta_key, unsigned char mac[SEAL_MAC_BYTES])
{
	unsigned char body[KEYSLOT_AD_MAX + KEYSLOT_SEALED_SK_BYTES +
	    KEYSLOT_SEALED_VMK_BYTES];
	size_t n;

	keyslot_ad(ks, vault_id, body, &n);
	memcpy(body + n, ks->sealed_sk, sizeof(ks->sealed_sk));
	n += sizeof(ks->sealed_sk);
	memcpy(body + n, ks->sealed_vmk, sizeof(ks->sealed_vmk));
	n += sizeof(ks->sealed_vmk);
	seal_mac(mac, body, n, meta_key);
}

static int
keyslot_wrap_key(const struct keyslot *ks, const void *secret,
    size_t secret_len, unsigned char *wrap)
{
	if (ks->kind == KEYSLOT_PASSPHRASE)
		return kdf_derive(&ks->kdf, secret, secret_len, ks->salt, wrap);
	if (ks->kind != KEYSLOT_KEYFILE)
		return CV_E_INVALID;
	/* A key file is already uniformly random: a keyed hash suffices. */
	if (secret_len < CV_KEYFILE_MIN || secret_len > CV_KEYFILE_MAX)
		return CV_E_INVALID;
	crypto_generichash(wrap, KDF_KEY_BYTES, secret, secret_len, ks->salt,
	    sizeof(ks->salt));
	return 0;
}

int
keyslot_create(struct keyslot *ks, enum keyslot_kind kind,
    const char *label, const struct kdf_params *kdf, const void *secret,
    size_t secret_len, const unsigned char *vmk, const unsigned char *vault_id)
{
	struct secbuf *sb = NULL;
	struct keyslot_keys *k;
	unsigned char ad[KEYSLOT_AD_MAX];
	size_t adlen, n;
	int rc;

	memset(ks, 0, sizeof(*ks));
	if (!keyslot_label_is_valid(label) ||
	    (kind != KEYSLOT_PASSPHRASE && kind != KEYSLOT_KEYFILE))
		return CV_E_INVALID;
	if ((sb = secbuf_new(sizeof(*k))) == NULL)
		return CV_E_NOMEM;
	k = (struct keyslot_keys *)(void *)sb->data;

	ks->kind = (uint8_t)kind;
	memcpy(ks->label, label, strlen(label) + 1);
	if (kind == KEYSLOT_PASSPHRASE)
		ks->kdf = *kdf;
	randombytes_buf(ks->salt, sizeof(ks->salt));
	crypto_box_keypair(ks->pk, k->sk);

	if ((rc = keyslot_wrap_key(ks, secret, secret_len, k->wrap)) != 0)
		goto out;
	keyslot_ad(ks, vault_id, ad, &adlen);
	if ((rc = seal_seal(ks->sealed_sk, sizeof(ks->sealed_sk), &n, k->sk,
	    sizeof(k->sk), ad, adlen, k->wrap)) != 0)
		goto out;
	rc = keyslot_reseal(ks, vmk, vault_id);
out:
	if (rc != 0)
		memset(ks, 0, sizeof(*ks));
	secbuf_free(&sb);
	return rc;
}

int
keyslot_unlock_sk(const struct keyslot *ks, const void *secret,
    size_t secret_len, const unsigned char *vault_id, unsigned char *sk_out)
{
	struct secbuf *sb = NULL;
	struct keyslot_keys *k;
	unsigned char ad[KEYSLOT_AD_MAX];
	size_t adlen, n;
	int rc;

	sodium_memzero(sk_out, KEYSLOT_SK_BYTES);
	if ((sb = secbuf_new(sizeof(*k))) == NULL)
		return CV_E_NOMEM;
	k = (struct keyslot_keys *)(void *)sb->data;
	if ((rc = keyslot_wrap_key(ks, secret, secret_len, k->wrap)) != 0) {
		if (rc == CV_E_INVALID)
			rc = CV_E_AUTH; /* e.g. a key file of the wrong size */
		goto out;
	}
	keyslot_ad(ks, vault_id, ad, &adlen);
	if (seal_open(sk_out, KEYSLOT_SK_BYTES, &n, ks->sealed_sk,
	    sizeof(ks->sealed_sk), ad, adlen, k->wrap) != 0)
		rc = CV_E_AUTH;
out:
	secbuf_free(&sb);
	return rc;
}

int
keyslot_open_vmk(const struct keyslot *ks, const unsigned char *sk,
    const unsigned char *vault_id, unsigned char *vmk_out)
{
	/* The secret was right, so a failure here is tampering. */
	if (crypto_box_seal_open(vmk_out, ks->sealed_vmk,
	    sizeof(ks->sealed_vmk), ks->pk, sk) != 0 ||
	    !keyslot_is_authentic(ks, vmk_out, vault_id)) {
		sodium_memzero(vmk_out, KEYSLOT_VMK_BYTES);
		return CV_E_INTEGRITY;
	}
	return 0;
}

int
keyslot_unlock(const struct keyslot *ks, const void *secret,
    size_t secret_len, const unsigned char *vault_id, unsigned char *vmk_out)
{
	struct secbuf *sk;
	int rc;

	sodium_memzero(vmk_out, KEYSLOT_VMK_BYTES);
	if ((sk = secbuf_new(KEYSLOT_SK_BYTES)) == NULL)
		return CV_E_NOMEM;
	rc = keyslot_unlock_sk(ks, secret, secret_len, vault_id, sk->data);
	if (rc == 0)
		rc = keyslot_open_vmk(ks, sk->data, vault_id, vmk_out);
	secbuf_free(&sk);
	return rc;
}

int
keyslot_reseal(struct keyslot *ks, const unsigned char *vmk,
    const unsigned char *vault_id)
{
	struct secbuf *sb;
	struct keyslot_keys *k;

	if ((sb = secbuf_new(sizeof(*k))) == NULL)
		return CV_E_NOMEM;
	k = (struct keyslot_keys *)(void *)sb->data;
	if (crypto_box_seal(ks->sealed_vmk, vmk, KEYSLOT_VMK_BYTES,
	    ks->pk) != 0) {
		secbuf_free(&sb);
		return CV_E_INTERNAL;
	}
	kdf_subkey(k->meta, KDF_SUBKEY_META, vmk);
	keyslot_mac(ks, vault_id, k->meta, ks->vmk_mac);
	secbuf_free(&sb);
	return 0;
}

int
keyslot_is_authentic(const struct keyslot *ks, const unsigned char *vmk,
    const unsigned char *vault_id)
{
	struct secbuf *sb;
	struct keyslot_keys *k;
	unsigned char mac[SEAL_MAC_BYTES];
	int ok;

	if ((sb = secbuf_new(sizeof(*k))) == NULL)
		return 0;
	k = (struct keyslot_keys *)(void *)sb->data;
	kdf_subkey(k->meta, KDF_SUBKEY_META, vmk);
	keyslot_mac(ks, vault_id, k->meta, mac);
	ok = sodium_memcmp(mac, ks->vmk_mac, sizeof(mac)) == 0;
	secbuf_free(&sb);
	return ok;
}

int
keyslot_encode(const struct keyslot *ks, unsigned char *out, size_t cap,
    size_t *len)
{
	struct buf_writer w;
	unsigned char sum[SEAL_MAC_BYTES];

	*len = 0;
	buf_writer_init(&w, out, cap);
	keyslot_put_header(&w, ks);
	buf_put_bytes(&w, ks->sealed_sk, sizeof(ks->sealed_sk));
	buf_put_bytes(&w, ks->sealed_vmk, sizeof(ks->sealed_vmk));
	buf_put_bytes(&w, ks->vmk_mac, sizeof(ks->vmk_mac));
	if (w.err != 0)
		return w.err;
	seal_checksum(sum, out, w.len);
	buf_put_bytes(&w, sum, sizeof(sum));
	if (w.err != 0)
		return w.err;
	*len = w.len;
	return 0;
}

static int
keyslot_get_fixed(struct buf_reader *r, unsigned char *dst, size_t n)
{
	const unsigned char *p;

	if (buf_get_bytes(r, n, &p) != 0)
		return CV_E_INVALID;
	memcpy(dst, p, n);
	return 0;
}

int
keyslot_decode(const unsigned char *in, size_t len, struct keyslot *ks)
{
	struct buf_reader r;
	unsigned char sum[SEAL_MAC_BYTES];
	const char *label;
	size_t label_len;
	uint8_t version;

	memset(ks, 0, sizeof(*ks));
	if (len < SEAL_MAC_BYTES)
		return CV_E_INTEGRITY;
	seal_checksum(sum, in, len - SEAL_MAC_BYTES);
	if (sodium_memcmp(sum, in + len - SEAL_MAC_BYTES, sizeof(sum)) != 0)
		return CV_E_INTEGRITY;
	buf_reader_init(&r, in, len - SEAL_MAC_BYTES);
	if (buf_get_u8(&r, &version) != 0)
		return CV_E_INVALID;
	if (version != KEYSLOT_VERSION)
		return CV_E_VERSION;
	if (buf_get_u8(&r, &ks->kind) != 0 ||
	    buf_get_str(&r, CV_LABEL_MAX, &label, &label_len) != 0 ||
	    buf_get_u32(&r, &ks->kdf.iterations) != 0 ||
	    buf_get_u32(&r, &ks->kdf.memory_kib) != 0 ||
	    buf_get_u32(&r, &ks->kdf.parallelism) != 0 ||
	    keyslot_get_fixed(&r, ks->salt, sizeof(ks->salt)) != 0 ||
	    keyslot_get_fixed(&r, ks->pk, sizeof(ks->pk)) != 0 ||
	    keyslot_get_fixed(&r, ks->sealed_sk, sizeof(ks->sealed_sk)) != 0 ||
	    keyslot_get_fixed(&r, ks->sealed_vmk, sizeof(ks->sealed_vmk)) != 0 ||
	    keyslot_get_fixed(&r, ks->vmk_mac, sizeof(ks->vmk_mac)) != 0 ||
	    !buf_is_done(&r))
		goto bad;
	memcpy(ks->label, label, label_len + 1);
	if (!keyslot_label_is_valid(ks->label) ||
	    (ks->kind != KEYSLOT_PASSPHRASE && ks->kind != KEYSLOT_KEYFILE) ||
	    (ks->kind == KEYSLOT_PASSPHRASE && kdf_params_check(&ks->kdf) != 0))
		goto bad;
	return 0;
bad:
	memset(ks, 0, sizeof(*ks));
	return CV_E_INVALID;
}
