/* SPDX-License-Identifier: MIT */
/* Walk an LMDB data file page by page and check what LMDB relies on. */
#include "vault/store_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

/*
 * The on-disk format of LMDB 0.9 (mdb.c, MDB_DATA_VERSION 1) on a 64-bit
 * host, in host byte order.  A page: pgno u64, pad u16, flags u16, then
 * lower u16 and upper u16 (or, on an overflow page, a u32 page count),
 * then lower - 16 bytes of u16 node offsets.  A node: lo u16, hi u16,
 * flags u16, ksize u16, the key, then the data (leaf) or nothing (branch:
 * lo | hi << 16 | flags << 32 is the child's page number).
 */
#define CHK_PAGEHDR 16
#define CHK_NODEHDR 8
#define CHK_DB_BYTES 48
#define CHK_META_OFF 16
#define CHK_META_BYTES 136
#define CHK_MAGIC 0xBEEFC0DEu
#define CHK_VERSION 1u
#define CHK_P_BRANCH 0x01u
#define CHK_P_LEAF 0x02u
#define CHK_P_OVERFLOW 0x04u
#define CHK_P_META 0x08u
#define CHK_F_BIGDATA 0x01u
#define CHK_F_SUBDATA 0x02u
#define CHK_INTEGERKEY 0x08u  /* the free list's keys are size_t txnids */
#define CHK_DB_FLAGS 0x7eu    /* MDB_REVERSEKEY..MDB_REVERSEDUP */
#define CHK_INVALID UINT64_MAX /* P_INVALID: an empty tree */
#define CHK_MAXKEY 511        /* MDB_MAXKEYSIZE */
#define CHK_DEPTH_MAX 32      /* CURSOR_STACK */
#define CHK_PSIZE_MIN 512
#define CHK_PSIZE_MAX 65536
#define CHK_FREE_SLACK (1u << 20) /* free pages past the end of the file */
#define CHK_NAMES_MAX 16          /* named databases in the main tree */

struct chk_node {
	uint16_t off, size;
};

struct chk_db {
	uint16_t flags;
	uint16_t depth;
	uint64_t branch_pages, leaf_pages, overflow_pages, entries, root;
};

struct chk_meta {
	uint32_t psize;
	uint64_t last_pg, txnid;
	struct chk_db free_db, main_db;
};

struct chk {
	const struct store_check_src *src;
	uint32_t psize;
	uint64_t last_pg;
	uint64_t file_pages;
	unsigned char *seen;  /* a bit per page up to last_pg */
	unsigned char *page;  /* CHK_DEPTH_MAX + 1 page buffers */
	unsigned char *ov;    /* one overflow page header */
	struct chk_node *nodes; /* a page's nodes, (psize - 16) / 2 */
	unsigned char *data;  /* an overflow value (free list), psize * n */
	size_t data_cap;
	char *why;
	size_t whylen;
	const char *tree;     /* which database, for messages */
	uint64_t free_pages;  /* pages listed free */
	/* What the tree being walked holds, for its database record. */
	uint64_t n_branch, n_leaf, n_overflow, n_entries;
	unsigned leaf_depth;
	/* Named databases found in the main tree, to walk next. */
	size_t nnames;
	char names[CHK_NAMES_MAX][CHK_MAXKEY + 1];
	struct chk_db subdbs[CHK_NAMES_MAX];
};

static uint16_t
chk_u16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
chk_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
chk_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int
chk_fail(struct chk *c, uint64_t pgno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Damage at page pgno (UINT64_MAX: the file as a whole). */
static int
chk_fail(struct chk *c, uint64_t pgno, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (pgno == UINT64_MAX)
		cv_why(c->why, c->whylen, "%s", what);
	else
		cv_why(c->why, c->whylen, "page %llu (%s): %s",
		    (unsigned long long)pgno, c->tree, what);
	return CV_E_INTEGRITY;
}

static void
chk_db_decode(const unsigned char *p, struct chk_db *db)
{
	db->flags = chk_u16(p + 4);
	db->depth = chk_u16(p + 6);
	db->branch_pages = chk_u64(p + 8);
	db->leaf_pages = chk_u64(p + 16);
	db->overflow_pages = chk_u64(p + 24);
	db->entries = chk_u64(p + 32);
	db->root = chk_u64(p + 40);
}

/* Read and decode meta page i (0 or 1) whose page size is psize (0: not
 * known yet, use the first meta page's). */
static int
chk_meta_read(const struct store_check_src *src, unsigned i, uint32_t psize,
    struct chk_meta *m, char *why, size_t whylen)
{
	unsigned char b[CHK_META_OFF + CHK_META_BYTES];
	uint64_t off = (uint64_t)i * psize;

	memset(m, 0, sizeof(*m));
	if (off + sizeof(b) > src->size) {
		cv_why(why, whylen, "the file is truncated: %llu bytes, no "
		    "room for meta page %u", (unsigned long long)src->size, i);
		return CV_E_INTEGRITY;
	}
	if (src->read(src->ctx, off, b, sizeof(b)) != 0) {
		cv_why(why, whylen, "cannot read meta page %u", i);
		return CV_E_IO;
	}
	if ((chk_u16(b + 10) & CHK_P_META) == 0 ||
	    chk_u32(b + CHK_META_OFF) != CHK_MAGIC) {
		cv_why(why, whylen, "meta page %u is not an LMDB meta page", i);
		return CV_E_INTEGRITY;
	}
	if (chk_u32(b + CHK_META_OFF + 4) != CHK_VERSION) {
		cv_why(why, whylen, "meta page %u has data format %u, not %u",
		    i, chk_u32(b + CHK_META_OFF + 4), CHK_VERSION);
		return CV_E_INTEGRITY;
	}
	chk_db_decode(b + CHK_META_OFF + 24, &m->free_db);
	chk_db_decode(b + CHK_META_OFF + 24 + CHK_DB_BYTES, &m->main_db);
	/* mm_psize is the free database's md_pad. */
	m->psize = chk_u32(b + CHK_META_OFF + 24);
	m->last_pg = chk_u64(b + CHK_META_OFF + 120);
	m->txnid = chk_u64(b + CHK_META_OFF + 128);
	if (m->psize < CHK_PSIZE_MIN || m->psize > CHK_PSIZE_MAX ||
	    (m->psize & (m->psize - 1)) != 0 || (psize != 0 &&
	    m->psize != psize)) {
		cv_why(why, whylen, "meta page %u has a bad page size %u", i,
		    m->psize);
		return CV_E_INTEGRITY;
	}
	return 0;
}

/* Meta page m names pages that the file of src->size bytes can hold. */
static int
chk_meta_fits(const struct store_check_src *src, const struct chk_meta *m,
    char *why, size_t whylen)
{
	uint64_t pages = src->size / m->psize;

	if (src->size % m->psize != 0 || pages < 2) {
		cv_why(why, whylen, "the file is truncated: %llu bytes is not "
		    "a whole number of %u-byte pages",
		    (unsigned long long)src->size, m->psize);
		return CV_E_INTEGRITY;
	}
	if (m->last_pg < 1 || m->last_pg > pages + CHK_FREE_SLACK) {
		cv_why(why, whylen, "the meta page's last page %llu does not "
		    "fit a file of %llu pages",
		    (unsigned long long)m->last_pg,
		    (unsigned long long)pages);
		return CV_E_INTEGRITY;
	}
	if ((m->main_db.root != CHK_INVALID && m->main_db.root >= pages) ||
	    (m->free_db.root != CHK_INVALID && m->free_db.root >= pages)) {
		cv_why(why, whylen, "the file is truncated: the snapshot's "
		    "roots lie past its %llu pages",
		    (unsigned long long)pages);
		return CV_E_INTEGRITY;
	}
	return 0;
}

/* Both meta pages, well-formed. */
static int
chk_metas(const struct store_check_src *src, struct chk_meta m[2],
    char *why, size_t whylen)
{
	int r;

	if ((r = chk_meta_read(src, 0, 0, &m[0], why, whylen)) != 0)
		return r;
	return chk_meta_read(src, 1, m[0].psize, &m[1], why, whylen);
}

int
store_check_meta(const struct store_check_src *src, char *why, size_t whylen)
{
	struct chk_meta m[2];
	int r;

	if ((r = chk_metas(src, m, why, whylen)) != 0)
		return r;
	/* The newest, which LMDB picks when it creates the lock file. */
	return chk_meta_fits(src, &m[m[0].txnid < m[1].txnid], why, whylen);
}

/* Mark n pages from pgno as reachable: in range, in the file, once. */
static int
chk_mark(struct chk *c, uint64_t pgno, uint64_t n)
{
	uint64_t i;

	if (pgno < 2 || n == 0 || pgno > c->last_pg || n > c->last_pg ||
	    pgno + n - 1 > c->last_pg)
		return chk_fail(c, pgno, "page number out of range (last "
		    "page %llu)", (unsigned long long)c->last_pg);
	if (pgno + n > c->file_pages)
		return chk_fail(c, pgno, "past the end of the file (%llu "
		    "pages): the file is truncated",
		    (unsigned long long)c->file_pages);
	for (i = pgno; i < pgno + n; i++) {
		if (c->seen[i >> 3] & (1u << (i & 7)))
			return chk_fail(c, i, "reached twice");
		c->seen[i >> 3] |= (unsigned char)(1u << (i & 7));
	}
	return 0;
}

static int
chk_read_page(struct chk *c, uint64_t pgno, unsigned char *buf)
{
	if (c->src->read(c->src->ctx, pgno * c->psize, buf, c->psize) != 0) {
		cv_why(c->why, c->whylen, "cannot read page %llu",
		    (unsigned long long)pgno);
		return CV_E_IO;
	}
	if (chk_u64(buf) != pgno)
		return chk_fail(c, pgno, "its header names page %llu",
		    (unsigned long long)chk_u64(buf));
	return 0;
}

/* A key and its length, for order checks. */
struct chk_key {
	const unsigned char *p;
	size_t n;
	int set; /* 0: unbounded */
};

/* LMDB's orders: memcmp then length, or a size_t for the free list. */
static int
chk_cmp(int intkey, const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn)
{
	uint64_t x, y;
	int d;

	if (intkey) {
		x = chk_u64(a);
		y = chk_u64(b);
		return x < y ? -1 : x > y;
	}
	d = memcmp(a, b, an < bn ? an : bn);
	return d != 0 ? d : an < bn ? -1 : an > bn;
}

static int
chk_node_cmp(const void *a, const void *b)
{
	const struct chk_node *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * The fixed part of a branch or leaf page: free space bounds, node
 * offsets, each node inside the page and apart from the others.  Node i
 * is at page + offs[i]; *nkeys is their number.
 */
static int
chk_layout(struct chk *c, uint64_t pgno, const unsigned char *page,
    int leaf, unsigned *nkeys)
{
	struct chk_node *nodes = c->nodes;
	uint16_t lower = chk_u16(page + 12), upper = chk_u16(page + 14);
	unsigned i, n;
	size_t size, ks, ds;
	uint16_t flags, off;

	if (lower < CHK_PAGEHDR || (lower - CHK_PAGEHDR) % 2 != 0 ||
	    upper < lower || upper > c->psize)
		return chk_fail(c, pgno, "bad free space bounds %u..%u",
		    lower, upper);
	n = (unsigned)(lower - CHK_PAGEHDR) / 2;
	for (i = 0; i < n; i++) {
		off = chk_u16(page + CHK_PAGEHDR + 2 * i);
		if (off < upper || off % 2 != 0 ||
		    (size_t)off + CHK_NODEHDR > c->psize)
			return chk_fail(c, pgno, "node %u is outside the page", i);
		ks = chk_u16(page + off + 6);
		flags = chk_u16(page + off + 4);
		if (ks > CHK_MAXKEY)
			return chk_fail(c, pgno, "node %u has a %zu-byte key", i,
			    ks);
		size = CHK_NODEHDR + ks;
		if (leaf) {
			ds = (size_t)chk_u16(page + off) |
			    (size_t)chk_u16(page + off + 2) << 16;
			if ((flags & ~(CHK_F_BIGDATA | CHK_F_SUBDATA)) != 0 ||
			    flags == (CHK_F_BIGDATA | CHK_F_SUBDATA))
				return chk_fail(c, pgno, "node %u has flags %#x",
				    i, flags);
			size += (flags & CHK_F_BIGDATA) ? 8 : ds;
		}
		size = (size + 1) & ~(size_t)1; /* EVEN() */
		if (off + size > c->psize)
			return chk_fail(c, pgno, "node %u runs past the page", i);
		nodes[i].off = off;
		nodes[i].size = (uint16_t)size;
	}
	qsort(nodes, n, sizeof(nodes[0]), chk_node_cmp);
	for (i = 1; i < n; i++)
		if (nodes[i - 1].off + nodes[i - 1].size > nodes[i].off)
			return chk_fail(c, pgno, "nodes overlap");
	*nkeys = n;
	return 0;
}

static int chk_tree(struct chk *c, uint64_t pgno, unsigned depth,
    int intkey, int main_tree, const struct chk_key *lo,
    const struct chk_key *hi);

/* An overflow run: n pages of P_OVERFLOW from pgno holding dsize bytes;
 * with want, its bytes are read into c->data. */
static int
chk_overflow(struct chk *c, uint64_t pgno, size_t dsize, int want)
{
	uint64_t n = (CHK_PAGEHDR - 1 + (uint64_t)dsize) / c->psize + 1;
	int r;

	if ((r = chk_mark(c, pgno, n)) != 0 ||
	    (r = chk_read_page(c, pgno, c->ov)) != 0)
		return r;
	if (chk_u16(c->ov + 10) != CHK_P_OVERFLOW || chk_u32(c->ov + 12) != n)
		return chk_fail(c, pgno, "not the overflow run of %llu pages "
		    "its node says", (unsigned long long)n);
	c->n_overflow += n;
	if (!want)
		return 0;
	if (dsize > c->data_cap) {
		free(c->data);
		if ((c->data = malloc(dsize)) == NULL) {
			c->data_cap = 0;
			return CV_E_NOMEM;
		}
		c->data_cap = dsize;
	}
	if (c->src->read(c->src->ctx, pgno * c->psize + CHK_PAGEHDR, c->data,
	    dsize) != 0) {
		cv_why(c->why, c->whylen, "cannot read page %llu",
		    (unsigned long long)pgno);
		return CV_E_IO;
	}
	return 0;
}

/* A free list entry: a count, then that many page numbers. */
static int
chk_free_entry(struct chk *c, uint64_t pgno, const unsigned char *ids,
    size_t len)
{
	uint64_t n, i, id;

	if (len < 8 || len % 8 != 0 || (n = chk_u64(ids)) != len / 8 - 1)
		return chk_fail(c, pgno, "a free list entry of %zu bytes", len);
	for (i = 1; i <= n; i++) {
		id = chk_u64(ids + 8 * i);
		if (id < 2 || id > c->last_pg)
			return chk_fail(c, pgno, "frees page %llu, out of range",
			    (unsigned long long)id);
		/* Pages freed: checked against the live ones at the end. */
		c->free_pages++;
	}
	return 0;
}

/* The data of leaf node at off: named databases, free list entries. */
static int
chk_leaf_data(struct chk *c, uint64_t pgno, const unsigned char *page,
    uint16_t off, int intkey, int main_tree)
{
	uint16_t flags = chk_u16(page + off + 4), ks = chk_u16(page + off + 6);
	size_t ds = (size_t)chk_u16(page + off) |
	    (size_t)chk_u16(page + off + 2) << 16;
	const unsigned char *data = page + off + CHK_NODEHDR + ks;
	int r;

	if (flags & CHK_F_BIGDATA) {
		if ((r = chk_overflow(c, chk_u64(data), ds, intkey)) != 0)
			return r;
		data = c->data;
	}
	if (main_tree) {
		if (!(flags & CHK_F_SUBDATA) || ds != CHK_DB_BYTES)
			return chk_fail(c, pgno, "the main tree holds a value "
			    "that is not a database");
		if (c->nnames == CHK_NAMES_MAX)
			return chk_fail(c, pgno, "too many databases");
		memcpy(c->names[c->nnames], page + off + CHK_NODEHDR, ks);
		c->names[c->nnames][ks] = '\0';
		chk_db_decode(data, &c->subdbs[c->nnames]);
		c->nnames++;
		return 0;
	}
	if (flags & CHK_F_SUBDATA)
		return chk_fail(c, pgno, "a database inside a database");
	if (intkey)
		return chk_free_entry(c, pgno, data, ds);
	return 0;
}

/* Check the page at pgno and, for a branch, its subtrees, with keys in
 * [lo, hi). */
static int
chk_tree(struct chk *c, uint64_t pgno, unsigned depth, int intkey,
    int main_tree, const struct chk_key *lo, const struct chk_key *hi)
{
	unsigned char *page = c->page + (size_t)depth * c->psize;
	struct chk_key clo, chi, prev = { NULL, 0, 0 };
	uint16_t flags, off, ks;
	unsigned i, n = 0;
	uint64_t child;
	int r, leaf;

	if (depth >= CHK_DEPTH_MAX)
		return chk_fail(c, pgno, "the tree is deeper than %d",
		    CHK_DEPTH_MAX);
	if ((r = chk_mark(c, pgno, 1)) != 0 ||
	    (r = chk_read_page(c, pgno, page)) != 0)
		return r;
	flags = chk_u16(page + 10);
	if (flags != CHK_P_BRANCH && flags != CHK_P_LEAF)
		return chk_fail(c, pgno, "flags %#x: not a branch or leaf page",
		    flags);
	leaf = flags == CHK_P_LEAF;
	if ((r = chk_layout(c, pgno, page, leaf, &n)) != 0)
		return r;
	if (n == 0)
		return chk_fail(c, pgno, "%u keys", n);
	for (i = 0; i < n; i++) {
		off = chk_u16(page + CHK_PAGEHDR + 2 * i);
		ks = chk_u16(page + off + 6);
		/* A branch page's first key is implicitly its lower bound. */
		if (!leaf && i == 0) {
			clo = *lo;
		} else {
			clo.p = page + off + CHK_NODEHDR;
			clo.n = ks;
			clo.set = 1;
			if (intkey && ks != 8)
				return chk_fail(c, pgno, "a free list key of "
				    "%u bytes", ks);
			if ((prev.set && chk_cmp(intkey, prev.p, prev.n,
			    clo.p, clo.n) >= 0) || (lo->set && chk_cmp(
			    intkey, clo.p, clo.n, lo->p, lo->n) < 0) ||
			    (hi->set && chk_cmp(intkey, clo.p, clo.n, hi->p,
			    hi->n) >= 0))
				return chk_fail(c, pgno, "key %u out of order",
				    i);
			prev = clo;
		}
		if (leaf) {
			if ((r = chk_leaf_data(c, pgno, page, off, intkey,
			    main_tree)) != 0)
				return r;
			continue;
		}
		child = (uint64_t)chk_u16(page + off) |
		    (uint64_t)chk_u16(page + off + 2) << 16 |
		    (uint64_t)chk_u16(page + off + 4) << 32;
		if (i + 1 < n) {
			uint16_t noff = chk_u16(page + CHK_PAGEHDR + 2 * (i + 1));

			chi.p = page + noff + CHK_NODEHDR;
			chi.n = chk_u16(page + noff + 6);
			chi.set = 1;
		} else {
			chi = *hi;
		}
		if ((r = chk_tree(c, child, depth + 1, intkey, main_tree, &clo,
		    &chi)) != 0)
			return r;
		/* The child used the buffers below: this page is intact. */
	}
	if (leaf) {
		if (c->leaf_depth == 0)
			c->leaf_depth = depth + 1;
		else if (c->leaf_depth != depth + 1)
			return chk_fail(c, pgno, "leaves at different depths");
		c->n_leaf++;
		c->n_entries += n;
	} else {
		c->n_branch++;
	}
	return 0;
}

/* One database: its tree, then its record against what it holds. */
static int
chk_db(struct chk *c, const struct chk_db *db, const char *name, int intkey,
    int main_tree)
{
	struct chk_key none = { NULL, 0, 0 };
	int r;

	c->tree = name;
	c->n_branch = c->n_leaf = c->n_overflow = c->n_entries = 0;
	c->leaf_depth = 0;
	if ((db->flags & ~(uint16_t)(CHK_DB_FLAGS | 0x8000u)) != 0 ||
	    (intkey != ((db->flags & CHK_INTEGERKEY) != 0)) ||
	    (db->flags & 0x04u) != 0) /* MDB_DUPSORT: not ours */
		return chk_fail(c, UINT64_MAX, "database '%s' has flags %#x",
		    name, db->flags);
	if (db->root == CHK_INVALID) {
		if (db->depth != 0 || db->entries != 0 || db->leaf_pages != 0 ||
		    db->branch_pages != 0 || db->overflow_pages != 0)
			return chk_fail(c, UINT64_MAX, "database '%s' is empty "
			    "but its record says otherwise", name);
		return 0;
	}
	if ((r = chk_tree(c, db->root, 0, intkey, main_tree, &none,
	    &none)) != 0)
		return r;
	if (db->depth != c->leaf_depth || db->entries != c->n_entries ||
	    db->leaf_pages != c->n_leaf || db->branch_pages != c->n_branch ||
	    db->overflow_pages != c->n_overflow)
		return chk_fail(c, UINT64_MAX, "database '%s' holds other "
		    "counts than its record says", name);
	return 0;
}

/* Free pages must be pages no tree reaches: walk the free list again. */
static int
chk_free_disjoint(struct chk *c, const struct chk_db *free_db)
{
	unsigned char *page;
	uint64_t pgno, id, i, n, pages[CHK_DEPTH_MAX];
	unsigned ni[CHK_DEPTH_MAX], depth = 0, k, nk;
	uint16_t off, flags;
	size_t ds;
	const unsigned char *data;
	int r;

	if (free_db->root == CHK_INVALID)
		return 0;
	/* The free tree itself was checked; walk it depth first again,
	 * re-reading pages (one buffer per level). */
	pages[0] = free_db->root;
	ni[0] = 0;
	c->tree = "free list";
	for (;;) {
		page = c->page + (size_t)depth * c->psize;
		if (ni[depth] == 0 && (r = chk_read_page(c, pages[depth],
		    page)) != 0)
			return r;
		nk = (unsigned)(chk_u16(page + 12) - CHK_PAGEHDR) / 2;
		flags = chk_u16(page + 10);
		if (flags == CHK_P_BRANCH && ni[depth] < nk) {
			off = chk_u16(page + CHK_PAGEHDR + 2 * ni[depth]);
			ni[depth]++;
			pages[depth + 1] = (uint64_t)chk_u16(page + off) |
			    (uint64_t)chk_u16(page + off + 2) << 16 |
			    (uint64_t)chk_u16(page + off + 4) << 32;
			depth++;
			ni[depth] = 0;
			continue;
		}
		if (flags == CHK_P_LEAF) {
			for (k = 0; k < nk; k++) {
				off = chk_u16(page + CHK_PAGEHDR + 2 * k);
				ds = (size_t)chk_u16(page + off) |
				    (size_t)chk_u16(page + off + 2) << 16;
				data = page + off + CHK_NODEHDR +
				    chk_u16(page + off + 6);
				if (chk_u16(page + off + 4) & CHK_F_BIGDATA) {
					pgno = chk_u64(data);
					if (c->src->read(c->src->ctx, pgno *
					    c->psize + CHK_PAGEHDR, c->data,
					    ds) != 0)
						return CV_E_IO;
					data = c->data;
				}
				n = chk_u64(data);
				for (i = 1; i <= n; i++) {
					id = chk_u64(data + 8 * i);
					if (c->seen[id >> 3] & (1u << (id & 7)))
						return chk_fail(c, id, "both "
						    "free and in use");
				}
			}
		}
		if (depth == 0)
			return 0;
		depth--;
	}
}

/* The bytes of meta page i that a commit rewrites, as they are now. */
static int
chk_meta_raw(const struct store_check_src *src, unsigned i, uint32_t psize,
    unsigned char b[CHK_META_OFF + CHK_META_BYTES])
{
	return src->read(src->ctx, (uint64_t)i * psize, b,
	    CHK_META_OFF + CHK_META_BYTES) == 0 ? 0 : CV_E_IO;
}

/*
 * The meta page of snapshot txnid: meta page txnid % 2, as LMDB picks it.
 * A reader's snapshot stays readable while its transaction lives, but
 * its meta page is rewritten two commits later; then the snapshot moved
 * on under the check (CV_E_BUSY), which is not damage.  The other meta
 * page may be newer even for a writer: a writer killed after it wrote
 * its meta page but before the lock file named it left it there, and the
 * next commit overwrites it.
 */
static int
chk_snapshot_meta(const struct store_check_src *src, uint64_t txnid,
    int writer, struct chk_meta *m, char *why, size_t whylen)
{
	struct chk_meta mm[2], *mine;
	unsigned i = (unsigned)(txnid & 1);
	int r;

	if ((r = chk_metas(src, mm, why, whylen)) != 0)
		return r;
	mine = &mm[i];
	if (mine->txnid > txnid && !writer)
		return CV_E_BUSY;
	if (mine->txnid != txnid) {
		cv_why(why, whylen, "meta page %u is of transaction %llu, the "
		    "lock file's is %llu", i, (unsigned long long)mine->txnid,
		    (unsigned long long)txnid);
		return CV_E_INTEGRITY;
	}
	if ((r = chk_meta_fits(src, mine, why, whylen)) != 0)
		return r;
	*m = *mine;
	return 0;
}

int
store_check(const struct store_check_src *src, uint64_t txnid, int writer,
    char *why, size_t whylen)
{
	unsigned char before[CHK_META_OFF + CHK_META_BYTES];
	unsigned char after[sizeof(before)];
	struct chk_meta m;
	struct chk c;
	size_t i;
	int r;

	if ((r = chk_snapshot_meta(src, txnid, writer, &m, why, whylen)) != 0)
		return r;
	if ((r = chk_meta_raw(src, (unsigned)(txnid & 1), m.psize,
	    before)) != 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.src = src;
	c.psize = m.psize;
	c.last_pg = m.last_pg;
	c.file_pages = src->size / m.psize;
	c.why = why;
	c.whylen = whylen;
	c.seen = calloc((size_t)(m.last_pg / 8 + 1), 1);
	c.page = malloc((size_t)(CHK_DEPTH_MAX + 1) * m.psize);
	c.ov = malloc(m.psize);
	c.nodes = malloc((m.psize - CHK_PAGEHDR) / 2 * sizeof(*c.nodes));
	r = CV_E_NOMEM;
	if (c.seen == NULL || c.page == NULL || c.ov == NULL || c.nodes == NULL)
		goto out;
	if ((r = chk_db(&c, &m.free_db, "free list", 1, 0)) != 0 ||
	    (r = chk_db(&c, &m.main_db, "main", 0, 1)) != 0)
		goto out;
	for (i = 0; i < c.nnames; i++)
		if ((r = chk_db(&c, &c.subdbs[i], c.names[i], 0, 0)) != 0)
			goto out;
	r = chk_free_disjoint(&c, &m.free_db);
out:
	free(c.seen);
	free(c.page);
	free(c.ov);
	free(c.nodes);
	free(c.data);
	/* A meta page rewritten during the check may have been read torn:
	 * what was checked is not known to be this snapshot. */
	if (r == CV_E_NOMEM || (chk_meta_raw(src, (unsigned)(txnid & 1),
	    m.psize, after) == 0 && memcmp(before, after, sizeof(before)) == 0))
		return r;
	if (!writer)
		return CV_E_BUSY;
	cv_why(why, whylen, "meta page %u changed while the writer lock was "
	    "held: something other than LMDB writes the file",
	    (unsigned)(txnid & 1));
	return CV_E_INTEGRITY;
}
