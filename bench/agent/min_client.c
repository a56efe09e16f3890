/* SPDX-License-Identifier: MIT */
/* The smallest client: one token request, one reply, nothing linked but
 * libc.  The yardstick for `credvault token` as a whole process. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "base/banned.h"

int
main(int argc, char **argv)
{
	unsigned char req[512], buf[65536];
	size_t len;
	long n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: min_client SOCKET RECORD\n");
		return 2;
	}
	if ((len = bench_token_frame(req, sizeof(req), argv[2], NULL)) == 0 ||
	    (fd = bench_connect(argv[1])) < 0)
		return 1;
	n = bench_roundtrip(fd, req, len, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || write(1, buf, (size_t)n) != n)
		return 1;
	return 0;
}
