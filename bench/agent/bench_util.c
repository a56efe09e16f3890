/* SPDX-License-Identifier: MIT */
/* Helpers of the agent benchmark. */
#define _GNU_SOURCE /* pipe2 */
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

extern char **environ;

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_percentile(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

int
bench_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
bench_read_all(int fd, unsigned char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

long
bench_roundtrip(int fd, const void *req, size_t len, unsigned char *buf,
    size_t cap)
{
	unsigned char h[4];
	uint32_t n;

	if (write(fd, req, len) != (ssize_t)len || bench_read_all(fd, h, 4) != 0)
		return -1;
	n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 |
	    h[3];
	if (n > cap || bench_read_all(fd, buf, n) != 0)
		return -1;
	return (long)n;
}

size_t
bench_token_frame(unsigned char *buf, size_t cap, const char *record,
    const char *scope)
{
	int n;

	if (scope != NULL)
		n = snprintf((char *)buf + 4, cap - 4, "{\"v\":1,\"op\":\"token\","
		    "\"name\":\"%s\",\"scope\":\"%s\"}", record, scope);
	else
		n = snprintf((char *)buf + 4, cap - 4, "{\"v\":1,\"op\":\"token\","
		    "\"name\":\"%s\"}", record);
	if (n < 0 || (size_t)n >= cap - 4)
		return 0;
	buf[0] = (unsigned char)(n >> 24);
	buf[1] = (unsigned char)(n >> 16);
	buf[2] = (unsigned char)(n >> 8);
	buf[3] = (unsigned char)n;
	return (size_t)n + 4;
}

uint64_t
bench_spawn(char *const argv[], const void *input, size_t inlen, int max_exit)
{
	posix_spawn_file_actions_t fa;
	uint64_t t0, t;
	int in[2] = { -1, -1 }, st, ok = 1;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (input != NULL) {
		if (pipe2(in, O_CLOEXEC) != 0)
			return 0;
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	} else {
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	}
	t0 = bench_now_ns();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		ok = 0;
	if (input != NULL) {
		close(in[0]);
		if (ok && write(in[1], input, inlen) != (ssize_t)inlen)
			ok = 0;
		close(in[1]);
	}
	if (ok && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) > max_exit))
		ok = 0;
	t = bench_now_ns() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return ok ? t : 0;
}
