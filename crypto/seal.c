/* SPDX-License-Identifier: MIT */
/* AEAD sealing (libsodium XChaCha20-Poly1305 IETF) and BLAKE2b MACs. */
#include "crypto/seal.h"

#include <sodium.h>

#include "base/err.h"
#include "base/banned.h"

int
seal_seal(unsigned char *out, size_t outcap, size_t *outlen,
    const unsigned char *m, size_t mlen, const unsigned char *ad, size_t adlen,
    const unsigned char *key)
{
	unsigned long long clen = 0;

	*outlen = 0;
	if (mlen > outcap || outcap - mlen < SEAL_OVERHEAD)
		return CV_E_TOOBIG;
	randombytes_buf(out, SEAL_NONCE_BYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_NONCE_BYTES,
	    &clen, m, mlen, ad, adlen, NULL, out, key) != 0)
		return CV_E_INTERNAL;
	*outlen = (size_t)clen + SEAL_NONCE_BYTES;
	return 0;
}

int
seal_open(unsigned char *out, size_t outcap, size_t *outlen,
    const unsigned char *c, size_t clen, const unsigned char *ad, size_t adlen,
    const unsigned char *key)
{
	unsigned long long mlen = 0;

	*outlen = 0;
	if (clen < SEAL_OVERHEAD)
		return CV_E_INTEGRITY;
	if (clen - SEAL_OVERHEAD > outcap)
		return CV_E_TOOBIG;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    c + SEAL_NONCE_BYTES, clen - SEAL_NONCE_BYTES, ad, adlen, c,
	    key) != 0) {
		sodium_memzero(out, clen - SEAL_OVERHEAD);
		return CV_E_INTEGRITY;
	}
	*outlen = (size_t)mlen;
	return 0;
}

void
seal_mac(unsigned char out[SEAL_MAC_BYTES], const void *in, size_t inlen,
    const unsigned char *key)
{
	crypto_generichash(out, SEAL_MAC_BYTES, in, inlen, key, SEAL_KEY_BYTES);
}

int
seal_mac_is_valid(const unsigned char mac[SEAL_MAC_BYTES], const void *in,
    size_t inlen, const unsigned char *key)
{
	unsigned char want[SEAL_MAC_BYTES];
	int ok;

	seal_mac(want, in, inlen, key);
	ok = sodium_memcmp(want, mac, SEAL_MAC_BYTES) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

void
seal_checksum(unsigned char out[SEAL_MAC_BYTES], const void *in, size_t inlen)
{
	crypto_generichash(out, SEAL_MAC_BYTES, in, inlen, NULL, 0);
}

_Static_assert(sizeof(crypto_generichash_state) <=
    sizeof(((struct seal_checksum_ctx *)0)->opaque), "checksum state size");
_Static_assert(_Alignof(crypto_generichash_state) <= 64,
    "checksum state alignment");

void
seal_checksum_init(struct seal_checksum_ctx *c)
{
	crypto_generichash_init((crypto_generichash_state *)(void *)c->opaque,
	    NULL, 0, SEAL_MAC_BYTES);
}

void
seal_checksum_update(struct seal_checksum_ctx *c, const void *in,
    size_t inlen)
{
	crypto_generichash_update(
	    (crypto_generichash_state *)(void *)c->opaque, in, inlen);
}

void
seal_checksum_final(struct seal_checksum_ctx *c,
    unsigned char out[SEAL_MAC_BYTES])
{
	crypto_generichash_final((crypto_generichash_state *)(void *)c->opaque,
	    out, SEAL_MAC_BYTES);
	sodium_memzero(c, sizeof(*c));
}

void
seal_random(void *out, size_t n)
{
	randombytes_buf(out, n);
}
