/* SPDX-License-Identifier: MIT */
/* Keyslot management, rekey, and the whole-vault check. */
#include "vault/vault_impl.h"
#include "vault/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/banned.h"

struct slot_list_ctx {
	int (*fn)(const struct vault_slot_info *si, void *ctx);
	void *ctx;
	struct vault *v;      /* set by check: verify authenticity too */
	vault_report_fn report;
	void *report_ctx;
	int bad;
	size_t count;
};

static int
vault_slot_visit(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct slot_list_ctx *c = arg;
	struct vault_slot_info si;
	struct keyslot ks;
	size_t llen = klen - 5;

	memset(&si, 0, sizeof(si));
	snprintf(si.label, sizeof(si.label), "%.*s",
	    (int)(llen > CV_LABEL_MAX ? CV_LABEL_MAX : llen),
	    (const char *)key + 5);
	c->count++;
	if (keyslot_decode(val, vlen, &ks) != 0 ||
	    strcmp(ks.label, si.label) != 0 ||
	    (c->v != NULL && !keyslot_is_authentic(&ks, c->v->keys->vmk,
	    c->v->vault_id))) {
		si.corrupt = 1;
		c->bad = 1;
		if (c->report != NULL)
			c->report("keyslot", si.label, CV_E_INTEGRITY,
			    c->report_ctx);
	} else {
		si.kind = ks.kind;
		si.kdf = ks.kdf;
	}
	return c->fn != NULL ? c->fn(&si, c->ctx) : 0;
}

static int
vault_slot_list_txn(struct store_txn *t, void *arg)
{
	return store_scan(t, STORE_META, "slot/", 5, vault_slot_visit, arg);
}

int
vault_keyslot_list(struct vault *v,
    int (*fn)(const struct vault_slot_info *si, void *ctx), void *ctx)
{
	struct slot_list_ctx c;

	memset(&c, 0, sizeof(c));
	c.fn = fn;
	c.ctx = ctx;
	return vault_txn(v, 0, vault_slot_list_txn, &c);
}

struct slot_verify_ctx {
	struct vault *v;
	const char *label;
	struct keyslot ks;
	const unsigned char *vmk; /* the VMK the secret opened */
	int same;
};

/* The keyslot as committed (a keyslot put back proves nothing). */
static int
vault_slot_verify_get_txn(struct store_txn *t, void *arg)
{
	struct slot_verify_ctx *c = arg;
	unsigned char enc[KEYSLOT_ENCODED_MAX];
	char key[CV_LABEL_MAX + 8];
	size_t n;
	int rc;

	vault_slot_key(c->label, key, sizeof(key));
	rc = store_get(t, STORE_META, key, strlen(key), enc, sizeof(enc), &n);
	if (rc != 0)
		return rc == CV_E_NOTFOUND ? CV_E_AUTH : rc;
	if (c->v->have_head && (rc = state_verify_slot(t, c->v->head,
	    c->label, enc, n, c->v->detail, sizeof(c->v->detail))) != 0)
		return rc;
	return keyslot_decode(enc, n, &c->ks) == 0 ? 0 : CV_E_INTEGRITY;
}

static int
vault_slot_verify_same_txn(struct store_txn *t, void *arg)
{
	struct slot_verify_ctx *c = arg;

	(void)t;
	c->same = sodium_memcmp(c->vmk, c->v->keys->vmk, KEYSLOT_VMK_BYTES) ==
	    0;
	return 0;
}

int
vault_keyslot_verify(struct vault *v, const char *label,
    enum keyslot_kind kind, const void *secret, size_t len)
{
	struct slot_verify_ctx c;
	struct secbuf *vmk = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	c.v = v;
	c.label = label;
	if (!keyslot_label_is_valid(label))
		return CV_E_AUTH;
	if ((rc = vault_txn(v, VAULT_TXN_KEYS, vault_slot_verify_get_txn,
	    &c)) != 0)
		return rc;
	if (c.ks.kind != kind)
		return CV_E_AUTH;
	if ((vmk = secbuf_new(KEYSLOT_VMK_BYTES)) == NULL)
		return CV_E_NOMEM;
	/* The slow part (Argon2id) outside any transaction. */
	rc = keyslot_unlock(&c.ks, secret, len, v->vault_id, vmk->data);
	if (rc == 0) {
		c.vmk = vmk->data;
		rc = vault_txn(v, VAULT_TXN_KEYS, vault_slot_verify_same_txn,
		    &c);
		if (rc == 0 && !c.same)
			rc = CV_E_AUTH; /* a slot of another vault's VMK */
	}
	secbuf_free(&vmk);
	return rc;
}

/* Before a keyslot is added or removed: the commitments are the vault's,
 * so that no change commits a keyslot put back. */
static int
vault_slots_current(struct store_txn *t, struct vault *v)
{
	if (!v->have_head)
		return 0;
	return state_verify_slot(t, v->head, NULL, NULL, 0, v->detail,
	    sizeof(v->detail));
}

static void
vault_slot_stale(const char *label, const char *why, void *ctx)
{
	struct vault *v = ctx;

	(void)label;
	if (v->detail[0] == '\0')
		cv_why(v->detail, sizeof(v->detail), "%s; remove it before "
		    "rekeying", why);
}

struct slot_add_ctx {
	struct vault *v;
	struct keyslot *ks;
	struct secbuf *vmk; /* the VMK the slot was made with */
};

static int
vault_vmk_copy_txn(struct store_txn *t, void *arg)
{
	struct slot_add_ctx *c = arg;

	(void)t;
	return secbuf_set(c->vmk, c->v->keys->vmk, KEYSLOT_VMK_BYTES);
}

static int
vault_slot_add_txn(struct store_txn *t, void *arg)
{
	struct slot_add_ctx *c = arg;
	int rc;

	/* Rekeyed by another process during the Argon2id run: seal the
	 * current VMK to the new slot instead (no passphrase needed). */
	if (!secmem_equal(c->vmk->data, c->v->keys->vmk, KEYSLOT_VMK_BYTES) &&
	    (rc = keyslot_reseal(c->ks, c->v->keys->vmk, c->v->vault_id)) != 0)
		return rc;
	if ((rc = vault_slots_current(t, c->v)) != 0 ||
	    (rc = vault_put_slot(t, c->ks, 1)) != 0)
		return rc;
	state_note_slot(c->v->st, c->ks->label);
	return vault_audit_txn(t, c->v, "keyslot add", NULL, c->ks->label);
}

int
vault_keyslot_add(struct vault *v, enum keyslot_kind kind,
    const char *label, const struct kdf_params *kdf, const void *secret,
    size_t len)
{
	struct slot_add_ctx c;
	struct keyslot ks;
	int rc;

	vault_set_subject(v, "keyslot '%s'", label);
	c.v = v;
	c.ks = &ks;
	if ((c.vmk = secbuf_new(KEYSLOT_VMK_BYTES)) == NULL)
		return CV_E_NOMEM;
	/* The costly part outside any transaction, with a copy of the VMK. */
	if ((rc = vault_txn(v, VAULT_TXN_KEYS, vault_vmk_copy_txn, &c)) == 0 &&
	    (rc = keyslot_create(&ks, kind, label, kdf, secret, len,
	    c.vmk->data, v->vault_id)) == 0)
		rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS,
		    vault_slot_add_txn, &c);
	secbuf_free(&c.vmk);
	return rc;
}

struct slot_rm_ctx {
	struct vault *v;
	const char *label;
};

static int
vault_slot_rm_txn(struct store_txn *t, void *arg)
{
	struct slot_rm_ctx *c = arg;
	struct slot_list_ctx count;
	char key[CV_LABEL_MAX + 8];
	int rc;

	memset(&count, 0, sizeof(count));
	if ((rc = vault_slots_current(t, c->v)) != 0 ||
	    (rc = store_scan(t, STORE_META, "slot/", 5, vault_slot_visit,
	    &count)) != 0)
		return rc;
	vault_slot_key(c->label, key, sizeof(key));
	if ((rc = store_del(t, STORE_META, key, strlen(key))) != 0)
		return rc;
	state_note_slot(c->v->st, c->label);
	if (count.count <= 1)
		return CV_E_REFUSED;
	return vault_audit_txn(t, c->v, "keyslot remove", NULL, c->label);
}

int
vault_keyslot_remove(struct vault *v, const char *label)
{
	struct slot_rm_ctx c = { v, label };
	int rc;

	if (!keyslot_label_is_valid(label))
		return CV_E_INVALID;
	rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS, vault_slot_rm_txn,
	    &c);
	if (rc == CV_E_REFUSED)
		vault_set_subject(v, "keyslot '%s' is the last one; add "
		    "another before removing it", label);
	else
		vault_set_subject(v, "keyslot '%s'", label);
	return rc;
}

/* Sealed values collected before their keys change. */
struct sealed_item {
	unsigned char key[VAULT_RECORD_KEY_BYTES];
	size_t len;
	unsigned char *val;
};

struct rekey_ctx {
	struct vault *v;
	struct secbuf *nsb; /* the new keys */
	const struct vault_keys *nk; /* in nsb */
	struct sealed_item *items;
	size_t n, cap;
	struct keyslot *slots;
	size_t nslots;
};

static int
vault_rekey_collect(const void *key, size_t klen, const void *val,
    size_t vlen, void *arg)
{
	struct rekey_ctx *c = arg;
	struct sealed_item *it;

	if (klen != VAULT_RECORD_KEY_BYTES || vlen > VAULT_SEALED_MAX)
		return CV_E_INTEGRITY;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct sealed_item *p = realloc(c->items, ncap * sizeof(*p));

		if (p == NULL)
			return CV_E_NOMEM;
		c->items = p;
		c->cap = ncap;
	}
	it = &c->items[c->n];
	if ((it->val = malloc(vlen)) == NULL)
		return CV_E_NOMEM;
	memcpy(it->key, key, klen);
	memcpy(it->val, val, vlen);
	it->len = vlen;
	c->n++;
	return 0;
}

static int
vault_rekey_slot(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct rekey_ctx *c = arg;
	struct keyslot *p;

	(void)key;
	(void)klen;
	p = realloc(c->slots, (c->nslots + 1) * sizeof(*p));
	if (p == NULL)
		return CV_E_NOMEM;
	c->slots = p;
	if (keyslot_decode(val, vlen, &c->slots[c->nslots]) != 0) {
		vault_set_subject(c->v, "keyslot '%.*s' is damaged; remove it "
		    "before rekeying", (int)(klen - 5), (const char *)key + 5);
		return CV_E_INTEGRITY;
	}
	c->nslots++;
	return 0;
}

static void
vault_rekey_release(struct rekey_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->items[i].val);
	free(c->items);
	free(c->slots);
	c->items = NULL;
	c->slots = NULL;
	c->n = c->cap = c->nslots = 0;
}

static int
vault_rekey_txn(struct store_txn *t, void *arg)
{
	struct rekey_ctx *c = arg;
	struct vault *v = c->v;
	struct secbuf *plain = NULL;
	unsigned char *sealed = NULL, nkey[VAULT_RECORD_KEY_BYTES];
	struct record r;
	size_t i, len;
	int rc;

	vault_rekey_release(c); /* a rerun after map growth starts afresh */
	if (c->nsb == NULL) {
		/* Our slot's key goes with the new keys: it opens the new
		 * VMK as it opened the old. */
		if ((plain = secbuf_new(KEYSLOT_VMK_BYTES)) == NULL)
			return CV_E_NOMEM;
		seal_random(plain->data, KEYSLOT_VMK_BYTES);
		rc = vault_keys_new(v, plain->data, v->keys->slot_sk, &c->nsb);
		secbuf_free(&plain);
		if (rc != 0)
			return rc;
		c->nk = (const struct vault_keys *)(const void *)c->nsb->data;
	}
	/* Every record and keyslot is resealed: all must be the committed
	 * ones first, or the rekey would commit what was put back. */
	if (v->have_head &&
	    ((rc = state_verify_records(t, v->head, v->detail,
	    sizeof(v->detail))) != 0 ||
	    (rc = state_check_slots(t, v->head, vault_slot_stale, v)) != 0))
		return rc;
	if ((rc = store_scan(t, STORE_RECORDS, NULL, 0, vault_rekey_collect,
	    c)) != 0 ||
	    (rc = store_scan(t, STORE_META, "slot/", 5, vault_rekey_slot,
	    c)) != 0)
		return rc;
	plain = secbuf_new(CV_RECORD_MAX);
	sealed = malloc(VAULT_SEALED_MAX);
	if (plain == NULL || sealed == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	for (i = 0; i < c->n; i++) {
		struct sealed_item *it = &c->items[i];

		if ((rc = vault_record_open(v, v->keys, it->key, it->val,
		    it->len, plain, &r, 1)) != 0) {
			vault_set_subject(v, "a damaged record blocks rekey; "
			    "run credvault check");
			goto out;
		}
		vault_record_key(c->nk, r.name, nkey);
		rc = vault_record_seal(v, c->nk, nkey, plain, sealed, &len);
		secbuf_reset(plain);
		if (rc != 0 ||
		    (rc = store_del(t, STORE_RECORDS, it->key,
		    sizeof(it->key))) != 0 ||
		    (rc = store_put(t, STORE_RECORDS, nkey, sizeof(nkey),
		    sealed, len, 0)) != 0)
			goto out;
	}
	for (i = 0; i < c->nslots; i++)
		if ((rc = keyslot_reseal(&c->slots[i], c->nk->vmk,
		    v->vault_id)) != 0 ||
		    (rc = vault_put_slot(t, &c->slots[i], 0)) != 0)
			goto out;
	if ((rc = audit_rekey(t, &v->keys->audit, &c->nk->audit)) != 0) {
		vault_set_subject(v, "the audit log does not verify; rekey "
		    "refused");
		goto out;
	}
	if ((rc = vault_put_check(t, v, c->nk)) != 0)
		goto out;
	{
		/* The rekey entry is the first under the new keys. */
		struct audit_entry e = { 0, vault_now(), v->actor, "rekey", "",
			"ok" };

		rc = audit_append(t, &c->nk->audit, &e);
	}
	/* The new head, under the new keys: every record has a new key. */
	if (rc == 0 && v->format >= 2) {
		v->st->all = 1;
		if ((rc = state_commit(t, v, c->nk, v->st, v->have_head ?
		    v->head : NULL, v->head)) == 0)
			v->st->committed = 1;
	}
out:
	secbuf_free(&plain);
	free(sealed);
	return rc;
}

int
vault_rekey(struct vault *v)
{
	struct rekey_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.v = v;
	vault_set_subject(v, "rekey");
	rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS, vault_rekey_txn,
	    &c);
	vault_rekey_release(&c);
	if (rc == CV_E_INTEGRITY && v->detail[0] != '\0')
		vault_set_subject(v, "rekey refused: %s", v->detail);
	if (rc == 0)
		vault_keys_install(v, &c.nsb);
	secbuf_free(&c.nsb);
	return rc;
}

struct check_ctx {
	struct vault *v;
	vault_report_fn report;
	void *ctx;
	int bad;
	char *name_buf;
};

static int
vault_check_corrupt(const char *id, int err, void *arg)
{
	struct check_ctx *c = arg;

	c->bad = 1;
	if (c->report != NULL)
		c->report("record", id, err, c->ctx);
	return 0;
}

static int
vault_check_stale(const char *why, void *arg)
{
	struct check_ctx *c = arg;

	c->bad = 1;
	if (c->report != NULL)
		c->report("state", why, CV_E_INTEGRITY, c->ctx);
	return 0;
}

static void
vault_check_slot_state(const char *label, const char *why, void *arg)
{
	struct slot_list_ctx *sl = arg;

	(void)label;
	sl->bad = 1;
	if (sl->report != NULL)
		sl->report("state", why, CV_E_INTEGRITY, sl->report_ctx);
}

static int
vault_check_slots_txn(struct store_txn *t, void *arg)
{
	struct slot_list_ctx *sl = arg;
	int rc;

	if ((rc = store_scan(t, STORE_META, "slot/", 5, vault_slot_visit,
	    sl)) != 0)
		return rc;
	/* And each against what the vault committed to. */
	if (sl->v->have_head && (rc = state_check_slots(t, sl->v->head,
	    vault_check_slot_state, sl)) != 0 && rc != CV_E_INTEGRITY)
		return rc;
	return 0;
}

int
vault_check(struct vault *v, vault_report_fn report, void *ctx)
{
	struct check_ctx c = { v, report, ctx, 0, NULL };
	struct vault_visitor vis = { NULL, vault_check_corrupt, &c,
		vault_check_stale };
	struct slot_list_ctx sl;
	int rc;

	memset(&sl, 0, sizeof(sl));
	sl.v = v;
	sl.report = report;
	sl.report_ctx = ctx;
	if ((rc = vault_txn(v, VAULT_TXN_KEYS, vault_check_slots_txn,
	    &sl)) != 0)
		return rc;
	if ((rc = vault_record_foreach(v, &vis)) != 0)
		return rc;
	rc = vault_audit_verify(v, NULL, NULL);
	if (rc == CV_E_INTEGRITY) {
		c.bad = 1;
		if (report != NULL)
			report("audit", vault_subject(v), rc, ctx);
	} else if (rc != 0)
		return rc;
	return c.bad || sl.bad ? CV_E_INTEGRITY : 0;
}
