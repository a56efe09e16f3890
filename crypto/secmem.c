/* SPDX-License-Identifier: MIT */
/* Locked, guarded memory for secrets on top of sodium_malloc. */
#include "crypto/secmem.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/banned.h"

int
secmem_init(void)
{
	return sodium_init() < 0 ? CV_E_INTERNAL : 0;
}

/* sodium_malloc() places the end of the block against a guard page, so
 * the start is only aligned when the size is a multiple of the alignment. */
static size_t
secbuf_alloc_size(size_t cap)
{
	size_t n = sizeof(struct secbuf) + cap + 1;
	return (n + 15u) & ~(size_t)15u;
}

struct secbuf *
secbuf_new(size_t cap)
{
	struct secbuf *sb;
	size_t n;

	if (cap > SIZE_MAX / 2 || secmem_init() != 0)
		return NULL;
	n = secbuf_alloc_size(cap);
	sb = sodium_malloc(n);
	if (sb == NULL)
		return NULL;
	memset(sb, 0, n);
	sb->cap = n - sizeof(struct secbuf) - 1;
	sb->len = 0;
	return sb;
}

void
secbuf_free(struct secbuf **sbp)
{
	if (sbp == NULL || *sbp == NULL)
		return;
	/* sodium_free() wipes the whole block before unmapping it. */
	sodium_free(*sbp);
	*sbp = NULL;
}

int
secbuf_append(struct secbuf *sb, const void *p, size_t n)
{
	if (n > sb->cap - sb->len)
		return CV_E_TOOBIG;
	if (n > 0)
		memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
	return 0;
}

int
secbuf_set(struct secbuf *sb, const void *p, size_t n)
{
	if (n > sb->cap)
		return CV_E_TOOBIG;
	secbuf_reset(sb);
	return secbuf_append(sb, p, n);
}

void
secbuf_reset(struct secbuf *sb)
{
	sodium_memzero(sb->data, sb->len + 1);
	sb->len = 0;
}

struct secbuf *
secbuf_dup(const void *p, size_t n)
{
	struct secbuf *sb = secbuf_new(n);

	if (sb != NULL && secbuf_append(sb, p, n) != 0)
		secbuf_free(&sb);
	return sb;
}

void
secmem_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		sodium_memzero(p, n);
}

int
secmem_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
