/* SPDX-License-Identifier: MIT */
/* A structural check of an LMDB data file before LMDB relies on it. */
#ifndef CV_VAULT_STORE_CHECK_H
#define CV_VAULT_STORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

/*
 * LMDB trusts its file: it follows page numbers, node offsets and sizes
 * as they are on disk, so a damaged file can make it read or write out of
 * bounds.  store_check() reads the file on its own (never through LMDB's
 * map) and checks every page that the snapshot txnid reaches against the
 * invariants LMDB relies on (LMDB 0.9 data format 1, 64-bit):
 *
 *   - both meta pages: page flags, magic, format version, page size;
 *     snapshot txnid's is meta page txnid % 2, as LMDB picks it;
 *   - every page of the free list and of every database reachable from
 *     that meta page, each read once: its number, its type, its free
 *     space bounds, each node inside the page and apart from the others,
 *     key sizes, keys in order within the page and within the bounds its
 *     parent gives, every tree of even depth, overflow runs of the size
 *     their node says, named databases well-formed, the counts in each
 *     database record equal to what the tree holds;
 *   - no page both live and free, none twice, all inside the file.
 *
 * The file is read through src->read (pread on a descriptor, or memory
 * in the fuzzer) and never trusted for a size: every read is bounded by
 * src->size.  Returns 0, CV_E_INTEGRITY with why saying what is damaged
 * ("page 12 (a leaf of 'records'): node 3 runs past the page"), CV_E_IO
 * when reading failed, or CV_E_NOMEM.  A reader's (writer 0) snapshot
 * can move on under the check: two commits later its meta page is
 * rewritten, and a meta page read while it is rewritten may be torn; so
 * that page is read before and after, and when it is not the same or no
 * longer the snapshot's, CV_E_BUSY says to check a newer snapshot instead
 * (it is not damage).  Thread-safe.
 */
struct store_check_src {
	/* Read len bytes at off into buf: 0, or -1 on error or a short read. */
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size; /* bytes in the file */
};

int store_check(const struct store_check_src *src, uint64_t txnid,
    int writer, char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * The cheap part alone, for before LMDB opens the file: both meta pages
 * readable and well-formed, the file at least as large as the pages the
 * newest meta page's roots need.  Same returns.
 */
int store_check_meta(const struct store_check_src *src, char *why,
    size_t whylen) __attribute__((warn_unused_result));

#endif
