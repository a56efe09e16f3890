/* SPDX-License-Identifier: MIT */
/* Human diagnostics of the shipped hooks on stderr; never a secret. */
#ifndef CV_HOOKLOG_H
#define CV_HOOKLOG_H

#include <stddef.h>

/* Name printed before every line; prog must stay valid (a literal). */
void hooklog_set_progname(const char *prog);

/*
 * One line on stderr: "PROG: FUNC: MESSAGE".  Callers word MESSAGE as
 * action, subject and cause, and never pass secrets, tokens or raw peer
 * input into it (sanitise with hooklog_clean() first).
 */
void hooklog(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Copy at most dstsz - 1 bytes of src[0..n) into dst for display: bytes
 * outside printable ASCII become '?'.  dst is always NUL-terminated.
 */
void hooklog_clean(char *dst, size_t dstsz, const char *src, size_t n);

#endif
