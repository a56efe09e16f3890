/* SPDX-License-Identifier: MIT */
/* Wiping allocators for libcurl, so its copies of secrets do not linger. */
#include "hooks/bin/httpmem.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "crypto/secmem.h"
#include "vault/err.h"
#include "vault/banned.h"

/* max_align_t keeps the returned pointer aligned for any object. */
#define HTTPMEM_HDR sizeof(max_align_t)

static int httpmem_done;

static void *
httpmem_malloc(size_t n)
{
	unsigned char *p;

	if (n > (size_t)-1 - HTTPMEM_HDR)
		return NULL;
	p = malloc(n + HTTPMEM_HDR);
	if (p == NULL)
		return NULL;
	*(size_t *)(void *)p = n;
	return p + HTTPMEM_HDR;
}

static size_t
httpmem_size(void *ptr)
{
	return *(size_t *)(void *)((unsigned char *)ptr - HTTPMEM_HDR);
}

static void
httpmem_free(void *ptr)
{
	unsigned char *p;

	if (ptr == NULL)
		return;
	p = (unsigned char *)ptr - HTTPMEM_HDR;
	secmem_wipe(p, httpmem_size(ptr) + HTTPMEM_HDR);
	free(p);
}

/* Always moves the block so the old one can be wiped; curl reallocs rarely. */
static void *
httpmem_realloc(void *ptr, size_t n)
{
	void *q;
	size_t old;

	if (ptr == NULL)
		return httpmem_malloc(n);
	if (n == 0) {
		httpmem_free(ptr);
		return NULL;
	}
	q = httpmem_malloc(n);
	if (q == NULL)
		return NULL;
	old = httpmem_size(ptr);
	memcpy(q, ptr, old < n ? old : n);
	httpmem_free(ptr);
	return q;
}

static char *
httpmem_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *q = httpmem_malloc(n);

	if (q != NULL)
		memcpy(q, s, n);
	return q;
}

static void *
httpmem_calloc(size_t nmemb, size_t size)
{
	void *q;

	if (size != 0 && nmemb > (size_t)-1 / size)
		return NULL;
	q = httpmem_malloc(nmemb * size);
	if (q != NULL)
		memset(q, 0, nmemb * size);
	return q;
}

int
httpmem_init(void)
{
	if (httpmem_done)
		return 0;
	if (secmem_init() != 0)
		return CV_E_INTERNAL;
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, httpmem_malloc,
	        httpmem_free, httpmem_realloc, httpmem_strdup,
	        httpmem_calloc) != CURLE_OK)
		return CV_E_INTERNAL;
	httpmem_done = 1;
	return 0;
}

void
httpmem_cleanup(void)
{
	if (!httpmem_done)
		return;
	curl_global_cleanup();
	httpmem_done = 0;
}
