/* SPDX-License-Identifier: MIT */
/* Unit tests for client/client.c against a scripted agent on a real Unix
 * socket: a full backlog is "busy", a connection the agent closed while
 * idle is opened again once, a "busy" answer before a close is read. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client/credvault.h"
#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/limits.h"
#include "test.h"
#include "base/banned.h"

static char dir[64], sock_path[96];

enum script {
	CLOSE_FIRST,   /* close the first connection unread, answer the next */
	BUSY_THEN_CLOSE, /* answer "busy" unasked, close */
	ALWAYS_CLOSE,  /* close every connection unanswered */
};

struct server {
	int lfd;
	enum script script;
	int accepted;
};

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
listen_at(const char *path, int backlog)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	(void)unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, backlog) != 0) {
		perror("listen_at");
		abort();
	}
	return fd;
}

static void
send_reply(int fd, enum wire_status st, const char *cls)
{
	struct secbuf *out = secbuf_new(WIRE_HEADER_BYTES + WIRE_REPLY_MAX);
	static const char tok[] = "token-from-the-test";

	if (out == NULL || wire_reply_encode(st, cls, st == WIRE_OK ?
	    (const unsigned char *)tok : NULL, st == WIRE_OK ? sizeof(tok) - 1 :
	    0, st == WIRE_OK ? "Bearer" : NULL, st == WIRE_OK ? 3600 : 0,
	    st == WIRE_OK ? (int64_t)time(NULL) + 3600 : 0, st == WIRE_OK ?
	    "a" : NULL, out) != 0)
		abort();
	if (write(fd, out->data, out->len) != (ssize_t)out->len)
		abort();
	secbuf_free(&out);
}

/* Read one request frame (or nothing, at EOF). */
static int
read_request(int fd)
{
	unsigned char buf[WIRE_HEADER_BYTES + CV_REQUEST_MAX];
	uint32_t len = 0;
	size_t got = 0;
	ssize_t k;

	while (got < WIRE_HEADER_BYTES ||
	    got < WIRE_HEADER_BYTES + (size_t)len) {
		k = read(fd, buf + got, sizeof(buf) - got);
		if (k <= 0)
			return -1;
		got += (size_t)k;
		if (got >= WIRE_HEADER_BYTES &&
		    wire_header_get(buf, CV_REQUEST_MAX, &len) != 0)
			return -1;
	}
	return 0;
}

static void *
server_main(void *arg)
{
	struct server *sv = arg;
	int fd;

	for (;;) {
		if ((fd = accept(sv->lfd, NULL, NULL)) < 0)
			return NULL; /* the test shut the socket down */
		sv->accepted++;
		switch (sv->script) {
		case CLOSE_FIRST:
			if (sv->accepted == 1)
				break;
			if (read_request(fd) == 0)
				send_reply(fd, WIRE_OK, NULL);
			break;
		case BUSY_THEN_CLOSE:
			send_reply(fd, WIRE_FAILED, "busy");
			break;
		case ALWAYS_CLOSE:
			break;
		}
		(void)close(fd);
	}
}

/* Connect, let the server act, then ask for a token. */
static int
ask(enum script script, int *accepted, char *cls, size_t clslen)
{
	struct server sv;
	struct credvault_conn *c = NULL;
	struct credvault_token *t = NULL;
	pthread_t th;
	int r;

	memset(&sv, 0, sizeof(sv));
	sv.lfd = listen_at(sock_path, 16);
	sv.script = script;
	if (pthread_create(&th, NULL, server_main, &sv) != 0)
		abort();
	r = credvault_connect(sock_path, &c);
	ASSERT_INT_EQ(r, CREDVAULT_OK);
	if (r == CREDVAULT_OK) {
		/* The server has acted (closed, or answered) by now. */
		(void)nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		r = credvault_get_token(c, "shop", NULL, 0, &t);
		(void)snprintf(cls, clslen, "%s", credvault_error(c));
		if (r == CREDVAULT_OK)
			ASSERT_STR_EQ(credvault_token_value(t),
			    "token-from-the-test");
	}
	credvault_token_free(&t);
	credvault_close(&c);
	(void)shutdown(sv.lfd, SHUT_RDWR);
	(void)pthread_join(th, NULL);
	(void)close(sv.lfd);
	(void)unlink(sock_path);
	*accepted = sv.accepted;
	return r;
}

static void
test_reconnect(void)
{
	char cls[CREDVAULT_ERROR_MAX + 1];
	int accepted = 0;

	/* Closed while idle: asked again on a new connection. */
	ASSERT_INT_EQ(ask(CLOSE_FIRST, &accepted, cls, sizeof(cls)),
	    CREDVAULT_OK);
	ASSERT_INT_EQ(accepted, 2);

	/* "busy" and closed: that answer is read, not lost to EPIPE. */
	ASSERT_INT_EQ(ask(BUSY_THEN_CLOSE, &accepted, cls, sizeof(cls)),
	    CREDVAULT_FAILED);
	ASSERT_STR_EQ(cls, "busy");
	ASSERT_INT_EQ(accepted, 1);

	/* Closed unanswered, and again: busy, after one more try only. */
	ASSERT_INT_EQ(ask(ALWAYS_CLOSE, &accepted, cls, sizeof(cls)),
	    CREDVAULT_BUSY);
	ASSERT_INT_EQ(accepted, 2);
	ASSERT_STR_EQ(credvault_strerror(CREDVAULT_BUSY),
	    "the agent is busy (too many clients)");
}

/* Nobody accepts and the backlog is full: CREDVAULT_BUSY after the
 * connect timeout, not "no agent" and not a hang. */
static void
test_backlog_full(void)
{
	struct sockaddr_un sa;
	struct credvault_conn *c = NULL;
	int lfd = listen_at(sock_path, 0), fds[8], n = 0, i, r;
	long long t0;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	/* Fill the backlog with connections nobody accepts. */
	for (i = 0; i < 8; i++) {
		fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fds[n], (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			ASSERT_INT_EQ(errno, EAGAIN);
			(void)close(fds[n]);
			break;
		}
		n++;
	}
	ASSERT_TRUE(i < 8);
	t0 = now_ms();
	r = credvault_connect(sock_path, &c);
	ASSERT_INT_EQ(r, CREDVAULT_BUSY);
	ASSERT_TRUE(now_ms() - t0 >= CV_CLIENT_CONNECT_TIMEOUT_MS - 100);
	ASSERT_TRUE(now_ms() - t0 < CV_CLIENT_CONNECT_TIMEOUT_MS + 2000);
	credvault_close(&c);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	(void)close(lfd);
	(void)unlink(sock_path);

	/* Nothing there at all: still "no agent". */
	ASSERT_INT_EQ(credvault_connect(sock_path, &c), CREDVAULT_NO_AGENT);
}

int
main(void)
{
	memcpy(dir, "/tmp/cv-client-XXXXXX", sizeof("/tmp/cv-client-XXXXXX"));
	if (credvault_init() != 0 || mkdtemp(dir) == NULL) {
		perror("setup");
		return 1;
	}
	(void)snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", dir);
	test_reconnect();
	test_backlog_full();
	(void)rmdir(dir);
	return test_done("test_client");
}
