/* SPDX-License-Identifier: MIT */
/* Bounded binary reading and writing: a cursor over (ptr, len). */
#ifndef CV_BASE_BUF_H
#define CV_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * A reader never reads past len and returns CV_E_INVALID on a short input.
 * Integers are big-endian.  The reader borrows p; pointers it hands out
 * point into p and stay valid as long as p does.
 */
struct buf_reader {
	const unsigned char *p;
	size_t len;
	size_t off;
};

/*
 * A writer fills caller memory (which may be a secbuf) and never writes past
 * cap.  Once a put fails, err holds CV_E_TOOBIG and later puts do nothing,
 * so callers check err once at the end.
 */
struct buf_writer {
	unsigned char *p;
	size_t cap;
	size_t len;
	int err;
};

void buf_reader_init(struct buf_reader *r, const void *p, size_t len);
size_t buf_remaining(const struct buf_reader *r);
int buf_is_done(const struct buf_reader *r);

int buf_get_u8(struct buf_reader *r, uint8_t *v) __attribute__((warn_unused_result));
int buf_get_u16(struct buf_reader *r, uint16_t *v) __attribute__((warn_unused_result));
int buf_get_u32(struct buf_reader *r, uint32_t *v) __attribute__((warn_unused_result));
int buf_get_u64(struct buf_reader *r, uint64_t *v) __attribute__((warn_unused_result));
/* *out points into the reader's memory. */
int buf_get_bytes(struct buf_reader *r, size_t n, const unsigned char **out)
    __attribute__((warn_unused_result));
/*
 * A string written by buf_put_str: u16 length (including a NUL), the bytes,
 * the NUL.  Rejects embedded NULs, a missing NUL and lengths over max
 * (excluding the NUL).  *s is a C string inside the reader's memory.
 */
int buf_get_str(struct buf_reader *r, size_t max, const char **s, size_t *len)
    __attribute__((warn_unused_result));

void buf_writer_init(struct buf_writer *w, void *p, size_t cap);
void buf_put_u8(struct buf_writer *w, uint8_t v);
void buf_put_u16(struct buf_writer *w, uint16_t v);
void buf_put_u32(struct buf_writer *w, uint32_t v);
void buf_put_u64(struct buf_writer *w, uint64_t v);
void buf_put_bytes(struct buf_writer *w, const void *p, size_t n);
/* s may be NULL (written as the empty string). */
void buf_put_str(struct buf_writer *w, const char *s);

#endif
