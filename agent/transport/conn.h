/* SPDX-License-Identifier: MIT */
/* The agent's client connections: frames in, replies out, deadlines. */
#ifndef CV_AGENT_TRANSPORT_CONN_H
#define CV_AGENT_TRANSPORT_CONN_H

#include <stdint.h>

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
 */
struct conns;

/* A table serving b, registering sockets with epfd (both borrowed).
 * Free with conns_free(), which closes every connection. */
int conns_new(struct broker *b, int epfd, struct conns **out)
    __attribute__((warn_unused_result));
void conns_free(struct conns **tp);

/* The loop's monotonic clock for this round of events. */
void conns_set_now(struct conns *t, int64_t now_ms);

/*
 * Take over the accepted socket fd of peer: a session, registration, and
 * the request it probably sent already.  CV_E_BUSY (table or sessions
 * full) or CV_E_NOMEM, with fd still the caller's.
 */
int conns_add(struct conns *t, int fd, const struct peer_ident *peer)
    __attribute__((warn_unused_result));

/* Whether an epoll key names a connection (else it is the loop's). */
int conns_key_is_conn(uint64_t key);

/* Events epoll reported for key. */
void conns_event(struct conns *t, uint64_t key, uint32_t events);

/* Close what has outstayed its deadline: unfinished frames, unread
 * replies, idle connections. */
void conns_deadlines(struct conns *t);

#endif
