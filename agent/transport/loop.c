/* SPDX-License-Identifier: MIT */
/* The agent's event loop: accept, signals, ticks and the workers' wake-up. */
#define _GNU_SOURCE /* accept4 */
#include "agent/transport/loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/transport/conn.h"
#include "agent/transport/peercred.h"
#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/log.h"
#include "base/banned.h"

#define LOOP_EVENTS 64
#define LOOP_ACCEPT_BURST 64
#define LOOP_TICK_MS 1000 /* deadlines, sweeps and the idle lifetime */
/* epoll keys of the loop's own descriptors (conns_key_is_conn() is 0). */
#define LOOP_TAG_LISTEN 1u
#define LOOP_TAG_EVENT 2u
#define LOOP_TAG_SIGNAL 3u
#define LOOP_TAG_TICK 4u

struct loop {
	struct broker *b;
	struct conns *conns;
	int epfd, lfd, evfd, sigfd, tickfd;
	int stopping;
};

static void
loop_sigset(sigset_t *set)
{
	(void)sigemptyset(set);
	(void)sigaddset(set, SIGTERM);
	(void)sigaddset(set, SIGINT);
	(void)sigaddset(set, SIGHUP);
}

int
loop_block_signals(void)
{
	sigset_t set;

	loop_sigset(&set);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? 0 : CV_E_INTERNAL;
}

static int64_t
loop_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
loop_watch(struct loop *l, int fd, uint64_t key)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = key;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* A worker finished a hook run (any thread; broker_set_wake()). */
static void
loop_wake(void *arg)
{
	const struct loop *l = arg;
	uint64_t one = 1;

	(void)!write(l->evfd, &one, sizeof(one));
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
loop_accept(struct loop *l)
{
	struct peer_ident peer;
	char why[256];
	int fd, i, r;

	for (i = 0; i < LOOP_ACCEPT_BURST; i++) {
		fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_err("accept: %s", strerror(errno));
			return;
		}
		/* Who is it, from the kernel: on every accept. */
		if (peercred_identify(fd, &peer, why, sizeof(why)) != 0) {
			log_warn("connection denied: %s", why);
			loop_reject(fd, WIRE_DENIED, NULL);
			continue;
		}
		if ((r = conns_add(l->conns, fd, &peer)) != 0) {
			log_warn("connection from uid %lu pid %ld refused: %s",
			    (unsigned long)peer.uid, (long)peer.pid,
			    r == CV_E_BUSY ? "too many clients" : "no memory");
			loop_reject(fd, WIRE_FAILED, "busy");
		}
	}
}

static void
loop_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: stack files will be read again");
			broker_reload(l->b);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: locking and stopping", si.ssi_signo ==
			    SIGTERM ? "SIGTERM" : "SIGINT");
			broker_lock(l->b, si.ssi_signo == SIGTERM ? "SIGTERM" :
			    "SIGINT");
			l->stopping = 1;
			break;
		default:
			break;
		}
	}
}

static void
loop_event(struct loop *l, const struct epoll_event *ev)
{
	uint64_t n;

	if (conns_key_is_conn(ev->data.u64)) {
		conns_event(l->conns, ev->data.u64, ev->events);
		return;
	}
	switch (ev->data.u64) {
	case LOOP_TAG_LISTEN:
		loop_accept(l);
		break;
	case LOOP_TAG_EVENT:
		(void)!read(l->evfd, &n, sizeof(n));
		broker_drain(l->b);
		break;
	case LOOP_TAG_SIGNAL:
		loop_signal(l);
		break;
	case LOOP_TAG_TICK:
		(void)!read(l->tickfd, &n, sizeof(n));
		conns_deadlines(l->conns);
		broker_tick(l->b);
		break;
	default:
		break;
	}
}

static int
loop_setup(struct loop *l)
{
	/* A timerfd, not an epoll_wait() timeout: arming a timer on every
	 * wait costs a VM exit on virtual machines, per request. */
	struct itimerspec tick = { { LOOP_TICK_MS / 1000,
		(LOOP_TICK_MS % 1000) * 1000000L }, { LOOP_TICK_MS / 1000,
		(LOOP_TICK_MS % 1000) * 1000000L } };
	sigset_t set;

	loop_sigset(&set);
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    (l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (l->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) < 0 ||
	    timerfd_settime(l->tickfd, 0, &tick, NULL) != 0 ||
	    loop_watch(l, l->tickfd, LOOP_TAG_TICK) != 0 ||
	    loop_watch(l, l->lfd, LOOP_TAG_LISTEN) != 0 ||
	    loop_watch(l, l->evfd, LOOP_TAG_EVENT) != 0 ||
	    loop_watch(l, l->sigfd, LOOP_TAG_SIGNAL) != 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return CV_E_IO;
	}
	if (conns_new(l->b, l->epfd, &l->conns) != 0)
		return CV_E_NOMEM;
	broker_set_wake(l->b, loop_wake, l);
	return 0;
}

static void
loop_teardown(struct loop *l)
{
	/* Waiting clients were told "locked"; the rest just go. */
	conns_free(&l->conns);
	/* From here on no worker writes to evfd. */
	broker_set_wake(l->b, NULL, NULL);
	if (l->evfd >= 0)
		(void)close(l->evfd);
	if (l->sigfd >= 0)
		(void)close(l->sigfd);
	if (l->tickfd >= 0)
		(void)close(l->tickfd);
	if (l->epfd >= 0)
		(void)close(l->epfd);
}

int
loop_run(struct broker *b, int lfd)
{
	struct epoll_event evs[LOOP_EVENTS];
	struct loop l;
	int i, n, r;

	memset(&l, 0, sizeof(l));
	l.b = b;
	l.lfd = lfd;
	l.epfd = l.evfd = l.sigfd = l.tickfd = -1;
	if ((r = loop_setup(&l)) != 0) {
		loop_teardown(&l);
		return r;
	}
	conns_set_now(l.conns, loop_now_ms());
	while (!l.stopping) {
		n = epoll_wait(l.epfd, evs, LOOP_EVENTS, -1);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			r = CV_E_IO;
			break;
		}
		conns_set_now(l.conns, loop_now_ms());
		for (i = 0; i < n && !l.stopping; i++)
			loop_event(&l, &evs[i]);
	}
	loop_teardown(&l);
	return r;
}
