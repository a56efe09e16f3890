/* SPDX-License-Identifier: MIT */
/* Helpers of the agent benchmark: clocks, percentiles, frames, spawning. */
#ifndef CV_BENCH_UTIL_H
#define CV_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* Sort v[0..n) and return the p-th percentile (0..100). */
double bench_percentile(double *v, size_t n, double p);

/* Connect to a Unix socket; -1 on failure. */
int bench_connect(const char *path);

/* Write len bytes, then read one reply frame (u32 length, body) into buf
 * (cap bytes); the body length, or -1. */
long bench_roundtrip(int fd, const void *req, size_t len, unsigned char *buf,
    size_t cap);

/* A token request frame for record (and scope, may be NULL) into buf;
 * its length.  Names are plain ASCII here, so no JSON escaping. */
size_t bench_token_frame(unsigned char *buf, size_t cap, const char *record,
    const char *scope);

/*
 * Spawn argv (posix_spawn, stdout and stderr to /dev/null; stdin from
 * input when not NULL, else /dev/null) and wait; the wall time in ns, or
 * 0 when it did not start or exited with more than max_exit.
 */
uint64_t bench_spawn(char *const argv[], const void *input, size_t inlen,
    int max_exit);

#endif
