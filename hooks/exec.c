/* SPDX-License-Identifier: MIT */
/* Safe hook execution: path checks, posix_spawn, capped pipes, timeout. */
/* pipe2, posix_spawn_file_actions_add{chdir,closefrom}_np, strerrordesc_np */
#define _GNU_SOURCE
#include "hooks/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "hooks/reap.h"
#include "base/err.h"
#include "base/banned.h"

#define EXEC_POLL_FALLBACK_MS 10 /* exit polling when pidfd_open() is missing */
#define EXEC_READ_CHUNK 16384

/* The I/O state of one running hook; every fd is ours to close. */
struct exec_io {
	pid_t pid;
	int pidfd;
	int fd_in, fd_out, fd_err;
	const struct secbuf *input;
	size_t in_off;
	size_t out_len, out_cap;
	int exited; /* the leader exited (not yet reaped) */
	int stop;   /* deadline, overflow or poll failure: group killed */
	int epipe;
	struct reap_run run; /* registered while the leader is not reaped */
	int registered;
	unsigned char scratch[512]; /* excess output, discarded (wiped) */
};

/* strerror() is not thread-safe; the GNU description table is. */
static const char *
exec_strerror(int e)
{
	const char *s = strerrordesc_np(e);

	return s != NULL ? s : "unknown error";
}

static void
exec_close(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
}

/* ---- path checks ------------------------------------------------------ */

/*
 * Owner and write permissions of one component.  may_be_sticky: a
 * root-owned sticky directory may be writable by group and others.
 */
static int
exec_check_mode(const char *p, const struct stat *st, uid_t owner,
    int may_be_sticky, char *why, size_t whylen)
{
	if (st->st_uid != 0 && st->st_uid != owner) {
		if (owner == 0)
			cv_why(why, whylen, "'%s' is owned by uid %lu, not by "
			    "root", p, (unsigned long)st->st_uid);
		else
			cv_why(why, whylen, "'%s' is owned by uid %lu, not by "
			    "root or uid %lu", p, (unsigned long)st->st_uid,
			    (unsigned long)owner);
		return CV_E_PERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (may_be_sticky && S_ISDIR(st->st_mode) && st->st_uid == 0 &&
	    (st->st_mode & S_ISVTX) != 0)
		return 0;
	cv_why(why, whylen, "'%s' is writable by %s", p,
	    (st->st_mode & S_IWOTH) != 0 ? "others" : "its group");
	return CV_E_PERM;
}

int
exec_path_check(const char *path, uid_t owner, enum exec_path_kind kind,
    struct exec_checked *out, char *why, size_t whylen)
{
	char comp[CV_PATH_MAX], *real = NULL, *slash;
	struct stat st;
	size_t len;
	unsigned level;
	int r, e;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	cv_why(why, whylen, "%s", "");
	if (path == NULL || path[0] != '/') {
		cv_why(why, whylen, "not an absolute path");
		return CV_E_INVALID;
	}
	if (strnlen(path, CV_PATH_MAX) >= CV_PATH_MAX) {
		cv_why(why, whylen, "path is too long");
		return CV_E_INVALID;
	}
	if ((real = realpath(path, NULL)) == NULL) {
		e = errno;
		cv_why(why, whylen, "cannot resolve it: %s", exec_strerror(e));
		return e == ENOENT || e == ENOTDIR ? CV_E_NOTFOUND :
		    e == EACCES ? CV_E_PERM : CV_E_IO;
	}
	len = strlen(real);
	if (len >= sizeof(comp)) {
		free(real);
		cv_why(why, whylen, "path is too long");
		return CV_E_INVALID;
	}
	memcpy(comp, real, len + 1);
	free(real);

	/* The object itself, then each directory up to "/".  lstat(): the
	 * path is resolved, so a symlink here means it changed under us. */
	for (level = 0;; level++) {
		if (lstat(comp, &st) != 0) {
			e = errno;
			cv_why(why, whylen, "cannot stat '%s': %s", comp,
			    exec_strerror(e));
			return e == ENOENT ? CV_E_NOTFOUND : CV_E_IO;
		}
		if (level == 0 && kind != EXEC_PATH_DIR && !S_ISREG(st.st_mode)) {
			cv_why(why, whylen, "'%s' is not a regular file", comp);
			return CV_E_PERM;
		}
		if ((level > 0 || kind == EXEC_PATH_DIR) && !S_ISDIR(st.st_mode)) {
			cv_why(why, whylen, "'%s' is not a directory", comp);
			return CV_E_PERM;
		}
		if (level == 0 && kind == EXEC_PATH_HOOK &&
		    (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
			cv_why(why, whylen, "'%s' is not executable", comp);
			return CV_E_PERM;
		}
		/* The object and its own directory are never writable by
		 * anyone else, sticky or not. */
		if ((r = exec_check_mode(comp, &st, owner, level >= 2, why,
		    whylen)) != 0)
			return r;
		if (level == 0 && out != NULL) {
			memcpy(out->path, comp, len + 1);
			out->dev = st.st_dev;
			out->ino = st.st_ino;
		}
		if (strcmp(comp, "/") == 0)
			break;
		slash = strrchr(comp, '/');
		if (slash == comp)
			slash++;
		*slash = '\0';
	}
	return 0;
}

/* Refuse a hook whose content does not hash to its pin. */
static int
exec_check_pin(const struct exec_checked *chk, const unsigned char *pin,
    char *why, size_t whylen)
{
	crypto_hash_sha256_state h;
	unsigned char buf[EXEC_READ_CHUNK], md[EXEC_SHA256_BYTES];
	char hex[2 * EXEC_SHA256_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd, r = CV_E_IO;

	fd = open(chk->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		cv_why(why, whylen, "cannot read it: %s",
		    exec_strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != chk->dev ||
	    st.st_ino != chk->ino) {
		cv_why(why, whylen, "it changed while being checked");
		r = CV_E_PERM;
		goto out;
	}
	crypto_hash_sha256_init(&h);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cv_why(why, whylen, "cannot read it: %s",
			    exec_strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
	}
	crypto_hash_sha256_final(&h, md);
	if (sodium_memcmp(md, pin, sizeof(md)) != 0) {
		sodium_bin2hex(hex, sizeof(hex), md, sizeof(md));
		cv_why(why, whylen, "its content does not match its sha256 "
		    "pin (the file has sha256=%s)", hex);
		r = CV_E_PERM;
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}

int
exec_hook_check(const char *path, uid_t owner, const unsigned char *pin,
    struct exec_checked *out, char *why, size_t whylen)
{
	struct exec_checked chk;
	int r;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((r = exec_path_check(path, owner, EXEC_PATH_HOOK, &chk, why,
	    whylen)) != 0 ||
	    (pin != NULL && (r = exec_check_pin(&chk, pin, why, whylen)) != 0))
		return r;
	if (out != NULL)
		*out = chk;
	return 0;
}

/* ---- running ---------------------------------------------------------- */

static long long
exec_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A pipe, both ends close-on-exec and above 2, so that posix_spawn's
 * dup2() onto 0..2 always copies (and clears close-on-exec) even if our
 * own stdio was closed.
 */
static int
exec_pipe(int p[2])
{
	int i, fd;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (p[i] > 2)
			continue;
		if ((fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return -1;
		(void)close(p[i]);
		p[i] = fd;
	}
	return 0;
}

static int
exec_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * Kill the hook's process group.  Only called while the leader is not yet
 * reaped, so its pid, which is the group id, cannot have been reused.
 */
static void
exec_kill_group(const struct exec_io *io)
{
	(void)kill(-io->pid, SIGKILL);
}

static void
exec_feed(struct exec_io *io)
{
	size_t left = io->input->len - io->in_off;
	ssize_t n;

	n = write(io->fd_in, io->input->data + io->in_off, left);
	if (n > 0) {
		io->in_off += (size_t)n;
		if (io->in_off == io->input->len)
			exec_close(&io->fd_in);
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* EPIPE: the hook closed its stdin; it may not need it. */
		io->epipe = errno == EPIPE;
		exec_close(&io->fd_in);
	}
}

/* Read what is there into dst; past cap, discard, flag and kill.  1 when
 * bytes came, 0 when none are there now, -1 when fd is closed. */
static int
exec_drain(struct exec_io *io, int *fd, unsigned char *dst, size_t cap,
    size_t *len, int *overflow)
{
	ssize_t n;
	size_t room = cap - *len;

	if (room > 0)
		n = read(*fd, dst + *len, room);
	else
		n = read(*fd, io->scratch, sizeof(io->scratch));
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		exec_close(fd);
		return -1;
	}
	if (room > 0) {
		*len += (size_t)n;
		return 1;
	}
	*overflow = 1;
	exec_close(fd);
	exec_kill_group(io);
	io->stop = 1;
	return -1;
}

/*
 * The hook has exited: what it wrote is in the pipes now.  Take it
 * without waiting for an EOF, which a process it left behind (in another
 * session, holding stdout) could hold off until the deadline.
 */
static void
exec_drain_rest(struct exec_io *io, struct exec_result *res,
    size_t *err_len)
{
	while (io->fd_out >= 0 && exec_drain(io, &io->fd_out, res->out->data,
	    io->out_cap, &io->out_len, &res->out_overflow) > 0)
		;
	while (!io->stop && io->fd_err >= 0 && exec_drain(io, &io->fd_err,
	    (unsigned char *)res->err, CV_HOOK_OUTPUT_MAX, err_len,
	    &res->err_overflow) > 0)
		;
}

/* Has the leader exited?  Checked without reaping it (WNOWAIT). */
static int
exec_has_exited(const struct exec_io *io)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)io->pid, &si,
	    WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno != EINTR; /* ECHILD: nothing left to wait for */
	return si.si_pid == io->pid;
}

/*
 * Feed stdin and read stdout and stderr until the hook has exited (then
 * take what the pipes hold), a cap is exceeded or the deadline passes;
 * kill the group in every case.  The caller reaps.
 */
static void
exec_loop(struct exec_io *io, struct exec_result *res, long long deadline)
{
	struct pollfd pfd[4];
	int idx_in, idx_out, idx_err, idx_pid, n, wait_ms;
	long long now;
	size_t err_len = 0;

	for (;;) {
		if (io->stop || io->exited)
			break;
		now = exec_now_ms();
		if (now >= deadline) {
			res->timed_out = 1;
			exec_kill_group(io);
			io->stop = 1;
			break;
		}
		n = 0;
		idx_in = idx_out = idx_err = idx_pid = -1;
		if (io->fd_in >= 0) {
			pfd[n] = (struct pollfd){ .fd = io->fd_in, .events = POLLOUT };
			idx_in = n++;
		}
		if (io->fd_out >= 0) {
			pfd[n] = (struct pollfd){ .fd = io->fd_out, .events = POLLIN };
			idx_out = n++;
		}
		if (io->fd_err >= 0) {
			pfd[n] = (struct pollfd){ .fd = io->fd_err, .events = POLLIN };
			idx_err = n++;
		}
		if (!io->exited && io->pidfd >= 0) {
			pfd[n] = (struct pollfd){ .fd = io->pidfd, .events = POLLIN };
			idx_pid = n++;
		}
		wait_ms = deadline - now > 60000 ? 60000 : (int)(deadline - now);
		if (!io->exited && io->pidfd < 0 && wait_ms > EXEC_POLL_FALLBACK_MS)
			wait_ms = EXEC_POLL_FALLBACK_MS;
		if (poll(pfd, (nfds_t)n, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			exec_kill_group(io); /* cannot watch it: stop it */
			io->stop = 1;
			break;
		}
		if (idx_in >= 0 && pfd[idx_in].revents != 0)
			exec_feed(io);
		if (idx_out >= 0 && pfd[idx_out].revents != 0)
			(void)exec_drain(io, &io->fd_out, res->out->data,
			    io->out_cap, &io->out_len, &res->out_overflow);
		if (idx_err >= 0 && pfd[idx_err].revents != 0 && !io->stop)
			(void)exec_drain(io, &io->fd_err,
			    (unsigned char *)res->err, CV_HOOK_OUTPUT_MAX,
			    &err_len, &res->err_overflow);
		if (!io->stop && (idx_pid < 0 || pfd[idx_pid].revents != 0) &&
		    exec_has_exited(io)) {
			/* Leftovers of the group (a backgrounded grandchild
			 * holding our pipes) die with the hook; those that
			 * left the group are orphans now (hooks/reap.h). */
			io->exited = 1;
			exec_close(&io->fd_in);
			exec_kill_group(io);
			exec_drain_rest(io, res, &err_len);
			/* Someone outside the group still holds a pipe: stop
			 * it writing before the last read. */
			if (!io->stop && (io->fd_out >= 0 || io->fd_err >= 0)) {
				reap_orphans(0);
				exec_drain_rest(io, res, &err_len);
			}
		}
	}
	res->out->len = io->out_len;
	res->out->data[io->out_len] = '\0';
	res->err[err_len] = '\0';
	res->err_len = err_len;
	secmem_wipe(io->scratch, sizeof(io->scratch));
}

/*
 * Reap the leader, after a last SIGKILL to whatever is left of its group.
 * 0 with its wait status, or -1 when it could not be reaped (someone else
 * reaped it: SIGCHLD set to SIG_IGN, or a waitpid(-1) elsewhere).
 */
static int
exec_reap(struct exec_io *io, int *status)
{
	pid_t w;

	*status = 0;
	exec_kill_group(io);
	while ((w = waitpid(io->pid, status, 0)) < 0 && errno == EINTR)
		;
	io->pid = -1;
	return w > 0 ? 0 : -1;
}

/* Map how the hook ended to a result and a reason. */
static void
exec_classify(const char *path, int reaped, int status, unsigned timeout_ms,
    struct exec_result *res, char *why, size_t whylen)
{
	res->result = PROTO_ERROR;
	if (!reaped) {
		cv_why(why, whylen, "hook '%s': its exit status was lost "
		    "(is SIGCHLD ignored?)", path);
		return;
	}
	if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		res->term_signal = WTERMSIG(status);
	if (res->timed_out)
		cv_why(why, whylen, "hook '%s' timed out after %u ms; its "
		    "process group was killed", path, timeout_ms);
	else if (res->out_overflow)
		cv_why(why, whylen, "hook '%s' wrote more than %u bytes to "
		    "stdout", path, (unsigned)CV_HOOK_OUTPUT_MAX);
	else if (res->err_overflow)
		cv_why(why, whylen, "hook '%s' wrote more than %u bytes to "
		    "stderr", path, (unsigned)CV_HOOK_OUTPUT_MAX);
	else if (WIFSIGNALED(status))
		cv_why(why, whylen, "hook '%s' was killed by signal %d",
		    path, res->term_signal);
	else if ((res->result = proto_result_from_wait(status)) == PROTO_ERROR)
		cv_why(why, whylen, "hook '%s' exited with status %d (want "
		    "0, 1 or 2)", path, res->exit_code);
}

void
exec_result_clear(struct exec_result *res)
{
	if (res == NULL)
		return;
	secbuf_free(&res->out);
	if (res->err != NULL) {
		secmem_wipe(res->err, CV_HOOK_OUTPUT_MAX + 1);
		free(res->err);
	}
	memset(res, 0, sizeof(*res));
}

/* Spawn attributes: own process group, clean signal state. */
static int
exec_attr_init(posix_spawnattr_t *at)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	if (posix_spawnattr_init(at) != 0)
		return -1;
	if (posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0 ||
	    posix_spawnattr_setpgroup(at, 0) != 0 ||
	    posix_spawnattr_setsigmask(at, &none) != 0 ||
	    posix_spawnattr_setsigdefault(at, &all) != 0) {
		(void)posix_spawnattr_destroy(at);
		return -1;
	}
	return 0;
}

/* File actions: the pipes on 0..2, cwd "/", nothing else open. */
static int
exec_actions_init(posix_spawn_file_actions_t *fa, int in, int out, int err)
{
	if (posix_spawn_file_actions_init(fa) != 0)
		return -1;
	if (posix_spawn_file_actions_adddup2(fa, in, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, out, 1) != 0 ||
	    posix_spawn_file_actions_adddup2(fa, err, 2) != 0 ||
	    posix_spawn_file_actions_addchdir_np(fa, "/") != 0 ||
	    posix_spawn_file_actions_addclosefrom_np(fa, 3) != 0) {
		(void)posix_spawn_file_actions_destroy(fa);
		return -1;
	}
	return 0;
}

int
exec_run(const char *path, const char *const *args, size_t nargs,
    const struct secbuf *input, const struct exec_opts *opts,
    struct exec_result *res, char *why, size_t whylen)
{
	static const struct secbuf exec_no_input = { 0, 0 };
	char *envp[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL };
	char reason[CV_HOOK_REASON_MAX];
	struct exec_checked chk;
	struct exec_io io;
	const char **argv = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t pipeset, oldset, pending;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int have_fa = 0, have_at = 0, masked = 0, pending_before = 0;
	int r, rc, status, reaped;
	unsigned timeout = opts->timeout_ms != 0 ? opts->timeout_ms :
	    CV_HOOK_TIMEOUT_MS;
	size_t i;

	memset(res, 0, sizeof(*res));
	memset(&io, 0, sizeof(io));
	res->result = PROTO_ERROR;
	res->exit_code = -1;
	io.pid = -1;
	io.pidfd = io.fd_in = io.fd_out = io.fd_err = -1;
	io.input = input != NULL ? input : &exec_no_input;
	cv_why(why, whylen, "%s", "");

	r = CV_E_INVALID;
	if (timeout > CV_HOOK_TIMEOUT_MAX_MS || nargs > CV_STACK_ARGS_MAX) {
		cv_why(why, whylen, "hook '%s': bad timeout or too many "
		    "arguments", path);
		goto out;
	}
	if (io.input->len > CV_HOOK_INPUT_MAX) {
		cv_why(why, whylen, "hook '%s': request too large", path);
		r = CV_E_TOOBIG;
		goto out;
	}
	if ((r = exec_hook_check(path, opts->owner, opts->sha256, &chk,
	    reason, sizeof(reason))) != 0) {
		cv_why(why, whylen, "hook '%s' refused: %s", path, reason);
		goto out;
	}

	r = CV_E_NOMEM;
	if ((res->out = secbuf_new(CV_HOOK_OUTPUT_MAX)) == NULL ||
	    (res->err = calloc(1, CV_HOOK_OUTPUT_MAX + 1)) == NULL ||
	    (argv = calloc(nargs + 2, sizeof(*argv))) == NULL)
		goto out;
	io.out_cap = CV_HOOK_OUTPUT_MAX;
	argv[0] = chk.path;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = args[i];

	r = CV_E_IO;
	if (exec_pipe(in) != 0 || exec_pipe(out) != 0 || exec_pipe(err) != 0 ||
	    exec_nonblock(in[1]) != 0 || exec_nonblock(out[0]) != 0 ||
	    exec_nonblock(err[0]) != 0) {
		cv_why(why, whylen, "hook '%s': cannot create pipes: %s",
		    path, exec_strerror(errno));
		goto out;
	}
	if (exec_actions_init(&fa, in[0], out[1], err[1]) != 0) {
		cv_why(why, whylen, "hook '%s': cannot set up spawning", path);
		goto out;
	}
	have_fa = 1;
	if (exec_attr_init(&at) != 0) {
		cv_why(why, whylen, "hook '%s': cannot set up spawning", path);
		goto out;
	}
	have_at = 1;

	/* A write to a hook that closed its stdin raises SIGPIPE in this
	 * thread: keep it blocked and consume it (see exec.h). */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipeset, &oldset) != 0)
		goto out;
	masked = 1;
	pending_before = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1;

	/* argv/envp: posix_spawn() takes char *const[] but does not write.
	 * Spawned and registered under the reaper's lock, so that no sweep
	 * takes the new leader for an orphan. */
	reap_spawn_begin();
	rc = posix_spawn(&io.pid, chk.path, &fa, &at, (char *const *)argv,
	    envp);
	reap_spawn_end(&io.run, rc == 0 ? io.pid : -1);
	io.registered = rc == 0;
	if (rc != 0) {
		io.pid = -1;
		cv_why(why, whylen, "hook '%s' could not be started: %s", path,
		    exec_strerror(rc));
		goto out;
	}
	exec_close(&in[0]);
	exec_close(&out[1]);
	exec_close(&err[1]);
	io.fd_in = in[1];
	io.fd_out = out[0];
	io.fd_err = err[0];
	in[1] = out[0] = err[0] = -1; /* transferred to io */
	if (io.input->len == 0)
		exec_close(&io.fd_in);
	io.pidfd = pidfd_open(io.pid, 0); /* -1: poll for the exit instead */

	exec_loop(&io, res, exec_now_ms() + timeout);
	reaped = exec_reap(&io, &status) == 0;
	exec_classify(path, reaped, status, timeout, res, why, whylen);
	r = 0;
out:
	if (io.pid > 0)
		(void)exec_reap(&io, &status);
	/* The leader is reaped: what it left behind goes too. */
	if (io.registered)
		reap_run_end(&io.run, CV_HOOK_REAP_MS);
	exec_close(&io.fd_in);
	exec_close(&io.fd_out);
	exec_close(&io.fd_err);
	exec_close(&io.pidfd);
	for (i = 0; i < 2; i++) {
		exec_close(&in[i]);
		exec_close(&out[i]);
		exec_close(&err[i]);
	}
	if (masked) {
		if (io.epipe && !pending_before) {
			struct timespec zero = { 0, 0 };

			while (sigtimedwait(&pipeset, NULL, &zero) < 0 &&
			    errno == EINTR)
				;
		}
		(void)pthread_sigmask(SIG_SETMASK, &oldset, NULL);
	}
	if (have_at)
		(void)posix_spawnattr_destroy(&at);
	if (have_fa)
		(void)posix_spawn_file_actions_destroy(&fa);
	free(argv);
	if (r != 0)
		res->result = PROTO_ERROR;
	return r;
}
