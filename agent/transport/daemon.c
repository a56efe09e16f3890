/* SPDX-License-Identifier: MIT */
/* Hardening at start-up and detaching from the terminal. */
#define _GNU_SOURCE /* MCL_ONFAULT */
#include "agent/transport/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static int daemon_ready_fd = -1;

int
daemon_harden(char *warn, size_t warnlen)
{
	struct rlimit rl = { 0, 0 };
	struct sigaction sa;

	warn[0] = '\0';
	/* Keys in a core file would outlive the agent. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CV_E_INTERNAL;
	(void)umask(077);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return CV_E_INTERNAL;
	/* MCL_ONFAULT: lock pages as they are used, so that thread stacks
	 * and LMDB's map are not all faulted in up front. */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    geteuid() != 0) {
		cv_why(warn, warnlen, "not locking all memory: "
		    "RLIMIT_MEMLOCK is %llu KiB (raise it, e.g. LimitMEMLOCK="
		    "infinity); keys and tokens stay in locked buffers",
		    (unsigned long long)rl.rlim_cur / 1024);
		return 0;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
		cv_why(warn, warnlen, "cannot lock all memory: %s; keys "
		    "and tokens stay in locked buffers", strerror(errno));
	return 0;
}

int
daemon_fork(pid_t *child, int *status)
{
	char buf[8];
	int p[2], st;
	ssize_t n;
	pid_t pid;

	*child = -1;
	*status = 1;
	if (pipe2(p, O_CLOEXEC) != 0)
		return CV_E_IO;
	if ((pid = fork()) < 0) {
		(void)close(p[0]);
		(void)close(p[1]);
		return CV_E_IO;
	}
	if (pid == 0) {
		(void)close(p[0]);
		daemon_ready_fd = p[1];
		return 0;
	}
	(void)close(p[1]);
	*child = pid;
	while ((n = read(p[0], buf, sizeof(buf))) < 0 && errno == EINTR)
		;
	(void)close(p[0]);
	if (n > 0)
		return 1;
	/* The child failed before it served; it said why on stderr. */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	return 2;
}

void
daemon_ready(void)
{
	int fd;

	if (daemon_ready_fd < 0)
		return;
	(void)setsid();
	(void)!chdir("/");
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			(void)close(fd);
	}
	(void)!write(daemon_ready_fd, "ok", 2);
	(void)close(daemon_ready_fd);
	daemon_ready_fd = -1;
}
