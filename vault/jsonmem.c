/* SPDX-License-Identifier: MIT */
/* Size-prefixed allocator so that jansson's freed blocks can be wiped. */
#include "vault/jsonmem.h"

#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "vault/banned.h"

/* max_align_t keeps the returned pointer aligned for any object. */
#define JSONMEM_HDR sizeof(max_align_t)

static void *
jsonmem_malloc(size_t n)
{
	unsigned char *p;

	if (n > (size_t)-1 - JSONMEM_HDR)
		return NULL;
	p = malloc(n + JSONMEM_HDR);
	if (p == NULL)
		return NULL;
	*(size_t *)(void *)p = n;
	return p + JSONMEM_HDR;
}

void
jsonmem_free(void *ptr)
{
	unsigned char *p;

	if (ptr == NULL)
		return;
	p = (unsigned char *)ptr - JSONMEM_HDR;
	secmem_wipe(p, *(size_t *)(void *)p + JSONMEM_HDR);
	free(p);
}

void
jsonmem_init(void)
{
	static int done;

	if (!done) {
		json_set_alloc_funcs(jsonmem_malloc, jsonmem_free);
		done = 1;
	}
}
