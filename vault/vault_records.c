/* SPDX-License-Identifier: MIT */
/* Sealed records: get, add, remove, reveal once, update, walk. */
#include "vault/vault_impl.h"
#include "vault/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/banned.h"

#define RECORD_AD "credvault record v1"
#define RECORD_AD_BYTES (sizeof(RECORD_AD) + VAULT_ID_BYTES + \
	VAULT_RECORD_KEY_BYTES)

void
vault_record_key(const struct vault_keys *k, const char *name,
    unsigned char key[VAULT_RECORD_KEY_BYTES])
{
	seal_mac(key, name, strlen(name), k->index);
}

/* AD = prefix || vault id || storage key: a record cannot be moved to
 * another name or vault, and the format version is bound by the prefix. */
static void
vault_record_ad(const struct vault *v,
    const unsigned char key[VAULT_RECORD_KEY_BYTES],
    unsigned char ad[RECORD_AD_BYTES])
{
	memcpy(ad, RECORD_AD, sizeof(RECORD_AD));
	memcpy(ad + sizeof(RECORD_AD), v->vault_id, VAULT_ID_BYTES);
	memcpy(ad + sizeof(RECORD_AD) + VAULT_ID_BYTES, key,
	    VAULT_RECORD_KEY_BYTES);
}

int
vault_record_seal(const struct vault *v, const struct vault_keys *k,
    const unsigned char key[VAULT_RECORD_KEY_BYTES],
    const struct secbuf *plain, unsigned char *out, size_t *outlen)
{
	unsigned char ad[RECORD_AD_BYTES];

	vault_record_ad(v, key, ad);
	return seal_seal(out, VAULT_SEALED_MAX, outlen, plain->data,
	    plain->len, ad, sizeof(ad), k->record);
}

int
vault_record_open(const struct vault *v, const struct vault_keys *k,
    const unsigned char key[VAULT_RECORD_KEY_BYTES], const unsigned char *c,
    size_t clen, struct secbuf *plain, struct record *r, int check_name)
{
	unsigned char ad[RECORD_AD_BYTES], check[VAULT_RECORD_KEY_BYTES];
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	secbuf_reset(plain);
	vault_record_ad(v, key, ad);
	if ((rc = seal_open(plain->data, plain->cap, &n, c, clen, ad,
	    sizeof(ad), k->record)) != 0)
		return rc == CV_E_TOOBIG ? CV_E_INTEGRITY : rc;
	plain->len = n;
	if (record_decode(plain->data, n, r) != 0) {
		secbuf_reset(plain);
		return CV_E_INTEGRITY;
	}
	if (!check_name)
		return 0;
	vault_record_key(k, r->name, check);
	if (sodium_memcmp(check, key, sizeof(check)) != 0) {
		memset(r, 0, sizeof(*r));
		secbuf_reset(plain);
		return CV_E_INTEGRITY;
	}
	return 0;
}

/*
 * Inside a transaction with keys: the bucket of key is the committed one
 * (checked once per transaction), before its records are read or
 * changed, so that no change ever commits a record put back.  Nothing to
 * check before a format 1 vault's upgrade.
 */
static int
vault_verify_bucket(struct store_txn *t, struct vault *v,
    const unsigned char key[VAULT_RECORD_KEY_BYTES])
{
	unsigned b = state_bucket(key);
	int rc;

	if (!v->have_head)
		return 0;
	if (v->seen_now)
		return state_verify_bucket(t, v->head, v->seen, key, v->detail,
		    sizeof(v->detail));
	if (v->st->verified[b >> 3] & (1u << (b & 7)))
		return 0;
	if ((rc = state_verify_bucket(t, v->head, NULL, key, v->detail,
	    sizeof(v->detail))) != 0)
		return rc;
	v->st->verified[b >> 3] |= (unsigned char)(1u << (b & 7));
	return 0;
}

struct get_ctx {
	struct vault *v;
	const char *name;
	struct secbuf *plain;
	struct record *r;
};

static int
vault_get_txn(struct store_txn *t, void *arg)
{
	struct get_ctx *c = arg;
	unsigned char key[VAULT_RECORD_KEY_BYTES];
	size_t len;
	int rc, frc;

	/* The key inside the transaction: the keys may have just been
	 * refreshed after another process rekeyed. */
	vault_record_key(c->v->keys, c->name, key);
	/* Copied out of the map before anything is decrypted. */
	rc = store_get(t, STORE_RECORDS, key, sizeof(key), c->v->sealed,
	    VAULT_SEALED_MAX, &len);
	if (rc != 0 && rc != CV_E_NOTFOUND)
		return rc;
	/* Present or not, the record's bucket must be the committed one: an
	 * old copy put back is stale, a lost one damage, not "not found". */
	if ((frc = vault_verify_bucket(t, c->v, key)) != 0)
		return frc;
	if (rc != 0)
		return rc;
	return vault_record_open(c->v, c->v->keys, key, c->v->sealed, len,
	    c->plain, c->r, 1);
}

int
vault_record_get(struct vault *v, const char *name, struct secbuf *plain,
    struct record *r)
{
	struct get_ctx c;
	int rc;

	memset(r, 0, sizeof(*r));
	c.v = v;
	c.name = name;
	c.plain = plain;
	c.r = r;
	if (!record_name_is_valid(name)) {
		vault_set_subject(v, "invalid record name");
		return CV_E_INVALID;
	}
	if ((rc = vault_txn(v, VAULT_TXN_KEYS, vault_get_txn, &c)) != 0)
		vault_set_subject(v, "record '%s'%s%s", name,
		    v->detail[0] != '\0' ? ": " : "", v->detail);
	return rc;
}

/* A record to add and its storage key, sorted by key before insertion. */
struct add_item {
	unsigned char key[VAULT_RECORD_KEY_BYTES];
	size_t index;
};

struct add_ctx {
	struct vault *v;
	const struct record *rs;
	size_t n;
	struct add_item *items;
	struct secbuf *plain;
	const char *failed;
};

static int
vault_add_cmp(const void *a, const void *b)
{
	return memcmp(((const struct add_item *)a)->key,
	    ((const struct add_item *)b)->key, VAULT_RECORD_KEY_BYTES);
}

static int
vault_add_txn(struct store_txn *t, void *arg)
{
	struct add_ctx *c = arg;
	struct audit_batch ab;
	unsigned char *sealed;
	size_t i, len;
	int rc;

	/* Keys inside the transaction (see vault_get_txn); insert in key
	 * order so B-tree pages fill up and stay hot. */
	for (i = 0; i < c->n; i++) {
		vault_record_key(c->v->keys, c->rs[i].name, c->items[i].key);
		c->items[i].index = i;
	}
	qsort(c->items, c->n, sizeof(*c->items), vault_add_cmp);
	if ((rc = audit_batch_begin(&ab, t, &c->v->keys->audit)) != 0)
		return rc;
	if ((sealed = malloc(VAULT_SEALED_MAX)) == NULL)
		return CV_E_NOMEM;
	for (i = 0; i < c->n; i++) {
		const struct add_item *it = &c->items[i];
		const struct record *r = &c->rs[it->index];
		struct audit_entry e = { 0, vault_now(), c->v->actor, "add",
			r->name, "ok" };

		c->failed = r->name;
		if ((rc = record_encode(r, c->plain)) != 0)
			break;
		rc = vault_record_seal(c->v, c->v->keys, it->key, c->plain,
		    sealed, &len);
		secbuf_reset(c->plain);
		if (rc != 0)
			break;
		if ((rc = vault_verify_bucket(t, c->v, it->key)) != 0)
			break;
		state_note_record(c->v->st, it->key);
		if ((rc = store_put(t, STORE_RECORDS, it->key, sizeof(it->key),
		    sealed, len, 1)) != 0 ||
		    (rc = audit_batch_put(&ab, &e)) != 0)
			break;
	}
	free(sealed);
	return rc != 0 ? rc : audit_batch_end(&ab);
}

int
vault_records_add(struct vault *v, const struct record *rs, size_t n)
{
	struct add_ctx c = { v, rs, n, NULL, NULL, NULL };
	size_t i;
	int rc;

	c.items = calloc(n ? n : 1, sizeof(*c.items));
	if ((c.plain = secbuf_new(CV_RECORD_MAX)) == NULL || c.items == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!record_name_is_valid(rs[i].name)) {
			vault_set_subject(v, "invalid record name");
			rc = CV_E_INVALID;
			goto out;
		}
	}
	rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS, vault_add_txn, &c);
	if (rc != 0 && c.failed != NULL)
		vault_set_subject(v, "record '%s'%s%s", c.failed,
		    v->detail[0] != '\0' ? ": " : "", v->detail);
	else if (rc != 0 && v->detail[0] != '\0')
		vault_set_subject(v, "the vault is inconsistent: %s",
		    v->detail);
out:
	secbuf_free(&c.plain);
	free(c.items);
	return rc;
}

struct rm_ctx {
	struct vault *v;
	const char *name;
};

static int
vault_rm_txn(struct store_txn *t, void *arg)
{
	struct rm_ctx *c = arg;
	unsigned char key[VAULT_RECORD_KEY_BYTES];
	int rc;

	vault_record_key(c->v->keys, c->name, key);
	if ((rc = vault_verify_bucket(t, c->v, key)) != 0 ||
	    (rc = store_del(t, STORE_RECORDS, key, sizeof(key))) != 0)
		return rc;
	state_note_record(c->v->st, key);
	return vault_audit_txn(t, c->v, "remove", c->name, "ok");
}

int
vault_record_remove(struct vault *v, const char *name)
{
	struct rm_ctx c = { v, name };
	int rc;

	if (!record_name_is_valid(name))
		return CV_E_INVALID;
	rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS, vault_rm_txn, &c);
	if (rc != 0)
		vault_set_subject(v, "record '%s'%s%s", name,
		    v->detail[0] != '\0' ? ": " : "", v->detail);
	return rc;
}

struct update_ctx {
	struct vault *v;
	const char *name;
	vault_update_fn fn;
	void *ctx;
	const char *action;
	const char *result;
	struct secbuf *plain;
	struct secbuf *enc;
};

static int
vault_update_txn(struct store_txn *t, void *arg)
{
	struct update_ctx *c = arg;
	unsigned char key[VAULT_RECORD_KEY_BYTES];
	unsigned char sealed[VAULT_SEALED_MAX];
	struct record r;
	size_t len;
	int rc, frc;

	vault_record_key(c->v->keys, c->name, key);
	rc = store_get(t, STORE_RECORDS, key, sizeof(key), sealed,
	    sizeof(sealed), &len);
	if (rc != 0 && rc != CV_E_NOTFOUND)
		return rc;
	if ((frc = vault_verify_bucket(t, c->v, key)) != 0)
		return frc;
	if (rc != 0)
		return rc;
	if ((rc = vault_record_open(c->v, c->v->keys, key, sealed, len,
	    c->plain, &r, 1)) != 0)
		return rc;
	if ((rc = c->fn(&r, c->ctx)) != 0)
		goto out;
	r.updated_at = vault_now();
	if (strcmp(r.name, c->name) != 0) {
		rc = CV_E_INTERNAL; /* renaming is not an update */
		goto out;
	}
	if ((rc = record_encode(&r, c->enc)) != 0)
		goto out;
	if ((rc = vault_record_seal(c->v, c->v->keys, key, c->enc, sealed,
	    &len)) != 0)
		goto out;
	state_note_record(c->v->st, key);
	if ((rc = store_put(t, STORE_RECORDS, key, sizeof(key), sealed, len,
	    0)) != 0)
		goto out;
	rc = vault_audit_txn(t, c->v, c->action, c->name,
	    c->result != NULL ? c->result : "ok");
out:
	secbuf_reset(c->enc);
	secbuf_reset(c->plain);
	return rc;
}

int
vault_record_update(struct vault *v, const char *name, vault_update_fn fn,
    void *ctx, const char *action, const char *result)
{
	struct update_ctx c = { v, name, fn, ctx, action, result, NULL, NULL };
	int rc;

	if (!record_name_is_valid(name))
		return CV_E_INVALID;
	c.plain = secbuf_new(CV_RECORD_MAX);
	c.enc = secbuf_new(CV_RECORD_MAX);
	if (c.plain == NULL || c.enc == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	vault_set_subject(v, "record '%s'", name);
	rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS, vault_update_txn,
	    &c);
	if (rc != 0 && rc != CV_E_REFUSED && v->detail[0] != '\0')
		vault_set_subject(v, "record '%s': %s", name, v->detail);
out:
	secbuf_free(&c.plain);
	secbuf_free(&c.enc);
	return rc;
}

struct reveal_ctx {
	struct secbuf *secret;
	const char *why;
};

static int
vault_reveal_fn(struct record *r, void *arg)
{
	struct reveal_ctx *c = arg;
	struct generation *g = record_active_mut(r);

	if (g == NULL) {
		c->why = "has no active secret";
		return CV_E_REFUSED;
	}
	if (g->flags & GEN_F_NO_REVEAL) {
		c->why = "was stored with --no-reveal and is never revealed";
		return CV_E_REFUSED;
	}
	if (g->revealed_at != 0) {
		c->why = "was already revealed";
		return CV_E_REFUSED;
	}
	g->revealed_at = vault_now();
	return secbuf_set(c->secret, g->secret, g->secret_len);
}

struct refusal_ctx {
	struct vault *v;
	const char *name;
};

static int
vault_reveal_refused_txn(struct store_txn *t, void *arg)
{
	struct refusal_ctx *c = arg;

	return vault_audit_txn(t, c->v, "reveal", c->name, "refused");
}

int
vault_record_reveal(struct vault *v, const char *name, struct secbuf *secret)
{
	struct reveal_ctx c = { secret, NULL };
	struct refusal_ctx rc_ctx = { v, name };
	int rc;

	secbuf_reset(secret);
	/* revealed_at and the audit entry commit before the caller prints. */
	rc = vault_record_update(v, name, vault_reveal_fn, &c, "reveal", NULL);
	if (rc == CV_E_REFUSED) {
		vault_set_subject(v, "the secret of '%s' %s", name, c.why);
		if (vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS,
		    vault_reveal_refused_txn, &rc_ctx) != 0)
			vault_set_subject(v, "the secret of '%s' %s (and the "
			    "refusal could not be audited)", name, c.why);
	}
	if (rc != 0)
		secbuf_reset(secret);
	return rc;
}

/* One bucket's records at a time: the state commitment is checked per
 * bucket (vault/state.h) before any of them is opened. */
struct foreach_ctx {
	struct vault *v;
	const struct vault_visitor *vis;
	struct secbuf *plain;
	unsigned char *sealed;
	struct state_walk *walk; /* NULL before a format 1 vault's upgrade */
	unsigned bucket;
	size_t n, cap;            /* records buffered, and room */
	unsigned char (*keys)[VAULT_RECORD_KEY_BYTES];
	size_t *lens;
	unsigned char **vals;     /* each VAULT_SEALED_MAX, allocated */
	char why[256];
};

static int
vault_foreach_stale(struct foreach_ctx *c, const char *why)
{
	if (c->vis->stale != NULL)
		return c->vis->stale(why, c->vis->ctx);
	return c->vis->corrupt != NULL ? c->vis->corrupt("state",
	    CV_E_INTEGRITY, c->vis->ctx) : CV_E_INTEGRITY;
}

static int
vault_foreach_corrupt(struct foreach_ctx *c, const void *key, size_t klen)
{
	char hex[2 * VAULT_RECORD_KEY_BYTES + 1];

	sodium_bin2hex(hex, sizeof(hex), key, klen < VAULT_RECORD_KEY_BYTES ?
	    klen : VAULT_RECORD_KEY_BYTES);
	return c->vis->corrupt != NULL ? c->vis->corrupt(hex, CV_E_INTEGRITY,
	    c->vis->ctx) : CV_E_INTEGRITY;
}

/* Open and visit one record known to be the committed one. */
static int
vault_foreach_open(struct foreach_ctx *c, const unsigned char *key,
    const unsigned char *val, size_t vlen)
{
	struct record r;
	int rc;

	memcpy(c->sealed, val, vlen);
	rc = vault_record_open(c->v, c->v->keys, key, c->sealed, vlen,
	    c->plain, &r, 0);
	if (rc == CV_E_INTEGRITY)
		return vault_foreach_corrupt(c, key, VAULT_RECORD_KEY_BYTES);
	if (rc != 0)
		return rc;
	rc = c->vis->record != NULL ? c->vis->record(&r, c->vis->ctx) : 0;
	secbuf_reset(c->plain);
	return rc;
}

/* The buffered bucket: checked, then visited (or reported stale). */
static int
vault_foreach_flush(struct foreach_ctx *c)
{
	const unsigned char *keys[1], *const *kp;
	size_t i;
	int rc = 0;

	if (c->n == 0)
		return 0;
	if (c->walk != NULL) {
		/* The keys as pointers, one allocation-free way. */
		const unsigned char **ks = malloc(c->n * sizeof(*ks));

		if (ks == NULL)
			return CV_E_NOMEM;
		for (i = 0; i < c->n; i++)
			ks[i] = c->keys[i];
		kp = ks;
		rc = state_walk_bucket(c->walk, c->bucket, kp,
		    (const unsigned char *const *)c->vals, c->lens, c->n,
		    c->why, sizeof(c->why));
		free(ks);
		if (rc == CV_E_INTEGRITY) {
			c->n = 0;
			return vault_foreach_stale(c, c->why);
		}
		if (rc != 0)
			return rc;
	}
	(void)keys;
	for (i = 0; i < c->n && rc == 0; i++)
		rc = vault_foreach_open(c, c->keys[i], c->vals[i], c->lens[i]);
	c->n = 0;
	return rc;
}

static int
vault_foreach_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct foreach_ctx *c = arg;
	unsigned b;
	int rc;

	if (klen != VAULT_RECORD_KEY_BYTES || vlen > VAULT_SEALED_MAX)
		return vault_foreach_corrupt(c, key, klen);
	b = state_bucket(key);
	if (c->n > 0 && b != c->bucket && (rc = vault_foreach_flush(c)) != 0)
		return rc;
	c->bucket = b;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 8, i;
		void *p;

		if ((p = realloc(c->keys, ncap * sizeof(*c->keys))) == NULL)
			return CV_E_NOMEM;
		c->keys = p;
		if ((p = realloc(c->lens, ncap * sizeof(*c->lens))) == NULL)
			return CV_E_NOMEM;
		c->lens = p;
		if ((p = realloc(c->vals, ncap * sizeof(*c->vals))) == NULL)
			return CV_E_NOMEM;
		c->vals = p;
		for (i = c->cap; i < ncap; i++)
			c->vals[i] = NULL;
		for (i = c->cap; i < ncap; i++)
			if ((c->vals[i] = malloc(VAULT_SEALED_MAX)) == NULL) {
				c->cap = i;
				return CV_E_NOMEM;
			}
		c->cap = ncap;
	}
	/* Copied out of the map before anything is decrypted. */
	memcpy(c->keys[c->n], key, klen);
	memcpy(c->vals[c->n], val, vlen);
	c->lens[c->n] = vlen;
	c->n++;
	return 0;
}

static int
vault_foreach_txn(struct store_txn *t, void *arg)
{
	struct foreach_ctx *c = arg;
	int rc;

	c->n = 0;
	state_walk_free(&c->walk);
	if (c->v->have_head && (rc = state_walk_begin(t, c->v->head, &c->walk,
	    c->why, sizeof(c->why))) != 0)
		return rc == CV_E_INTEGRITY ? vault_foreach_stale(c, c->why) :
		    rc;
	if ((rc = store_scan(t, STORE_RECORDS, NULL, 0, vault_foreach_one,
	    c)) != 0 || (rc = vault_foreach_flush(c)) != 0)
		return rc;
	if (c->walk != NULL &&
	    state_walk_end(c->walk, c->why, sizeof(c->why)) != 0)
		return vault_foreach_stale(c, c->why);
	return 0;
}

int
vault_record_foreach(struct vault *v, const struct vault_visitor *vis)
{
	struct foreach_ctx c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.v = v;
	c.vis = vis;
	c.plain = secbuf_new(CV_RECORD_MAX);
	c.sealed = malloc(VAULT_SEALED_MAX);
	if (c.plain == NULL || c.sealed == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	rc = vault_txn(v, VAULT_TXN_KEYS, vault_foreach_txn, &c);
out:
	state_walk_free(&c.walk);
	for (i = 0; i < c.cap; i++)
		free(c.vals[i]);
	free(c.vals);
	free(c.keys);
	free(c.lens);
	secbuf_free(&c.plain);
	free(c.sealed);
	return rc;
}
