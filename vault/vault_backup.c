/* SPDX-License-Identifier: MIT */
/* Backup (a compacted, verified copy) and restore (verified first). */
#include "vault/vault_impl.h"
#include "vault/hwm.h"
#include "vault/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

/* A directory of our own next to path, for a copy to be verified in. */
static int
backup_tmpdir(const char *path, char *dir, size_t len)
{
	int n = snprintf(dir, len, "%s.verify-XXXXXX", path);

	if (n < 0 || (size_t)n >= len || (size_t)n >= CV_VAULT_DIR_MAX)
		return CV_E_INVALID;
	return mkdtemp(dir) != NULL ? 0 : CV_E_IO;
}

/* Remove the files a verification leaves, then the directory. */
static void
backup_tmpdir_remove(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb",
		"open.lock", "rotate.lock" };
	char p[CV_PATH_MAX];
	size_t i;

	if (dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

static int
backup_fsync_dir_of(const char *path)
{
	char dir[CV_PATH_MAX], *slash;
	int fd, rc;

	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return CV_E_IO;
	rc = fsync(fd) == 0 ? 0 : CV_E_IO;
	(void)close(fd);
	return rc;
}

/* Copy the file src into dir/data.mdb (0600). */
static int
backup_copy_file(const char *src, const char *dir)
{
	unsigned char buf[65536];
	char dst[CV_PATH_MAX];
	int in, out, rc = CV_E_IO;
	ssize_t n;

	(void)snprintf(dst, sizeof(dst), "%s/data.mdb", dir);
	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? CV_E_NOTFOUND : CV_E_IO;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		(void)close(in);
		return CV_E_IO;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = errno == ENOSPC || errno == EFBIG ? CV_E_NOSPACE :
			    CV_E_IO;
			goto out;
		}
	if (n == 0 && fsync(out) == 0)
		rc = 0;
out:
	(void)close(in);
	(void)close(out);
	return rc;
}

struct backup_report {
	unsigned problems;
	char first[256];
};

static void
backup_report(const char *what, const char *subject, int err, void *ctx)
{
	struct backup_report *r = ctx;

	(void)err;
	if (r->problems++ == 0)
		cv_why(r->first, sizeof(r->first), "%s %s", what, subject);
}

/* Everything in the vault at dir checks out with keys (those of the vault
 * it was copied from, or the backup's own once unlocked). */
static int
backup_verify(struct vault *b, char *why, size_t whylen)
{
	struct backup_report r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = vault_check(b, backup_report, &r);
	if (rc == CV_E_INTEGRITY)
		cv_why(why, whylen, "the copy does not verify: %u problem(s), "
		    "the first: %s", r.problems, r.first);
	else if (rc != 0)
		cv_why(why, whylen, "the copy cannot be verified: %s%s%s",
		    cv_strerror(rc), vault_subject(b)[0] != '\0' ? ": " : "",
		    vault_subject(b));
	return rc;
}

/* An audit entry for a backup or a restore, with where to or from. */
struct backup_audit {
	struct vault *v;
	const char *action;
	char result[CV_AUDIT_FIELD_MAX + 1];
};

static int
backup_audit_txn(struct store_txn *t, void *arg)
{
	struct backup_audit *a = arg;

	return vault_audit_txn(t, a->v, a->action, NULL, a->result);
}

static int
backup_audit(struct vault *v, const char *action, const char *dir,
    const char *file)
{
	struct backup_audit a;

	a.v = v;
	a.action = action;
	(void)snprintf(a.result, sizeof(a.result), "%s %.*s", dir,
	    CV_AUDIT_FIELD_MAX - 8, file);
	return vault_txn(v, VAULT_TXN_WRITE | VAULT_TXN_KEYS, backup_audit_txn,
	    &a);
}

int
vault_backup(struct vault *v, const char *file, char *why, size_t whylen)
{
	char dir[CV_PATH_MAX], copy[CV_PATH_MAX], owhy[256];
	struct vault *b = NULL;
	struct stat st;
	int fd = -1, rc;

	dir[0] = '\0';
	if (lstat(file, &st) == 0 || errno != ENOENT) {
		cv_why(why, whylen, "'%s' exists; name a new file", file);
		return CV_E_EXISTS;
	}
	/* Who made a copy of the sealed data, before the copy: the backup
	 * holds its own entry. */
	if ((rc = backup_audit(v, "backup", "to", file)) != 0) {
		cv_why(why, whylen, "cannot audit the backup: %s",
		    cv_strerror(rc));
		return rc;
	}
	if ((rc = backup_tmpdir(file, dir, sizeof(dir))) != 0) {
		cv_why(why, whylen, "cannot make a directory next to '%s': %s",
		    file, strerror(errno));
		dir[0] = '\0';
		goto out;
	}
	(void)snprintf(copy, sizeof(copy), "%s/data.mdb", dir);
	if ((fd = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		rc = CV_E_IO;
		cv_why(why, whylen, "cannot create '%s': %s", copy,
		    strerror(errno));
		goto out;
	}
	if ((rc = store_copy(v->store, fd)) != 0 ||
	    (rc = fsync(fd) == 0 ? 0 : CV_E_IO) != 0) {
		cv_why(why, whylen, "cannot write the copy next to '%s': %s",
		    file, cv_strerror(rc));
		goto out;
	}
	(void)close(fd);
	fd = -1;
	/* Verify the copy as a vault of its own, with this vault's keys. */
	if ((rc = vault_open(dir, &b, owhy, sizeof(owhy))) != 0) {
		cv_why(why, whylen, "the copy does not open: %s", owhy);
		goto out;
	}
	b->no_hwm = 1;
	if ((rc = vault_keys_copy(v, b)) != 0)
		goto out;
	if ((rc = backup_verify(b, why, whylen)) != 0)
		goto out;
	vault_free(&b);
	if (rename(copy, file) != 0) {
		rc = CV_E_IO;
		cv_why(why, whylen, "cannot name the copy '%s': %s", file,
		    strerror(errno));
		goto out;
	}
	rc = backup_fsync_dir_of(file);
out:
	if (fd >= 0)
		(void)close(fd);
	vault_free(&b);
	backup_tmpdir_remove(dir);
	return rc;
}

/* The vault id of whatever vault is in dir, if it can be read. */
static int
restore_live_id(const char *dir, unsigned char id[VAULT_ID_BYTES])
{
	struct vault *live = NULL;
	char owhy[256];
	int rc;

	if ((rc = vault_open(dir, &live, owhy, sizeof(owhy))) != 0)
		return rc;
	memcpy(id, live->vault_id, VAULT_ID_BYTES);
	vault_free(&live);
	return 0;
}

int
vault_restore(const char *dir, const char *file, enum keyslot_kind kind,
    const void *secret, size_t len, const char *label, uint64_t *counter,
    char *why, size_t whylen)
{
	unsigned char live_id[VAULT_ID_BYTES];
	char tmp[CV_PATH_MAX], copy[CV_PATH_MAX], data[CV_PATH_MAX];
	char lock[CV_PATH_MAX], owhy[256];
	struct vault *b = NULL, *v = NULL;
	int rc, have_live, lockfd = -1;

	tmp[0] = '\0';
	*counter = 0;
	if ((rc = secmem_init()) != 0)
		return rc;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		cv_why(why, whylen, "cannot create '%s': %s", dir,
		    strerror(errno));
		return CV_E_IO;
	}
	/* Which vault is there now, if any can be read; then nobody may
	 * have it open while its file is replaced. */
	have_live = restore_live_id(dir, live_id) == 0;
	if ((rc = vault_open_lock(dir, 0600, 1, &lockfd, why, whylen)) != 0)
		return rc;
	if ((rc = backup_tmpdir(dir, tmp, sizeof(tmp))) != 0) {
		cv_why(why, whylen, "cannot make a directory next to '%s': %s",
		    dir, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if ((rc = backup_copy_file(file, tmp)) != 0) {
		cv_why(why, whylen, "cannot read the backup '%s': %s", file,
		    cv_strerror(rc));
		goto out;
	}
	/* The backup as a vault of its own: its file, its keyslots (the
	 * caller's secret), its state, every record and the audit chain. */
	if ((rc = vault_open(tmp, &b, owhy, sizeof(owhy))) != 0) {
		cv_why(why, whylen, "'%s' is not a usable backup: %s", file,
		    owhy);
		goto out;
	}
	b->no_hwm = 1; /* an older copy is what a restore puts back */
	if ((rc = vault_unlock(b, kind, secret, len, label)) != 0) {
		cv_why(why, whylen, "cannot unlock the backup '%s': %s", file,
		    vault_subject(b));
		goto out;
	}
	if ((rc = backup_verify(b, why, whylen)) != 0)
		goto out;
	if (have_live && memcmp(live_id, b->vault_id, VAULT_ID_BYTES) != 0) {
		rc = CV_E_REFUSED;
		cv_why(why, whylen, "'%s' is a backup of another vault than "
		    "the one in '%s'; restore it into an empty directory",
		    file, dir);
		goto out;
	}
	*counter = b->head->counter;
	memcpy(live_id, b->vault_id, VAULT_ID_BYTES);
	vault_free(&b);
	/* Replace: one rename; the old lock file goes with the old data. */
	(void)snprintf(copy, sizeof(copy), "%s/data.mdb", tmp);
	(void)snprintf(data, sizeof(data), "%s/data.mdb", dir);
	(void)snprintf(lock, sizeof(lock), "%s/lock.mdb", dir);
	if (rename(copy, data) != 0) {
		rc = CV_E_IO;
		cv_why(why, whylen, "cannot put the backup in place: %s",
		    strerror(errno));
		goto out;
	}
	(void)unlink(lock);
	if ((rc = backup_fsync_dir_of(data)) != 0)
		goto out;
	/* This user has now seen exactly this state: an older one on
	 * purpose.  Then the restore goes in the restored vault's log. */
	if ((rc = hwm_put(live_id, *counter, 0)) != 0) {
		cv_why(why, whylen, "restored, but cannot record its change "
		    "counter: %s", cv_strerror(rc));
		goto out;
	}
	(void)close(lockfd); /* opening it takes the lock shared */
	lockfd = -1;
	if ((rc = vault_open(dir, &v, owhy, sizeof(owhy))) != 0 ||
	    (rc = vault_unlock(v, kind, secret, len, label)) != 0) {
		cv_why(why, whylen, "restored, but cannot open it again: %s",
		    v != NULL ? vault_subject(v) : owhy);
		goto out;
	}
	if ((rc = backup_audit(v, "restore", "from", file)) != 0)
		cv_why(why, whylen, "restored, but cannot audit it: %s",
		    cv_strerror(rc));
out:
	vault_free(&b);
	vault_free(&v);
	if (lockfd >= 0)
		(void)close(lockfd);
	backup_tmpdir_remove(tmp);
	return rc;
}
