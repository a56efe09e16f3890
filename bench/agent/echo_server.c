/* SPDX-License-Identifier: MIT */
/* The raw baseline: a minimal Unix-socket server answering each frame
 * (a 100-byte request) with a 1 KiB reply.  epoll, one thread, like the
 * agent's loop but doing nothing else. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/banned.h"

#define ECHO_REPLY 1024
#define ECHO_IN 4096

struct echo_conn {
	int fd;
	size_t len;
	unsigned char in[ECHO_IN];
};

int
main(int argc, char **argv)
{
	static unsigned char reply[ECHO_REPLY];
	struct epoll_event ev, evs[64];
	struct sockaddr_un sa;
	struct echo_conn *c;
	uint32_t need;
	int lfd, ep, n, i, fd;
	ssize_t k;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: echo_server SOCKET\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(reply, 'x', sizeof(reply));
	reply[0] = reply[1] = 0;
	reply[2] = (ECHO_REPLY - 4) >> 8;
	reply[3] = (ECHO_REPLY - 4) & 0xff;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4096) != 0 || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("echo_server");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c == NULL) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			k = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);
			if (k <= 0 && !(k < 0 && errno == EAGAIN)) {
				close(c->fd);
				free(c);
				continue;
			}
			if (k > 0)
				c->len += (size_t)k;
			while (c->len >= 4) {
				need = (uint32_t)c->in[0] << 24 |
				    (uint32_t)c->in[1] << 16 |
				    (uint32_t)c->in[2] << 8 | c->in[3];
				if (need > ECHO_IN - 4 || c->len < 4 + need)
					break;
				if (write(c->fd, reply, sizeof(reply)) < 0)
					break;
				memmove(c->in, c->in + 4 + need,
				    c->len - 4 - need);
				c->len -= 4 + need;
			}
		}
	}
}
