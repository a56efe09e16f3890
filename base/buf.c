/* SPDX-License-Identifier: MIT */
/* Bounded big-endian codec primitives used by every binary format. */
#include "base/buf.h"

#include <string.h>

#include "base/err.h"
#include "base/banned.h"

void
buf_reader_init(struct buf_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

size_t
buf_remaining(const struct buf_reader *r)
{
	return r->len - r->off;
}

int
buf_is_done(const struct buf_reader *r)
{
	return r->off == r->len;
}

int
buf_get_bytes(struct buf_reader *r, size_t n, const unsigned char **out)
{
	*out = NULL;
	if (n > buf_remaining(r))
		return CV_E_INVALID;
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

static int
buf_get_be(struct buf_reader *r, size_t n, uint64_t *v)
{
	const unsigned char *b;
	uint64_t x = 0;
	size_t i;

	*v = 0;
	if (buf_get_bytes(r, n, &b) != 0)
		return CV_E_INVALID;
	for (i = 0; i < n; i++)
		x = (x << 8) | b[i];
	*v = x;
	return 0;
}

int
buf_get_u8(struct buf_reader *r, uint8_t *v)
{
	uint64_t x;
	int rc = buf_get_be(r, 1, &x);

	*v = (uint8_t)x;
	return rc;
}

int
buf_get_u16(struct buf_reader *r, uint16_t *v)
{
	uint64_t x;
	int rc = buf_get_be(r, 2, &x);

	*v = (uint16_t)x;
	return rc;
}

int
buf_get_u32(struct buf_reader *r, uint32_t *v)
{
	uint64_t x;
	int rc = buf_get_be(r, 4, &x);

	*v = (uint32_t)x;
	return rc;
}

int
buf_get_u64(struct buf_reader *r, uint64_t *v)
{
	return buf_get_be(r, 8, v);
}

int
buf_get_str(struct buf_reader *r, size_t max, const char **s, size_t *len)
{
	const unsigned char *b;
	uint16_t n;

	*s = NULL;
	*len = 0;
	if (buf_get_u16(r, &n) != 0 || n == 0 || (size_t)n - 1 > max)
		return CV_E_INVALID;
	if (buf_get_bytes(r, n, &b) != 0)
		return CV_E_INVALID;
	if (b[n - 1] != '\0' || memchr(b, '\0', (size_t)n - 1) != NULL)
		return CV_E_INVALID;
	*s = (const char *)b;
	*len = (size_t)n - 1;
	return 0;
}

void
buf_writer_init(struct buf_writer *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

void
buf_put_bytes(struct buf_writer *w, const void *p, size_t n)
{
	if (w->err != 0)
		return;
	if (n > w->cap - w->len) {
		w->err = CV_E_TOOBIG;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void
buf_put_be(struct buf_writer *w, uint64_t v, size_t n)
{
	unsigned char b[8];
	size_t i;

	for (i = 0; i < n; i++)
		b[n - 1 - i] = (unsigned char)(v >> (8 * i));
	buf_put_bytes(w, b, n);
}

void
buf_put_u8(struct buf_writer *w, uint8_t v)
{
	buf_put_be(w, v, 1);
}

void
buf_put_u16(struct buf_writer *w, uint16_t v)
{
	buf_put_be(w, v, 2);
}

void
buf_put_u32(struct buf_writer *w, uint32_t v)
{
	buf_put_be(w, v, 4);
}

void
buf_put_u64(struct buf_writer *w, uint64_t v)
{
	buf_put_be(w, v, 8);
}

void
buf_put_str(struct buf_writer *w, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= UINT16_MAX) {
		if (w->err == 0)
			w->err = CV_E_TOOBIG;
		return;
	}
	buf_put_u16(w, (uint16_t)(n + 1));
	buf_put_bytes(w, s != NULL ? s : "", n);
	buf_put_u8(w, 0);
}
