/* SPDX-License-Identifier: MIT */
/* Makes jansson wipe every block it frees, since JSON may carry secrets. */
#ifndef CV_JSONMEM_H
#define CV_JSONMEM_H

/*
 * Install wiping allocators with json_set_alloc_funcs().  Call once at
 * program start, before any jansson object exists (idempotent).  Blocks are
 * ordinary heap memory (not locked); they are zeroed before free().
 */
void jsonmem_init(void);

/* Free what jansson returned (json_dumps), wiping it; accepts NULL. */
void jsonmem_free(void *p);

#endif
