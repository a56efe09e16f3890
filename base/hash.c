/* SPDX-License-Identifier: MIT */
/* FNV-1a over strings. */
#include "base/hash.h"

#include "base/banned.h"

uint32_t
hash_str(uint32_t h, const char *s)
{
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}
