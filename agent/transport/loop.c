/* SPDX-License-Identifier: MIT */
/* The agent's event loop: accept, frame reads, reply writes, signals. */
#define _GNU_SOURCE /* accept4 */
#include "agent/broker/server_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "agent/jobs/sweep.h"
#include "agent/transport/peercred.h"
#include "base/err.h"
#include "base/banned.h"

#define LOOP_EVENTS 64
#define LOOP_ACCEPT_BURST 64
/* epoll data: the connection's id and slot; these tags are not slots. */
#define LOOP_TAG_LISTEN ((uint64_t)CV_AGENT_CLIENTS_MAX + 1)
#define LOOP_TAG_EVENT ((uint64_t)CV_AGENT_CLIENTS_MAX + 2)
#define LOOP_TAG_SIGNAL ((uint64_t)CV_AGENT_CLIENTS_MAX + 3)
#define LOOP_TAG_TICK ((uint64_t)CV_AGENT_CLIENTS_MAX + 4)
#define LOOP_SLOT_BITS 16

static uint64_t
loop_key(const struct server_conn *c)
{
	return c->id << LOOP_SLOT_BITS | c->slot;
}

static int
loop_watch(struct server *s, int op, int fd, unsigned events, uint64_t key)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = key;
	return epoll_ctl(s->epfd, op, fd, &ev);
}

/* Close and forget c (it may be waiting for a flight or a job). */
static void
conn_close(struct server *s, struct server_conn *c)
{
	server_conn_free(s, &c);
}

/* Register the events c's state needs (epoll reports HUP and ERR always;
 * after the client's EOF there is nothing more to read). */
static int
conn_want(struct server *s, struct server_conn *c)
{
	unsigned ev = c->state == CONN_READ && !c->eof ? EPOLLIN :
	    c->state == CONN_WRITE ? EPOLLOUT : 0;

	if (c->fd < 0 || ev == c->events)
		return 0;
	if (loop_watch(s, EPOLL_CTL_MOD, c->fd, ev, loop_key(c)) != 0) {
		log_err("epoll: %s", strerror(errno));
		return -1;
	}
	c->events = ev;
	return 0;
}

/*
 * Write what c->out holds.  0 when all of it went out and c reads again;
 * 1 when the rest waits for EPOLLOUT; -1 when c was closed (gone, or
 * close_after).
 */
static int
conn_flush(struct server *s, struct server_conn *c)
{
	ssize_t n;

	c->state = CONN_WRITE;
	if (c->fd < 0) {
		c->state = CONN_READ;
		return 0;
	}
	while (c->out_off < c->out->len) {
		n = send(c->fd, c->out->data + c->out_off,
		    c->out->len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->deadline_ms = s->now_ms + CV_AGENT_FRAME_TIMEOUT_MS;
			if (conn_want(s, c) != 0) {
				conn_close(s, c);
				return -1;
			}
			return 1;
		}
		if (n <= 0) {
			conn_close(s, c); /* the client went away */
			return -1;
		}
		c->out_off += (size_t)n;
	}
	/* Sent: wipe the reply, unless it is the token reply the memo keeps
	 * (locked memory, the same token the cache holds). */
	if (!c->memo_reply) {
		secmem_wipe(c->out->data, c->out->len);
		c->out->len = 0;
	}
	c->out_off = 0;
	if (c->close_after) {
		conn_close(s, c);
		return -1;
	}
	c->state = CONN_READ;
	c->deadline_ms = s->now_ms + (int64_t)CV_AGENT_IDLE_CONN_S * 1000;
	if (conn_want(s, c) != 0) {
		conn_close(s, c);
		return -1;
	}
	return 0;
}

/* Answer a frame error and close after the reply. */
static void
conn_refuse(struct server *s, struct server_conn *c, const char *cls)
{
	log_info("%s: request refused: %s", c->actor, cls);
	server_reply(c, WIRE_FAILED, cls);
	c->close_after = 1;
	c->in_len = 0;
	(void)conn_flush(s, c);
}

/* Answer the complete frames buffered in c, one at a time (a loop, not a
 * recursion: a client may send many small requests at once). */
static void
conn_process(struct server *s, struct server_conn *c)
{
	const unsigned char *reply;
	size_t replylen, used;
	uint32_t len = 0;
	int r;

	while (c->state == CONN_READ) {
		r = c->in_len < WIRE_HEADER_BYTES ? 1 :
		    wire_header_get(c->in, CV_REQUEST_MAX, &len);
		if (r == CV_E_TOOBIG) {
			conn_refuse(s, c, "too_large");
			return;
		}
		if (r < 0) {
			conn_refuse(s, c, "bad_request");
			return;
		}
		if (r == 1 || c->in_len < WIRE_HEADER_BYTES + (size_t)len) {
			/* No whole frame.  After the client's EOF none will
			 * come; else what was begun must end in time. */
			if (c->eof && c->in_len > 0)
				conn_refuse(s, c, "truncated");
			else if (c->eof)
				conn_close(s, c);
			else if (c->in_len > 0)
				c->deadline_ms = s->now_ms +
				    CV_AGENT_FRAME_TIMEOUT_MS;
			return;
		}
		used = WIRE_HEADER_BYTES + (size_t)len;
		r = server_dispatch(s, c, c->in + WIRE_HEADER_BYTES, len,
		    &reply, &replylen);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (r != 0) {
			/* A hook or a flight answers later; meanwhile only a
			 * hang-up matters (a half-close still gets its
			 * answer). */
			c->state = CONN_BUSY;
			if (conn_want(s, c) != 0)
				conn_close(s, c);
			return;
		}
		if (conn_flush(s, c) != 0)
			return;
	}
}

void
conn_send(struct server *s, struct server_conn *c)
{
	if (conn_flush(s, c) == 0)
		conn_process(s, c); /* requests that came early, or EOF */
}

static void
conn_read(struct server *s, struct server_conn *c)
{
	ssize_t n;

	while (c->in_len < SERVER_IN_MAX) {
		n = read(c->fd, c->in + c->in_len, SERVER_IN_MAX - c->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_close(s, c);
			return;
		}
		if (n == 0) {
			/* EOF: answer what is whole; a client that only
			 * half-closed still reads the replies. */
			c->eof = 1;
			break;
		}
		c->in_len += (size_t)n;
		if ((size_t)n < 512)
			break; /* most likely all there is; save a read() */
	}
	conn_process(s, c);
}

/* Best effort answer on a socket we are not keeping. */
static void
loop_reject(int fd, enum wire_status st, const char *cls)
{
	struct secbuf *out = secbuf_new(WIRE_HEADER_BYTES + 512);

	if (out != NULL && wire_reply_encode(st, cls, NULL, 0, NULL, 0, 0,
	    NULL, out) == 0)
		(void)!send(fd, out->data, out->len, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
	secbuf_free(&out);
	(void)close(fd);
}

static void
loop_accept(struct server *s)
{
	struct server_conn *c;
	struct peer_ident peer;
	char why[256];
	int fd, i;

	for (i = 0; i < LOOP_ACCEPT_BURST; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_err("accept: %s", strerror(errno));
			return;
		}
		/* Who is it, from the kernel: on every accept. */
		if (peer_identify(fd, &peer, why, sizeof(why)) != 0) {
			log_warn("connection denied: %s", why);
			loop_reject(fd, WIRE_DENIED, NULL);
			continue;
		}
		if (server_conn_new(s, fd, &peer, &c) != 0) {
			log_warn("connection from uid %lu pid %ld refused: %s",
			    (unsigned long)peer.uid, (long)peer.pid,
			    s->nfree == 0 ? "too many clients" : "no memory");
			loop_reject(fd, WIRE_FAILED, "busy");
			continue;
		}
		c->deadline_ms = s->now_ms + (int64_t)CV_AGENT_IDLE_CONN_S * 1000;
		c->events = EPOLLIN;
		if (loop_watch(s, EPOLL_CTL_ADD, fd, EPOLLIN, loop_key(c)) != 0) {
			log_err("epoll: %s", strerror(errno));
			conn_close(s, c);
			continue;
		}
		/* Most clients have written their request already. */
		conn_read(s, c);
	}
}

/* Connection deadlines: unfinished frames, unread replies, idle clients. */
static void
loop_deadlines(struct server *s)
{
	struct server_conn *c;
	size_t i;

	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		c = s->conns[i];
		if (c == NULL || c->fd < 0 || c->state == CONN_BUSY ||
		    c->deadline_ms > s->now_ms)
			continue;
		if (c->state == CONN_READ && c->in_len > 0) {
			log_info("%s: request not finished in time", c->actor);
			conn_refuse(s, c, "timeout");
		} else {
			conn_close(s, c);
		}
	}
}

static void
loop_tick(struct server *s)
{
	char why[64];

	loop_deadlines(s);
	if (!s->locked) {
		(void)cache_sweep(s->cache, s->now_ms);
		sweep_tick(s);
		if (s->opts.lifetime_s != 0 && s->now_ms - s->last_request_ms >=
		    (int64_t)s->opts.lifetime_s * 1000) {
			(void)snprintf(why, sizeof(why), "idle for %u s",
			    s->opts.lifetime_s);
			server_lock(s, why);
		}
	}
}

static void
loop_signal(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: stack files will be read again");
			policy_reload(s->policy);
			records_clear(s->records);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: locking and stopping", si.ssi_signo ==
			    SIGTERM ? "SIGTERM" : "SIGINT");
			server_lock(s, si.ssi_signo == SIGTERM ? "SIGTERM" :
			    "SIGINT");
			s->stopping = 1;
			break;
		default:
			break;
		}
	}
}

static void
loop_event(struct server *s, const struct epoll_event *ev)
{
	uint64_t key = ev->data.u64, n;
	struct server_conn *c;
	unsigned slot;

	if (key == LOOP_TAG_LISTEN) {
		loop_accept(s);
		return;
	}
	if (key == LOOP_TAG_EVENT) {
		(void)!read(s->evfd, &n, sizeof(n));
		token_drain(s);
		return;
	}
	if (key == LOOP_TAG_SIGNAL) {
		loop_signal(s);
		return;
	}
	if (key == LOOP_TAG_TICK) {
		(void)!read(s->tickfd, &n, sizeof(n));
		loop_tick(s);
		return;
	}
	slot = (unsigned)(key & ((1u << LOOP_SLOT_BITS) - 1));
	if (slot >= CV_AGENT_CLIENTS_MAX || (c = s->conns[slot]) == NULL ||
	    c->id != key >> LOOP_SLOT_BITS)
		return; /* closed earlier in this batch */
	if ((ev->events & (EPOLLERR | EPOLLHUP)) != 0 &&
	    (c->state != CONN_READ || (ev->events & EPOLLIN) == 0)) {
		conn_close(s, c); /* gone: drop whatever it waited for */
		return;
	}
	if (c->state == CONN_READ && (ev->events & EPOLLIN) != 0)
		conn_read(s, c);
	else if (c->state == CONN_WRITE && (ev->events & EPOLLOUT) != 0)
		conn_send(s, c);
	else if (c->eof && (ev->events & (EPOLLERR | EPOLLHUP)) != 0)
		conn_close(s, c);
}

static int
loop_setup(struct server *s, int lfd)
{
	/* A timerfd, not an epoll_wait() timeout: arming a timer on every
	 * wait costs a VM exit on virtual machines, per request. */
	struct itimerspec tick = { { SERVER_TICK_MS / 1000,
		(SERVER_TICK_MS % 1000) * 1000000L }, { SERVER_TICK_MS / 1000,
		(SERVER_TICK_MS % 1000) * 1000000L } };
	sigset_t set;

	s->lfd = lfd;
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGHUP);
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (s->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) < 0 ||
	    timerfd_settime(s->tickfd, 0, &tick, NULL) != 0 ||
	    loop_watch(s, EPOLL_CTL_ADD, s->tickfd, EPOLLIN, LOOP_TAG_TICK) != 0 ||
	    loop_watch(s, EPOLL_CTL_ADD, lfd, EPOLLIN, LOOP_TAG_LISTEN) != 0 ||
	    loop_watch(s, EPOLL_CTL_ADD, s->evfd, EPOLLIN,
	    LOOP_TAG_EVENT) != 0 ||
	    loop_watch(s, EPOLL_CTL_ADD, s->sigfd, EPOLLIN,
	    LOOP_TAG_SIGNAL) != 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return CV_E_IO;
	}
	return 0;
}

static void
loop_teardown(struct server *s)
{
	size_t i;

	/* Waiting clients were told "locked"; the rest just go. */
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++)
		if (s->conns[i] != NULL && s->conns[i]->fd >= 0)
			conn_close(s, s->conns[i]);
	if (s->sigfd >= 0)
		(void)close(s->sigfd);
	if (s->tickfd >= 0)
		(void)close(s->tickfd);
	s->tickfd = -1;
	if (s->epfd >= 0)
		(void)close(s->epfd);
	s->sigfd = s->epfd = -1;
	s->lfd = -1;
	/* evfd stays: workers still finishing post to it (server_free). */
}

int
server_run(struct server *s, int lfd)
{
	struct epoll_event evs[LOOP_EVENTS];
	int i, n, r;

	if ((r = loop_setup(s, lfd)) != 0) {
		loop_teardown(s);
		return r;
	}
	s->now_ms = server_now_ms();
	while (!s->stopping) {
		n = epoll_wait(s->epfd, evs, LOOP_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			r = CV_E_IO;
			break;
		}
		s->now_ms = server_now_ms();
		s->now_s = (int64_t)time(NULL);
		for (i = 0; i < n && !s->stopping; i++)
			loop_event(s, &evs[i]);
	}
	loop_teardown(s);
	return r;
}
