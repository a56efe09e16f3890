/* SPDX-License-Identifier: MIT */
/* Connections: reading frames, writing replies, closing on deadlines. */
#include "agent/transport/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/banned.h"

#define CONN_IN_MAX (WIRE_HEADER_BYTES + CV_REQUEST_MAX)
/* epoll keys: the connection's id and slot; the loop's own keys have a
 * zero id. */
#define CONN_SLOT_BITS 16
#define CONNS_QUIET_MS 2000 /* no refusal this long: the episode is over */

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
	unsigned char *in; /* CONN_IN_MAX bytes; wiped once read (an admin
	                      request may carry a secret or a passphrase) */
	size_t in_len;
	const unsigned char *reply; /* the broker's, while CONN_WRITE */
	size_t reply_len;
	size_t out_off;
	int close_after;     /* close once the reply is written */
	int eof;             /* the client shut down its side */
	int64_t deadline_ms; /* frame, write or idle deadline */
	uid_t uid;           /* the peer's, from the kernel */
	int requested;       /* a whole request came (else: first deadline) */
	int64_t idle_ms;     /* since when it waits for a request */
};

/* A uid that holds connections, and how many. */
struct conns_uid {
	uid_t uid;
	unsigned n;
};

struct conns {
	struct broker *b;
	int epfd;
	int64_t now_ms;
	uint64_t next_id;
	uid_t owner;         /* the agent's uid; it and root are privileged */
	unsigned per_uid;    /* connections of one other uid, at most */
	unsigned capacity;   /* connections at most */
	unsigned count;      /* live connections */
	unsigned privileged; /* ... of them, of the owner or root */
	int freed;           /* one closed since conns_take_freed() */
	/* An episode of refusals: when it began, the last one, counts. */
	int64_t shed_since_ms, shed_last_ms;
	unsigned long refused, refused_uid, evicted;
	size_t nuids;
	struct conns_uid uids[CV_AGENT_CLIENTS_MAX];
	struct conn *slots[CV_AGENT_CLIENTS_MAX];
};

int
conns_new(struct broker *b, int epfd, uid_t owner, unsigned per_uid,
    struct conns **out)
{
	struct conns *t;

	if ((*out = t = calloc(1, sizeof(*t))) == NULL)
		return CV_E_NOMEM;
	t->b = b;
	t->epfd = epfd;
	t->next_id = 1;
	t->owner = owner;
	t->per_uid = per_uid != 0 ? per_uid : CV_AGENT_CLIENTS_PER_UID;
	t->capacity = CV_AGENT_CLIENTS_MAX;
	return 0;
}

static int
conns_is_privileged(const struct conns *t, uid_t uid)
{
	return uid == t->owner || uid == 0;
}

/* Slots only the owner and root may take: an eighth, at least
 * CV_AGENT_OWNER_SLOTS_MIN, never all. */
static unsigned
conns_reserved(const struct conns *t)
{
	unsigned r = t->capacity / 8;

	if (r < CV_AGENT_OWNER_SLOTS_MIN)
		r = CV_AGENT_OWNER_SLOTS_MIN;
	return r < t->capacity ? r : t->capacity - 1;
}

static struct conns_uid *
conns_uid_find(struct conns *t, uid_t uid)
{
	size_t i;

	for (i = 0; i < t->nuids; i++)
		if (t->uids[i].uid == uid)
			return &t->uids[i];
	return NULL;
}

static unsigned
conns_uid_count(struct conns *t, uid_t uid)
{
	const struct conns_uid *u = conns_uid_find(t, uid);

	return u != NULL ? u->n : 0;
}

/* Count one more (d 1) or one less (d -1) connection of uid. */
static void
conns_uid_add(struct conns *t, uid_t uid, int d)
{
	struct conns_uid *u = conns_uid_find(t, uid);

	if (d > 0) {
		if (u == NULL) {
			u = &t->uids[t->nuids++]; /* nuids <= count */
			u->uid = uid;
			u->n = 0;
		}
		u->n++;
		t->count++;
		t->privileged += conns_is_privileged(t, uid) ? 1 : 0;
		return;
	}
	if (u == NULL || u->n == 0)
		abort(); /* a connection counted nowhere: a bug */
	t->count--;
	t->privileged -= conns_is_privileged(t, uid) ? 1 : 0;
	if (--u->n == 0)
		*u = t->uids[--t->nuids];
}

/* A refusal or an eviction, for a newcomer of uid: the first of an
 * episode is logged (once), the episode's end by conns_deadlines(). */
static void
conns_shed(struct conns *t, uid_t uid)
{
	if (t->shed_since_ms == 0) {
		t->shed_since_ms = t->now_ms != 0 ? t->now_ms : 1;
		if (!conns_is_privileged(t, uid) &&
		    conns_uid_count(t, uid) >= t->per_uid)
			log_warn("clients: uid %lu has %u connections, its cap "
			    "(--clients-per-uid); refusing more of them "
			    "(\"busy\")", (unsigned long)uid, t->per_uid);
		else
			log_warn("clients: %u of %u connections in use (at most "
			    "%u per uid, %u kept for uid %lu and root); "
			    "refusing new ones (\"busy\") and closing the "
			    "oldest idle ones to make room", t->count,
			    t->capacity, t->per_uid, conns_reserved(t),
			    (unsigned long)t->owner);
	}
	t->shed_last_ms = t->now_ms;
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
	conns_uid_add(t, c->uid, -1);
	t->freed = 1;
	secmem_wipe(c->in, CONN_IN_MAX);
	free(c->in);
	free(c);
}

/* Whether c only waits for a request (nothing begun, nothing owed). */
static int
conn_is_idle(const struct conn *c)
{
	return c->state == CONN_READ && c->in_len == 0;
}

/*
 * The connection to close to make room: an idle one of the uid that holds
 * the most (unprivileged: not the owner's or root's), and of that uid's,
 * one that never sent a request before one that did, the longest idle
 * first.  NULL when every connection is busy.
 */
static struct conn *
conns_victim(struct conns *t, int unprivileged)
{
	struct conn *c, *best = NULL;
	unsigned n, best_n = 0;
	size_t i;

	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		if ((c = t->slots[i]) == NULL || !conn_is_idle(c) ||
		    (unprivileged && conns_is_privileged(t, c->uid)))
			continue;
		n = conns_uid_count(t, c->uid);
		if (best != NULL && (n < best_n || (n == best_n &&
		    (c->requested > best->requested ||
		    (c->requested == best->requested &&
		    c->idle_ms >= best->idle_ms)))))
			continue;
		best = c;
		best_n = n;
	}
	return best;
}

/* Close v to make room (counted in the episode). */
static void
conns_evict(struct conns *t, struct conn *v, uid_t uid)
{
	conns_shed(t, uid);
	t->evicted++;
	conn_close(v);
}

/*
 * Room for one more connection of uid: 0 (an idle connection may have
 * been closed for it), or CV_E_BUSY.  The owner and root may use every
 * slot, and when all are taken, an idle connection of whoever holds the
 * most is closed for them.  Any other uid has at most per_uid
 * connections and no reserved slot; when its share is full it may only
 * displace an idle connection of a uid that holds more than it would.
 */
static int
conns_admit(struct conns *t, uid_t uid)
{
	struct conn *v;
	unsigned mine;

	if (conns_is_privileged(t, uid)) {
		if (t->count < t->capacity)
			return 0;
		v = conns_victim(t, 0);
	} else {
		mine = conns_uid_count(t, uid);
		if (mine >= t->per_uid) {
			conns_shed(t, uid);
			t->refused_uid++;
			return CV_E_BUSY;
		}
		if (t->count < t->capacity && t->count - t->privileged <
		    t->capacity - conns_reserved(t))
			return 0;
		v = conns_victim(t, 1);
		if (v != NULL && v->uid != uid &&
		    conns_uid_count(t, v->uid) <= mine + 1)
			v = NULL;
	}
	if (v == NULL) {
		conns_shed(t, uid);
		t->refused++;
		return CV_E_BUSY;
	}
	conns_evict(t, v, uid);
	return 0;
}

int
conns_make_room(struct conns *t, uid_t uid)
{
	struct conn *v;

	if (!conns_is_privileged(t, uid) || (v = conns_victim(t, 0)) == NULL)
		return CV_E_BUSY;
	conns_evict(t, v, uid);
	return 0;
}

void
conns_set_capacity(struct conns *t, unsigned n)
{
	struct conn *v;

	if (n > CV_AGENT_CLIENTS_MAX)
		n = CV_AGENT_CLIENTS_MAX;
	t->capacity = n > 0 ? n : 1;
	/* Fewer descriptors than connections: the idle ones go. */
	while (t->count > t->capacity && (v = conns_victim(t, 0)) != NULL)
		conns_evict(t, v, t->owner);
}

unsigned
conns_capacity(const struct conns *t)
{
	return t->capacity;
}

unsigned
conns_reserved_slots(const struct conns *t)
{
	return conns_reserved(t);
}

int
conns_take_freed(struct conns *t)
{
	int r = t->freed;

	t->freed = 0;
	return r;
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
	c->idle_ms = t->now_ms;
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
		c->requested = 1;
		r = broker_handle(t->b, c->session, c->in + WIRE_HEADER_BYTES,
		    len, &c->reply, &c->reply_len);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		secmem_wipe(c->in + c->in_len, used);
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

	if ((r = conns_admit(t, peer->uid)) != 0)
		return r;
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
	c->uid = peer->uid;
	c->idle_ms = t->now_ms;
	t->slots[c->slot] = c;
	conns_uid_add(t, c->uid, 1);
	/* Seconds, not minutes, to say what it wants (then a begun frame
	 * has CV_AGENT_FRAME_TIMEOUT_MS, a client that asked before
	 * CV_AGENT_IDLE_CONN_S). */
	c->deadline_ms = t->now_ms + CV_AGENT_FIRST_REQUEST_MS;
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
	char first[CV_AUDIT_FIELD_MAX + 1] = "";
	struct conn *c;
	unsigned late = 0;
	size_t i;

	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++) {
		c = t->slots[i];
		if (c == NULL || c->state == CONN_BUSY ||
		    c->deadline_ms > t->now_ms)
			continue;
		if (c->state == CONN_READ && c->in_len > 0) {
			if (late++ == 0)
				(void)snprintf(first, sizeof(first), "%s",
				    c->session->actor);
			conn_refuse(c, "timeout");
		} else {
			conn_close(c);
		}
	}
	/* One line per tick, however many: a flood of half frames does not
	 * flood the log. */
	if (late == 1)
		log_info("%s: request not finished in time", first);
	else if (late > 1)
		log_info("%u connections: request not finished in time (the "
		    "first from %s)", late, first);
	if (t->shed_since_ms != 0 &&
	    t->now_ms - t->shed_last_ms >= CONNS_QUIET_MS) {
		log_info("clients: room again after %lld s; %lu connections "
		    "refused (%lu over the per-uid cap), %lu idle ones closed "
		    "to make room", (long long)(t->shed_last_ms -
		    t->shed_since_ms) / 1000 + 1, t->refused + t->refused_uid,
		    t->refused_uid, t->evicted);
		t->shed_since_ms = t->shed_last_ms = 0;
		t->refused = t->refused_uid = t->evicted = 0;
	}
}

unsigned
conns_count(const struct conns *t)
{
	return t->count;
}
