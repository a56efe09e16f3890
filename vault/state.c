/* SPDX-License-Identifier: MIT */
/* The state commitment: a hash tree over the records, and its head. */
#include "vault/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

#define STATE_HEAD_KEY "state"
#define STATE_SUM_KEY "sum"
#define STATE_HEAD_VERSION 1
#define STATE_LEVELS 4     /* inner levels 0 (root's children) .. 3 */
#define STATE_FANOUT 16
#define STATE_HASH SEAL_MAC_BYTES
#define STATE_NODE_BYTES (STATE_FANOUT * STATE_HASH)
#define STATE_NODE_STORED_MAX (2 + STATE_NODE_BYTES)
#define STATE_BUCKETS 65536u
#define STATE_COMMIT_BYTES (VAULT_RECORD_KEY_BYTES + 4 + SEAL_NONCE_BYTES + \
	SEAL_TAG_BYTES)
#define STATE_HEAD_BYTES (1 + 8 + STATE_HASH + STATE_HASH + 8 + STATE_HASH + \
	SEAL_MAC_BYTES)


unsigned
state_bucket(const unsigned char key[VAULT_RECORD_KEY_BYTES])
{
	return (unsigned)key[0] << 8 | key[1];
}

void
state_txn_reset(struct state_txn *st)
{
	memset(st, 0, sizeof(*st));
}

void
state_note_record(struct state_txn *st,
    const unsigned char key[VAULT_RECORD_KEY_BYTES])
{
	unsigned b = state_bucket(key);

	if (!(st->dirty[b >> 3] & (1u << (b & 7)))) {
		st->dirty[b >> 3] |= (unsigned char)(1u << (b & 7));
		st->ndirty++;
	}
}

void
state_note_slot(struct state_txn *st, const char *label)
{
	size_t n = strlen(label);

	if (st->nslots == STATE_SLOTS_NOTED || n > CV_LABEL_MAX) {
		st->slots_all = 1;
		return;
	}
	memcpy(st->slot[st->nslots], label, n + 1);
	st->nslots++;
}

static int
state_is_zero(const unsigned char *h, size_t n)
{
	size_t i;
	unsigned char acc = 0;

	for (i = 0; i < n; i++)
		acc |= h[i];
	return acc == 0;
}

/* Where inner node (level, index) is kept. */
static void
state_node_key(unsigned level, unsigned index, unsigned char key[3])
{
	key[0] = (unsigned char)level;
	key[1] = (unsigned char)(index >> 8);
	key[2] = (unsigned char)index;
}

/*
 * A node is stored compact: a 16-bit map of the children present, then
 * their hashes (most nodes near the buckets have one to three).  The
 * node's hash is over this form, which is canonical: no zero child is
 * stored, and a node without children is not stored at all.
 */
static size_t
state_node_encode(const unsigned char node[STATE_NODE_BYTES],
    unsigned char out[STATE_NODE_STORED_MAX])
{
	unsigned i, map = 0;
	size_t n = 2;

	for (i = 0; i < STATE_FANOUT; i++) {
		if (state_is_zero(node + i * STATE_HASH, STATE_HASH))
			continue;
		map |= 1u << i;
		memcpy(out + n, node + i * STATE_HASH, STATE_HASH);
		n += STATE_HASH;
	}
	out[0] = (unsigned char)(map >> 8);
	out[1] = (unsigned char)map;
	return map == 0 ? 0 : n;
}

static int
state_node_decode(const unsigned char *v, size_t n,
    unsigned char node[STATE_NODE_BYTES])
{
	unsigned i, map;
	size_t at = 2;

	memset(node, 0, STATE_NODE_BYTES);
	if (n < 2 || n > STATE_NODE_STORED_MAX)
		return CV_E_INTEGRITY;
	map = (unsigned)v[0] << 8 | v[1];
	if (map == 0)
		return CV_E_INTEGRITY;
	for (i = 0; i < STATE_FANOUT; i++) {
		if (!(map & (1u << i)))
			continue;
		if (n - at < STATE_HASH ||
		    state_is_zero(v + at, STATE_HASH))
			return CV_E_INTEGRITY;
		memcpy(node + i * STATE_HASH, v + at, STATE_HASH);
		at += STATE_HASH;
	}
	return at == n ? 0 : CV_E_INTEGRITY;
}

/* Inner node (level, index): its sixteen children; all zero if absent. */
static int
state_node_get(struct store_txn *t, unsigned level, unsigned index,
    unsigned char node[STATE_NODE_BYTES])
{
	unsigned char key[3], v[STATE_NODE_STORED_MAX];
	size_t n;
	int rc;

	state_node_key(level, index, key);
	rc = store_get(t, STORE_STATE, key, sizeof(key), v, sizeof(v), &n);
	if (rc == CV_E_NOTFOUND) {
		memset(node, 0, STATE_NODE_BYTES);
		return 0;
	}
	if (rc == CV_E_TOOBIG)
		return CV_E_INTEGRITY;
	if (rc != 0)
		return rc;
	return state_node_decode(v, n, node);
}

static int
state_node_put(struct store_txn *t, unsigned level, unsigned index,
    const unsigned char node[STATE_NODE_BYTES])
{
	unsigned char key[3], v[STATE_NODE_STORED_MAX];
	size_t n = state_node_encode(node, v);
	int rc;

	state_node_key(level, index, key);
	if (n != 0)
		return store_put(t, STORE_STATE, key, sizeof(key), v, n, 0);
	rc = store_del(t, STORE_STATE, key, sizeof(key));
	return rc == CV_E_NOTFOUND ? 0 : rc;
}

/* A node's hash: zero for a node with no children. */
static void
state_node_hash(unsigned level, unsigned index,
    const unsigned char node[STATE_NODE_BYTES], unsigned char out[STATE_HASH])
{
	static const char tag[] = "credvault state node v1";
	unsigned char b[sizeof(tag) + 3 + STATE_NODE_STORED_MAX];
	size_t n;

	if ((n = state_node_encode(node, b + sizeof(tag) + 3)) == 0) {
		memset(out, 0, STATE_HASH);
		return;
	}
	memcpy(b, tag, sizeof(tag));
	state_node_key(level, index, b + sizeof(tag));
	seal_checksum(out, b, sizeof(tag) + 3 + n);
}

/* What commits to one sealed record: its key, length, nonce and tag. */
static int
state_record_commit(const unsigned char *key, const unsigned char *val,
    size_t len, struct buf_writer *w)
{
	if (len < SEAL_OVERHEAD || len > UINT32_MAX)
		return CV_E_INTEGRITY;
	buf_put_bytes(w, key, VAULT_RECORD_KEY_BYTES);
	buf_put_u32(w, (uint32_t)len);
	buf_put_bytes(w, val, SEAL_NONCE_BYTES);
	buf_put_bytes(w, val + len - SEAL_TAG_BYTES, SEAL_TAG_BYTES);
	return 0;
}

/*
 * A checksum over entries given one at a time: a bucket's records as
 * their commitments, or the keyslot commitments.  Nothing is copied.
 */
struct state_hasher {
	struct seal_checksum_ctx c;
	size_t n;
};

static void
state_hasher_start(struct state_hasher *h, const void *pre, size_t len)
{
	seal_checksum_init(&h->c);
	seal_checksum_update(&h->c, pre, len);
	h->n = 0;
}

/* The hash; zero when empty is asked for and there were no entries. */
static void
state_hasher_finish(struct state_hasher *h, int empty_is_zero,
    unsigned char out[STATE_HASH])
{
	seal_checksum_final(&h->c, out);
	if (empty_is_zero && h->n == 0)
		memset(out, 0, STATE_HASH);
}

/* A bucket's hash: its number, then its records in key order. */
static void
state_leaf_start(struct state_hasher *h, unsigned b)
{
	static const char tag[] = "credvault state leaf v1";
	unsigned char pre[sizeof(tag) + 2];

	memcpy(pre, tag, sizeof(tag));
	pre[sizeof(tag)] = (unsigned char)(b >> 8);
	pre[sizeof(tag) + 1] = (unsigned char)b;
	state_hasher_start(h, pre, sizeof(pre));
}

static int
state_leaf_add(struct state_hasher *h, const unsigned char *key,
    size_t klen, const unsigned char *val, size_t vlen)
{
	unsigned char c[STATE_COMMIT_BYTES];
	struct buf_writer w;

	if (klen != VAULT_RECORD_KEY_BYTES)
		return CV_E_INTEGRITY;
	buf_writer_init(&w, c, sizeof(c));
	if (state_record_commit(key, val, vlen, &w) != 0 || w.err != 0)
		return CV_E_INTEGRITY;
	seal_checksum_update(&h->c, c, w.len);
	h->n++;
	return 0;
}

static int
state_leaf_visit(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	return state_leaf_add(arg, key, klen, val, vlen);
}

/* Bucket b's hash over the records stored in it now. */
static int
state_bucket_hash(struct store_txn *t, unsigned b,
    unsigned char out[STATE_HASH])
{
	struct state_hasher l;
	unsigned char prefix[2] = { (unsigned char)(b >> 8),
		(unsigned char)b };
	int rc;

	state_leaf_start(&l, b);
	rc = store_scan(t, STORE_RECORDS, prefix, sizeof(prefix),
	    state_leaf_visit, &l);
	state_hasher_finish(&l, 1, out);
	return rc;
}

/* The update of inner nodes along the buckets changed, one cached node
 * per level, visited in key order. */
struct state_path {
	struct store_txn *t;
	int valid[STATE_LEVELS];
	int dirty[STATE_LEVELS];
	unsigned index[STATE_LEVELS];
	unsigned char node[STATE_LEVELS][STATE_NODE_BYTES];
	unsigned char root[STATE_HASH];
};

/* Write node `level` back, and its hash into its parent (or the root). */
static int
state_path_flush(struct state_path *p, unsigned level)
{
	unsigned char h[STATE_HASH];
	unsigned up;
	int rc;

	if (!p->valid[level])
		return 0;
	p->valid[level] = 0;
	if (!p->dirty[level])
		return 0;
	if ((rc = state_node_put(p->t, level, p->index[level],
	    p->node[level])) != 0)
		return rc;
	state_node_hash(level, p->index[level], p->node[level], h);
	if (level == 0) {
		memcpy(p->root, h, STATE_HASH);
		return 0;
	}
	up = level - 1;
	memcpy(p->node[up] + (p->index[level] % STATE_FANOUT) * STATE_HASH, h,
	    STATE_HASH);
	p->dirty[up] = 1;
	return 0;
}

/* Make node (level, index) the cached one at its level, parents first. */
static int
state_path_load(struct state_path *p, unsigned level, unsigned index)
{
	int rc;

	if (p->valid[level] && p->index[level] == index)
		return 0;
	if ((rc = state_path_flush(p, level)) != 0)
		return rc;
	if (level > 0 &&
	    (rc = state_path_load(p, level - 1, index / STATE_FANOUT)) != 0)
		return rc;
	if ((rc = state_node_get(p->t, level, index, p->node[level])) != 0)
		return rc;
	p->valid[level] = 1;
	p->dirty[level] = 0;
	p->index[level] = index;
	return 0;
}

/* Set bucket b's hash and what follows up to the root. */
static int
state_path_set(struct state_path *p, unsigned b,
    const unsigned char h[STATE_HASH])
{
	unsigned char *slot;
	int rc;

	if ((rc = state_path_load(p, STATE_LEVELS - 1, b / STATE_FANOUT)) != 0)
		return rc;
	slot = p->node[STATE_LEVELS - 1] + (b % STATE_FANOUT) * STATE_HASH;
	if (memcmp(slot, h, STATE_HASH) != 0) {
		memcpy(slot, h, STATE_HASH);
		p->dirty[STATE_LEVELS - 1] = 1;
	}
	return 0;
}

static int
state_path_finish(struct state_path *p)
{
	int level, rc;

	for (level = STATE_LEVELS - 1; level >= 0; level--)
		if ((rc = state_path_flush(p, (unsigned)level)) != 0)
			return rc;
	return 0;
}

/* Every bucket that holds records or that the tree says does. */
static int
state_mark_record(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	(void)val;
	(void)vlen;
	if (klen != VAULT_RECORD_KEY_BYTES)
		return CV_E_INTEGRITY;
	state_note_record(arg, key);
	return 0;
}

static int
state_mark_node(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	const unsigned char *k = key;
	unsigned char node[STATE_NODE_BYTES];
	unsigned i, b;

	if (klen != 3 || k[0] != STATE_LEVELS - 1)
		return 0; /* not a node above the buckets (or a keyslot's) */
	if (state_node_decode(val, vlen, node) != 0)
		return CV_E_INTEGRITY;
	for (i = 0; i < STATE_FANOUT; i++) {
		b = ((unsigned)k[1] << 8 | k[2]) * STATE_FANOUT + i;
		if (b < STATE_BUCKETS &&
		    !state_is_zero(node + i * STATE_HASH, STATE_HASH)) {
			unsigned char bk[VAULT_RECORD_KEY_BYTES] = { 0 };

			bk[0] = (unsigned char)(b >> 8);
			bk[1] = (unsigned char)b;
			state_note_record(arg, bk);
		}
	}
	return 0;
}

/* The records root after the changes st names. */
static int
state_records_update(struct store_txn *t, const struct state_txn *st,
    const unsigned char old_root[STATE_HASH], unsigned char root[STATE_HASH])
{
	struct state_txn *all = NULL;
	const struct state_txn *use = st;
	struct state_path *p;
	unsigned char h[STATE_HASH];
	unsigned b;
	int rc;

	if (!st->all && st->ndirty == 0) {
		memcpy(root, old_root, STATE_HASH);
		return 0;
	}
	if (st->all) {
		if ((all = malloc(sizeof(*all))) == NULL)
			return CV_E_NOMEM;
		*all = *st;
		if ((rc = store_scan(t, STORE_RECORDS, NULL, 0,
		    state_mark_record, all)) != 0 ||
		    (rc = store_scan(t, STORE_STATE, NULL, 0, state_mark_node,
		    all)) != 0) {
			free(all);
			return rc;
		}
		use = all;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		free(all);
		return CV_E_NOMEM;
	}
	p->t = t;
	memcpy(p->root, old_root, STATE_HASH);
	rc = 0;
	for (b = 0; b < STATE_BUCKETS && rc == 0; b++) {
		if (!(use->dirty[b >> 3] & (1u << (b & 7))))
			continue;
		if ((rc = state_bucket_hash(t, b, h)) == 0)
			rc = state_path_set(p, b, h);
	}
	if (rc == 0 && (rc = state_path_finish(p)) == 0)
		memcpy(root, p->root, STATE_HASH);
	free(p);
	free(all);
	return rc;
}

/* Where the commitment to keyslot label is kept: 's' then its label. */
static size_t
state_slot_ckey(const char *label, unsigned char *key)
{
	size_t n = strlen(label);

	key[0] = 's';
	/* A key of n + 1 bytes, not a string: no terminator. */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(key + 1, label, n);
	return n + 1;
}

/* Put (or, when the keyslot is gone, delete) the commitment to keyslot
 * label as it is now. */
static int
state_slot_commit(struct store_txn *t, const char *label)
{
	unsigned char val[KEYSLOT_ENCODED_MAX], h[STATE_HASH];
	unsigned char ckey[1 + CV_LABEL_MAX];
	char key[CV_LABEL_MAX + 8];
	size_t n, cn;
	int rc;

	vault_slot_key(label, key, sizeof(key));
	cn = state_slot_ckey(label, ckey);
	rc = store_get(t, STORE_META, key, strlen(key), val, sizeof(val), &n);
	if (rc == CV_E_NOTFOUND) {
		rc = store_del(t, STORE_STATE, ckey, cn);
		return rc == CV_E_NOTFOUND ? 0 : rc;
	}
	if (rc != 0)
		return rc;
	seal_checksum(h, val, n);
	return store_put(t, STORE_STATE, ckey, cn, h, sizeof(h), 0);
}

struct state_slot_list {
	char labels[CV_KEYSLOTS_MAX + 1][CV_LABEL_MAX + 1];
	size_t n;
	int over;
};

static int
state_slot_list_visit(const void *key, size_t klen, const void *val,
    size_t vlen, void *arg)
{
	struct state_slot_list *l = arg;
	size_t n = klen - 1;

	(void)val;
	(void)vlen;
	if (n == 0 || n > CV_LABEL_MAX || l->n > CV_KEYSLOTS_MAX) {
		l->over = 1;
		return 0;
	}
	memcpy(l->labels[l->n], (const char *)key + 1, n);
	l->labels[l->n][n] = '\0';
	l->n++;
	return 0;
}

static int
state_slot_meta_visit(const void *key, size_t klen, const void *val,
    size_t vlen, void *arg)
{
	(void)val;
	(void)vlen;
	return state_slot_list_visit((const char *)key + 4, klen - 4, NULL, 0,
	    arg); /* "slot/" minus one byte, as if 's' */
}

/* Every commitment again, from the keyslots as they are (a new vault, an
 * upgrade, a rekey, which checks every keyslot first). */
static int
state_slots_rebuild(struct store_txn *t)
{
	struct state_slot_list *l;
	size_t i;
	int rc;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return CV_E_NOMEM;
	/* Drop the old ones ... */
	if ((rc = store_scan(t, STORE_STATE, "s", 1, state_slot_list_visit,
	    l)) != 0 || l->over)
		goto out;
	for (i = 0; i < l->n; i++) {
		unsigned char ckey[1 + CV_LABEL_MAX];

		if ((rc = store_del(t, STORE_STATE, ckey,
		    state_slot_ckey(l->labels[i], ckey))) != 0)
			goto out;
	}
	/* ... and commit to each keyslot there is. */
	memset(l, 0, sizeof(*l));
	if ((rc = store_scan(t, STORE_META, "slot/", 5, state_slot_meta_visit,
	    l)) != 0)
		goto out;
	for (i = 0; i < l->n && rc == 0; i++)
		rc = state_slot_commit(t, l->labels[i]);
out:
	if (rc == 0 && l->over)
		rc = CV_E_INTEGRITY;
	free(l);
	return rc;
}

/* One entry of a digest: its key's length, its key and a hash. */
static int
state_digest_visit(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct state_hasher *h = arg;
	unsigned char len[2];

	if (klen > UINT16_MAX || vlen != STATE_HASH)
		return CV_E_INTEGRITY;
	len[0] = (unsigned char)(klen >> 8);
	len[1] = (unsigned char)klen;
	seal_checksum_update(&h->c, len, sizeof(len));
	seal_checksum_update(&h->c, key, klen);
	seal_checksum_update(&h->c, val, vlen);
	h->n++;
	return 0;
}

/* The digest over every keyslot commitment, in key order. */
static int
state_slots_digest(struct store_txn *t, unsigned char out[STATE_HASH])
{
	static const char tag[] = "credvault state slots v1";
	struct state_hasher h;
	int rc;

	state_hasher_start(&h, tag, sizeof(tag));
	rc = store_scan(t, STORE_STATE, "s", 1, state_digest_visit, &h);
	state_hasher_finish(&h, 0, out);
	return rc;
}

/* Bytes of one entry for the meta checksum: its key and value's hash. */
static int
state_slot_visit(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	unsigned char h[STATE_HASH];

	seal_checksum(h, val, vlen);
	return state_digest_visit(key, klen, h, STATE_HASH, arg);
}

static int
state_sum_visit(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	const char *k = key;

	/* What is read before any key is known. */
	if (!((klen == 7 && memcmp(k, "version", 7) == 0) ||
	    (klen == 8 && memcmp(k, "vault_id", 8) == 0) ||
	    (klen == 5 && memcmp(k, "check", 5) == 0) ||
	    (klen > 5 && memcmp(k, "slot/", 5) == 0)))
		return 0;
	return state_slot_visit(key, klen, val, vlen, arg);
}

/* The meta checksum over what unlocking reads. */
static int
state_meta_sum(struct store_txn *t, unsigned char out[STATE_HASH])
{
	static const char tag[] = "credvault meta sum v1";
	struct state_hasher h;
	int rc;

	seal_checksum_init(&h.c);
	rc = state_slot_visit(tag, sizeof(tag), "", 0, &h);
	if (rc == 0)
		rc = store_scan(t, STORE_META, NULL, 0, state_sum_visit, &h);
	seal_checksum_final(&h.c, out);
	return rc;
}

int
state_meta_verify(struct store_txn *t, char *why, size_t whylen)
{
	unsigned char want[STATE_HASH], got[STATE_HASH];
	size_t n;
	int rc;

	rc = store_get(t, STORE_META, STATE_SUM_KEY, strlen(STATE_SUM_KEY), got,
	    sizeof(got), &n);
	if (rc != 0)
		return rc;
	if (n != sizeof(got) || (rc = state_meta_sum(t, want)) != 0 ||
	    memcmp(want, got, sizeof(want)) != 0) {
		cv_why(why, whylen, "its meta data (format, vault id or "
		    "keyslots) is damaged");
		return rc != 0 && rc != CV_E_INTEGRITY ? rc : CV_E_INTEGRITY;
	}
	return 0;
}

static void
state_head_mac(const struct vault *v, const struct vault_keys *k,
    const unsigned char *b, size_t n, unsigned char mac[SEAL_MAC_BYTES])
{
	static const char tag[] = "credvault state head v1";
	unsigned char in[sizeof(tag) + VAULT_ID_BYTES + STATE_HEAD_BYTES];

	memcpy(in, tag, sizeof(tag));
	memcpy(in + sizeof(tag), v->vault_id, VAULT_ID_BYTES);
	memcpy(in + sizeof(tag) + VAULT_ID_BYTES, b, n);
	seal_mac(mac, in, sizeof(tag) + VAULT_ID_BYTES + n, k->meta);
}

/* Read and authenticate the head; CV_E_NOTFOUND when there is none. */
static int
state_head_get(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k, struct state_head *h)
{
	unsigned char b[STATE_HEAD_BYTES], mac[SEAL_MAC_BYTES];
	const unsigned char *p;
	struct buf_reader r;
	uint8_t version;
	size_t n;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = store_get(t, STORE_META, STATE_HEAD_KEY, strlen(STATE_HEAD_KEY),
	    b, sizeof(b), &n);
	if (rc != 0)
		return rc;
	if (n != sizeof(b))
		return CV_E_INTEGRITY;
	state_head_mac(v, k, b, n - SEAL_MAC_BYTES, mac);
	if (!secmem_equal(mac, b + n - SEAL_MAC_BYTES, SEAL_MAC_BYTES))
		return CV_E_INTEGRITY;
	buf_reader_init(&r, b, n - SEAL_MAC_BYTES);
	if (buf_get_u8(&r, &version) != 0 || version != STATE_HEAD_VERSION ||
	    buf_get_u64(&r, &h->counter) != 0 ||
	    buf_get_bytes(&r, STATE_HASH, &p) != 0)
		return CV_E_INTEGRITY;
	memcpy(h->records, p, STATE_HASH);
	if (buf_get_bytes(&r, STATE_HASH, &p) != 0)
		return CV_E_INTEGRITY;
	memcpy(h->slots, p, STATE_HASH);
	if (buf_get_u64(&r, &h->audit_seq) != 0 ||
	    buf_get_bytes(&r, STATE_HASH, &p) != 0 || !buf_is_done(&r))
		return CV_E_INTEGRITY;
	memcpy(h->audit_last, p, STATE_HASH);
	return 0;
}

static int
state_head_put(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k, const struct state_head *h)
{
	unsigned char b[STATE_HEAD_BYTES];
	struct buf_writer w;

	buf_writer_init(&w, b, sizeof(b));
	buf_put_u8(&w, STATE_HEAD_VERSION);
	buf_put_u64(&w, h->counter);
	buf_put_bytes(&w, h->records, STATE_HASH);
	buf_put_bytes(&w, h->slots, STATE_HASH);
	buf_put_u64(&w, h->audit_seq);
	buf_put_bytes(&w, h->audit_last, STATE_HASH);
	state_head_mac(v, k, b, w.len, b + w.len);
	w.len += SEAL_MAC_BYTES;
	if (w.err != 0 || w.len != sizeof(b))
		return CV_E_INTERNAL;
	return store_put(t, STORE_META, STATE_HEAD_KEY, strlen(STATE_HEAD_KEY),
	    b, sizeof(b), 0);
}

int
state_head_verify(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k, struct state_head *head, char *why,
    size_t whylen)
{
	unsigned char last[STATE_HASH];
	uint64_t seq;
	int rc;

	if ((rc = state_head_get(t, v, k, head)) != 0) {
		if (rc == CV_E_INTEGRITY)
			cv_why(why, whylen, "the vault's state head fails "
			    "authentication");
		return rc;
	}
	rc = audit_head_read(t, &k->audit, &seq, last);
	if (rc == CV_E_INTEGRITY || (rc == 0 && (seq != head->audit_seq ||
	    !secmem_equal(last, head->audit_last, STATE_HASH)))) {
		cv_why(why, whylen, "the audit log is not the one the vault "
		    "committed to (%llu entries, not %llu): entries were cut "
		    "off or put back", (unsigned long long)seq,
		    (unsigned long long)head->audit_seq);
		return CV_E_INTEGRITY;
	}
	return rc;
}

int
state_commit(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k, const struct state_txn *st,
    const struct state_head *prev, struct state_head *head)
{
	struct state_head h;
	unsigned char sum[STATE_HASH];
	size_t i;
	int rc = 0;

	if (prev == NULL && !st->all)
		return CV_E_INTERNAL; /* only a new or upgraded vault lacks it */
	if (prev != NULL)
		h = *prev;
	else
		memset(&h, 0, sizeof(h));
	if ((rc = state_records_update(t, st, h.records, h.records)) != 0)
		return rc;
	if (st->slots_all || st->all)
		rc = state_slots_rebuild(t);
	for (i = 0; rc == 0 && !st->slots_all && !st->all && i < st->nslots;
	    i++)
		rc = state_slot_commit(t, st->slot[i]);
	if (rc != 0)
		return rc;
	if (st->slots_all || st->all || st->nslots > 0 || st->slots) {
		if ((rc = state_slots_digest(t, h.slots)) != 0 ||
		    (rc = state_meta_sum(t, sum)) != 0 ||
		    (rc = store_put(t, STORE_META, STATE_SUM_KEY,
		    strlen(STATE_SUM_KEY), sum, sizeof(sum), 0)) != 0)
			return rc;
	}
	if ((rc = audit_head_read(t, &k->audit, &h.audit_seq,
	    h.audit_last)) != 0)
		return rc;
	h.counter++;
	if ((rc = state_head_put(t, v, k, &h)) != 0)
		return rc;
	if (head != NULL)
		*head = h;
	return 0;
}

/* What one handle verified in one snapshot (state.h). */
#define STATE_SEEN_NODES (1 + STATE_FANOUT + STATE_FANOUT * STATE_FANOUT)

struct state_seen {
	int valid;
	uint64_t snap;
	unsigned long keys_gen;
	struct state_head head;
	unsigned char buckets[STATE_BUCKETS / 8];
	unsigned char node_ok[(STATE_SEEN_NODES + 7) / 8];
	unsigned char node[STATE_SEEN_NODES][STATE_NODE_BYTES];
};

struct state_seen *
state_seen_new(void)
{
	return calloc(1, sizeof(struct state_seen));
}

void
state_seen_free(struct state_seen **sp)
{
	if (sp == NULL)
		return;
	free(*sp);
	*sp = NULL;
}

int
state_seen_get(const struct state_seen *s, uint64_t snap,
    unsigned long keys_gen, struct state_head *head)
{
	if (!s->valid || s->snap != snap || s->keys_gen != keys_gen)
		return 0;
	*head = s->head;
	return 1;
}

void
state_seen_set(struct state_seen *s, uint64_t snap, unsigned long keys_gen,
    const struct state_head *head)
{
	s->valid = 1;
	s->snap = snap;
	s->keys_gen = keys_gen;
	s->head = *head;
	memset(s->buckets, 0, sizeof(s->buckets));
	memset(s->node_ok, 0, sizeof(s->node_ok));
}

/* Where node (level, index) of the top three levels is kept in s. */
static unsigned
state_seen_slot(unsigned level, unsigned index)
{
	return level == 0 ? 0 : level == 1 ? 1 + index :
	    1 + STATE_FANOUT + index;
}

/* Node (level, index), checked against its hash want; from s when it
 * was checked in this snapshot before. */
static int
state_node_verified(struct store_txn *t, struct state_seen *s,
    unsigned level, unsigned index, const unsigned char want[STATE_HASH],
    unsigned char node[STATE_NODE_BYTES])
{
	unsigned char h[STATE_HASH];
	unsigned slot = state_seen_slot(level, index);
	int cached = s != NULL && level < STATE_LEVELS - 1;
	int rc;

	if (cached && (s->node_ok[slot >> 3] & (1u << (slot & 7)))) {
		memcpy(node, s->node[slot], STATE_NODE_BYTES);
		return 0;
	}
	if ((rc = state_node_get(t, level, index, node)) != 0)
		return rc;
	state_node_hash(level, index, node, h);
	if (memcmp(h, want, STATE_HASH) != 0)
		return CV_E_INTEGRITY;
	if (cached) {
		memcpy(s->node[slot], node, STATE_NODE_BYTES);
		s->node_ok[slot >> 3] |= (unsigned char)(1u << (slot & 7));
	}
	return 0;
}

int
state_verify_bucket(struct store_txn *t, const struct state_head *head,
    struct state_seen *seen, const unsigned char key[VAULT_RECORD_KEY_BYTES],
    char *why, size_t whylen)
{
	unsigned char node[STATE_NODE_BYTES], want[STATE_HASH], h[STATE_HASH];
	unsigned b = state_bucket(key), level, shift;
	int rc;

	if (seen != NULL && (seen->buckets[b >> 3] & (1u << (b & 7))))
		return 0;
	/* From the root down: node (level, b >> 4(4 - level)) holds child
	 * (b >> 4(3 - level)) % 16 on the way to bucket b. */
	memcpy(want, head->records, STATE_HASH);
	for (level = 0; level < STATE_LEVELS &&
	    !state_is_zero(want, STATE_HASH); level++) {
		shift = 4 * (STATE_LEVELS - level);
		rc = state_node_verified(t, seen, level, b >> shift, want, node);
		if (rc == CV_E_INTEGRITY)
			goto bad;
		if (rc != 0)
			return rc;
		memcpy(want, node + ((b >> (shift - 4)) % STATE_FANOUT) *
		    STATE_HASH, STATE_HASH);
	}
	/* A zero on the way: the bucket committed to holds nothing. */
	if (level < STATE_LEVELS)
		memset(want, 0, STATE_HASH);
	if ((rc = state_bucket_hash(t, b, h)) != 0)
		return rc;
	if (memcmp(h, want, STATE_HASH) != 0)
		goto bad;
	if (seen != NULL)
		seen->buckets[b >> 3] |= (unsigned char)(1u << (b & 7));
	return 0;
bad:
	cv_why(why, whylen, "its records are not the ones the vault committed "
	    "to: a record was put back from an older copy, or lost");
	return CV_E_INTEGRITY;
}

int
state_verify_slot(struct store_txn *t, const struct state_head *head,
    const char *label, const void *val, size_t vlen, char *why,
    size_t whylen)
{
	/* label NULL: the digest alone (before a keyslot changes). */
	unsigned char h[STATE_HASH], c[STATE_HASH], ckey[1 + CV_LABEL_MAX];
	size_t n;
	int rc;

	if ((rc = state_slots_digest(t, h)) != 0 && rc != CV_E_INTEGRITY)
		return rc;
	if (rc != 0 || memcmp(h, head->slots, STATE_HASH) != 0) {
		cv_why(why, whylen, "its keyslots are not the ones the vault "
		    "committed to");
		return CV_E_INTEGRITY;
	}
	if (label == NULL)
		return 0;
	if (strlen(label) > CV_LABEL_MAX)
		return CV_E_INVALID;
	rc = store_get(t, STORE_STATE, ckey, state_slot_ckey(label, ckey), c,
	    sizeof(c), &n);
	if (rc != 0 && rc != CV_E_NOTFOUND)
		return rc;
	seal_checksum(h, val, vlen);
	if (rc == 0 && n == sizeof(c) && memcmp(h, c, STATE_HASH) == 0)
		return 0;
	cv_why(why, whylen, "keyslot '%s' is not the one the vault committed "
	    "to: it was put back from an older copy, changed or added by "
	    "hand", label);
	return CV_E_INTEGRITY;
}

struct state_slots_walk {
	struct store_txn *t;
	const struct state_head *head;
	void (*report)(const char *label, const char *why, void *ctx);
	void *ctx;
	int bad;
	char why[256];
};

static int
state_slots_walk_visit(const void *key, size_t klen, const void *val,
    size_t vlen, void *arg)
{
	struct state_slots_walk *w = arg;
	char label[CV_LABEL_MAX + 1];
	size_t n = klen - 5;
	int rc;

	if (n == 0 || n > CV_LABEL_MAX)
		return 0; /* not a keyslot anyone could unlock */
	memcpy(label, (const char *)key + 5, n);
	label[n] = '\0';
	rc = state_verify_slot(w->t, w->head, label, val, vlen, w->why,
	    sizeof(w->why));
	if (rc == CV_E_INTEGRITY) {
		w->bad = 1;
		w->report(label, w->why, w->ctx);
		return 0;
	}
	return rc;
}

static int
state_slots_lost_visit(const void *key, size_t klen, const void *val,
    size_t vlen, void *arg)
{
	struct state_slots_walk *w = arg;
	unsigned char got[KEYSLOT_ENCODED_MAX];
	char label[CV_LABEL_MAX + 1], mkey[CV_LABEL_MAX + 8];
	size_t n = klen - 1, m;
	int rc;

	(void)val;
	(void)vlen;
	if (n == 0 || n > CV_LABEL_MAX)
		return CV_E_INTEGRITY;
	memcpy(label, (const char *)key + 1, n);
	label[n] = '\0';
	vault_slot_key(label, mkey, sizeof(mkey));
	rc = store_get(w->t, STORE_META, mkey, strlen(mkey), got, sizeof(got),
	    &m);
	if (rc == CV_E_NOTFOUND) {
		w->bad = 1;
		cv_why(w->why, sizeof(w->why), "keyslot '%s' the vault committed "
		    "to is gone", label);
		w->report(label, w->why, w->ctx);
		return 0;
	}
	return rc == CV_E_INTEGRITY ? 0 : rc;
}

int
state_check_slots(struct store_txn *t, const struct state_head *head,
    void (*report)(const char *label, const char *why, void *ctx),
    void *ctx)
{
	struct state_slots_walk w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.t = t;
	w.head = head;
	w.report = report;
	w.ctx = ctx;
	if ((rc = store_scan(t, STORE_META, "slot/", 5, state_slots_walk_visit,
	    &w)) != 0 ||
	    (rc = store_scan(t, STORE_STATE, "s", 1, state_slots_lost_visit,
	    &w)) != 0)
		return rc;
	return w.bad ? CV_E_INTEGRITY : 0;
}

/* The buckets a walk expects, with their hashes, in bucket order. */
struct state_walk {
	struct store_txn *t;
	size_t n, cap, next;
	size_t gone;         /* expected buckets without records */
	unsigned first_gone;
	unsigned *bucket;
	unsigned char (*hash)[STATE_HASH];
};

static int
state_walk_expect(struct state_walk *w, unsigned b,
    const unsigned char h[STATE_HASH])
{
	unsigned char (*nh)[STATE_HASH];
	unsigned *nb;
	size_t ncap;

	if (w->n == w->cap) {
		ncap = w->cap ? 2 * w->cap : 256;
		if ((nb = realloc(w->bucket, ncap * sizeof(*nb))) == NULL)
			return CV_E_NOMEM;
		w->bucket = nb;
		if ((nh = realloc(w->hash, ncap * sizeof(*nh))) == NULL)
			return CV_E_NOMEM;
		w->hash = nh;
		w->cap = ncap;
	}
	w->bucket[w->n] = b;
	memcpy(w->hash[w->n], h, STATE_HASH);
	w->n++;
	return 0;
}

/* Check node (level, index) against its hash h and descend. */
static int
state_walk_node(struct state_walk *w, unsigned level, unsigned index,
    const unsigned char h[STATE_HASH])
{
	unsigned char node[STATE_NODE_BYTES], nh[STATE_HASH];
	const unsigned char *c;
	unsigned i;
	int rc;

	if ((rc = state_node_get(w->t, level, index, node)) != 0)
		return rc;
	state_node_hash(level, index, node, nh);
	if (memcmp(nh, h, STATE_HASH) != 0)
		return CV_E_INTEGRITY;
	for (i = 0; i < STATE_FANOUT; i++) {
		c = node + i * STATE_HASH;
		if (state_is_zero(c, STATE_HASH))
			continue;
		if (level == STATE_LEVELS - 1)
			rc = state_walk_expect(w, index * STATE_FANOUT + i, c);
		else
			rc = state_walk_node(w, level + 1,
			    index * STATE_FANOUT + i, c);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
state_walk_begin(struct store_txn *t, const struct state_head *head,
    struct state_walk **out, char *why, size_t whylen)
{
	struct state_walk *w;
	int rc = 0;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return CV_E_NOMEM;
	w->t = t;
	if (!state_is_zero(head->records, STATE_HASH))
		rc = state_walk_node(w, 0, 0, head->records);
	if (rc != 0) {
		if (rc == CV_E_INTEGRITY)
			cv_why(why, whylen, "the tree over its records is not "
			    "the one the vault committed to");
		state_walk_free(&w);
		return rc;
	}
	*out = w;
	return 0;
}

int
state_walk_bucket(struct state_walk *w, unsigned bucket,
    const unsigned char *const *keys, const unsigned char *const *vals,
    const size_t *lens, size_t n, char *why, size_t whylen)
{
	struct state_hasher l;
	unsigned char h[STATE_HASH];
	size_t i;
	int rc = 0;

	/* Buckets the tree knows but the walk went past had no records. */
	while (w->next < w->n && w->bucket[w->next] < bucket) {
		if (w->gone++ == 0)
			w->first_gone = w->bucket[w->next];
		w->next++;
	}
	state_leaf_start(&l, bucket);
	for (i = 0; i < n && rc == 0; i++)
		rc = state_leaf_add(&l, keys[i], VAULT_RECORD_KEY_BYTES,
		    vals[i], lens[i]);
	state_hasher_finish(&l, 1, h);
	if (rc != 0)
		return rc;
	if (w->next < w->n && w->bucket[w->next] == bucket) {
		rc = memcmp(w->hash[w->next], h, STATE_HASH) == 0 ? 0 :
		    CV_E_INTEGRITY;
		w->next++;
	} else {
		rc = CV_E_INTEGRITY; /* records the tree does not know */
	}
	if (rc != 0)
		cv_why(why, whylen, "the records in bucket %04x are not the "
		    "ones the vault committed to: one was put back from an "
		    "older copy, added or lost", bucket);
	return rc;
}

int
state_walk_end(struct state_walk *w, char *why, size_t whylen)
{
	while (w->next < w->n) {
		if (w->gone++ == 0)
			w->first_gone = w->bucket[w->next];
		w->next++;
	}
	if (w->gone == 0)
		return 0;
	cv_why(why, whylen, "the records of %zu bucket(s) the vault committed "
	    "to are gone (the first: %04x)", w->gone, w->first_gone);
	return CV_E_INTEGRITY;
}

/* A bucket at a time, for state_verify_records(). */
struct state_all {
	struct state_hasher l; /* first: its alignment would pad the rest */
	struct state_walk *w;
	unsigned bucket;
	int have;
	char *why;
	size_t whylen;
};

static int
state_all_flush(struct state_all *a)
{
	unsigned char h[STATE_HASH];
	struct state_walk *w = a->w;

	if (!a->have)
		return 0;
	a->have = 0;
	while (w->next < w->n && w->bucket[w->next] < a->bucket) {
		if (w->gone++ == 0)
			w->first_gone = w->bucket[w->next];
		w->next++;
	}
	state_hasher_finish(&a->l, 1, h);
	if (w->next < w->n && w->bucket[w->next] == a->bucket &&
	    memcmp(w->hash[w->next++], h, STATE_HASH) == 0)
		return 0;
	cv_why(a->why, a->whylen, "the records in bucket %04x are not the "
	    "ones the vault committed to: one was put back from an older "
	    "copy, added or lost", a->bucket);
	return CV_E_INTEGRITY;
}

static int
state_all_visit(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct state_all *a = arg;
	unsigned b;
	int rc;

	if (klen != VAULT_RECORD_KEY_BYTES)
		return CV_E_INTEGRITY;
	b = state_bucket(key);
	if (a->have && b != a->bucket && (rc = state_all_flush(a)) != 0)
		return rc;
	if (!a->have)
		state_leaf_start(&a->l, b);
	a->bucket = b;
	a->have = 1;
	return state_leaf_add(&a->l, key, klen, val, vlen);
}

int
state_verify_records(struct store_txn *t, const struct state_head *head,
    char *why, size_t whylen)
{
	struct state_all a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.why = why;
	a.whylen = whylen;
	if ((rc = state_walk_begin(t, head, &a.w, why, whylen)) != 0)
		return rc;
	if ((rc = store_scan(t, STORE_RECORDS, NULL, 0, state_all_visit,
	    &a)) == 0 && (rc = state_all_flush(&a)) == 0)
		rc = state_walk_end(a.w, why, whylen);
	state_walk_free(&a.w);
	return rc;
}

void
state_walk_free(struct state_walk **wp)
{
	if (wp == NULL || *wp == NULL)
		return;
	free((*wp)->bucket);
	free((*wp)->hash);
	free(*wp);
	*wp = NULL;
}
