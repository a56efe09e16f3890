/* SPDX-License-Identifier: MIT */
/* The agent's event loop: accept, signals, ticks and the workers' wake-up. */
#define _GNU_SOURCE /* accept4 */
#include "agent/transport/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/transport/conn.h"
#include "agent/transport/peercred.h"
#include "agent/transport/service.h"
#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/banned.h"

#define LOOP_EVENTS 64
#define LOOP_ACCEPT_BURST 64
#define LOOP_TICK_MS 1000 /* deadlines, sweeps and the idle lifetime */
#define LOOP_QUIET_MS 2000 /* no EMFILE this long: the episode is over */
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
	unsigned per_uid;
	/* Out of descriptors: a spare one (/dev/null) given up to accept and
	 * answer one more client; the listening socket is left out of the
	 * epoll set until a descriptor frees or the next tick. */
	int spare_fd;
	int listening;
	int64_t starved_since_ms, starved_last_ms; /* 0: not starved */
	unsigned long starved_refused;
	unsigned long long nofile; /* RLIMIT_NOFILE when last looked at */
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

/*
 * Connections at most: what RLIMIT_NOFILE leaves after the agent's own
 * descriptors and its running hooks', within CV_AGENT_CLIENTS_MIN and
 * CV_AGENT_CLIENTS_MAX.  Read again every tick (prlimit can change it).
 */
static unsigned
loop_capacity(struct loop *l)
{
	unsigned long long need = CV_AGENT_FDS_BASE +
	    (unsigned long long)CV_AGENT_FDS_PER_HOOK *
	    broker_hook_threads(l->b);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return CV_AGENT_CLIENTS_MAX;
	l->nofile = (unsigned long long)rl.rlim_cur;
	if (l->nofile < need + CV_AGENT_CLIENTS_MIN)
		return CV_AGENT_CLIENTS_MIN;
	if (l->nofile - need > CV_AGENT_CLIENTS_MAX)
		return CV_AGENT_CLIENTS_MAX;
	return (unsigned)(l->nofile - need);
}

static void
loop_listen(struct loop *l, int on)
{
	struct epoll_event ev;

	if (on == l->listening)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = LOOP_TAG_LISTEN;
	if (epoll_ctl(l->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, l->lfd,
	    &ev) == 0)
		l->listening = on;
	else
		log_err("epoll: %s", strerror(errno));
}

static void
loop_spare_open(struct loop *l)
{
	if (l->spare_fd < 0)
		l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Who it is, from the kernel, then a connection, else "busy". */
static void
loop_admit(struct loop *l, int fd)
{
	struct peer_ident peer;
	char why[256];
	int r;

	if (peercred_identify(fd, &peer, why, sizeof(why)) != 0) {
		log_warn("connection denied: %s", why);
		loop_reject(fd, WIRE_DENIED, NULL);
		return;
	}
	if ((r = conns_add(l->conns, fd, &peer)) != 0) {
		if (r != CV_E_BUSY) /* busy: counted and logged by conns */
			log_warn("connection from uid %lu pid %ld refused: %s",
			    (unsigned long)peer.uid, (long)peer.pid,
			    cv_strerror(r));
		loop_reject(fd, WIRE_FAILED, "busy");
	}
}

/*
 * accept() failed for want of descriptors (EMFILE, ENFILE; ENOBUFS or
 * ENOMEM for want of memory).  Retrying at once would spin: the socket
 * stays readable.  So: log once per episode; use the spare descriptor to
 * take the client at the head of the backlog and answer it (the owner and
 * root get in, if an idle connection can make room; anyone else hears
 * "busy"); then stop watching the socket until a connection closes or the
 * next tick.
 */
static void
loop_starved(struct loop *l, int e)
{
	struct rlimit rl;
	uid_t uid;
	int fd;

	if (l->starved_since_ms == 0) {
		l->starved_since_ms = loop_now_ms();
		l->starved_refused = 0;
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = 0;
		log_warn("accept: %s (descriptor limit %llu): not accepting "
		    "until a descriptor frees", strerror(e),
		    (unsigned long long)rl.rlim_cur);
	}
	l->starved_last_ms = loop_now_ms();
	if (l->spare_fd >= 0) {
		(void)close(l->spare_fd);
		l->spare_fd = -1;
		fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (peercred_uid(fd, &uid) == 0 &&
			    conns_make_room(l->conns, uid) == 0) {
				loop_admit(l, fd);
			} else {
				l->starved_refused++;
				loop_reject(fd, WIRE_FAILED, "busy");
			}
		}
		loop_spare_open(l);
	}
	loop_listen(l, 0);
}

static void
loop_accept(struct loop *l)
{
	int fd, i;

	for (i = 0; i < LOOP_ACCEPT_BURST; i++) {
		fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				loop_starved(l, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_err("accept: %s", strerror(errno));
			return;
		}
		loop_admit(l, fd);
	}
}

/* The service manager's STATUS= line (sent only when it changed). */
static void
loop_status(struct loop *l)
{
	struct broker_counts bc;

	if (!service_is_notified())
		return;
	broker_counts(l->b, &bc);
	if (bc.locked)
		service_status("locked: answering \"locked\"; restart the "
		    "service to unlock");
	else
		service_status("serving %zu record%s, %zu token%s cached, %u "
		    "client%s connected", bc.records, bc.records == 1 ? "" :
		    "s", bc.tokens, bc.tokens == 1 ? "" : "s",
		    conns_count(l->conns), conns_count(l->conns) == 1 ? "" :
		    "s");
}

/* Once a tick: the descriptor budget, the end of a starved episode, and
 * listening again. */
static void
loop_tick(struct loop *l)
{
	conns_set_capacity(l->conns, loop_capacity(l));
	conns_deadlines(l->conns);
	if (l->starved_since_ms != 0 &&
	    loop_now_ms() - l->starved_last_ms >= LOOP_QUIET_MS) {
		log_info("accept: descriptors free again after %lld ms; %lu "
		    "connection(s) answered \"busy\" meanwhile",
		    (long long)(l->starved_last_ms - l->starved_since_ms),
		    l->starved_refused);
		l->starved_since_ms = l->starved_last_ms = 0;
	}
	loop_spare_open(l);
	loop_listen(l, 1);
}

static void
loop_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	char why[512];

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			/* logrotate moved the file away: a new one first,
			 * so that this line is its first. */
			if (log_reopen(why, sizeof(why)) != 0)
				log_err("SIGHUP: %s; still writing to the old "
				    "file", why);
			log_info("SIGHUP: stack files will be read again");
			broker_reload(l->b);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: locking and stopping", si.ssi_signo ==
			    SIGTERM ? "SIGTERM" : "SIGINT");
			service_stopping(si.ssi_signo == SIGTERM ?
			    "SIGTERM: locking and stopping" :
			    "SIGINT: locking and stopping");
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
		loop_tick(l);
		broker_tick(l->b);
		loop_status(l);
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
	    loop_watch(l, l->evfd, LOOP_TAG_EVENT) != 0 ||
	    loop_watch(l, l->sigfd, LOOP_TAG_SIGNAL) != 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return CV_E_IO;
	}
	if (conns_new(l->b, l->epfd, getuid(), l->per_uid, &l->conns) != 0)
		return CV_E_NOMEM;
	conns_set_capacity(l->conns, loop_capacity(l));
	loop_spare_open(l);
	loop_listen(l, 1);
	if (!l->listening)
		return CV_E_IO;
	log_info("up to %u clients (%u of them kept for uid %lu and root, at "
	    "most %u per other uid); descriptor limit %llu, %u hook workers",
	    conns_capacity(l->conns), conns_reserved_slots(l->conns),
	    (unsigned long)getuid(), l->per_uid != 0 ? l->per_uid :
	    CV_AGENT_CLIENTS_PER_UID, l->nofile, broker_hook_threads(l->b));
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
	if (l->spare_fd >= 0)
		(void)close(l->spare_fd);
	if (l->epfd >= 0)
		(void)close(l->epfd);
}

int
loop_run(struct broker *b, int lfd, const struct loop_opts *o)
{
	struct epoll_event evs[LOOP_EVENTS];
	struct loop l;
	int i, n, r;

	memset(&l, 0, sizeof(l));
	l.b = b;
	l.lfd = lfd;
	l.per_uid = o != NULL ? o->clients_per_uid : 0;
	l.epfd = l.evfd = l.sigfd = l.tickfd = l.spare_fd = -1;
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
		/* Starved, and a connection closed: try again. */
		if (conns_take_freed(l.conns) && !l.listening && !l.stopping) {
			loop_spare_open(&l);
			loop_listen(&l, 1);
		}
	}
	loop_teardown(&l);
	return r;
}
