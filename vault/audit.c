/* SPDX-License-Identifier: MIT */
/* Append, verify and rekey the MAC-chained, sealed audit log. */
#include "vault/audit.h"

#include <string.h>

#include "crypto/secmem.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define AUDIT_VERSION 1
#define AUDIT_AD "credvault audit v1"
#define AUDIT_HEAD_KEY "audit/head"
#define AUDIT_SEALED_MAX (CV_AUDIT_ENTRY_MAX + SEAL_OVERHEAD)
#define AUDIT_VALUE_MAX (AUDIT_SEALED_MAX + SEAL_MAC_BYTES)
#define AUDIT_HEAD_BYTES (8 + 2 * SEAL_MAC_BYTES)

struct audit_head {
	uint64_t seq;
	unsigned char last[SEAL_MAC_BYTES]; /* chain MAC of entry seq */
};

static void
audit_key_bytes(uint64_t seq, unsigned char key[8])
{
	struct buf_writer w;

	buf_writer_init(&w, key, 8);
	buf_put_u64(&w, seq);
}

/* chain_i = MAC(prefix || seq || chain_{i-1} || sealed_i) */
static void
audit_chain(const struct audit_keys *k, uint64_t seq,
    const unsigned char prev[SEAL_MAC_BYTES], const unsigned char *sealed,
    size_t slen, unsigned char out[SEAL_MAC_BYTES])
{
	unsigned char local[sizeof(AUDIT_AD) + 8 + SEAL_MAC_BYTES +
	    AUDIT_SEALED_MAX];
	struct buf_writer w;

	buf_writer_init(&w, local, sizeof(local));
	buf_put_bytes(&w, AUDIT_AD, sizeof(AUDIT_AD));
	buf_put_u64(&w, seq);
	buf_put_bytes(&w, prev, SEAL_MAC_BYTES);
	buf_put_bytes(&w, sealed, slen);
	seal_mac(out, local, w.len, k->mac);
}

static void
audit_head_mac(const struct audit_keys *k, const struct audit_head *h,
    unsigned char out[SEAL_MAC_BYTES])
{
	unsigned char b[5 + 8 + SEAL_MAC_BYTES];
	struct buf_writer w;

	buf_writer_init(&w, b, sizeof(b));
	buf_put_bytes(&w, "head", 5);
	buf_put_u64(&w, h->seq);
	buf_put_bytes(&w, h->last, SEAL_MAC_BYTES);
	seal_mac(out, b, w.len, k->mac);
}

static int
audit_head_get(struct store_txn *t, const struct audit_keys *k,
    struct audit_head *h)
{
	unsigned char b[AUDIT_HEAD_BYTES], mac[SEAL_MAC_BYTES];
	struct buf_reader r;
	const unsigned char *p;
	size_t n;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = store_get(t, STORE_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY),
	    b, sizeof(b), &n);
	if (rc == CV_E_NOTFOUND)
		return 0; /* an empty log */
	if (rc != 0)
		return rc;
	buf_reader_init(&r, b, n);
	if (buf_get_u64(&r, &h->seq) != 0 ||
	    buf_get_bytes(&r, SEAL_MAC_BYTES, &p) != 0)
		return CV_E_INTEGRITY;
	memcpy(h->last, p, SEAL_MAC_BYTES);
	if (buf_get_bytes(&r, SEAL_MAC_BYTES, &p) != 0 || !buf_is_done(&r))
		return CV_E_INTEGRITY;
	audit_head_mac(k, h, mac);
	if (!secmem_equal(p, mac, SEAL_MAC_BYTES))
		return CV_E_INTEGRITY;
	return 0;
}

static int
audit_head_put(struct store_txn *t, const struct audit_keys *k,
    const struct audit_head *h)
{
	unsigned char b[AUDIT_HEAD_BYTES], mac[SEAL_MAC_BYTES];
	struct buf_writer w;

	audit_head_mac(k, h, mac);
	buf_writer_init(&w, b, sizeof(b));
	buf_put_u64(&w, h->seq);
	buf_put_bytes(&w, h->last, SEAL_MAC_BYTES);
	buf_put_bytes(&w, mac, SEAL_MAC_BYTES);
	return store_put(t, STORE_META, AUDIT_HEAD_KEY, strlen(AUDIT_HEAD_KEY),
	    b, w.len, 0);
}

static void
audit_ad(const struct audit_keys *k, uint64_t seq, unsigned char *ad,
    size_t *adlen)
{
	struct buf_writer w;

	buf_writer_init(&w, ad, sizeof(AUDIT_AD) + 16 + 8);
	buf_put_bytes(&w, AUDIT_AD, sizeof(AUDIT_AD));
	buf_put_bytes(&w, k->vault_id, 16);
	buf_put_u64(&w, seq);
	*adlen = w.len;
}

/* Seal entry text, chain it after prev and store it under seq. */
static int
audit_put_entry(struct store_txn *t, const struct audit_keys *k,
    uint64_t seq, const unsigned char *plain, size_t plen,
    unsigned char prev[SEAL_MAC_BYTES])
{
	unsigned char val[AUDIT_VALUE_MAX], ad[sizeof(AUDIT_AD) + 24];
	unsigned char key[8];
	size_t n, adlen;
	int rc;

	audit_ad(k, seq, ad, &adlen);
	if ((rc = seal_seal(val, AUDIT_SEALED_MAX, &n, plain, plen, ad, adlen,
	    k->seal)) != 0)
		return rc;
	audit_chain(k, seq, prev, val, n, prev);
	memcpy(val + n, prev, SEAL_MAC_BYTES);
	audit_key_bytes(seq, key);
	return store_put(t, STORE_AUDIT, key, sizeof(key), val,
	    n + SEAL_MAC_BYTES, 0);
}

static void
audit_put_field(struct buf_writer *w, const char *s)
{
	char tmp[CV_AUDIT_FIELD_MAX + 1];
	size_t n = s != NULL ? strlen(s) : 0;

	/* Truncate rather than lose the entry. */
	if (n > CV_AUDIT_FIELD_MAX)
		n = CV_AUDIT_FIELD_MAX;
	if (n > 0)
		memcpy(tmp, s, n);
	tmp[n] = '\0';
	buf_put_str(w, tmp);
}

int
audit_head_read(struct store_txn *t, const struct audit_keys *k,
    uint64_t *seq, unsigned char last[SEAL_MAC_BYTES])
{
	struct audit_head h;
	int rc;

	*seq = 0;
	memset(last, 0, SEAL_MAC_BYTES);
	if ((rc = audit_head_get(t, k, &h)) != 0)
		return rc;
	*seq = h.seq;
	memcpy(last, h.last, SEAL_MAC_BYTES);
	return 0;
}

int
audit_batch_begin(struct audit_batch *b, struct store_txn *t,
    const struct audit_keys *k)
{
	struct audit_head h;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = audit_head_get(t, k, &h)) != 0)
		return rc;
	b->t = t;
	b->k = k;
	b->seq = h.seq;
	memcpy(b->last, h.last, sizeof(b->last));
	return 0;
}

int
audit_batch_put(struct audit_batch *b, const struct audit_entry *e)
{
	unsigned char plain[CV_AUDIT_ENTRY_MAX];
	struct buf_writer w;
	int rc;

	buf_writer_init(&w, plain, sizeof(plain));
	buf_put_u8(&w, AUDIT_VERSION);
	buf_put_u64(&w, (uint64_t)e->time);
	audit_put_field(&w, e->actor);
	audit_put_field(&w, e->action);
	audit_put_field(&w, e->record);
	audit_put_field(&w, e->result);
	if (w.err != 0)
		return w.err;
	if ((rc = audit_put_entry(b->t, b->k, b->seq + 1, plain, w.len,
	    b->last)) != 0)
		return rc;
	b->seq++;
	return 0;
}

int
audit_batch_end(struct audit_batch *b)
{
	struct audit_head h;

	h.seq = b->seq;
	memcpy(h.last, b->last, sizeof(h.last));
	return audit_head_put(b->t, b->k, &h);
}

int
audit_append(struct store_txn *t, const struct audit_keys *k,
    const struct audit_entry *e)
{
	struct audit_batch b;
	int rc;

	if ((rc = audit_batch_begin(&b, t, k)) != 0 ||
	    (rc = audit_batch_put(&b, e)) != 0)
		return rc;
	return audit_batch_end(&b);
}

static int
audit_decode(const unsigned char *p, size_t len, struct audit_entry *e)
{
	struct buf_reader r;
	uint8_t version;
	uint64_t time;
	size_t n;

	buf_reader_init(&r, p, len);
	if (buf_get_u8(&r, &version) != 0 || version != AUDIT_VERSION ||
	    buf_get_u64(&r, &time) != 0 ||
	    buf_get_str(&r, CV_AUDIT_FIELD_MAX, &e->actor, &n) != 0 ||
	    buf_get_str(&r, CV_AUDIT_FIELD_MAX, &e->action, &n) != 0 ||
	    buf_get_str(&r, CV_AUDIT_FIELD_MAX, &e->record, &n) != 0 ||
	    buf_get_str(&r, CV_AUDIT_FIELD_MAX, &e->result, &n) != 0 ||
	    !buf_is_done(&r))
		return CV_E_INTEGRITY;
	e->time = (int64_t)time;
	return 0;
}

/* Load entry seq, check it extends the chain at prev, and open it into
 * plain.  On success prev becomes this entry's chain MAC. */
static int
audit_get_entry(struct store_txn *t, const struct audit_keys *k,
    uint64_t seq, unsigned char prev[SEAL_MAC_BYTES], unsigned char *plain,
    size_t *plen)
{
	unsigned char val[AUDIT_VALUE_MAX], mac[SEAL_MAC_BYTES];
	unsigned char ad[sizeof(AUDIT_AD) + 24], key[8];
	size_t n, adlen;
	int rc;

	audit_key_bytes(seq, key);
	rc = store_get(t, STORE_AUDIT, key, sizeof(key), val, sizeof(val), &n);
	if (rc != 0)
		return rc == CV_E_NOTFOUND ? CV_E_INTEGRITY : rc;
	if (n < SEAL_OVERHEAD + SEAL_MAC_BYTES)
		return CV_E_INTEGRITY;
	n -= SEAL_MAC_BYTES;
	audit_chain(k, seq, prev, val, n, mac);
	if (!secmem_equal(mac, val + n, SEAL_MAC_BYTES))
		return CV_E_INTEGRITY;
	audit_ad(k, seq, ad, &adlen);
	if (seal_open(plain, CV_AUDIT_ENTRY_MAX, plen, val, n, ad, adlen,
	    k->seal) != 0)
		return CV_E_INTEGRITY;
	memcpy(prev, mac, SEAL_MAC_BYTES);
	return 0;
}

int
audit_verify(struct store_txn *t, const struct audit_keys *k,
    audit_visit_fn fn, void *ctx, uint64_t *bad_seq)
{
	unsigned char prev[SEAL_MAC_BYTES] = { 0 };
	unsigned char plain[CV_AUDIT_ENTRY_MAX];
	struct audit_head h;
	struct audit_entry e;
	uint64_t seq;
	size_t n, count;
	int rc;

	*bad_seq = 0;
	if ((rc = audit_head_get(t, k, &h)) != 0)
		return rc;
	if ((rc = store_count(t, STORE_AUDIT, &count)) != 0)
		return rc;
	for (seq = 1; seq <= h.seq; seq++) {
		if (audit_get_entry(t, k, seq, prev, plain, &n) != 0 ||
		    audit_decode(plain, n, &e) != 0) {
			*bad_seq = seq;
			return CV_E_INTEGRITY;
		}
		e.seq = seq;
		if (fn != NULL && (rc = fn(&e, ctx)) != 0)
			return rc;
	}
	/* The head must name the last entry, and nothing may follow it. */
	if (!secmem_equal(prev, h.last, SEAL_MAC_BYTES) || count != h.seq) {
		*bad_seq = h.seq + 1;
		return CV_E_INTEGRITY;
	}
	return 0;
}

int
audit_rekey(struct store_txn *t, const struct audit_keys *old,
    const struct audit_keys *new_keys)
{
	unsigned char prev_old[SEAL_MAC_BYTES] = { 0 };
	unsigned char plain[CV_AUDIT_ENTRY_MAX];
	struct audit_head h, nh;
	uint64_t seq;
	size_t n;
	int rc;

	if ((rc = audit_head_get(t, old, &h)) != 0)
		return rc;
	memset(&nh, 0, sizeof(nh));
	for (seq = 1; seq <= h.seq; seq++) {
		if ((rc = audit_get_entry(t, old, seq, prev_old, plain, &n)))
			return rc;
		if ((rc = audit_put_entry(t, new_keys, seq, plain, n,
		    nh.last)) != 0)
			return rc;
		nh.seq = seq;
	}
	return audit_head_put(t, new_keys, &nh);
}
