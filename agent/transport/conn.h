/* SPDX-License-Identifier: MIT */
/* The agent's client connections: frames in, replies out, deadlines. */
#ifndef CV_AGENT_TRANSPORT_CONN_H
#define CV_AGENT_TRANSPORT_CONN_H

#include <stdint.h>
#include <sys/types.h>

#include "agent/broker/broker.h"
#include "hooks/peer_ident.h"

/*
 * The connection table of one event loop.  Each connection is a
 * non-blocking socket registered with the loop's epoll instance under a
 * key (conns_key_is_conn()), with a broker session for its peer: the
 * table reads length-prefixed frames, hands each body to the broker and
 * writes the replies, and closes connections that break the framing, go
 * away or stay silent past their deadline.  Not thread-safe: the loop
 * owns it.
 *
 * Who gets a connection: at most capacity (conns_set_capacity()), of which
 * conns_reserved_slots() only the owner (the agent's uid) and root may
 * take; any other uid at most per_uid.  When a newcomer finds no room, an
 * idle connection (no request begun, nothing owed) of the uid holding the
 * most may be closed for it: always for the owner and root, for another
 * uid only from a uid that holds more than it would.  Otherwise it is
 * refused (the caller answers "busy").  Refusals and such closings are
 * logged once per episode: when the first happens, and when none has
 * for a while (conns_deadlines()).  A connection must send a whole
 * request within CV_AGENT_FIRST_REQUEST_MS (or finish the frame it began
 * within CV_AGENT_FRAME_TIMEOUT_MS); after its first request it may stay
 * idle CV_AGENT_IDLE_CONN_S.
 */
struct conns;

/* A table serving b, registering sockets with epfd (both borrowed), for
 * the agent's uid owner, with per_uid (0: CV_AGENT_CLIENTS_PER_UID)
 * connections for any other uid; capacity CV_AGENT_CLIENTS_MAX until
 * set.  Free with conns_free(), which closes every connection. */
int conns_new(struct broker *b, int epfd, uid_t owner, unsigned per_uid,
    struct conns **out) __attribute__((warn_unused_result));
void conns_free(struct conns **tp);

/* The loop's monotonic clock for this round of events. */
void conns_set_now(struct conns *t, int64_t now_ms);

/*
 * Take over the accepted socket fd of peer: a session, registration, and
 * the request it probably sent already.  CV_E_BUSY (no room for peer's
 * uid, see above; counted and logged here) or CV_E_NOMEM, with fd still
 * the caller's.
 */
int conns_add(struct conns *t, int fd, const struct peer_ident *peer)
    __attribute__((warn_unused_result));

/* Whether an epoll key names a connection (else it is the loop's). */
int conns_key_is_conn(uint64_t key);

/* Events epoll reported for key. */
void conns_event(struct conns *t, uint64_t key, uint32_t events);

/* Close what has outstayed its deadline: unfinished frames, unread
 * replies, idle connections; end a quiet episode of refusals (a log
 * line with the counts).  Once a second. */
void conns_deadlines(struct conns *t);

/* At most n connections from now on (1..CV_AGENT_CLIENTS_MAX); idle ones
 * beyond it are closed at once. */
void conns_set_capacity(struct conns *t, unsigned n);
unsigned conns_capacity(const struct conns *t);
unsigned conns_reserved_slots(const struct conns *t);
/* Live connections. */
unsigned conns_count(const struct conns *t);

/* Out of descriptors, for a newcomer of uid: close an idle connection
 * when uid is the owner's or root's (as above).  0, or CV_E_BUSY. */
int conns_make_room(struct conns *t, uid_t uid)
    __attribute__((warn_unused_result));

/* Whether a connection closed since the last call (a descriptor freed). */
int conns_take_freed(struct conns *t);

#endif
