/* SPDX-License-Identifier: MIT */
/* Vault lifecycle: create, open, unlock, lock; the meta database. */
#include "vault/vault_impl.h"
#include "vault/hwm.h"
#include "vault/state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mutex.h"
#include "base/banned.h"

#define META_VERSION "version"
#define META_VAULT_ID "vault_id"
#define META_CHECK "check"
#define META_CHECK_TEXT "credvault vault check v1"

int64_t
vault_now(void)
{
	return (int64_t)time(NULL);
}

void
vault_set_subject(struct vault *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->subject, sizeof(v->subject), fmt, ap);
	va_end(ap);
}

const char *
vault_subject(const struct vault *v)
{
	return v->subject;
}

const char *
vault_path(const struct vault *v)
{
	return v->path;
}

uid_t
vault_owner(const struct vault *v)
{
	return v->owner;
}

const char *
vault_unlocked_by(const struct vault *v)
{
	return v->unlocked_by;
}

int
vault_unlock_is_audited(const struct vault *v)
{
	return !v->unaudited;
}

const char *
vault_warning(const struct vault *v)
{
	return v->warning;
}

/* Remember the vault's counter outside it (vault/hwm.h), once per new
 * counter; a failure only warns. */
static void
vault_hwm_raise(struct vault *v)
{
	char dir[CV_PATH_MAX];
	int rc;

	if (v->no_hwm || v->head->counter <= v->hwm_seen)
		return;
	if ((rc = hwm_put(v->vault_id, v->head->counter, 1)) != 0) {
		if (v->warning[0] == '\0' && hwm_dir(dir, sizeof(dir)) == 0)
			cv_why(v->warning, sizeof(v->warning), "cannot keep "
			    "the vault's change counter in '%s' (%s): a "
			    "rollback of the whole vault would go unnoticed",
			    dir, cv_strerror(rc));
		return;
	}
	v->hwm_seen = v->head->counter;
}

/* A vault older than one this user saw (the mark hwm_get() gave):
 * rolled back as a whole. */
static int
vault_hwm_check(struct vault *v, int got, uint64_t seen)
{
	char dir[CV_PATH_MAX];
	unsigned i;

	if (v->no_hwm)
		return 0;
	if (got != 0) {
		if (hwm_dir(dir, sizeof(dir)) != 0)
			(void)snprintf(dir, sizeof(dir), "(no state directory)");
		cv_why(v->warning, sizeof(v->warning), "cannot read the vault's "
		    "change counter in '%s' (%s): a rollback of the whole "
		    "vault would go unnoticed", dir, cv_strerror(got));
		return 0;
	}
	if (v->head->counter >= seen) {
		v->hwm_seen = seen;
		return 0;
	}
	if (hwm_dir(dir, sizeof(dir)) != 0)
		dir[0] = '\0';
	vault_set_subject(v, "the vault is older than one used here before "
	    "(change %llu, seen %llu): it was rolled back as a whole or put "
	    "back from an older copy; if that was on purpose, run 'credvault "
	    "restore' with a backup, or delete the mark %s/",
	    (unsigned long long)v->head->counter, (unsigned long long)seen,
	    dir);
	for (i = 0; i < VAULT_ID_BYTES; i++) /* the mark's file name */
		(void)snprintf(v->subject + strlen(v->subject),
		    sizeof(v->subject) - strlen(v->subject), "%02x",
		    v->vault_id[i]);
	(void)snprintf(v->subject + strlen(v->subject),
	    sizeof(v->subject) - strlen(v->subject), ".hwm");
	return CV_E_INTEGRITY;
}

/* A zeroed handle with its keys_mu and state ready; NULL when out of
 * memory. */
static struct vault *
vault_alloc(void)
{
	struct vault *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->st = malloc(sizeof(*v->st));
	v->head = calloc(1, sizeof(*v->head));
	v->seen = state_seen_new();
	if (v->st == NULL || v->head == NULL || v->seen == NULL ||
	    pthread_mutex_init(&v->keys_mu, NULL) != 0) {
		free(v->st);
		free(v->head);
		state_seen_free(&v->seen);
		free(v);
		return NULL;
	}
	v->format = VAULT_FORMAT_VERSION;
	v->open_fd = -1;
	return v;
}

static void
vault_dealloc(struct vault *v)
{
	(void)pthread_mutex_destroy(&v->keys_mu);
	free(v->st);
	free(v->head);
	state_seen_free(&v->seen);
	free(v);
}

int
vault_keys_copy(struct vault *from, struct vault *to)
{
	int rc = 0;

	mutex_lock(&from->keys_mu);
	if (from->keys == NULL)
		rc = CV_E_LOCKED;
	else if ((to->keys_sb = secbuf_dup(from->keys_sb->data,
	    from->keys_sb->len)) == NULL)
		rc = CV_E_NOMEM;
	else
		to->keys = (struct vault_keys *)(void *)to->keys_sb->data;
	to->keys_gen++;
	mutex_unlock(&from->keys_mu);
	return rc;
}

void
vault_keys_install(struct vault *v, struct secbuf **sbp)
{
	mutex_lock(&v->keys_mu);
	if (v->keys != NULL) {
		secbuf_free(&v->keys_sb);
		v->keys_sb = *sbp;
		v->keys = (struct vault_keys *)(void *)v->keys_sb->data;
		v->keys_gen++;
		*sbp = NULL; /* transferred */
	}
	mutex_unlock(&v->keys_mu);
	secbuf_free(sbp);
}

int
vault_is_unlocked(struct vault *v)
{
	int r;

	mutex_lock(&v->keys_mu);
	r = v->keys != NULL;
	mutex_unlock(&v->keys_mu);
	return r;
}

void
vault_set_actor(struct vault *v, const char *actor)
{
	snprintf(v->actor, sizeof(v->actor), "%s", actor);
}

int
vault_keys_new(const struct vault *v, const unsigned char *vmk,
    const unsigned char *sk, struct secbuf **sbp)
{
	struct secbuf *sb = secbuf_new(sizeof(struct vault_keys));
	struct vault_keys *k;

	*sbp = NULL;
	if (sb == NULL)
		return CV_E_NOMEM;
	k = (struct vault_keys *)(void *)sb->data;
	sb->len = sizeof(*k);
	memcpy(k->vmk, vmk, sizeof(k->vmk));
	kdf_subkey(k->record, KDF_SUBKEY_RECORD, vmk);
	kdf_subkey(k->index, KDF_SUBKEY_INDEX, vmk);
	kdf_subkey(k->meta, KDF_SUBKEY_META, vmk);
	kdf_subkey(k->audit.mac, KDF_SUBKEY_AUDIT_MAC, vmk);
	kdf_subkey(k->audit.seal, KDF_SUBKEY_AUDIT_SEAL, vmk);
	memcpy(k->audit.vault_id, v->vault_id, VAULT_ID_BYTES);
	memcpy(k->slot_sk, sk, sizeof(k->slot_sk));
	*sbp = sb;
	return 0;
}

void
vault_check_mac(const struct vault *v, const struct vault_keys *k,
    unsigned char out[SEAL_MAC_BYTES])
{
	unsigned char b[sizeof(META_CHECK_TEXT) + VAULT_ID_BYTES];

	memcpy(b, META_CHECK_TEXT, sizeof(META_CHECK_TEXT));
	memcpy(b + sizeof(META_CHECK_TEXT), v->vault_id, VAULT_ID_BYTES);
	seal_mac(out, b, sizeof(b), k->meta);
}

int
vault_put_check(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k)
{
	unsigned char mac[SEAL_MAC_BYTES];

	vault_check_mac(v, k, mac);
	return store_put(t, STORE_META, META_CHECK, strlen(META_CHECK), mac,
	    sizeof(mac), 0);
}

/* 1 when k belongs to the current VMK (not one replaced by rekey). */
static int
vault_check_is_current(struct store_txn *t, const struct vault *v,
    const struct vault_keys *k)
{
	unsigned char want[SEAL_MAC_BYTES], got[SEAL_MAC_BYTES];
	size_t n;

	if (store_get(t, STORE_META, META_CHECK, strlen(META_CHECK), got,
	    sizeof(got), &n) != 0 || n != sizeof(got))
		return 0;
	vault_check_mac(v, k, want);
	return secmem_equal(want, got, sizeof(want));
}

void
vault_slot_key(const char *label, char *key, size_t cap)
{
	snprintf(key, cap, "slot/%s", label);
}

int
vault_put_slot(struct store_txn *t, const struct keyslot *ks, int noreplace)
{
	unsigned char enc[KEYSLOT_ENCODED_MAX];
	char key[CV_LABEL_MAX + 8];
	size_t n;
	int rc;

	if ((rc = keyslot_encode(ks, enc, sizeof(enc), &n)) != 0)
		return rc;
	vault_slot_key(ks->label, key, sizeof(key));
	return store_put(t, STORE_META, key, strlen(key), enc, n, noreplace);
}

/* Audit one entry by this vault's actor inside transaction t. */
int
vault_audit_txn(struct store_txn *t, struct vault *v, const char *action,
    const char *record, const char *result)
{
	struct audit_entry e = { 0, vault_now(), v->actor, action,
		record != NULL ? record : "", result };

	return audit_append(t, &v->keys->audit, &e);
}

/* Reopen the VMK sealed to our slot after another process rekeyed. */
static int
vault_keys_refresh(struct store_txn *t, struct vault *v)
{
	unsigned char enc[KEYSLOT_ENCODED_MAX];
	char key[CV_LABEL_MAX + 8];
	struct secbuf *vmk = NULL, *keys = NULL;
	struct keyslot ks;
	size_t n;
	int rc;

	vault_slot_key(v->unlocked_by, key, sizeof(key));
	rc = store_get(t, STORE_META, key, strlen(key), enc, sizeof(enc), &n);
	if (rc == 0)
		rc = keyslot_decode(enc, n, &ks);
	if (rc == CV_E_NOTFOUND) {
		vault_set_subject(v, "keyslot '%s' was removed since the vault "
		    "was unlocked", v->unlocked_by);
		return CV_E_AUTH;
	}
	if (rc != 0)
		return rc == CV_E_INVALID ? CV_E_INTEGRITY : rc;
	if ((vmk = secbuf_new(KEYSLOT_VMK_BYTES)) == NULL)
		return CV_E_NOMEM;
	if ((rc = keyslot_open_vmk(&ks, v->keys->slot_sk, v->vault_id,
	    vmk->data)) != 0 ||
	    (rc = vault_keys_new(v, vmk->data, v->keys->slot_sk, &keys)) != 0)
		goto out;
	if (!vault_check_is_current(t, v,
	    (const struct vault_keys *)(void *)keys->data)) {
		vault_set_subject(v, "keyslot '%s' no longer opens the vault",
		    v->unlocked_by);
		rc = CV_E_AUTH;
		goto out;
	}
	secbuf_free(&v->keys_sb);
	v->keys_sb = keys;
	v->keys = (struct vault_keys *)(void *)keys->data;
	v->keys_gen++;
	keys = NULL; /* transferred */
out:
	secbuf_free(&keys);
	secbuf_free(&vmk);
	return rc;
}

struct txn_ctx {
	struct vault *v;
	store_fn fn;
	void *ctx;
	int write;
};

static int
vault_txn_run(struct store_txn *t, void *arg)
{
	struct txn_ctx *c = arg;
	struct vault *v = c->v;
	int rc;

	v->have_head = 0;
	v->seen_now = 0;
	v->detail[0] = '\0';
	state_txn_reset(v->st);
	/* A snapshot read and verified before, under these keys, is the
	 * same: its keys are current and its head is the one verified. */
	if (v->keys != NULL && v->format >= 2 && !c->write &&
	    state_seen_get(v->seen, store_txn_snapshot(t), v->keys_gen,
	    v->head)) {
		v->have_head = 1;
		v->seen_now = 1;
	}
	if (!v->have_head && v->keys != NULL &&
	    !vault_check_is_current(t, v, v->keys) &&
	    (rc = vault_keys_refresh(t, v)) != 0)
		return rc;
	if (!v->have_head && v->keys != NULL && v->format >= 2) {
		if ((rc = state_head_verify(t, v, v->keys, v->head, v->detail,
		    sizeof(v->detail))) != 0)
			return rc == CV_E_NOTFOUND ? CV_E_INTEGRITY : rc;
		v->have_head = 1;
		if (!c->write) {
			state_seen_set(v->seen, store_txn_snapshot(t),
			    v->keys_gen, v->head);
			v->seen_now = 1;
		}
	}
	if ((rc = c->fn(t, c->ctx)) != 0)
		return rc;
	if (c->write && v->keys != NULL && v->format >= 2 &&
	    !v->st->committed &&
	    (rc = state_commit(t, v, v->keys, v->st, v->head, v->head)) != 0) {
		if (rc == CV_E_INTEGRITY && v->detail[0] == '\0')
			cv_why(v->detail, sizeof(v->detail), "the vault's "
			    "state could not be committed");
		return rc;
	}
	return 0;
}

int
vault_txn(struct vault *v, unsigned flags, store_fn fn, void *ctx)
{
	struct txn_ctx c = { v, fn, ctx, (flags & VAULT_TXN_WRITE) != 0 };
	int rc;

	mutex_lock(&v->keys_mu);
	v->detail[0] = '\0';
	if ((flags & VAULT_TXN_KEYS) != 0 && v->keys == NULL)
		rc = CV_E_LOCKED;
	else if ((flags & VAULT_TXN_WRITE) != 0)
		rc = store_write(v->store, vault_txn_run, &c);
	else
		rc = store_read(v->store, vault_txn_run, &c);
	if (rc == CV_E_INTEGRITY && v->detail[0] == '\0' &&
	    store_damage(v->store)[0] != '\0')
		cv_why(v->detail, sizeof(v->detail), "its file is damaged (%s); "
		    "restore it from a backup (credvault restore FILE)",
		    store_damage(v->store));
	if (rc == 0 && (flags & VAULT_TXN_WRITE) != 0 && v->have_head)
		vault_hwm_raise(v);
	mutex_unlock(&v->keys_mu);
	return rc;
}

struct create_ctx {
	struct vault *v;
	const struct keyslot *slot;
	const struct vault_keys *keys;
};

static int
vault_create_txn(struct store_txn *t, void *arg)
{
	struct create_ctx *c = arg;
	unsigned char ver[4];
	struct buf_writer w;
	size_t n;
	int rc;

	if (store_count(t, STORE_META, &n) == 0 && n > 0)
		return CV_E_EXISTS;
	buf_writer_init(&w, ver, sizeof(ver));
	buf_put_u32(&w, VAULT_FORMAT_VERSION);
	if ((rc = store_put(t, STORE_META, META_VERSION, strlen(META_VERSION),
	    ver, sizeof(ver), 1)) != 0 ||
	    (rc = store_put(t, STORE_META, META_VAULT_ID,
	    strlen(META_VAULT_ID), c->v->vault_id, VAULT_ID_BYTES, 1)) != 0 ||
	    (rc = vault_put_check(t, c->v, c->keys)) != 0 ||
	    (rc = vault_put_slot(t, c->slot, 1)) != 0 ||
	    (rc = vault_audit_txn(t, c->v, "init", NULL, "ok")) != 0)
		return rc;
	/* The first state head, over everything just written. */
	state_txn_reset(c->v->st);
	c->v->st->all = 1;
	c->v->st->slots = 1;
	return state_commit(t, c->v, c->keys, c->v->st, NULL, c->v->head);
}

/* The directory's path leaves room for the files inside. */
static int
vault_dir_check_length(const char *dir, char *why, size_t whylen)
{
	if (strlen(dir) < CV_VAULT_DIR_MAX)
		return 0;
	cv_why(why, whylen, "the vault directory's path is longer than %d "
	    "bytes; choose a shorter one", CV_VAULT_DIR_MAX - 1);
	return CV_E_INVALID;
}

/* A vault belongs to one owner; members go through the owner's agent
 * (docs/vault.md).  A file its group can write lets any member make the
 * owner's LMDB read and write out of bounds. */
static int
vault_refuse_group_write(const char *path, const char *dir, char *why,
    size_t whylen)
{
	cv_why(why, whylen, "'%s' is writable by its group; a vault now "
	    "belongs to one owner and team members use the owner's agent. To "
	    "move to that model, run as the owner: chmod -R go-w '%s', then "
	    "'credvault agent' and an admin stack (docs/vault.md, \"Team "
	    "vaults\")", path, dir);
	return CV_E_PERM;
}

/* Only the owner opens the files: whoever owns them can write them. */
static int
vault_refuse_other_owner(const char *path, uid_t uid, char *why,
    size_t whylen)
{
	const struct passwd *pw = getpwuid(uid);

	cv_why(why, whylen, "'%s' belongs to %s%s(uid %lu), not to you; "
	    "administer the vault through its agent (--socket PATH or "
	    "$CREDVAULT_SOCKET), or run as its owner", path,
	    pw != NULL ? pw->pw_name : "", pw != NULL ? " " : "",
	    (unsigned long)uid);
	return CV_E_PERM;
}

static int
vault_dir_prepare(const char *dir, char *why, size_t whylen)
{
	int rc;

	struct stat st;
	char path[CV_PATH_MAX];

	if ((rc = vault_dir_check_length(dir, why, whylen)) != 0)
		return rc;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		cv_why(why, whylen, "cannot create '%s': %s", dir,
		    strerror(errno));
		return CV_E_IO;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cv_why(why, whylen, "'%s' is not a directory", dir);
		return CV_E_INVALID;
	}
	if (st.st_mode & S_IWOTH) {
		cv_why(why, whylen, "'%s' is writable by others; run: chmod "
		    "o-w '%s'", dir, dir);
		return CV_E_PERM;
	}
	if (st.st_mode & S_IWGRP)
		return vault_refuse_group_write(dir, dir, why, whylen);
	if (st.st_uid != geteuid())
		return vault_refuse_other_owner(dir, st.st_uid, why, whylen);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (access(path, F_OK) == 0) {
		cv_why(why, whylen, "'%s' already holds a vault", dir);
		return CV_E_EXISTS;
	}
	return 0;
}

int
vault_create(const char *dir, const char *label,
    const struct kdf_params *kdf, const void *pass, size_t passlen,
    char *why, size_t whylen)
{
	char swhy[256];
	struct secbuf *vmk = NULL, *keys = NULL;
	struct vault *v = NULL;
	struct keyslot slot;
	struct create_ctx c;
	mode_t old_mask;
	int rc;

	if ((rc = secmem_init()) != 0)
		return rc;
	if ((rc = vault_dir_prepare(dir, why, whylen)) != 0)
		return rc;
	if ((v = vault_alloc()) == NULL)
		return CV_E_NOMEM;
	snprintf(v->path, sizeof(v->path), "%s", dir);
	seal_random(v->vault_id, sizeof(v->vault_id));
	if ((vmk = secbuf_new(KEYSLOT_VMK_BYTES)) == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	seal_random(vmk->data, KEYSLOT_VMK_BYTES);
	if ((rc = keyslot_create(&slot, KEYSLOT_PASSPHRASE, label, kdf, pass,
	    passlen, vmk->data, v->vault_id)) != 0) {
		cv_why(why, whylen, "cannot create keyslot '%s': %s", label,
		    cv_strerror(rc));
		goto out;
	}
	if ((rc = vault_keys_new(v, vmk->data, vmk->data, &keys)) != 0)
		goto out; /* no refresh in init: any 32 bytes do for sk */
	v->keys = (struct vault_keys *)(void *)keys->data;
	snprintf(v->actor, sizeof(v->actor), "keyslot:%s", label);
	old_mask = umask(077);
	rc = store_open(dir, 1, 0600, &v->store, swhy, sizeof(swhy));
	umask(old_mask);
	if (rc != 0) {
		cv_why(why, whylen, "cannot create the database in '%s': %s",
		    dir, swhy);
		goto out;
	}
	c.v = v;
	c.slot = &slot;
	c.keys = v->keys;
	if ((rc = store_write(v->store, vault_create_txn, &c)) != 0)
		cv_why(why, whylen, "cannot write the new vault in '%s': %s",
		    dir, cv_strerror(rc));
out:
	v->keys = NULL;
	secbuf_free(&keys);
	secbuf_free(&vmk);
	store_free(&v->store);
	vault_dealloc(v);
	return rc;
}

static int
vault_file_is_safe(const char *dir, const char *file, char *why,
    size_t whylen)
{
	char path[CV_PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && strcmp(file, "lock.mdb") == 0)
			return 0; /* LMDB recreates its lock file */
		if (errno == ENOENT) {
			cv_why(why, whylen, "no vault at '%s'; create one "
			    "with: credvault --vault '%s' init", dir, dir);
			return CV_E_NOVAULT;
		}
		cv_why(why, whylen, "cannot read '%s': %s", path,
		    strerror(errno));
		return CV_E_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		cv_why(why, whylen, "'%s' is not a regular file", path);
		return CV_E_PERM;
	}
	if (st.st_mode & S_IWOTH) {
		cv_why(why, whylen, "'%s' is writable by others; run: chmod "
		    "o-w '%s'", path, path);
		return CV_E_PERM;
	}
	if (st.st_mode & S_IWGRP)
		return vault_refuse_group_write(path, dir, why, whylen);
	if (st.st_uid != geteuid())
		return vault_refuse_other_owner(path, st.st_uid, why, whylen);
	return 0;
}

int
vault_open_lock(const char *dir, mode_t mode, int exclusive, int *fdp,
    char *why, size_t whylen)
{
	char path[CV_PATH_MAX];
	int fd;

	*fdp = -1;
	(void)snprintf(path, sizeof(path), "%s/open.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    mode)) < 0) {
		cv_why(why, whylen, "cannot open '%s': %s", path,
		    strerror(errno));
		return CV_E_IO;
	}
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		(void)close(fd);
		if (exclusive)
			cv_why(why, whylen, "the vault in '%s' is in use (an "
			    "agent, or another credvault); stop it first", dir);
		else
			cv_why(why, whylen, "the vault in '%s' is being "
			    "restored from a backup; try again when that is "
			    "done", dir);
		return CV_E_BUSY;
	}
	*fdp = fd;
	return 0;
}

struct open_ctx {
	struct vault *v;
	uint32_t version;
	char why[256];
};

static int
vault_open_txn(struct store_txn *t, void *arg)
{
	struct open_ctx *c = arg;
	unsigned char ver[4];
	struct buf_reader r;
	size_t n;
	int rc;

	rc = store_get(t, STORE_META, META_VERSION, strlen(META_VERSION), ver,
	    sizeof(ver), &n);
	if (rc != 0 || n != sizeof(ver))
		return rc == CV_E_NOTFOUND || rc == 0 ? CV_E_INTEGRITY : rc;
	buf_reader_init(&r, ver, n);
	if (buf_get_u32(&r, &c->version) != 0)
		return CV_E_INTEGRITY;
	/* A version this credvault does not read: damage when the meta
	 * checksum says so, else a vault of another version. */
	if (c->version != 1 && c->version != VAULT_FORMAT_VERSION &&
	    (rc = state_meta_verify(t, c->why, sizeof(c->why))) ==
	    CV_E_INTEGRITY)
		return rc;
	rc = store_get(t, STORE_META, META_VAULT_ID, strlen(META_VAULT_ID),
	    c->v->vault_id, VAULT_ID_BYTES, &n);
	if (rc != 0 || n != VAULT_ID_BYTES)
		return CV_E_INTEGRITY;
	return 0;
}

/* When nothing unlocks: damage to what unlocking reads (the vault id,
 * the vault check, a keyslot) is damage, not a wrong passphrase. */
static int
vault_meta_sum_txn(struct store_txn *t, void *arg)
{
	struct vault *v = arg;

	return state_meta_verify(t, v->detail, sizeof(v->detail));
}

int
vault_open(const char *dir, struct vault **out, char *why, size_t whylen)
{
	char swhy[256];
	struct vault *v = NULL;
	struct open_ctx c;
	struct stat st;
	mode_t old_mask;
	int rc;

	*out = NULL;
	if ((rc = secmem_init()) != 0 ||
	    (rc = vault_dir_check_length(dir, why, whylen)) != 0)
		return rc;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cv_why(why, whylen, "no vault at '%s'; create one with: "
		    "credvault --vault '%s' init", dir, dir);
		return CV_E_NOVAULT;
	}
	if (st.st_mode & S_IWOTH) {
		cv_why(why, whylen, "vault directory '%s' is writable by "
		    "others; run: chmod o-w '%s'", dir, dir);
		return CV_E_PERM;
	}
	if (st.st_mode & S_IWGRP)
		return vault_refuse_group_write(dir, dir, why, whylen);
	if (st.st_uid != geteuid())
		return vault_refuse_other_owner(dir, st.st_uid, why, whylen);
	if ((rc = vault_file_is_safe(dir, "data.mdb", why, whylen)) != 0 ||
	    (rc = vault_file_is_safe(dir, "lock.mdb", why, whylen)) != 0)
		return rc;
	if ((v = vault_alloc()) == NULL)
		return CV_E_NOMEM;
	snprintf(v->path, sizeof(v->path), "%s", dir);
	v->owner = st.st_uid;
	if ((v->sealed = malloc(VAULT_SEALED_MAX)) == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	/* LMDB may recreate lock.mdb: the owner's alone, like the rest. */
	old_mask = umask(077);
	/* Held shared while the vault is open: restore replaces the files
	 * only when nobody has them open (vault_restore). */
	if ((rc = vault_open_lock(dir, 0600, 0, &v->open_fd, why,
	    whylen)) != 0) {
		umask(old_mask);
		goto out;
	}
	rc = store_open(dir, 0, 0600, &v->store, swhy, sizeof(swhy));
	umask(old_mask);
	if (rc == CV_E_INTEGRITY) {
		cv_why(why, whylen, "the vault in '%s' is damaged: %s; restore "
		    "it from a backup (credvault restore FILE)", dir, swhy);
		goto out;
	}
	if (rc != 0) {
		cv_why(why, whylen, "cannot open the vault in '%s': %s",
		    dir, swhy);
		goto out;
	}
	c.v = v;
	c.version = 0;
	c.why[0] = '\0';
	if ((rc = store_read(v->store, vault_open_txn, &c)) != 0) {
		if (c.why[0] != '\0')
			cv_why(why, whylen, "the vault in '%s' is damaged: %s; "
			    "restore it from a backup (credvault restore FILE)",
			    dir, c.why);
		else
			cv_why(why, whylen, "'%s' is not a credvault vault or "
			    "is damaged: %s", dir, cv_strerror(rc));
		goto out;
	}
	v->format = c.version;
	if (c.version != VAULT_FORMAT_VERSION && c.version != 1) {
		cv_why(why, whylen, "vault '%s' has format version %u; this "
		    "credvault reads version %u", dir, c.version,
		    VAULT_FORMAT_VERSION);
		rc = CV_E_VERSION;
		goto out;
	}
out:
	if (rc != 0)
		vault_free(&v);
	*out = v;
	return rc;
}

int
vault_clone(struct vault *v, struct vault **out)
{
	struct vault *c;
	int rc = 0;

	*out = NULL;
	if ((c = vault_alloc()) == NULL)
		return CV_E_NOMEM;
	memcpy(c->path, v->path, sizeof(c->path));
	memcpy(c->vault_id, v->vault_id, sizeof(c->vault_id));
	memcpy(c->unlocked_by, v->unlocked_by, sizeof(c->unlocked_by));
	memcpy(c->actor, v->actor, sizeof(c->actor));
	c->owner = v->owner;
	c->store = v->store;
	c->is_clone = 1;
	c->format = v->format;
	if ((c->sealed = malloc(VAULT_SEALED_MAX)) == NULL) {
		vault_free(&c);
		return CV_E_NOMEM;
	}
	if ((rc = vault_keys_copy(v, c)) == CV_E_LOCKED)
		rc = 0; /* a locked clone of a locked vault */
	if (rc != 0) {
		vault_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

void
vault_lock(struct vault *v)
{
	mutex_lock(&v->keys_mu);
	v->keys = NULL;
	v->keys_gen++;
	secbuf_free(&v->keys_sb);
	v->unlocked_by[0] = '\0';
	mutex_unlock(&v->keys_mu);
}

void
vault_free(struct vault **vp)
{
	struct vault *v;

	if (vp == NULL || (v = *vp) == NULL)
		return;
	vault_lock(v);
	if (!v->is_clone)
		store_free(&v->store);
	if (v->open_fd >= 0)
		(void)close(v->open_fd); /* drops the shared lock */
	free(v->sealed);
	vault_dealloc(v);
	*vp = NULL;
}

struct unlock_ctx {
	struct vault *v;
	enum keyslot_kind kind;
	const void *secret;
	size_t len;
	const char *label;
	struct secbuf *vmk;
	struct secbuf *sk;
	struct secbuf *keys;
	int corrupt;
	int found;
	char corrupt_label[CV_LABEL_MAX + 1];
	char label_used[CV_LABEL_MAX + 1];
};

static int
vault_unlock_slot(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	struct unlock_ctx *c = arg;
	struct keyslot ks;
	const char *label = (const char *)key + 5;
	size_t llen = klen - 5;
	int rc;

	if (c->keys != NULL)
		return 0; /* already open */
	if (c->label != NULL && (strlen(c->label) != llen ||
	    memcmp(c->label, label, llen) != 0))
		return 0;
	if (keyslot_decode(val, vlen, &ks) != 0 || strlen(ks.label) != llen ||
	    memcmp(ks.label, label, llen) != 0) {
		c->corrupt = 1;
		snprintf(c->corrupt_label, sizeof(c->corrupt_label), "%.*s",
		    (int)(llen > CV_LABEL_MAX ? CV_LABEL_MAX : llen), label);
		return 0;
	}
	if (ks.kind != c->kind)
		return 0;
	c->found = 1;
	rc = keyslot_unlock_sk(&ks, c->secret, c->len, c->v->vault_id,
	    c->sk->data);
	if (rc == 0)
		rc = keyslot_open_vmk(&ks, c->sk->data, c->v->vault_id,
		    c->vmk->data);
	if (rc == CV_E_INTEGRITY) {
		c->corrupt = 1;
		snprintf(c->corrupt_label, sizeof(c->corrupt_label), "%s",
		    ks.label);
		return 0;
	}
	if (rc != 0)
		return rc == CV_E_AUTH ? 0 : rc;
	snprintf(c->label_used, sizeof(c->label_used), "%s", ks.label);
	return vault_keys_new(c->v, c->vmk->data, c->sk->data, &c->keys);
}

static int
vault_unlock_txn(struct store_txn *t, void *arg)
{
	struct unlock_ctx *c = arg;
	int rc;

	rc = store_scan(t, STORE_META, "slot/", 5, vault_unlock_slot, c);
	if (rc != 0)
		return rc;
	/* A slot saved before a rekey opens to a replaced VMK: refuse it. */
	if (c->keys != NULL && !vault_check_is_current(t, c->v,
	    (const struct vault_keys *)(void *)c->keys->data))
		secbuf_free(&c->keys);
	return 0;
}

static int
vault_unlock_audit_txn(struct store_txn *t, void *arg)
{
	return vault_audit_txn(t, arg, "unlock", NULL, "ok");
}

/* Format 1 to 2: the first state head over the vault as it is, and the
 * meta checksum (the state database was made when the store opened). */
static int
vault_upgrade_txn(struct store_txn *t, void *arg)
{
	struct vault *v = arg;
	unsigned char ver[4];
	struct buf_writer w;
	int rc;

	buf_writer_init(&w, ver, sizeof(ver));
	buf_put_u32(&w, VAULT_FORMAT_VERSION);
	if ((rc = store_put(t, STORE_META, META_VERSION, strlen(META_VERSION),
	    ver, sizeof(ver), 0)) != 0 ||
	    (rc = vault_audit_txn(t, v, "upgrade", NULL, "format 2")) != 0)
		return rc;
	state_txn_reset(v->st);
	v->st->all = 1;
	v->st->slots = 1;
	return state_commit(t, v, v->keys, v->st, NULL, v->head);
}

/* After the keys are known: the keyslot that opened is the committed
 * one (a keyslot put back must not open the vault). */
static int
vault_slots_txn(struct store_txn *t, void *arg)
{
	struct vault *v = arg;
	unsigned char enc[KEYSLOT_ENCODED_MAX];
	char key[CV_LABEL_MAX + 8];
	size_t n;
	int rc;

	vault_slot_key(v->unlocked_by, key, sizeof(key));
	if ((rc = store_get(t, STORE_META, key, strlen(key), enc, sizeof(enc),
	    &n)) != 0)
		return rc == CV_E_NOTFOUND ? CV_E_INTEGRITY : rc;
	return state_verify_slot(t, v->head, v->unlocked_by, enc, n,
	    v->detail, sizeof(v->detail));
}

int
vault_unlock(struct vault *v, enum keyslot_kind kind, const void *secret,
    size_t len, const char *label)
{
	struct unlock_ctx c;
	uint64_t hwm_seen = 0;
	int rc, hwm_got;

	vault_lock(v);
	memset(&c, 0, sizeof(c));
	c.v = v;
	c.kind = kind;
	c.secret = secret;
	c.len = len;
	c.label = label;
	c.vmk = secbuf_new(KEYSLOT_VMK_BYTES);
	c.sk = secbuf_new(KEYSLOT_SK_BYTES);
	if (c.vmk == NULL || c.sk == NULL)
		rc = CV_E_NOMEM;
	else
		rc = store_read(v->store, vault_unlock_txn, &c);
	secbuf_free(&c.vmk);
	secbuf_free(&c.sk);
	if (rc != 0) {
		secbuf_free(&c.keys);
		return rc;
	}
	if (c.keys == NULL) {
		if (c.corrupt) {
			vault_set_subject(v, "keyslot '%s' is damaged",
			    c.corrupt_label);
			return CV_E_INTEGRITY;
		}
		v->detail[0] = '\0';
		if (v->format >= 2 &&
		    store_read(v->store, vault_meta_sum_txn, v) ==
		    CV_E_INTEGRITY) {
			vault_set_subject(v, "the vault is damaged or was "
			    "altered: %s; restore it from a backup (credvault "
			    "restore FILE)", v->detail);
			return CV_E_INTEGRITY;
		}
		if (label != NULL && !c.found)
			vault_set_subject(v, "no %s keyslot '%s'",
			    kind == KEYSLOT_KEYFILE ? "key file" : "passphrase",
			    label);
		else
			vault_set_subject(v, "%s matches no keyslot",
			    kind == KEYSLOT_KEYFILE ? "the key file" :
			    "the passphrase");
		return CV_E_AUTH;
	}
	mutex_lock(&v->keys_mu);
	v->keys_sb = c.keys;
	v->keys = (struct vault_keys *)(void *)c.keys->data;
	v->keys_gen++;
	mutex_unlock(&v->keys_mu);
	snprintf(v->unlocked_by, sizeof(v->unlocked_by), "%s", c.label_used);
	if (v->actor[0] == '\0')
		snprintf(v->actor, sizeof(v->actor), "keyslot:%s",
		    c.label_used);
	if (v->format == 1) {
		if ((rc = store_write(v->store, vault_upgrade_txn, v)) != 0) {
			vault_set_subject(v, "cannot upgrade the vault to "
			    "format %u", VAULT_FORMAT_VERSION);
			vault_lock(v);
			return rc;
		}
		v->format = VAULT_FORMAT_VERSION;
	}
	/* The mark before the head: a mark is raised only after its commit,
	 * so a head read after it is older only when it was rolled back. */
	hwm_got = v->no_hwm ? 0 : hwm_get(v->vault_id, &hwm_seen);
	if ((rc = vault_txn(v, VAULT_TXN_KEYS, vault_slots_txn, v)) != 0) {
		if (rc == CV_E_INTEGRITY)
			vault_set_subject(v, "the vault is inconsistent: %s",
			    v->detail[0] != '\0' ? v->detail :
			    "its state does not verify");
		vault_lock(v);
		return rc;
	}
	if ((rc = vault_hwm_check(v, hwm_got, hwm_seen)) != 0) {
		vault_lock(v);
		return rc;
	}
	rc = vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS,
	    vault_unlock_audit_txn, v);
	if (rc == CV_E_NOSPACE) {
		/* A full disk must not lock people out of reading; every
		 * change still needs space and is refused on its own. */
		v->unaudited = 1;
		return 0;
	}
	if (rc != 0) {
		vault_set_subject(v, "cannot record the unlock in the audit "
		    "log");
		vault_lock(v);
		return rc;
	}
	return 0;
}

struct audit_batch_ctx {
	struct vault *v;
	const struct audit_entry *e;
	size_t n;
};

static int
vault_audit_batch_txn(struct store_txn *t, void *arg)
{
	struct audit_batch_ctx *c = arg;
	size_t i;
	int rc;

	for (i = 0; i < c->n; i++) {
		struct audit_entry e = c->e[i];

		if (e.actor == NULL)
			e.actor = c->v->actor;
		if (e.record == NULL)
			e.record = "";
		if (e.time == 0)
			e.time = vault_now();
		if ((rc = audit_append(t, &c->v->keys->audit, &e)) != 0)
			return rc;
	}
	return 0;
}

int
vault_audit_append(struct vault *v, const struct audit_entry *e, size_t n)
{
	struct audit_batch_ctx c = { v, e, n };

	return vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS,
	    vault_audit_batch_txn, &c);
}

struct verify_ctx {
	struct vault *v;
	audit_visit_fn fn;
	void *ctx;
	uint64_t bad;
};

static int
vault_audit_verify_txn(struct store_txn *t, void *arg)
{
	struct verify_ctx *c = arg;

	return audit_verify(t, &c->v->keys->audit, c->fn, c->ctx, &c->bad);
}

int
vault_audit_verify(struct vault *v, audit_visit_fn fn, void *ctx)
{
	struct verify_ctx c = { v, fn, ctx, 0 };
	int rc;

	rc = vault_txn(v, VAULT_TXN_KEYS, vault_audit_verify_txn, &c);
	if (rc == CV_E_INTEGRITY)
		vault_set_subject(v, c.bad == 0 ? "the audit log head" :
		    "audit entry %llu", (unsigned long long)c.bad);
	return rc;
}
