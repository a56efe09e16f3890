/* SPDX-License-Identifier: MIT */
/* Argon2id through libargon2; subkeys through libsodium's KDF. */
#include "crypto/kdf.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>
#include <sodium.h>

#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define KDF_CONTEXT "cvvault1"
/* A CLI command unlocks every time it runs: keep it to 256 MiB and spend
 * the rest of the time budget on passes. */
#define KDF_CALIBRATE_MEMORY_MAX_KIB (256u * 1024u)

int
kdf_params_check(const struct kdf_params *p)
{
	if (p->iterations < 1 || p->iterations > CV_KDF_ITERATIONS_MAX)
		return CV_E_INVALID;
	if (p->parallelism < 1 || p->parallelism > CV_KDF_PARALLELISM_MAX)
		return CV_E_INVALID;
	/* libargon2 needs 8 KiB per lane at least. */
	if (p->memory_kib < 8u * p->parallelism ||
	    p->memory_kib > CV_KDF_MEMORY_MAX_KIB)
		return CV_E_INVALID;
	return 0;
}

uint32_t
kdf_default_parallelism(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 4 ? 4u : (uint32_t)n;
}

int
kdf_derive(const struct kdf_params *p, const void *pass, size_t passlen,
    const unsigned char salt[KDF_SALT_BYTES], unsigned char *key)
{
	int rc;

	if (kdf_params_check(p) != 0 || passlen > CV_KEYFILE_MAX)
		return CV_E_INVALID;
	rc = argon2id_hash_raw(p->iterations, p->memory_kib, p->parallelism,
	    pass, passlen, salt, KDF_SALT_BYTES, key, KDF_KEY_BYTES);
	if (rc == ARGON2_OK)
		return 0;
	secmem_wipe(key, KDF_KEY_BYTES);
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return CV_E_NOMEM;
	return CV_E_INVALID;
}

static double
kdf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Time one derivation of a throwaway passphrase, in milliseconds. */
static int
kdf_time(const struct kdf_params *p, double *ms)
{
	unsigned char salt[KDF_SALT_BYTES] = { 0 };
	unsigned char key[KDF_KEY_BYTES];
	double t0 = kdf_now_ms();
	int rc = kdf_derive(p, "calibrate", 9, salt, key);

	*ms = kdf_now_ms() - t0;
	secmem_wipe(key, sizeof(key));
	return rc;
}

int
kdf_calibrate(uint32_t target_ms, uint32_t parallelism, struct kdf_params *out)
{
	struct kdf_params p = { 1, CV_KDF_MEMORY_MIN_KIB, parallelism };
	double ms;
	int rc;

	*out = p;
	if (target_ms == 0 || kdf_params_check(&p) != 0)
		return CV_E_INVALID;
	if ((rc = kdf_time(&p, &ms)) != 0)
		return rc;
	/* Grow memory while two passes still fit in the target: memory is
	 * what makes guessing expensive on GPUs. */
	while (ms * 2.0 * 2.0 <= (double)target_ms &&
	    p.memory_kib * 2u <= KDF_CALIBRATE_MEMORY_MAX_KIB) {
		p.memory_kib *= 2u;
		if ((rc = kdf_time(&p, &ms)) != 0)
			return rc;
	}
	/* Then iterations, which scale time linearly: the count whose time
	 * is nearest the target. */
	if (ms > 0.0 && ms < (double)target_ms) {
		double n = (double)target_ms / ms + 0.5;

		p.iterations = n >= CV_KDF_ITERATIONS_MAX ?
		    CV_KDF_ITERATIONS_MAX : (uint32_t)n;
		if (p.iterations < 1)
			p.iterations = 1;
	}
	*out = p;
	return 0;
}

void
kdf_subkey(unsigned char *out, enum kdf_subkey id, const unsigned char *vmk)
{
	if (crypto_kdf_derive_from_key(out, KDF_KEY_BYTES, (uint64_t)id,
	    KDF_CONTEXT, vmk) != 0)
		abort(); /* only fails for sizes we never pass */
}
