/* SPDX-License-Identifier: MIT */
/* LMDB environment: transactions, map growth, full-disk handling. */
#include "vault/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>

#include "vault/store_check.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/mutex.h"
#include "base/banned.h"

static const char *const store_db_names[STORE_DBS] = { "meta", "records",
	"audit", "state" };

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DBS];
	/* Transactions hold it shared; growing the map takes it exclusively,
	 * since LMDB may only resize while this process has no transaction. */
	pthread_rwlock_t resize_lock;
	char path[CV_VAULT_DIR_MAX];
	/*
	 * LMDB trusts its file, so it is checked (store_check.h) before
	 * LMDB reads a snapshot that this process did not write itself:
	 * checked_txnid is the last snapshot checked or committed here.
	 * LMDB never shrinks its file, so a file smaller than size_floor was
	 * truncated.  Once damage is found, every transaction is refused and
	 * damage says why.  check_mu guards the three.
	 */
	pthread_mutex_t check_mu;
	uint64_t checked_txnid;
	off_t size_floor;
	char damage[256];
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int write;
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
#define STORE_CHECK_TRIES 32 /* snapshots that moved on under the check */

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

/* store_check()'s reader: pread on a descriptor. */
static int
store_pread(void *ctx, uint64_t off, void *buf, size_t len)
{
	int fd = *(const int *)ctx;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (unsigned char *)buf + done, len - done,
		    (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Remember what is damaged (the first damage found stays). */
static int
store_damaged(struct store *s, const char *why)
{
	if (s->damage[0] == '\0')
		(void)snprintf(s->damage, sizeof(s->damage), "%s", why);
	return CV_E_INTEGRITY;
}

static int
store_shrank(struct store *s, off_t size)
{
	char why[sizeof(s->damage)];

	(void)snprintf(why, sizeof(why), "data.mdb shrank from %lld to %lld "
	    "bytes: it was truncated", (long long)s->size_floor,
	    (long long)size);
	return store_damaged(s, why);
}

/*
 * Before every transaction: LMDB reads its meta pages through the map as
 * soon as a transaction begins, and a page past the end of a truncated
 * file is SIGBUS, not an error.  LMDB never shrinks its file, so a file
 * smaller than it was is truncated.  0, CV_E_INTEGRITY or CV_E_IO.
 */
static int
store_check_size(struct store *s)
{
	struct stat st;
	int fd, rc = 0;

	mutex_lock(&s->check_mu);
	if (s->damage[0] != '\0')
		rc = CV_E_INTEGRITY;
	else if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &st) != 0)
		rc = CV_E_IO;
	else if (st.st_size < s->size_floor)
		rc = store_shrank(s, st.st_size);
	mutex_unlock(&s->check_mu);
	return rc;
}

/* Before LMDB maps the file: its meta pages and its size. */
static int
store_check_before_open(struct store *s)
{
	struct store_check_src src;
	char p[CV_PATH_MAX], why[sizeof(s->damage)];
	struct stat st;
	int fd, rc;

	(void)snprintf(p, sizeof(p), "%s/data.mdb", s->path);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? CV_E_NOTFOUND : CV_E_IO;
	if (fstat(fd, &st) != 0) {
		(void)close(fd);
		return CV_E_IO;
	}
	src.read = store_pread;
	src.ctx = &fd;
	src.size = (uint64_t)st.st_size;
	rc = store_check_meta(&src, why, sizeof(why));
	(void)close(fd);
	if (rc == CV_E_INTEGRITY)
		return store_damaged(s, why);
	return rc;
}

/*
 * Inside transaction txn, before it reads anything: the file has not
 * shrunk, and the snapshot txn builds on (its own for a reader, the last
 * committed one for a writer, which holds the writer lock) was checked
 * here, or is checked now.  Both snapshots are safe from reuse while txn
 * lives.  0, CV_E_INTEGRITY (s->damage says why), or CV_E_BUSY when a
 * reader's snapshot moved on under the check.
 */
static int
store_check_snapshot_once(struct store *s, MDB_txn *txn, int write)
{
	struct store_check_src src;
	uint64_t snap = (uint64_t)mdb_txn_id(txn) - (write ? 1 : 0);
	char why[sizeof(s->damage)];
	struct stat st;
	int fd, rc = 0;

	mutex_lock(&s->check_mu);
	if (s->damage[0] != '\0') {
		rc = CV_E_INTEGRITY;
	} else if (snap == s->checked_txnid) {
		rc = 0; /* store_check_size() ran before the transaction */
	} else if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &st) != 0) {
		rc = CV_E_IO;
	} else if (st.st_size < s->size_floor) {
		rc = store_shrank(s, st.st_size);
	} else {
		src.read = store_pread;
		src.ctx = &fd;
		src.size = (uint64_t)st.st_size;
		rc = store_check(&src, snap, write, why, sizeof(why));
		if (rc == CV_E_INTEGRITY)
			(void)store_damaged(s, why);
		else if (rc == 0) {
			s->checked_txnid = snap;
			s->size_floor = st.st_size;
		}
	}
	mutex_unlock(&s->check_mu);
	return rc;
}

/* A reader whose snapshot moved on under the check begins again on the
 * newest one; a vault that changes faster than it can be checked is
 * busy, not damaged. */
static int
store_check_snapshot(struct store *s, MDB_txn *txn, int write)
{
	unsigned tries;
	int rc, mrc;

	for (tries = 0;; tries++) {
		rc = store_check_snapshot_once(s, txn, write);
		if (rc != CV_E_BUSY || write || tries == STORE_CHECK_TRIES)
			return rc;
		mdb_txn_reset(txn);
		if ((mrc = mdb_txn_renew(txn)) != 0)
			return store_err(mrc);
	}
}

/* After a commit of ours: that snapshot needs no check. */
static void
store_committed(struct store *s, uint64_t txnid)
{
	struct stat st;
	int fd;

	mutex_lock(&s->check_mu);
	s->checked_txnid = txnid;
	if (mdb_env_get_fd(s->env, &fd) == 0 && fstat(fd, &st) == 0 &&
	    st.st_size > s->size_floor)
		s->size_floor = st.st_size;
	mutex_unlock(&s->check_mu);
}

static int
store_open_dbs(struct store *s, int create)
{
	MDB_txn *txn = NULL;
	uint64_t snap;
	unsigned i;
	int rc;

	if ((rc = store_check_size(s)) != 0)
		return rc;
	rc = mdb_txn_begin(s->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return store_err(rc);
	if ((rc = store_check_snapshot(s, txn, create)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (i = 0; i < STORE_DBS; i++) {
		rc = mdb_dbi_open(txn, store_db_names[i],
		    create ? MDB_CREATE : 0, &s->dbi[i]);
		if (rc == MDB_NOTFOUND && i == STORE_STATE && !create) {
			/* A vault of format 1: the upgrade at unlock fills
			 * the state database, made here. */
			mdb_txn_abort(txn);
			return store_open_dbs(s, 1);
		}
		if (rc != 0) {
			mdb_txn_abort(txn);
			/* A vault without our databases is not a vault. */
			return rc == MDB_NOTFOUND ? CV_E_INTEGRITY :
			    store_err(rc);
		}
	}
	/* Committed even when read-only: that keeps the handles open. */
	snap = (uint64_t)mdb_txn_id(txn);
	if ((rc = mdb_txn_commit(txn)) == 0 && create)
		store_committed(s, snap);
	return store_err(rc);
}

int
store_open(const char *dir, int create, mode_t file_mode, struct store **out,
    char *why, size_t whylen)
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
	if (pthread_mutex_init(&s->check_mu, NULL) != 0) {
		pthread_rwlock_destroy(&s->resize_lock);
		free(s);
		return CV_E_NOMEM;
	}
	s->checked_txnid = UINT64_MAX; /* nothing checked yet */
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
	if (!create && (rc = store_check_before_open(s)) != 0)
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
		if (s->damage[0] != '\0')
			cv_why(why, whylen, "%s", s->damage);
		else
			cv_why(why, whylen, "%s", cv_strerror(rc));
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
	pthread_mutex_destroy(&s->check_mu);
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
	uint64_t txnid;
	int rc, mrc;

	for (;;) {
		memset(&t, 0, sizeof(t));
		t.s = s;
		t.write = write;
		if ((rc = store_check_size(s)) != 0)
			return rc;
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
		if ((rc = store_check_snapshot(s, t.txn, write)) == 0)
			rc = fn(&t, ctx);
		if (rc != 0 || !write) {
			mdb_txn_abort(t.txn);
		} else {
			txnid = (uint64_t)mdb_txn_id(t.txn);
			mrc = mdb_txn_commit(t.txn);
			if (mrc == MDB_MAP_FULL)
				t.map_full = 1;
			if (mrc == 0)
				store_committed(s, txnid);
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

uint64_t
store_txn_snapshot(const struct store_txn *t)
{
	return (uint64_t)mdb_txn_id(t->txn) - (t->write ? 1 : 0);
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
store_copy(struct store *s, int fd)
{
	int rc;

	pthread_rwlock_rdlock(&s->resize_lock);
	rc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
	pthread_rwlock_unlock(&s->resize_lock);
	return store_err(rc);
}

const char *
store_damage(struct store *s)
{
	const char *d;

	mutex_lock(&s->check_mu);
	d = s->damage; /* set once, never changed after */
	mutex_unlock(&s->check_mu);
	return d;
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
