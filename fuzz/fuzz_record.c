/* SPDX-License-Identifier: MIT */
/* Fuzz the record codec: decode, and re-encode what decodes. */
#include <stdint.h>
#include <string.h>

#include "crypto/secmem.h"
#include "base/err.h"
#include "vault/record.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secbuf *out;
	struct record r, r2;

	if (out == NULL && (out = secbuf_new(CV_RECORD_MAX)) == NULL)
		return 0;
	if (record_decode(data, size, &r) != 0)
		return 0;
	/* What decodes must encode to the very same bytes. */
	if (record_encode(&r, out) != 0 || out->len != size ||
	    memcmp(out->data, data, size) != 0)
		__builtin_trap();
	if (record_decode(out->data, out->len, &r2) != 0 ||
	    strcmp(r2.name, r.name) != 0 || r2.ngen != r.ngen)
		__builtin_trap();
	(void)record_active(&r);
	return 0;
}
