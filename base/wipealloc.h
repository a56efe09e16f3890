/* SPDX-License-Identifier: MIT */
/* The one allocator that wipes every block before freeing it. */
#ifndef CV_BASE_WIPEALLOC_H
#define CV_BASE_WIPEALLOC_H

#include <stddef.h>

/*
 * Libraries that copy what they are given keep secrets in their own heap
 * blocks: jansson its parsed and dumped strings, libcurl its user name,
 * password, Authorization header and received bytes.  Handing them these
 * functions makes every such block zeroed before it goes back to the C
 * library.  Blocks are ordinary malloc() memory (not locked): a block
 * from plain malloc() may be freed with wipealloc_free() at any time, so
 * a program may switch a library over after it has already allocated.
 *
 *   json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
 *   curl_global_init_mem(CURL_GLOBAL_DEFAULT, wipealloc_malloc,
 *       wipealloc_free, wipealloc_realloc, wipealloc_strdup,
 *       wipealloc_calloc);
 *
 * Every function is thread-safe and has its libc counterpart's contract.
 */
void *wipealloc_malloc(size_t n);
void *wipealloc_calloc(size_t nmemb, size_t size);
/* Always moves the block, so that the old one can be wiped. */
void *wipealloc_realloc(void *p, size_t n);
char *wipealloc_strdup(const char *s);
/* Wipe the whole block, then free it; accepts NULL. */
void wipealloc_free(void *p);

#endif
