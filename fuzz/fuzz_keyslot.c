/* SPDX-License-Identifier: MIT */
/* Fuzz the keyslot decoder (meta database values). */
#include <stdint.h>
#include <string.h>

#include "crypto/keyslot.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char enc[KEYSLOT_ENCODED_MAX];
	struct keyslot ks;
	size_t n;

	if (keyslot_decode(data, size, &ks) != 0)
		return 0;
	if (keyslot_encode(&ks, enc, sizeof(enc), &n) != 0 || n != size ||
	    memcmp(enc, data, size) != 0)
		__builtin_trap();
	return 0;
}
