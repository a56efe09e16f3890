/* SPDX-License-Identifier: MIT */
/* XChaCha20-Poly1305 known answer, tamper detection, MACs, secbuf. */
#include <string.h>

#include <sodium.h>

#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "test.h"
#include "base/banned.h"

static size_t
unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL) != 0)
		return (size_t)-1;
	return n;
}

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1, laid out as our sealed form
 * (nonce || ciphertext || tag) and opened with seal_open. */
static void
test_known_answer(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If "
	    "I could offer you only one tip for the future, sunscreen would be "
	    "it.";
	unsigned char key[32], ad[12], sealed[24 + 114 + 16], out[200];
	size_t n, outlen;

	ASSERT_INT_EQ(unhex("808182838485868788898a8b8c8d8e8f909192939495969798"
	    "999a9b9c9d9e9f", key, sizeof(key)), 32);
	ASSERT_INT_EQ(unhex("50515253c0c1c2c3c4c5c6c7", ad, sizeof(ad)), 12);
	n = unhex("404142434445464748494a4b4c4d4e4f5051525354555657"
	    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
	    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
	    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
	    "21f9664c97637da9768812f615c68b13b52e"
	    "c0875924c1c7987947deafd8780acf49", sealed, sizeof(sealed));
	ASSERT_INT_EQ(n, sizeof(sealed));
	ASSERT_INT_EQ(seal_open(out, sizeof(out), &outlen, sealed, n, ad,
	    sizeof(ad), key), 0);
	ASSERT_INT_EQ(outlen, sizeof(pt) - 1);
	ASSERT_MEM_EQ(out, pt, sizeof(pt) - 1);
}

static void
test_roundtrip_and_tamper(void)
{
	unsigned char key[32], sealed[64 + SEAL_OVERHEAD], out[64];
	const unsigned char msg[] = "client secret";
	size_t n, outlen, i;

	seal_random(key, sizeof(key));
	ASSERT_INT_EQ(seal_seal(sealed, sizeof(sealed), &n, msg, sizeof(msg),
	    (const unsigned char *)"ad", 2, key), 0);
	ASSERT_INT_EQ(n, sizeof(msg) + SEAL_OVERHEAD);
	ASSERT_INT_EQ(seal_open(out, sizeof(out), &outlen, sealed, n,
	    (const unsigned char *)"ad", 2, key), 0);
	ASSERT_MEM_EQ(out, msg, sizeof(msg));
	/* Every single flipped bit anywhere is detected. */
	for (i = 0; i < n * 8; i++) {
		sealed[i / 8] ^= (unsigned char)(1u << (i % 8));
		ASSERT_INT_EQ(seal_open(out, sizeof(out), &outlen, sealed, n,
		    (const unsigned char *)"ad", 2, key), CV_E_INTEGRITY);
		sealed[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	/* Other associated data, short input, small output buffer. */
	ASSERT_INT_EQ(seal_open(out, sizeof(out), &outlen, sealed, n,
	    (const unsigned char *)"aD", 2, key), CV_E_INTEGRITY);
	ASSERT_INT_EQ(seal_open(out, sizeof(out), &outlen, sealed,
	    SEAL_OVERHEAD - 1, NULL, 0, key), CV_E_INTEGRITY);
	ASSERT_INT_EQ(seal_open(out, 3, &outlen, sealed, n,
	    (const unsigned char *)"ad", 2, key), CV_E_TOOBIG);
	ASSERT_INT_EQ(seal_seal(sealed, 10, &n, msg, sizeof(msg), NULL, 0,
	    key), CV_E_TOOBIG);
}

static void
test_mac(void)
{
	unsigned char key[32], mac[SEAL_MAC_BYTES];

	memset(key, 1, sizeof(key));
	seal_mac(mac, "abc", 3, key);
	ASSERT_TRUE(seal_mac_is_valid(mac, "abc", 3, key));
	ASSERT_TRUE(!seal_mac_is_valid(mac, "abd", 3, key));
	key[0] ^= 1;
	ASSERT_TRUE(!seal_mac_is_valid(mac, "abc", 3, key));
}

static void
test_secbuf(void)
{
	struct secbuf *sb = secbuf_new(5);

	ASSERT_TRUE(sb != NULL);
	if (sb == NULL)
		return;
	ASSERT_TRUE(sb->cap >= 5);
	ASSERT_INT_EQ(secbuf_append(sb, "hello", 5), 0);
	ASSERT_STR_EQ((char *)sb->data, "hello");
	ASSERT_INT_EQ(secbuf_append(sb, "x", sb->cap), CV_E_TOOBIG);
	ASSERT_INT_EQ(sb->len, 5);
	secbuf_reset(sb);
	ASSERT_INT_EQ(sb->len, 0);
	ASSERT_INT_EQ(sb->data[0], 0);
	secbuf_free(&sb);
	ASSERT_TRUE(sb == NULL);
	secbuf_free(&sb);
	ASSERT_TRUE(secmem_equal("abc", "abc", 3));
	ASSERT_TRUE(!secmem_equal("abc", "abd", 3));
}

int
main(void)
{
	ASSERT_INT_EQ(secmem_init(), 0);
	test_known_answer();
	test_roundtrip_and_tamper();
	test_mac();
	test_secbuf();
	return test_done("test_seal");
}
