/* SPDX-License-Identifier: MIT */
/* Argon2id known answers (RFC 9106 and argon2(1)), parameters, subkeys. */
#include <stdio.h>
#include <string.h>

#include <argon2.h>
#include <sodium.h>

#include "crypto/kdf.h"
#include "crypto/secmem.h"
#include "base/limits.h"
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

/* RFC 9106 section 5.3: Argon2id with secret and associated data.  It
 * checks that the linked libargon2 implements version 0x13 of the RFC. */
static void
test_rfc9106(void)
{
	unsigned char pwd[32], salt[16], secret[8], ad[12], tag[32];
	unsigned char want[32];
	argon2_context ctx;

	memset(pwd, 0x01, sizeof(pwd));
	memset(salt, 0x02, sizeof(salt));
	memset(secret, 0x03, sizeof(secret));
	memset(ad, 0x04, sizeof(ad));
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = tag;
	ctx.outlen = sizeof(tag);
	ctx.pwd = pwd;
	ctx.pwdlen = sizeof(pwd);
	ctx.salt = salt;
	ctx.saltlen = sizeof(salt);
	ctx.secret = secret;
	ctx.secretlen = sizeof(secret);
	ctx.ad = ad;
	ctx.adlen = sizeof(ad);
	ctx.t_cost = 3;
	ctx.m_cost = 32;
	ctx.lanes = 4;
	ctx.threads = 4;
	ctx.version = ARGON2_VERSION_13;
	ASSERT_INT_EQ(argon2_ctx(&ctx, Argon2_id), ARGON2_OK);
	ASSERT_INT_EQ(unhex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb"
	    "52520e96b01e659", want, sizeof(want)), 32);
	ASSERT_MEM_EQ(tag, want, 32);
}

/* Our derivation against vectors from the argon2(1) reference tool. */
static void
test_vectors(void)
{
	char path[4096], line[1024], pass_hex[512], salt_hex[64], key_hex[80];
	unsigned char pass[256], salt[KDF_SALT_BYTES], want[32], got[32];
	const char *src = getenv("CV_SOURCE_DIR");
	struct kdf_params p;
	unsigned count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/vectors/argon2id.txt",
	    src != NULL ? src : ".");
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tok[6], *save = NULL, *s = line;
		size_t plen;
		int i;

		if (line[0] == '#')
			continue;
		for (i = 0; i < 6; i++, s = NULL)
			tok[i] = strtok_r(s, " \n", &save);
		if (tok[5] == NULL)
			continue;
		p.iterations = (uint32_t)strtoul(tok[0], NULL, 10);
		p.memory_kib = (uint32_t)strtoul(tok[1], NULL, 10);
		p.parallelism = (uint32_t)strtoul(tok[2], NULL, 10);
		snprintf(pass_hex, sizeof(pass_hex), "%s", tok[3]);
		snprintf(salt_hex, sizeof(salt_hex), "%s", tok[4]);
		snprintf(key_hex, sizeof(key_hex), "%s", tok[5]);
		plen = unhex(pass_hex, pass, sizeof(pass));
		ASSERT_INT_EQ(unhex(salt_hex, salt, sizeof(salt)), 16);
		ASSERT_INT_EQ(unhex(key_hex, want, sizeof(want)), 32);
		ASSERT_INT_EQ(kdf_derive(&p, pass, plen, salt, got), 0);
		ASSERT_MEM_EQ(got, want, 32);
		count++;
	}
	fclose(f);
	ASSERT_INT_EQ(count, 4);
}

static void
test_params(void)
{
	struct kdf_params ok = { 1, 64, 1 }, p;
	unsigned char salt[KDF_SALT_BYTES] = { 0 }, key[32];

	ASSERT_INT_EQ(kdf_params_check(&ok), 0);
	p = ok;
	p.iterations = 0;
	ASSERT_INT_EQ(kdf_params_check(&p), CV_E_INVALID);
	p = ok;
	p.memory_kib = 8 * 4 - 1;
	p.parallelism = 4;
	ASSERT_INT_EQ(kdf_params_check(&p), CV_E_INVALID);
	p = ok;
	p.parallelism = 0;
	ASSERT_INT_EQ(kdf_derive(&p, "x", 1, salt, key), CV_E_INVALID);
	p = ok;
	p.memory_kib = CV_KDF_MEMORY_MAX_KIB + 1;
	ASSERT_INT_EQ(kdf_params_check(&p), CV_E_INVALID);
	ASSERT_TRUE(kdf_default_parallelism() >= 1);
	ASSERT_TRUE(kdf_default_parallelism() <= 4);
}

static void
test_calibrate(void)
{
	struct kdf_params p;

	/* A short target keeps the test fast; the floor still holds. */
	ASSERT_INT_EQ(kdf_calibrate(50, 1, &p), 0);
	ASSERT_TRUE(p.memory_kib >= CV_KDF_MEMORY_MIN_KIB);
	ASSERT_TRUE(p.iterations >= 1);
	ASSERT_INT_EQ(p.parallelism, 1);
	ASSERT_INT_EQ(kdf_calibrate(0, 1, &p), CV_E_INVALID);
}

static void
test_subkeys(void)
{
	unsigned char vmk[32], a[32], b[32], c[32];

	memset(vmk, 7, sizeof(vmk));
	kdf_subkey(a, KDF_SUBKEY_RECORD, vmk);
	kdf_subkey(b, KDF_SUBKEY_INDEX, vmk);
	kdf_subkey(c, KDF_SUBKEY_RECORD, vmk);
	ASSERT_TRUE(memcmp(a, b, 32) != 0);
	ASSERT_MEM_EQ(a, c, 32);
}

int
main(void)
{
	ASSERT_INT_EQ(secmem_init(), 0);
	test_rfc9106();
	test_vectors();
	test_params();
	test_calibrate();
	test_subkeys();
	return test_done("test_kdf");
}
