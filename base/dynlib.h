/* SPDX-License-Identifier: MIT */
/* A library loaded when first needed, not at every start of credvault. */
#ifndef CV_BASE_DYNLIB_H
#define CV_BASE_DYNLIB_H

#include <stddef.h>

/*
 * Why: each shared library credvault links costs every run (`credvault
 * token` among them) its load time; libcurl alone brings 30 more.  Those
 * that only some commands need (libcurl's URL parser for add, libpwquality
 * for new passphrases) are loaded by name on first use instead.
 */
struct dynlib_sym {
	const char *name; /* symbol */
	void **slot;      /* where its address goes: (void **)&fnptr */
};

/*
 * Load soname once (later calls return at once) and resolve syms[0..n).
 * 0, or CV_E_NOTFOUND with the library and the package to install in why
 * (package: the Debian package that ships soname).  Thread-safe.  soname
 * is kept, not copied: pass a string literal.
 */
int dynlib_load(const char *soname, const char *package,
    const struct dynlib_sym *syms, size_t n, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
