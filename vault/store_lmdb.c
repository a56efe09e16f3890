/* SPDX-License-Identifier: MIT */
/* LMDB environment: transactions, map growth, full-disk handling. */
#include "vault/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <lmdb.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

static const char *const store_db_names[STORE_DBS] = { "meta", "records",
	"audit" };

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DBS];
	/* Transactions hold it shared; growing the map takes it exclusively,
	 * since LMDB may only resize while this process has no transaction. */
	pthread_rwlock_t resize_lock;
	char path[CV_VAULT_DIR_MAX];
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int map_full;
};

static int
store_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return CV_E_NOTFOUND;
	case MDB_KEYEXIST:
		return CV_E_EXISTS;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EFBIG:
	case EDQUOT:
		return CV_E_NOSPACE;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return CV_E_INTEGRITY;
	case ENOMEM:
		return CV_E_NOMEM;
	case EACCES:
	case EPERM:
		return CV_E_PERM;
	case MDB_READERS_FULL:
	case EAGAIN:
		return CV_E_BUSY;
	default:
		return CV_E_IO;
	}
}

/*
 * LMDB reports a short write as EIO, and a write that fills the disk or
 * reaches RLIMIT_FSIZE is often short.  Tell those apart from real I/O
 * errors so the user is told to free space.
 */
#define STORE_SPACE_SLACK (1u << 20)

static int
store_err_commit(const struct store *s, int rc)
{
	char p[CV_PATH_MAX];
	struct statvfs vfs;
	struct rlimit rl;
	struct stat st;

	if (rc != EIO)
		return store_err(rc);
	if (statvfs(s->path, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < STORE_SPACE_SLACK)
		return CV_E_NOSPACE;
	snprintf(p, sizeof(p), "%s/data.mdb", s->path);
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    stat(p, &st) == 0 &&
	    (rlim_t)st.st_size + STORE_SPACE_SLACK > rl.rlim_cur)
		return CV_E_NOSPACE;
	return CV_E_IO;
}

static int
store_open_dbs(struct store *s, int create)
{
	MDB_txn *txn = NULL;
	unsigned i;
	int rc;

	rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return store_err(rc);
	for (i = 0; i < STORE_DBS; i++) {
		rc = mdb_dbi_open(txn, store_db_names[i],
		    create ? MDB_CREATE : 0, &s->dbi[i]);
		if (rc != 0) {
			mdb_txn_abort(txn);
			/* A vault without our databases is not a vault. */
			return rc == MDB_NOTFOUND ? CV_E_INTEGRITY :
			    store_err(rc);
		}
	}
	return store_err(mdb_txn_commit(txn));
}

int
store_open(const char *dir, int create, mode_t file_mode, struct store **out)
{
	struct store *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CV_E_NOMEM;
	if (pthread_rwlock_init(&s->resize_lock, NULL) != 0) {
		free(s);
		return CV_E_NOMEM;
	}
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s", dir) >=
	    sizeof(s->path)) {
		rc = CV_E_INVALID;
		goto out;
	}
	if ((rc = store_err(mdb_env_create(&s->env))) != 0)
		goto out;
	if ((rc = store_err(mdb_env_set_maxdbs(s->env, STORE_DBS))) != 0 ||
	    (rc = store_err(mdb_env_set_mapsize(s->env,
	    (size_t)CV_MAP_SIZE_INITIAL))) != 0)
		goto out;
	/* MDB_NOTLS: the agent's worker threads share read transactions'
	 * slots safely; durability stays LMDB's default (sync on commit). */
	rc = mdb_env_open(s->env, dir, MDB_NOTLS, file_mode);
	if (rc != 0) {
		rc = rc == ENOENT ? CV_E_NOTFOUND : store_err(rc);
		goto out;
	}
	/* Adopt the size another process may have grown the map to. */
	if ((rc = store_err(mdb_env_set_mapsize(s->env, 0))) != 0)
		goto out;
	rc = store_open_dbs(s, create);
out:
	if (rc != 0) {
		store_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

void
store_free(struct store **sp)
{
	struct store *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->resize_lock);
	free(s);
	*sp = NULL;
}

/* Grow (or adopt another process's growth of) the map; no transaction of
 * ours may be open, which the exclusive lock guarantees. */
static int
store_grow(struct store *s, int adopt_only)
{
	MDB_envinfo info;
	size_t size;
	int rc;

	pthread_rwlock_wrlock(&s->resize_lock);
	mdb_env_info(s->env, &info);
	size = info.me_mapsize;
	if (adopt_only)
		rc = mdb_env_set_mapsize(s->env, 0);
	else if (size >= (size_t)CV_MAP_SIZE_MAX / 2)
		rc = MDB_MAP_FULL;
	else
		rc = mdb_env_set_mapsize(s->env, size * 2);
	pthread_rwlock_unlock(&s->resize_lock);
	return store_err(rc);
}

static int
store_run(struct store *s, store_fn fn, void *ctx, int write)
{
	struct store_txn t;
	int rc, mrc;

	for (;;) {
		memset(&t, 0, sizeof(t));
		t.s = s;
		pthread_rwlock_rdlock(&s->resize_lock);
		mrc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY,
		    &t.txn);
		if (mrc == MDB_MAP_RESIZED) {
			pthread_rwlock_unlock(&s->resize_lock);
			if ((rc = store_grow(s, 1)) != 0)
				return rc;
			continue;
		}
		if (mrc != 0) {
			pthread_rwlock_unlock(&s->resize_lock);
			return store_err(mrc);
		}
		rc = fn(&t, ctx);
		if (rc != 0 || !write) {
			mdb_txn_abort(t.txn);
		} else {
			mrc = mdb_txn_commit(t.txn);
			if (mrc == MDB_MAP_FULL)
				t.map_full = 1;
			rc = store_err_commit(s, mrc);
		}
		pthread_rwlock_unlock(&s->resize_lock);
		if (!t.map_full)
			return rc;
		/* The whole change runs again in a bigger map. */
		if ((rc = store_grow(s, 0)) != 0)
			return rc;
	}
}

int
store_write(struct store *s, store_fn fn, void *ctx)
{
	return store_run(s, fn, ctx, 1);
}

int
store_read(struct store *s, store_fn fn, void *ctx)
{
	return store_run(s, fn, ctx, 0);
}

int
store_get(struct store_txn *t, enum store_db db, const void *key,
    size_t klen, void *out, size_t cap, size_t *len)
{
	MDB_val k = { klen, (void *)(uintptr_t)key }, v;
	int rc;

	*len = 0;
	if ((rc = mdb_get(t->txn, t->s->dbi[db], &k, &v)) != 0)
		return store_err(rc);
	if (v.mv_size > cap)
		return CV_E_INTEGRITY;
	memcpy(out, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return 0;
}

int
store_put(struct store_txn *t, enum store_db db, const void *key,
    size_t klen, const void *val, size_t vlen, int noreplace)
{
	MDB_val k = { klen, (void *)(uintptr_t)key };
	MDB_val v = { vlen, (void *)(uintptr_t)val };
	int rc;

	rc = mdb_put(t->txn, t->s->dbi[db], &k, &v,
	    noreplace ? MDB_NOOVERWRITE : 0);
	if (rc == MDB_MAP_FULL)
		t->map_full = 1;
	return store_err(rc);
}

int
store_del(struct store_txn *t, enum store_db db, const void *key,
    size_t klen)
{
	MDB_val k = { klen, (void *)(uintptr_t)key };

	return store_err(mdb_del(t->txn, t->s->dbi[db], &k, NULL));
}

int
store_scan(struct store_txn *t, enum store_db db, const void *prefix,
    size_t plen, store_scan_fn fn, void *ctx)
{
	MDB_cursor *c;
	MDB_val k = { plen, (void *)(uintptr_t)prefix }, v;
	int rc;

	if ((rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c)) != 0)
		return store_err(rc);
	rc = mdb_cursor_get(c, &k, &v, plen > 0 ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0) {
		if (plen > 0 && (k.mv_size < plen ||
		    memcmp(k.mv_data, prefix, plen) != 0))
			break;
		if ((rc = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size,
		    ctx)) != 0) {
			mdb_cursor_close(c);
			return rc;
		}
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_err(rc);
}

int
store_count(struct store_txn *t, enum store_db db, size_t *n)
{
	MDB_stat st;
	int rc;

	*n = 0;
	if ((rc = mdb_stat(t->txn, t->s->dbi[db], &st)) != 0)
		return store_err(rc);
	*n = st.ms_entries;
	return 0;
}

int
store_file_size(struct store *s, size_t *bytes)
{
	char p[CV_PATH_MAX];
	struct stat st;

	*bytes = 0;
	snprintf(p, sizeof(p), "%s/data.mdb", s->path);
	if (stat(p, &st) != 0)
		return CV_E_IO;
	*bytes = (size_t)st.st_size;
	return 0;
}
