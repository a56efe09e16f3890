/* SPDX-License-Identifier: MIT */
/* application/x-www-form-urlencoded encoding straight into a secbuf. */
#ifndef CV_HOOKKIT_FORM_H
#define CV_HOOKKIT_FORM_H

#include <stddef.h>

#include "crypto/secmem.h"

/*
 * The WHATWG urlencoded serializer, as RFC 6749 appendix B asks: bytes
 * A-Z a-z 0-9 * - . _ stay, a space becomes '+', every other byte %XX.
 * Nothing is appended when the result would not fit (CV_E_TOOBIG), so a
 * secret is never half-copied.  sb stays the caller's.
 */
int form_encode(struct secbuf *sb, const void *p, size_t n)
    __attribute__((warn_unused_result));

/* Append "name=value", preceded by '&' unless sb is empty.  name must be a
 * literal made of unreserved characters. */
int form_append(struct secbuf *sb, const char *name, const void *value,
    size_t n) __attribute__((warn_unused_result));

/* Bytes form_encode() would produce for p[0..n). */
size_t form_encoded_len(const void *p, size_t n);

#endif
