/* SPDX-License-Identifier: MIT */
/* A small unkeyed string hash for bounded in-memory tables. */
#ifndef CV_BASE_HASH_H
#define CV_BASE_HASH_H

#include <stdint.h>

/*
 * FNV-1a over the NUL-terminated s, continuing from h (HASH_INIT to
 * start), so that several fields can be hashed in a row.  Not for tables
 * whose keys an attacker chooses without bound: those use a keyed hash
 * (the token cache uses libsodium's shorthash).
 */
#define HASH_INIT 2166136261u
uint32_t hash_str(uint32_t h, const char *s);

#endif
