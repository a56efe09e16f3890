/* SPDX-License-Identifier: MIT */
/* Hooks' orphans: the subreaper, the running leaders, kill and reap. */
#include "hooks/reap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/banned.h"

#define REAP_BATCH 256       /* orphans handled per round */
#define REAP_ROUNDS_MAX 4096 /* rounds per sweep, however many surface */
#define REAP_READ_MAX 16384  /* one children file, read at once */

static pthread_mutex_t reap_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reap_once = PTHREAD_ONCE_INIT;
static int reap_subreaper; /* PR_SET_CHILD_SUBREAPER took */
static int reap_started;   /* a hook was spawned: orphans may come */
static struct reap_run *reap_runs; /* running leaders, under reap_mu */

static void
reap_init_once(void)
{
	reap_subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
	if (!reap_subreaper)
		log_warn("cannot become the subreaper of hooks (errno %d); a "
		    "hook's processes outside its process group may outlive "
		    "it", errno);
}

void
reap_spawn_begin(void)
{
	(void)pthread_once(&reap_once, reap_init_once);
	mutex_lock(&reap_mu);
	reap_started = 1;
}

void
reap_spawn_end(struct reap_run *r, pid_t pid)
{
	r->next = NULL;
	r->pid = pid;
	if (pid > 0) {
		r->next = reap_runs;
		reap_runs = r;
	}
	mutex_unlock(&reap_mu);
}

static long long
reap_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether pid is a running hook leader (reap_mu held). */
static int
reap_is_leader(pid_t pid)
{
	const struct reap_run *r;

	for (r = reap_runs; r != NULL; r = r->next)
		if (r->pid == pid)
			return 1;
	return 0;
}

/* Whether pid is a child of this process (not reaped yet; so its pid
 * cannot be reused while we hold reap_mu, and killing it is safe). */
static int
reap_is_child(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		if (errno != EINTR)
			return 0;
	return 1;
}

/* A decimal pid from [s, end); 0 when it is not one. */
static pid_t
reap_parse_pid(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	if (*end == s || errno != 0 || v <= 0 || v > (long)0x3fffffff)
		return 0;
	return (pid_t)v;
}

/* Append the orphans in one "children" file's text to out. */
static void
reap_add_text(char *text, pid_t *out, size_t max, size_t *n)
{
	char *p = text, *end;
	pid_t pid;

	while (*n < max) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		if ((pid = reap_parse_pid(p, &end)) == 0)
			break;
		p = end;
		if (!reap_is_leader(pid) && reap_is_child(pid))
			out[(*n)++] = pid;
	}
}

/* Read a small /proc file into buf (NUL-terminated); -1 if it cannot be
 * opened.  When it does not fit, what is cut off is dropped back to the
 * last space, so that no number is read half. */
static int
reap_read(const char *path, char *buf, size_t len)
{
	ssize_t k;
	size_t off = 0;
	char *sp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (off + 1 < len) {
		k = read(fd, buf + off, len - 1 - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	buf[off] = '\0';
	if (off + 1 == len && (sp = strrchr(buf, ' ')) != NULL)
		sp[1] = '\0'; /* the rest comes in the next round */
	(void)close(fd);
	return 0;
}

/*
 * Without /proc/PID/task/TID/children (a kernel without
 * CONFIG_PROC_CHILDREN): every process whose parent is this one.
 */
static size_t
reap_scan_proc(pid_t self, char *buf, size_t len, pid_t *out, size_t max)
{
	char path[64], *close_paren, *end;
	struct dirent *de;
	size_t n = 0;
	pid_t pid, ppid;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (n < max && (de = readdir(d)) != NULL) {
		if ((pid = reap_parse_pid(de->d_name, &end)) == 0 ||
		    *end != '\0')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
		if (reap_read(path, buf, len) != 0)
			continue;
		/* "pid (comm) state ppid ...": comm may hold anything. */
		if ((close_paren = strrchr(buf, ')')) == NULL ||
		    close_paren[1] != ' ' || close_paren[2] == '\0' ||
		    close_paren[3] != ' ')
			continue;
		ppid = reap_parse_pid(close_paren + 4, &end);
		if (ppid == self && !reap_is_leader(pid) && reap_is_child(pid))
			out[n++] = pid;
	}
	(void)closedir(d);
	return n;
}

/*
 * This process's children that are not running hook leaders (reap_mu
 * held), at most max.  Orphans re-parent to the first live thread of the
 * subreaper, the main thread, so its list is enough at the end of a run;
 * all_tasks reads every thread's list as well.
 */
static size_t
reap_list(pid_t *out, size_t max, int all_tasks)
{
	static char buf[REAP_READ_MAX]; /* under reap_mu */
	char path[96], *end;
	struct dirent *de;
	pid_t self = getpid(), tid;
	size_t n = 0;
	DIR *d;

	(void)snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)self, (long)self);
	if (reap_read(path, buf, sizeof(buf)) != 0)
		return reap_scan_proc(self, buf, sizeof(buf), out, max);
	reap_add_text(buf, out, max, &n);
	if (!all_tasks || (d = opendir("/proc/self/task")) == NULL)
		return n;
	while (n < max && (de = readdir(d)) != NULL) {
		if ((tid = reap_parse_pid(de->d_name, &end)) == 0 ||
		    *end != '\0' || tid == self)
			continue;
		(void)snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
		    (long)tid);
		if (reap_read(path, buf, sizeof(buf)) == 0)
			reap_add_text(buf, out, max, &n);
	}
	(void)closedir(d);
	return n;
}

/* Reap pid if it has exited: 1 when it is gone, 0 while it still runs. */
static int
reap_one(pid_t pid)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) == 0)
			return si.si_pid == pid;
		if (errno != EINTR)
			return 1; /* ECHILD: not ours any more */
	}
}

/* Kill and reap orphans until none is left or wait_ms have passed
 * (reap_mu held). */
static void
reap_sweep(unsigned wait_ms, int all_tasks)
{
	struct timespec ms = { 0, 1000000L };
	long long deadline = reap_now_ms() + wait_ms;
	pid_t pids[REAP_BATCH];
	size_t i, n, alive = 0;
	unsigned round;

	if (!reap_started)
		return;
	for (round = 0; round < REAP_ROUNDS_MAX; round++) {
		if ((n = reap_list(pids, REAP_BATCH, all_tasks)) == 0)
			return;
		/* All of this round first, so that none of them forks
		 * while we wait for another. */
		for (i = 0; i < n; i++)
			(void)kill(pids[i], SIGKILL);
		for (i = 0, alive = 0; i < n; i++)
			if (!reap_one(pids[i]))
				alive++;
		if (alive == 0)
			continue; /* their children surface now: again */
		if (reap_now_ms() >= deadline)
			break;
		(void)nanosleep(&ms, NULL);
	}
	if (wait_ms > 0 && alive > 0)
		log_warn("%zu process(es) left by hooks did not die within %u "
		    "ms of SIGKILL; reaped later", alive, wait_ms);
}

void
reap_run_end(struct reap_run *r, unsigned wait_ms)
{
	struct reap_run **pp;

	mutex_lock(&reap_mu);
	for (pp = &reap_runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	r->next = NULL;
	r->pid = -1;
	reap_sweep(wait_ms, 0);
	mutex_unlock(&reap_mu);
}

void
reap_orphans(unsigned wait_ms)
{
	mutex_lock(&reap_mu);
	reap_sweep(wait_ms, 1);
	mutex_unlock(&reap_mu);
}
