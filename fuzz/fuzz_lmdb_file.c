/* SPDX-License-Identifier: MIT */
/* Fuzz the structural check of LMDB data files (vault/store_check.c). */
#include <stdint.h>
#include <string.h>

#include "vault/store_check.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_file {
	const uint8_t *p;
	size_t n;
};

/* The file is the input: every read past its end fails, as pread would. */
static int
fuzz_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const struct fuzz_file *f = ctx;

	if (off > f->n || len > f->n - off)
		return -1;
	memcpy(buf, f->p + off, len);
	return 0;
}

/* The txnid of the meta page at off, as the lock file would name it. */
static uint64_t
fuzz_txnid(const uint8_t *data, size_t size, size_t off)
{
	uint64_t v = 0;

	if (off + 16 + 128 + 8 <= size)
		memcpy(&v, data + off + 16 + 128, sizeof(v));
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_file f = { data, size };
	struct store_check_src src = { fuzz_read, &f, size };
	char why[256];
	uint32_t psize = 4096;
	int r;

	if (size >= 16 + 28)
		memcpy(&psize, data + 16 + 24, sizeof(psize));
	if (store_check_meta(&src, why, sizeof(why)) != 0)
		return 0;
	/* Either meta page's snapshot: a damaged file can name either.
	 * Whatever the verdict, the check must not crash or overread. */
	r = store_check(&src, fuzz_txnid(data, size, 0), 1, why, sizeof(why));
	if (psize >= 512 && psize <= 65536)
		r |= store_check(&src, fuzz_txnid(data, size, psize), 0, why,
		    sizeof(why));
	(void)r;
	return 0;
}
