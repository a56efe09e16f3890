/* SPDX-License-Identifier: MIT */
/* The high-water mark file of a vault, outside the vault directory. */
#include "vault/hwm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define HWM_BYTES 21 /* 20 decimal digits and a newline */

int
hwm_dir(char *buf, size_t len)
{
	const char *d = getenv("CREDVAULT_STATE_DIR"), *h;
	size_t n;
	int k = -1;

	if (d != NULL && d[0] == '/') {
		k = snprintf(buf, len, "%s", d);
	} else if ((d = getenv("STATE_DIRECTORY")) != NULL && d[0] == '/') {
		n = strcspn(d, ":"); /* the first of several */
		k = snprintf(buf, len, "%.*s", (int)n, d);
	} else if ((d = getenv("XDG_STATE_HOME")) != NULL && d[0] == '/') {
		k = snprintf(buf, len, "%s/credvault", d);
	} else if ((h = getenv("HOME")) != NULL && h[0] == '/') {
		k = snprintf(buf, len, "%s/.local/state/credvault", h);
	}
	if (k < 0 || (size_t)k >= len)
		return CV_E_NOTFOUND;
	return 0;
}

/* The file for id; with make, the directories are created. */
static int
hwm_path(const unsigned char id[16], int make, char *buf, size_t len)
{
	char dir[CV_PATH_MAX], *p;
	int rc, k;
	size_t i;

	if ((rc = hwm_dir(dir, sizeof(dir))) != 0)
		return rc;
	if (make) {
		/* mkdir -p, each new level 0700. */
		for (p = dir + 1; ; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			{
				char c = *p;

				*p = '\0';
				if (mkdir(dir, 0700) != 0 && errno != EEXIST)
					return errno == EACCES ? CV_E_PERM :
					    CV_E_IO;
				*p = c;
			}
			if (*p == '\0')
				break;
		}
	}
	k = snprintf(buf, len, "%s/", dir);
	for (i = 0; i < 16 && k >= 0 && (size_t)k + 3 < len; i++)
		k += snprintf(buf + k, len - (size_t)k, "%02x", id[i]);
	if (k < 0 || (size_t)k + 5 >= len)
		return CV_E_INVALID;
	(void)snprintf(buf + k, len - (size_t)k, ".hwm");
	return 0;
}

static int
hwm_read_fd(int fd, uint64_t *seen)
{
	char b[HWM_BYTES + 1], *end;
	unsigned long long v;
	ssize_t n;

	*seen = 0;
	if ((n = pread(fd, b, HWM_BYTES, 0)) < 0)
		return CV_E_IO;
	if (n == 0)
		return 0; /* a new file */
	b[n] = '\0';
	errno = 0;
	v = strtoull(b, &end, 10);
	if (errno != 0 || end == b || (*end != '\n' && *end != '\0'))
		return CV_E_INTEGRITY;
	*seen = (uint64_t)v;
	return 0;
}

int
hwm_get(const unsigned char id[16], uint64_t *seen)
{
	char path[CV_PATH_MAX];
	int fd, rc;

	*seen = 0;
	if ((rc = hwm_path(id, 0, path, sizeof(path))) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : CV_E_IO;
	rc = hwm_read_fd(fd, seen);
	(void)close(fd);
	return rc;
}

int
hwm_put(const unsigned char id[16], uint64_t counter, int raise)
{
	char path[CV_PATH_MAX], b[HWM_BYTES + 1];
	uint64_t seen = 0;
	int fd, rc;

	if ((rc = hwm_path(id, 1, path, sizeof(path))) != 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == EACCES ? CV_E_PERM : CV_E_IO;
	if (flock(fd, LOCK_EX) != 0) {
		(void)close(fd);
		return CV_E_IO;
	}
	rc = hwm_read_fd(fd, &seen);
	if (rc == CV_E_INTEGRITY && raise)
		rc = 0; /* a damaged mark: start again from this counter */
	if (rc == 0 && (!raise || counter > seen)) {
		/* Fixed width: one write of the whole file. */
		(void)snprintf(b, sizeof(b), "%020llu\n",
		    (unsigned long long)counter);
		if (pwrite(fd, b, HWM_BYTES, 0) != HWM_BYTES)
			rc = CV_E_IO;
	}
	(void)close(fd); /* drops the flock */
	return rc;
}
