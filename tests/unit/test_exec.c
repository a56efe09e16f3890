/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/exec (real hook scripts) and hooks/stack's runner. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <jansson.h>

#include "hooks/exec.h"
#include "hooks/runner.h"
#include "hooks/stack.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

#define THREADS 8
#define RUNS_PER_THREAD 4

static char dir[64]; /* private 0700 directory for the hooks */

static const char *
path_of(const char *name, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/* Write a hook script name with the body after "#!/bin/sh\n". */
static const char *
script(const char *name, const char *body, mode_t mode, char *buf, size_t len)
{
	int fd;
	size_t n = strlen(body);

	path_of(name, buf, len);
	(void)unlink(buf);
	fd = open(buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10 ||
	    write(fd, body, n) != (ssize_t)n)
		TEST_FAIL_AT("cannot write %s", buf);
	if (fd >= 0)
		(void)close(fd);
	if (chmod(buf, mode) != 0)
		TEST_FAIL_AT("cannot chmod %s", buf);
	return buf;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a hook with default options and the given timeout. */
static int
run(const char *path, const char *const *args, size_t nargs, const char *in,
    unsigned timeout_ms, struct exec_result *res, char *why)
{
	struct exec_opts o;
	struct secbuf *sb = in != NULL ? secbuf_dup(in, strlen(in)) : NULL;
	int r;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	r = exec_run(path, args, nargs, sb, &o, res, why, CV_HOOK_REASON_MAX);
	secbuf_free(&sb);
	return r;
}

/* Whether pid is gone (or a zombie waiting for init), within 2 s. */
static int
is_dead(long pid)
{
	char p[64], buf[256];
	long long end = now_ms() + 2000;
	FILE *f;
	char *rp;

	(void)snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
	do {
		if ((f = fopen(p, "r")) == NULL)
			return 1;
		buf[0] = '\0';
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
		if ((rp = strrchr(buf, ')')) != NULL && rp[1] == ' ' &&
		    (rp[2] == 'Z' || rp[2] == 'X'))
			return 1;
		(void)nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	} while (now_ms() < end);
	return 0;
}

/* Whether pid is gone for good, now: not even a zombie.  (The hook's own
 * processes are ours to reap, so by the time exec_run() returns there is
 * nothing left to wait for.) */
static int
is_gone_now(long pid)
{
	char p[64];
	struct stat st;

	(void)snprintf(p, sizeof(p), "/proc/%ld", pid);
	return stat(p, &st) != 0 && errno == ENOENT;
}

static long
read_pid(const char *name)
{
	char p[128], buf[32];
	FILE *f = fopen(path_of(name, p, sizeof(p)), "r");
	long pid = -1;
	char *end;

	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL) {
			pid = strtol(buf, &end, 10);
			if (end == buf)
				pid = -1;
		}
		fclose(f);
	}
	return pid;
}

static void
test_results(void)
{
	static const struct {
		const char *body;
		enum proto_result want;
		int exit_code, sig;
		const char *why;
	} cases[] = {
		{ "exit 0\n", PROTO_SUCCESS, 0, 0, "" },
		{ "exit 1\n", PROTO_FAIL, 1, 0, "" },
		{ "exit 2\n", PROTO_IGNORE, 2, 0, "" },
		{ "exit 3\n", PROTO_ERROR, 3, 0, "exited with status 3" },
		{ "exit 255\n", PROTO_ERROR, 255, 0, "exited with status 255" },
		{ "kill -SEGV $$\n", PROTO_ERROR, -1, 11, "killed by signal 11" },
		{ "kill -PIPE $$\n", PROTO_ERROR, -1, 13, "killed by signal 13" },
	};
	struct exec_result res;
	char p[128], why[CV_HOOK_REASON_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		script("r", cases[i].body, 0700, p, sizeof(p));
		ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
		ASSERT_INT_EQ(res.result, cases[i].want);
		ASSERT_INT_EQ(res.exit_code, cases[i].exit_code);
		ASSERT_INT_EQ(res.term_signal, cases[i].sig);
		ASSERT_TRUE(strstr(why, cases[i].why) != NULL);
		exec_result_clear(&res);
	}
}

static void
test_io(void)
{
	struct exec_result res;
	char p[128], why[CV_HOOK_REASON_MAX], *in, *expect;
	const char *args[] = { "a", "b c", "" };
	sigset_t mask, pending;
	size_t i;

	/* stdin arrives whole; stdout comes back. */
	if ((in = malloc(CV_HOOK_INPUT_MAX + 1)) == NULL)
		return;
	for (i = 0; i < CV_HOOK_INPUT_MAX; i++)
		in[i] = (char)('a' + i % 26);
	in[CV_HOOK_INPUT_MAX] = '\0';
	script("cat", "exec cat\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, in, 0, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	ASSERT_INT_EQ(res.out->len, CV_HOOK_INPUT_MAX);
	ASSERT_TRUE(res.out->len == CV_HOOK_INPUT_MAX &&
	    memcmp(res.out->data, in, CV_HOOK_INPUT_MAX) == 0);
	exec_result_clear(&res);

	/* A hook that never reads its stdin: no SIGPIPE for us. */
	script("noread", "exit 0\n", 0700, p, sizeof(p));
	for (i = 0; i < 5; i++) {
		ASSERT_INT_EQ(run(p, NULL, 0, in, 0, &res, why), 0);
		ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
		exec_result_clear(&res);
	}
	ASSERT_INT_EQ(sigpending(&pending), 0);
	ASSERT_INT_EQ(sigismember(&pending, SIGPIPE), 0);
	ASSERT_INT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
	ASSERT_INT_EQ(sigismember(&mask, SIGPIPE), 0); /* mask restored */
	free(in);

	/* argv: resolved path, then the arguments as given, no shell. */
	script("argv", "printf '%s|' \"$0\" \"$@\"\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, args, 3, NULL, 0, &res, why), 0);
	if ((expect = malloc(256)) != NULL) {
		(void)snprintf(expect, 256, "%s|a|b c||", p);
		ASSERT_STR_EQ((const char *)res.out->data, expect);
		free(expect);
	}
	exec_result_clear(&res);

	/* The environment is exactly two variables; cwd is "/". */
	ASSERT_INT_EQ(setenv("CV_TEST_LEAK", "leak", 1), 0);
	script("env", "tr '\\0' '\\n' < /proc/$$/environ; pwd\n", 0700, p,
	    sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_STR_EQ((const char *)res.out->data,
	    "PATH=/usr/bin:/bin\nLANG=C.UTF-8\n/\n");
	exec_result_clear(&res);

	/* stderr is captured separately. */
	script("err", "echo out; echo oops >&2; exit 1\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_FAIL);
	ASSERT_STR_EQ((const char *)res.out->data, "out\n");
	ASSERT_STR_EQ(res.err, "oops\n");
	ASSERT_INT_EQ(res.err_len, 5);
	exec_result_clear(&res);
}

/*
 * Only 0, 1 and 2 are passed.  The shell itself may hold copies of them
 * and the script open; nothing else may show up, notably not a
 * descriptor we left open without O_CLOEXEC.
 */
static void
test_fds(void)
{
	struct exec_result res;
	char p[128], marker[128], why[CV_HOOK_REASON_MAX], *line, *save;
	int fd, mfd;

	path_of("marker", marker, sizeof(marker));
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0600); /* inheritable */
	mfd = fd >= 0 ? dup2(fd, 57) : -1;
	ASSERT_INT_EQ(mfd, 57);
	script("fds", "for f in /proc/$$/fd/*; do echo \"${f##*/} "
	    "$(readlink $f)\"; done\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, "x", 0, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	ASSERT_TRUE(strstr((const char *)res.out->data, "marker") == NULL);
	ASSERT_TRUE(strstr((const char *)res.out->data, "57 ") == NULL);
	for (line = strtok_r((char *)res.out->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		const char *target = strchr(line, ' ');

		if (target == NULL || line[0] <= '2' ||
		    strcmp(target + 1, p) == 0 || strstr(target, "pipe:") ||
		    strcmp(target + 1, "/dev/null") == 0)
			continue; /* 0-2, the script, or dash's copies of 0-2 */
		TEST_FAIL_AT("unexpected descriptor in the hook: %s", line);
	}
	exec_result_clear(&res);
	if (fd >= 0)
		(void)close(fd);
	if (mfd >= 0)
		(void)close(mfd);
	(void)unlink(marker);
}

static void
test_limits(void)
{
	struct exec_result res;
	char p[128], why[CV_HOOK_REASON_MAX];
	const char *args[1];
	long long t0;
	long pid;

	/* A timeout kills the whole group, grandchildren included. */
	args[0] = path_of("pid1", (char[128]){ 0 }, 128);
	script("slow", "sleep 30 & echo $! > \"$1\"; sleep 30\n", 0700, p,
	    sizeof(p));
	t0 = now_ms();
	ASSERT_INT_EQ(run(p, args, 1, NULL, 300, &res, why), 0);
	ASSERT_TRUE(now_ms() - t0 < 3000);
	ASSERT_INT_EQ(res.result, PROTO_ERROR);
	ASSERT_TRUE(res.timed_out);
	ASSERT_TRUE(strstr(why, "timed out after 300 ms") != NULL);
	pid = read_pid("pid1");
	ASSERT_TRUE(pid > 0);
	if (pid > 0)
		ASSERT_TRUE(is_dead(pid));
	exec_result_clear(&res);

	/* A hook that exits leaving a child holding stdout: we do not wait
	 * for it, and it dies. */
	args[0] = path_of("pid2", (char[128]){ 0 }, 128);
	script("bg", "sleep 30 & echo $! > \"$1\"; echo done\n", 0700, p,
	    sizeof(p));
	t0 = now_ms();
	ASSERT_INT_EQ(run(p, args, 1, NULL, 5000, &res, why), 0);
	ASSERT_TRUE(now_ms() - t0 < 2000);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	ASSERT_STR_EQ((const char *)res.out->data, "done\n");
	pid = read_pid("pid2");
	ASSERT_TRUE(pid > 0);
	if (pid > 0)
		ASSERT_TRUE(is_dead(pid));
	exec_result_clear(&res);

	/* 10 MB on stdout or stderr: capped, an error, and quick. */
	script("flood", "head -c 10000000 /dev/zero\n", 0700, p, sizeof(p));
	t0 = now_ms();
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_TRUE(now_ms() - t0 < 3000);
	ASSERT_INT_EQ(res.result, PROTO_ERROR);
	ASSERT_TRUE(res.out_overflow);
	ASSERT_INT_EQ(res.out->len, CV_HOOK_OUTPUT_MAX);
	ASSERT_TRUE(strstr(why, "more than 65536 bytes to stdout") != NULL);
	exec_result_clear(&res);
	script("flood2", "head -c 10000000 /dev/zero >&2\n", 0700, p,
	    sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_ERROR);
	ASSERT_TRUE(res.err_overflow);
	ASSERT_INT_EQ(res.err_len, CV_HOOK_OUTPUT_MAX);
	exec_result_clear(&res);
	/* Exactly the cap is fine. */
	script("full", "head -c 65536 /dev/zero\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	ASSERT_INT_EQ(res.out->len, CV_HOOK_OUTPUT_MAX);
	ASSERT_TRUE(!res.out_overflow);
	exec_result_clear(&res);
	/* Bad options. */
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, CV_HOOK_TIMEOUT_MAX_MS + 1, &res,
	    why), CV_E_INVALID);
	ASSERT_INT_EQ(res.result, PROTO_ERROR);
	exec_result_clear(&res);
}

/*
 * Processes that leave the hook's process group: a grandchild that calls
 * setsid(), one that is double-forked away, one holding stdout after the
 * hook replied.  None outlives the run, timeout or not (hooks/reap.h),
 * and the reply comes when the hook itself exits.
 */
static void
test_escapes(void)
{
/* Start a grandchild in a session of its own that writes its pid to $1,
 * and wait until it has (so that it has left the group for sure). */
#define ESCAPE "setsid sh -c 'echo $$ > \"$0\"; exec sleep 30' \"$1\" & " \
	"while [ ! -s \"$1\" ]; do sleep 0.02; done; "
	struct exec_result res;
	char p[128], why[CV_HOOK_REASON_MAX];
	const char *args[1];
	long long t0;
	long pid;

	/* The hook hangs: killed at the deadline, and so is the grandchild
	 * in its own session. */
	args[0] = path_of("pid3", (char[128]){ 0 }, 128);
	script("setsid-slow", ESCAPE "sleep 30\n", 0700, p, sizeof(p));
	t0 = now_ms();
	ASSERT_INT_EQ(run(p, args, 1, NULL, 1000, &res, why), 0);
	ASSERT_TRUE(now_ms() - t0 < 4000);
	ASSERT_TRUE(res.timed_out);
	pid = read_pid("pid3");
	ASSERT_TRUE(pid > 0);
	if (pid > 0)
		ASSERT_TRUE(is_gone_now(pid));
	exec_result_clear(&res);

	/* The grandchild holds stdout, the hook replies and exits: answered
	 * at once, and the grandchild is gone. */
	args[0] = path_of("pid4", (char[128]){ 0 }, 128);
	script("setsid-reply", ESCAPE "echo '{\"ok\":1}'\n", 0700, p,
	    sizeof(p));
	t0 = now_ms();
	ASSERT_INT_EQ(run(p, args, 1, NULL, 5000, &res, why), 0);
	ASSERT_TRUE(now_ms() - t0 < 2500);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	ASSERT_TRUE(!res.timed_out);
	ASSERT_STR_EQ((const char *)res.out->data, "{\"ok\":1}\n");
	pid = read_pid("pid4");
	ASSERT_TRUE(pid > 0);
	if (pid > 0)
		ASSERT_TRUE(is_gone_now(pid));
	exec_result_clear(&res);

	/* Double fork: the intermediate exits at once, so the grandchild is
	 * an orphan while the hook still runs. */
	args[0] = path_of("pid5", (char[128]){ 0 }, 128);
	script("double-fork", "( setsid sh -c 'echo $$ > \"$0\"; exec sleep "
	    "30' \"$1\" >/dev/null 2>&1 </dev/null & ); while [ ! -s \"$1\" ]; "
	    "do sleep 0.02; done; sleep 0.3; echo done\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, args, 1, NULL, 5000, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	ASSERT_STR_EQ((const char *)res.out->data, "done\n");
	pid = read_pid("pid5");
	ASSERT_TRUE(pid > 0);
	if (pid > 0)
		ASSERT_TRUE(is_gone_now(pid));
	exec_result_clear(&res);

	/* A chain: the session leader's own child surfaces as an orphan
	 * when its parent is killed, and goes too. */
	args[0] = path_of("pid6", (char[128]){ 0 }, 128);
	script("chain", "setsid sh -c 'sleep 30 & echo $! > \"$0\"; sleep 30' "
	    "\"$1\" & while [ ! -s \"$1\" ]; do sleep 0.02; done; echo done\n",
	    0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, args, 1, NULL, 5000, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	pid = read_pid("pid6");
	ASSERT_TRUE(pid > 0);
	if (pid > 0)
		ASSERT_TRUE(is_gone_now(pid));
	exec_result_clear(&res);
#undef ESCAPE
}

/* exec_run() must refuse with a message naming the path and the reason. */
static void
refused(const char *path, uid_t owner, int err, const char *want)
{
	struct exec_result res;
	struct exec_opts o;
	char why[CV_HOOK_REASON_MAX];
	int r;

	memset(&o, 0, sizeof(o));
	o.owner = owner;
	r = exec_run(path, NULL, 0, NULL, &o, &res, why, sizeof(why));
	if (r != err || strstr(why, want) == NULL)
		fprintf(stderr, "refused(%s): got %d '%s', want '%s'\n", path, r,
		    why, want);
	ASSERT_INT_EQ(r, err);
	ASSERT_TRUE(strstr(why, want) != NULL);
	ASSERT_INT_EQ(res.result, PROTO_ERROR);
	exec_result_clear(&res);
}

static void
test_refusals(void)
{
	char p[128], d[128], q[128], want[512];
	struct exec_result res;
	struct exec_opts o;
	unsigned char pin[EXEC_SHA256_BYTES];
	static const char body[] = "#!/bin/sh\nexit 0\n";
	char why[CV_HOOK_REASON_MAX];

	refused("ok.sh", 0, CV_E_INVALID,
	    "hook 'ok.sh' refused: not an absolute path");
	refused(path_of("missing", p, sizeof(p)), 0, CV_E_NOTFOUND, "refused");

	script("gw", "exit 0\n", 0770, p, sizeof(p));
	(void)snprintf(want, sizeof(want), "hook '%s' refused: '%s' is "
	    "writable by its group", p, p);
	refused(p, 0, CV_E_PERM, want);
	script("ow", "exit 0\n", 0707, p, sizeof(p));
	refused(p, 0, CV_E_PERM, "is writable by others");
	script("nx", "exit 0\n", 0600, p, sizeof(p));
	refused(p, 0, CV_E_PERM, "is not executable");
	refused(dir, 0, CV_E_PERM, "is not a regular file");
	script("uid", "exit 0\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(chown(p, 12345, 12345), 0);
	refused(p, 0, CV_E_PERM, "is owned by uid 12345, not by root");
	refused(p, 777, CV_E_PERM, "not by root or uid 777");
	memset(&o, 0, sizeof(o));
	o.owner = 12345; /* the vault owner may own hooks */
	ASSERT_INT_EQ(exec_run(p, NULL, 0, NULL, &o, &res, why, sizeof(why)), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	exec_result_clear(&res);

	/* The hook's own directory may never be writable by others. */
	path_of("ww", d, sizeof(d));
	ASSERT_INT_EQ(mkdir(d, 0777), 0);
	ASSERT_INT_EQ(chmod(d, 0777), 0);
	script("ww/hook", "exit 0\n", 0700, p, sizeof(p));
	(void)snprintf(want, sizeof(want), "'%s' is writable by others", d);
	refused(p, 0, CV_E_PERM, want);
	ASSERT_INT_EQ(chmod(d, 01777), 0); /* sticky does not help there */
	refused(p, 0, CV_E_PERM, want);
	/* Further up, a root-owned sticky directory is fine (like /tmp)... */
	path_of("ww/sub", q, sizeof(q));
	ASSERT_INT_EQ(mkdir(q, 0755), 0);
	script("ww/sub/hook", "exit 0\n", 0700, p, sizeof(p));
	ASSERT_INT_EQ(run(p, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	exec_result_clear(&res);
	/* ...but not without the sticky bit, nor when not owned by root. */
	ASSERT_INT_EQ(chmod(d, 0777), 0);
	refused(p, 0, CV_E_PERM, want);
	ASSERT_INT_EQ(chmod(d, 01777), 0);
	ASSERT_INT_EQ(chown(d, 12345, 0), 0);
	refused(p, 12345, CV_E_PERM, want);
	ASSERT_INT_EQ(chown(d, 0, 0), 0);
	ASSERT_INT_EQ(chmod(d, 0755), 0);
	ASSERT_INT_EQ(chown(q, 12345, 0), 0);
	refused(p, 0, CV_E_PERM, "is owned by uid 12345");
	ASSERT_INT_EQ(chown(q, 0, 0), 0);

	/* Symlinks are resolved and the target is what gets checked. */
	ASSERT_INT_EQ(chmod(d, 0777), 0);
	path_of("link", q, sizeof(q));
	ASSERT_INT_EQ(symlink(p, q), 0);
	refused(q, 0, CV_E_PERM, want);
	ASSERT_INT_EQ(chmod(d, 0755), 0);
	script("argv0", "printf '%s' \"$0\"\n", 0700, p, sizeof(p));
	(void)unlink(q);
	ASSERT_INT_EQ(symlink(p, q), 0);
	ASSERT_INT_EQ(run(q, NULL, 0, NULL, 0, &res, why), 0);
	ASSERT_STR_EQ((const char *)res.out->data, p);
	exec_result_clear(&res);
	(void)unlink(q);

	/* The sha256 pin. */
	script("pinned", body + 10, 0700, p, sizeof(p));
	crypto_hash_sha256(pin, (const unsigned char *)body, sizeof(body) - 1);
	memset(&o, 0, sizeof(o));
	o.sha256 = pin;
	ASSERT_INT_EQ(exec_run(p, NULL, 0, NULL, &o, &res, why, sizeof(why)), 0);
	ASSERT_INT_EQ(res.result, PROTO_SUCCESS);
	exec_result_clear(&res);
	pin[0] ^= 1;
	ASSERT_INT_EQ(exec_run(p, NULL, 0, NULL, &o, &res, why, sizeof(why)),
	    CV_E_PERM);
	ASSERT_TRUE(strstr(why, "refused: its content does not match its "
	    "sha256 pin") != NULL);
	exec_result_clear(&res);
}

struct worker {
	const char *path;
	int id;
	int failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct exec_result res;
	char in[64], why[CV_HOOK_REASON_MAX];
	int i;

	for (i = 0; i < RUNS_PER_THREAD; i++) {
		(void)snprintf(in, sizeof(in), "secret-%d-%d", w->id, i);
		if (run(w->path, NULL, 0, in, 0, &res, why) != 0 ||
		    res.result != PROTO_SUCCESS ||
		    strcmp((const char *)res.out->data, in) != 0)
			w->failures++;
		exec_result_clear(&res);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[THREADS];
	struct worker w[THREADS];
	char p[128];
	int i;

	script("echo", "cat; sleep 0.05\n", 0700, p, sizeof(p));
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ p, i, 0 };
		ASSERT_INT_EQ(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		ASSERT_INT_EQ(pthread_join(t[i], NULL), 0);
		ASSERT_INT_EQ(w[i].failures, 0);
	}
}

/* ---- runner_run() with real hooks ------------------------------------- */

static char last_stderr[RUNNER_STDERR_LOG_MAX + 1];

/* What the fault callback heard, by kind. */
struct faults {
	int logged;
	int n[RUNNER_FAULT_ERROR + 1];
};

static void
count_log(void *arg, const struct stack_entry *e, enum proto_result r,
    const char *msg, const char *hook_stderr)
{
	(void)e;
	(void)r;
	if (strstr(msg, "SuperSecret") != NULL)
		TEST_FAIL_AT("secret in log line: %s", msg);
	(void)snprintf(last_stderr, sizeof(last_stderr), "%s", hook_stderr);
	((struct faults *)arg)->logged++;
}

static void
count_fault(void *arg, const struct stack_entry *e, enum runner_fault f)
{
	(void)e;
	if (f == RUNNER_FAULT_NONE || (unsigned)f > RUNNER_FAULT_ERROR)
		TEST_FAIL_AT("fault callback with %d", (int)f);
	else
		((struct faults *)arg)->n[f]++;
}

/* Evaluate a stack given as text; the verdict is the caller's to clear. */
static void
eval(const char *text, enum proto_phase phase, struct runner_ctx *ctx,
    struct stack_verdict *v)
{
	struct stack *st = NULL;
	char why[CV_HOOK_REASON_MAX];

	if (stack_parse(text, strlen(text), "t", &st, why, sizeof(why)) != 0) {
		TEST_FAIL_AT("stack does not parse: %s", why);
		memset(v, 0, sizeof(*v));
		v->result = PROTO_FAIL;
		return;
	}
	runner_run(st, phase, ctx, v);
	stack_free(&st);
}

/* Whether the file (at most 64 KiB) contains needle. */
static int
file_has(const char *path, const char *needle)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		TEST_FAIL_AT("cannot read %s", path);
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
test_runner_run(void)
{
	struct proto_record rec = { "shop", "commercetools", "demo", "cid",
		"view_products:demo", "https://api", "https://auth", 1 };
	struct proto_request req;
	struct secbuf *secret = secbuf_dup("SuperSecret-123", 15);
	struct secbuf *mint_req = NULL, *auth_req = NULL;
	struct peer_ident peer;
	struct runner_ctx ctx;
	struct stack_verdict v;
	struct proto_mint_reply m;
	struct proto_error_reply er;
	char good[128], garbage[128], silent[128], deny[128], dump[128];
	char slow[128];
	char dumped[128], in[160], text[1024];
	struct faults fl;

	script("good", "cat >/dev/null; echo '{\"access_token\":\"tok\","
	    "\"token_type\":\"Bearer\",\"expires_in\":3600}'\n", 0700, good,
	    sizeof(good));
	script("garbage", "echo 'not json'\n", 0700, garbage, sizeof(garbage));
	script("silent", "exit 0\n", 0700, silent, sizeof(silent));
	script("slow", "sleep 5\n", 0700, slow, sizeof(slow));
	script("deny", "echo '{\"error\":\"invalid_client\"}'; printf "
	    "'bad\\001secret\\nline 2\\n' >&2; exit 1\n", 0700, deny,
	    sizeof(deny));
	script("dump", "{ printf '%s\\n' \"$0\" \"$@\"; tr '\\0' '\\n' < "
	    "/proc/$$/environ; tr '\\0' ' ' < /proc/$$/cmdline; } > \"$1\"\n"
	    "cat > \"$1.in\"\n"
	    "echo '{\"access_token\":\"t\",\"expires_in\":60}'\n", 0700, dump,
	    sizeof(dump));
	path_of("dumped", dumped, sizeof(dumped));

	peer_ident_init(&peer);
	peer.uid = 0;
	peer.gid = 0;
	peer.pid = getpid();
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_MINT;
	req.record = &rec;
	req.secret = secret;
	req.scope = "view_products:demo";
	req.peer = &peer;
	ASSERT_INT_EQ(proto_request_encode(&req, &mint_req), 0);
	req.phase = PROTO_AUTHORIZE;
	req.secret = NULL;
	ASSERT_INT_EQ(proto_request_encode(&req, &auth_req), 0);
	if (mint_req == NULL || auth_req == NULL)
		goto out;

	memset(&ctx, 0, sizeof(ctx));
	ctx.timeout_ms = 5000;
	ctx.request = mint_req;
	ctx.peer = &peer;
	ctx.scope = "view_products:demo";
	ctx.log = count_log;
	ctx.fault = count_fault;
	memset(&fl, 0, sizeof(fl));
	ctx.arg = &fl;

	(void)snprintf(text, sizeof(text), "mint required %s\n", good);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_SUCCESS);
	ASSERT_TRUE(v.reply != NULL && proto_mint_decode(v.reply->data,
	    v.reply->len, &m, NULL, 0) == 0);
	ASSERT_STR_EQ(m.access_token != NULL ?
	    (const char *)m.access_token->data : NULL, "tok");
	proto_mint_reply_clear(&m);
	stack_verdict_clear(&v);
	ASSERT_INT_EQ(fl.logged, 1);
	ASSERT_INT_EQ(fl.n[RUNNER_FAULT_ERROR], 0);

	/* A broken sufficient hook is an error, ignored; the next one wins. */
	(void)snprintf(text, sizeof(text), "mint sufficient %s\nmint required "
	    "%s\n", garbage, good);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_SUCCESS);
	ASSERT_INT_EQ(v.decisive, 1);
	stack_verdict_clear(&v);
	ASSERT_INT_EQ(fl.logged, 3);
	ASSERT_INT_EQ(fl.n[RUNNER_FAULT_ERROR], 1); /* the garbage reply */

	(void)snprintf(text, sizeof(text), "mint required %s\n", garbage);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_ERROR);
	ASSERT_TRUE(strstr(v.reason, "t:1: hook '") != NULL);
	ASSERT_TRUE(strstr(v.reason, "printed a bad mint reply: reply is not "
	    "one JSON value") != NULL);
	stack_verdict_clear(&v);
	(void)snprintf(text, sizeof(text), "mint required %s\n", silent);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_ERROR);
	ASSERT_TRUE(strstr(v.reason, "reply is empty") != NULL);
	stack_verdict_clear(&v);

	/* A denial carries its error object back. */
	(void)snprintf(text, sizeof(text), "mint required %s\n", deny);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_FAIL);
	ASSERT_TRUE(v.reply != NULL && proto_error_decode(v.reply->data,
	    v.reply->len, &er, NULL, 0) == 0 &&
	    er.code == PROTO_OAUTH_INVALID_CLIENT);
	ASSERT_TRUE(strstr(v.reason, "denied (exit 1)") != NULL);
	ASSERT_STR_EQ(last_stderr, "bad?secret");
	stack_verdict_clear(&v);

	/* Unsafe and pinned hooks inside a stack are errors. */
	(void)snprintf(text, sizeof(text), "mint required %s/gw\n", dir);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_ERROR);
	ASSERT_TRUE(strstr(v.reason, "refused: '") != NULL &&
	    strstr(v.reason, "writable by its group") != NULL);
	ASSERT_INT_EQ(fl.n[RUNNER_FAULT_REFUSED], 1);
	stack_verdict_clear(&v);
	(void)snprintf(text, sizeof(text), "mint required %s sha256=%064d\n",
	    good, 0);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_ERROR);
	ASSERT_TRUE(strstr(v.reason, "sha256 pin") != NULL);
	ASSERT_INT_EQ(fl.n[RUNNER_FAULT_REFUSED], 2);
	stack_verdict_clear(&v);

	/* A hook killed at its deadline is a timeout fault. */
	ctx.timeout_ms = 200;
	(void)snprintf(text, sizeof(text), "mint required %s\n", slow);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_ERROR);
	ASSERT_INT_EQ(fl.n[RUNNER_FAULT_TIMEOUT], 1);
	stack_verdict_clear(&v);
	ctx.timeout_ms = 5000;

	/* The built-in peer module, requisite: a mismatch stops the stack. */
	ctx.request = auth_req;
	(void)snprintf(text, sizeof(text), "authorize requisite peer uid=0 "
	    "scopes=view_products:demo\nauthorize required %s\n", silent);
	eval(text, PROTO_AUTHORIZE, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_SUCCESS);
	ASSERT_INT_EQ(v.ran, 2);
	stack_verdict_clear(&v);
	peer.uid = 5;
	eval(text, PROTO_AUTHORIZE, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_FAIL);
	ASSERT_INT_EQ(v.ran, 1);
	ASSERT_TRUE(strstr(v.reason, "peer: uid 5 not in uid=") != NULL);
	stack_verdict_clear(&v);
	peer.uid = 0;
	ctx.scope = "view_products:demo manage_project:demo";
	eval(text, PROTO_AUTHORIZE, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_FAIL);
	ASSERT_TRUE(strstr(v.reason, "'manage_project:demo' is not in") != NULL);
	stack_verdict_clear(&v);
	ctx.peer = NULL;
	eval(text, PROTO_AUTHORIZE, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_FAIL);
	stack_verdict_clear(&v);
	ctx.peer = &peer;

	/* Secrets reach the hook on stdin only: never argv or environment. */
	ctx.request = mint_req;
	(void)snprintf(text, sizeof(text), "mint required %s %s\n", dump,
	    dumped);
	eval(text, PROTO_MINT, &ctx, &v);
	ASSERT_INT_EQ(v.result, PROTO_SUCCESS);
	stack_verdict_clear(&v);
	ASSERT_TRUE(file_has(dumped, "PATH=/usr/bin:/bin"));
	ASSERT_TRUE(file_has(dumped, dumped)); /* argv was dumped */
	ASSERT_TRUE(!file_has(dumped, "SuperSecret"));
	(void)snprintf(in, sizeof(in), "%s.in", dumped);
	ASSERT_TRUE(file_has(in, "\"secret\":\"SuperSecret-123\""));
out:
	secbuf_free(&mint_req);
	secbuf_free(&auth_req);
	secbuf_free(&secret);
}

/* Remove everything under path, then path (no symlinks followed). */
static void
rmtree_at(const char *path)
{
	char child[512];
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			(void)snprintf(child, sizeof(child), "%s/%s", path,
			    de->d_name);
			rmtree_at(child);
		}
		closedir(d);
		(void)rmdir(path);
		return;
	}
	(void)unlink(path);
}

static void
rmtree(void)
{
	rmtree_at(dir);
}

int
main(void)
{
	memcpy(dir, "/tmp/cv-exec-XXXXXX", sizeof("/tmp/cv-exec-XXXXXX"));
	if (secmem_init() != 0 || mkdtemp(dir) == NULL) {
		perror("setup");
		return 1;
	}
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_results();
	test_io();
	test_fds();
	test_limits();
	test_escapes();
	test_refusals();
	test_threads();
	test_runner_run();
	rmtree();
	return test_done("test_exec");
}
