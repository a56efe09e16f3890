/* SPDX-License-Identifier: MIT */
/* Wiping allocator for jansson and libcurl: zero every block before free. */
#define _GNU_SOURCE /* malloc_usable_size */
#include "base/wipealloc.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/banned.h"

void *
wipealloc_malloc(size_t n)
{
	return malloc(n);
}

void *
wipealloc_calloc(size_t nmemb, size_t size)
{
	return calloc(nmemb, size);
}

void
wipealloc_free(void *p)
{
	if (p == NULL)
		return;
	/* The whole block, slack included: the C library knows its size,
	 * so no header is needed and plain malloc() blocks qualify. */
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

void *
wipealloc_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		wipealloc_free(p);
		return NULL;
	}
	if ((q = malloc(n)) == NULL)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	wipealloc_free(p);
	return q;
}

char *
wipealloc_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *q = malloc(n);

	if (q != NULL)
		memcpy(q, s, n);
	return q;
}
