/* SPDX-License-Identifier: MIT */
/* Scope sets: normalised space-separated lists, and the subset test. */
#ifndef CV_HOOKS_SCOPE_H
#define CV_HOOKS_SCOPE_H

#include <stddef.h>

/*
 * Normalise a space-separated scope list (any runs of spaces) into out
 * (outlen > CV_SCOPE_MAX): sorted by byte value, duplicates removed,
 * single spaces, "" for an empty list.  CV_E_INVALID for more than
 * CV_SCOPES_MAX scopes or a byte outside printable ASCII, CV_E_TOOBIG
 * when it does not fit.  Thread-safe.
 */
int scope_normalize(const char *in, char *out, size_t outlen)
    __attribute__((warn_unused_result));

/* Whether every scope of the normalised set sub is in the normalised set
 * set (the empty set is a subset of every set). */
int scope_is_subset(const char *sub, const char *set);

#endif
