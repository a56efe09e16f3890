/* SPDX-License-Identifier: MIT */
/* Socket directory checks, the single-agent lock, bind and listen. */
#define _GNU_SOURCE /* SOCK_NONBLOCK, SOCK_CLOEXEC for socket() */
#include "agent/transport/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define LISTEN_BACKLOG 4096 /* the kernel caps it at somaxconn */
#define LISTEN_GR_BUF 65536

/* A group name or number. */
static int
listen_group(const char *group, gid_t *gid, char *why, size_t whylen)
{
	struct group gr, *res = NULL;
	char *buf, *end;
	unsigned long v;
	int e;

	errno = 0;
	v = strtoul(group, &end, 10);
	if (group[0] >= '0' && group[0] <= '9' && *end == '\0' && errno == 0 &&
	    v < (gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	if ((buf = malloc(LISTEN_GR_BUF)) == NULL)
		return CV_E_NOMEM;
	e = getgrnam_r(group, &gr, buf, LISTEN_GR_BUF, &res);
	if (res != NULL)
		*gid = gr.gr_gid;
	free(buf);
	if (res == NULL) {
		cv_why(why, whylen, "no group '%s'%s%s; create it or "
		    "give an existing --socket-group", group, e != 0 ? ": " :
		    "", e != 0 ? strerror(e) : "");
		return CV_E_NOTFOUND;
	}
	return 0;
}

/* The directory that will hold the socket: ours, and tight. */
static int
listen_dir(const char *dir, int have_gid, gid_t gid, char *why,
    size_t whylen)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0) {
		/* New: hand it to the group, searchable only (0710). */
		if (have_gid && (chown(dir, (uid_t)-1, gid) != 0 ||
		    chmod(dir, 0710) != 0)) {
			cv_why(why, whylen, "cannot give socket directory "
			    "'%s' to group %lu: %s", dir, (unsigned long)gid,
			    strerror(errno));
			return CV_E_PERM;
		}
	} else if (errno != EEXIST) {
		cv_why(why, whylen, "cannot create socket directory '%s': "
		    "%s; create it (mode 0700) or choose another --socket",
		    dir, strerror(errno));
		return CV_E_IO;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cv_why(why, whylen, "socket directory '%s' is not a "
		    "directory", dir);
		return CV_E_PERM;
	}
	if (st.st_uid != geteuid()) {
		cv_why(why, whylen, "socket directory '%s' is owned by uid "
		    "%lu, not by this user (uid %lu); choose a directory of "
		    "your own", dir, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		return CV_E_PERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		cv_why(why, whylen, "socket directory '%s' is writable by "
		    "%s; chmod go-w '%s' or choose another --socket", dir,
		    (st.st_mode & S_IWOTH) != 0 ? "others" : "its group", dir);
		return CV_E_PERM;
	}
	if (have_gid && ((st.st_mode & S_IXGRP) == 0 || st.st_gid != gid) &&
	    (st.st_mode & S_IXOTH) == 0) {
		cv_why(why, whylen, "socket directory '%s' is not "
		    "searchable by group %lu, whose members could not reach "
		    "the socket; chgrp and chmod g+x it", dir,
		    (unsigned long)gid);
		return CV_E_PERM;
	}
	return 0;
}

/* Take PATH.lock, then clear a socket that an agent left behind. */
static int
listen_lock(const char *path, struct listen_sock *ls, char *why,
    size_t whylen)
{
	char lock[LISTEN_PATH_MAX + 8];
	struct stat st;

	(void)snprintf(lock, sizeof(lock), "%s.lock", path);
	ls->lockfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (ls->lockfd < 0) {
		cv_why(why, whylen, "cannot open lock file '%s': %s", lock,
		    strerror(errno));
		return CV_E_IO;
	}
	if (flock(ls->lockfd, LOCK_EX | LOCK_NB) != 0) {
		/* A locked agent still holds its socket: lock is no
		 * way to free it. */
		cv_why(why, whylen, "another agent is serving '%s'; stop "
		    "it first (kill -TERM its pid: 'credvault lock' only "
		    "locks it, it keeps the socket) or choose another "
		    "--socket", path);
		return CV_E_BUSY;
	}
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		cv_why(why, whylen, "'%s' exists and is not a socket; "
		    "remove it or choose another --socket", path);
		return CV_E_EXISTS;
	}
	/* We hold the lock, so no agent serves this one: stale. */
	if (unlink(path) != 0) {
		cv_why(why, whylen, "cannot remove stale socket '%s': %s",
		    path, strerror(errno));
		return CV_E_IO;
	}
	return 0;
}

int
listen_open(const char *path, const char *group, struct listen_sock *out,
    char *why, size_t whylen)
{
	struct sockaddr_un sa;
	char dir[LISTEN_PATH_MAX];
	struct stat st;
	mode_t old;
	gid_t gid = 0;
	char *slash;
	int r;

	memset(out, 0, sizeof(*out));
	out->fd = out->lockfd = -1;
	why[0] = '\0';
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		cv_why(why, whylen, "socket path '%s' must be absolute and "
		    "shorter than %zu bytes", path, sizeof(sa.sun_path));
		return CV_E_INVALID;
	}
	memcpy(out->path, path, strlen(path) + 1);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0'; /* "/x.sock": "/" is root's; refused below */
	else
		*slash = '\0';
	if (group != NULL && (r = listen_group(group, &gid, why, whylen)) != 0)
		return r;
	if ((r = listen_dir(dir, group != NULL, gid, why, whylen)) != 0 ||
	    (r = listen_lock(path, out, why, whylen)) != 0)
		goto out;

	r = CV_E_IO;
	out->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (out->fd < 0) {
		cv_why(why, whylen, "socket: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Born 0600: nobody else can connect before it is set up. */
	old = umask(0177);
	r = bind(out->fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old);
	if (r != 0) {
		cv_why(why, whylen, "cannot bind '%s': %s", path,
		    strerror(errno));
		r = CV_E_IO;
		goto out;
	}
	if (group != NULL && (chown(path, (uid_t)-1, gid) != 0 ||
	    chmod(path, 0660) != 0)) {
		cv_why(why, whylen, "cannot give socket '%s' to group %lu: "
		    "%s", path, (unsigned long)gid, strerror(errno));
		r = CV_E_PERM;
		goto out;
	}
	if (lstat(path, &st) != 0 || listen(out->fd, LISTEN_BACKLOG) != 0) {
		cv_why(why, whylen, "cannot listen on '%s': %s", path,
		    strerror(errno));
		r = CV_E_IO;
		goto out;
	}
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	r = 0;
out:
	if (r != 0)
		listen_close(out);
	return r;
}

int
listen_adopt(int fd, const char *path, struct listen_sock *out, char *warn,
    size_t warnlen, char *why, size_t whylen)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	char dir[LISTEN_PATH_MAX], *slash;
	struct stat st;
	size_t n;
	int fl;

	memset(out, 0, sizeof(*out));
	out->fd = out->lockfd = -1;
	warn[0] = why[0] = '\0';
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) != 0 ||
	    sa.sun_family != AF_UNIX) {
		cv_why(why, whylen, "the socket systemd passed is not a Unix "
		    "socket");
		return CV_E_INVALID;
	}
	n = salen > offsetof(struct sockaddr_un, sun_path) ?
	    (size_t)salen - offsetof(struct sockaddr_un, sun_path) : 0;
	if (n == 0 || sa.sun_path[0] != '/' ||
	    strnlen(sa.sun_path, n) >= sizeof(out->path)) {
		cv_why(why, whylen, "the socket systemd passed is not bound "
		    "to a file (an abstract socket has no permissions to keep "
		    "others out); use ListenStream=/run/.../agent.sock");
		return CV_E_INVALID;
	}
	n = strnlen(sa.sun_path, n);
	memcpy(out->path, sa.sun_path, n);
	out->path[n] = '\0';
	if (path != NULL && strcmp(path, out->path) != 0) {
		cv_why(why, whylen, "the socket systemd passed is '%s', not "
		    "--socket '%s'; make them agree (or leave --socket out)",
		    out->path, path);
		return CV_E_INVALID;
	}
	memcpy(dir, out->path, n + 1);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		cv_why(why, whylen, "the directory of socket '%s' must be "
		    "owned by root or by this user (uid %lu) and writable by "
		    "neither its group nor others; fix it (DirectoryMode= in "
		    "the .socket unit)", out->path, (unsigned long)geteuid());
		return CV_E_PERM;
	}
	errno = 0;
	if (lstat(out->path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		cv_why(why, whylen, "'%s', where systemd's socket should be, "
		    "is %s; restart the .socket unit", out->path,
		    errno != 0 ? "missing" : "not a socket");
		return CV_E_INVALID;
	}
	if ((st.st_mode & S_IWOTH) != 0)
		cv_why(warn, warnlen, "socket '%s' has mode %04o: every local "
		    "user can connect (each is still authorised by the "
		    "stacks); SocketMode=0660 and SocketGroup= narrow it",
		    out->path, (unsigned)(st.st_mode & 07777));
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		cv_why(why, whylen, "cannot set up socket '%s': %s", out->path,
		    strerror(errno));
		return CV_E_IO;
	}
	out->fd = fd; /* ino stays 0: listen_close() leaves the file */
	return 0;
}

void
listen_close(struct listen_sock *ls)
{
	struct stat st;

	if (ls->fd >= 0) {
		if (ls->ino != 0 && lstat(ls->path, &st) == 0 &&
		    st.st_dev == ls->dev && st.st_ino == ls->ino)
			(void)unlink(ls->path);
		(void)close(ls->fd);
	}
	if (ls->lockfd >= 0)
		(void)close(ls->lockfd); /* the lock file stays: no race */
	ls->fd = ls->lockfd = -1;
}
