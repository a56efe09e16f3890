/* SPDX-License-Identifier: MIT */
/* Connections: reading frames, writing replies, closing on deadlines. */
#include "agent/transport/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/wire.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/banned.h"

#define CONN_IN_MAX (WIRE_HEADER_BYTES + CV_REQUEST_MAX)
/* epoll keys: the connection's id and slot; the loop's own keys have a
 * zero id. */
#define CONN_SLOT_BITS 16

enum conn_state {
	CONN_READ = 0, /* reading a request */
	CONN_BUSY,     /* the broker will answer */
	CONN_WRITE,    /* a reply is being written */
};

/* One client connection, owned by the table; freed by conn_close(). */
struct conn {
	struct conns *t;
	int fd;
	unsigned slot; /* its session's, unique among the live ones */
	uint64_t id;   /* unique, never reused, never 0 */
	enum conn_state state;
	uint32_t events; /* registered with epoll */
	struct session *session;
	unsigned char *in; /* CONN_IN_MAX bytes; requests carry no secrets */
	size_t in_len;
	const unsigned char *reply; /* the broker's, while CONN_WRITE */
	size_t reply_len;
	size_t out_off;
	int close_after;     /* close once the reply is written */
	int eof;             /* the client shut down its side */
	int64_t deadline_ms; /* frame, write or idle deadline */
};

struct conns {
	struct broker *b;
	int epfd;
	int64_t now_ms;
	uint64_t next_id;
	struct conn *slots[CV_AGENT_CLIENTS_MAX];
};

int
conns_new(struct broker *b, int epfd, struct conns **out)
{
	struct conns *t;

	if ((*out = t = calloc(1, sizeof(*t))) == NULL)
		return CV_E_NOMEM;
	t->b = b;
	t->epfd = epfd;
	t->next_id = 1;
	return 0;
}

void
conns_set_now(struct conns *t, int64_t now_ms)
{
	t->now_ms = now_ms;
}

int
conns_key_is_conn(uint64_t key)
{
	return (key >> CONN_SLOT_BITS) != 0;
}

static uint64_t
conn_key(const struct conn *c)
{
	return c->id << CONN_SLOT_BITS | c->slot;
}

/* Close and forget c (the broker may still owe it a reply). */
static void
conn_close(struct conn *c)
{
	struct conns *t = c->t;

	broker_session_free(t->b, &c->session);
	if (c->fd >= 0)
		(void)close(c->fd); /* epoll forgets it with the last fd */
	t->slots[c->slot] = NULL;
	free(c->in);
	free(c);
}

void
conns_free(struct conns **tp)
{
	struct conns *t;
	size_t i;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++)
		if (t->slots[i] != NULL)
			conn_close(t->slots[i]);
	free(t);
	*tp = NULL;
}

/* Register the events c's state needs (epoll reports HUP and ERR always;
 * after the client's EOF there is nothing more to read). */
static int
conn_want(struct conn *c)
{
	uint32_t ev = c->state == CONN_READ && !c->eof ? EPOLLIN :
	    c->state == CONN_WRITE ? EPOLLOUT : 0;
	struct epoll_event e;

	if (ev == c->events)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u64 = conn_key(c);
	if (epoll_ctl(c->t->epfd, EPOLL_CTL_MOD, c->fd, &e) != 0) {
		log_err("epoll: %s", strerror(errno));
		return -1;
	}
	c->events = ev;
	return 0;
}

/*
 * Write the reply c holds.  0 when all of it went out and c reads again;
 * 1 when the rest waits for EPOLLOUT; -1 when c was closed (gone, or
 * close_after).
 */
static int
conn_flush(struct conn *c)
{
	struct conns *t = c->t;
	ssize_t n;

	c->state = CONN_WRITE;
	while (c->out_off < c->reply_len) {
		n = send(c->fd, c->reply + c->out_off, c->reply_len - c->out_off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->deadline_ms = t->now_ms + CV_AGENT_FRAME_TIMEOUT_MS;
			if (conn_want(c) != 0) {
				conn_close(c);
				return -1;
			}
			return 1;
		}
		if (n <= 0) {
			conn_close(c); /* the client went away */
			return -1;
		}
		c->out_off += (size_t)n;
	}
	broker_session_sent(t->b, c->session);
	c->reply = NULL;
	c->reply_len = c->out_off = 0;
	if (c->close_after) {
		conn_close(c);
		return -1;
	}
	c->state = CONN_READ;
	c->deadline_ms = t->now_ms + (int64_t)CV_AGENT_IDLE_CONN_S * 1000;
	if (conn_want(c) != 0) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Answer a frame error and close after the reply. */
static void
conn_refuse(struct conn *c, const char *cls)
{
	broker_refuse(c->t->b, c->session, cls, &c->reply, &c->reply_len);
	c->close_after = 1;
	c->in_len = 0;
	(void)conn_flush(c);
}

/* Answer the complete frames buffered in c, one at a time (a loop, not a
 * recursion: a client may send many small requests at once). */
static void
conn_process(struct conn *c)
{
	struct conns *t = c->t;
	size_t used;
	uint32_t len = 0;
	int r;

	while (c->state == CONN_READ) {
		r = c->in_len < WIRE_HEADER_BYTES ? 1 :
		    wire_header_get(c->in, CV_REQUEST_MAX, &len);
		if (r == CV_E_TOOBIG) {
			conn_refuse(c, "too_large");
			return;
		}
		if (r < 0) {
			conn_refuse(c, "bad_request");
			return;
		}
		if (r == 1 || c->in_len < WIRE_HEADER_BYTES + (size_t)len) {
			/* No whole frame.  After the client's EOF none will
			 * come; else what was begun must end in time. */
			if (c->eof && c->in_len > 0)
				conn_refuse(c, "truncated");
			else if (c->eof)
				conn_close(c);
			else if (c->in_len > 0)
				c->deadline_ms = t->now_ms +
				    CV_AGENT_FRAME_TIMEOUT_MS;
			return;
		}
		used = WIRE_HEADER_BYTES + (size_t)len;
		r = broker_handle(t->b, c->session, c->in + WIRE_HEADER_BYTES,
		    len, &c->reply, &c->reply_len);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (r != 0) {
			/* The broker answers later; meanwhile only a hang-up
			 * matters (a half-close still gets its answer). */
			c->state = CONN_BUSY;
			if (conn_want(c) != 0)
				conn_close(c);
			return;
		}
		if (conn_flush(c) != 0)
			return;
	}
}

/* Write what c holds, then answer requests that came meanwhile; c may be
 * closed on return. */
static void
conn_send(struct conn *c)
{
	if (conn_flush(c) == 0)
		conn_process(c); /* requests that came early, or EOF */
}

/* The broker's deferred reply for a session (session_reply_fn). */
static void
conn_on_reply(void *arg, const unsigned char *reply, size_t len)
{
	struct conn *c = arg;

	c->reply = reply;
	c->reply_len = len;
	c->out_off = 0;
	conn_send(c);
}

static void
conn_read(struct conn *c)
{
	ssize_t n;

	while (c->in_len < CONN_IN_MAX) {
		n = read(c->fd, c->in + c->in_len, CONN_IN_MAX - c->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_close(c);
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
	conn_process(c);
}

int
conns_add(struct conns *t, int fd, const struct peer_ident *peer)
{
	struct epoll_event e;
	struct conn *c;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(CONN_IN_MAX)) == NULL) {
		free(c);
		return CV_E_NOMEM;
	}
	if ((r = broker_session_new(t->b, peer, conn_on_reply, c,
	    &c->session)) != 0) {
		free(c->in);
		free(c);
		return r;
	}
	c->t = t;
	c->fd = fd;
	c->id = t->next_id++;
	c->slot = c->session->slot;
	t->slots[c->slot] = c;
	c->deadline_ms = t->now_ms + (int64_t)CV_AGENT_IDLE_CONN_S * 1000;
	c->events = EPOLLIN;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.u64 = conn_key(c);
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
		log_err("epoll: %s", strerror(errno));
		conn_close(c); /* closes fd too */
		return 0;
	}
	/* Most clients have written their request already. */
	conn_read(c);
	return 0;
}

void
conns_event(struct conns *t, uint64_t key, uint32_t events)
{
	unsigned slot = (unsigned)(key & ((1u << CONN_SLOT_BITS) - 1));
	struct conn *c;

	if (slot >= CV_AGENT_CLIENTS_MAX || (c = t->slots[slot]) == NULL ||
	    c->id != key >> CONN_SLOT_BITS)
		return; /* closed earlier in this batch */
	if ((events & (EPOLLERR | EPOLLHUP)) != 0 &&
	    (c->state != CONN_READ || (events & EPOLLIN) == 0)) {
		conn_close(c); /* gone: drop whatever it waited for */
		return;
	}
	if (c->state == CONN_READ && (events & EPOLLIN) != 0)
		conn_read(c);
	else if (c->state == CONN_WRITE && (events & EPOLLOUT) != 0)
		conn_send(c);
	else if (c->eof && (events & (EPOLLERR | EPOLLHUP)) != 0)
		conn_close(c);
}

void
conns_deadlines(struct conns *t)
{
	struct conn *c;
	size_t i;

	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		c = t->slots[i];
		if (c == NULL || c->state == CONN_BUSY ||
		    c->deadline_ms > t->now_ms)
			continue;
		if (c->state == CONN_READ && c->in_len > 0) {
			log_info("%s: request not finished in time",
			    c->session->actor);
			conn_refuse(c, "timeout");
		} else {
			conn_close(c);
		}
	}
}
