/* SPDX-License-Identifier: MIT */
/* Internals shared by server.c, loop.c and token.c; not an API. */
#ifndef CV_AGENT_SERVER_IMPL_H
#define CV_AGENT_SERVER_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "agent/broker/audit_queue.h"
#include "agent/broker/cache.h"
#include "hooks/policy.h"
#include "agent/jobs/pool.h"
#include "agent/broker/known.h"
#include "agent/broker/server.h"
#include "client/wire.h"

#define SERVER_SPARE_MAX 64  /* reply buffers kept for new connections */
#define SERVER_TICK_MS 1000  /* deadlines, sweeps and the idle lifetime */
#define SERVER_IN_MAX (WIRE_HEADER_BYTES + CV_REQUEST_MAX)
#define SERVER_OUT_MAX (WIRE_HEADER_BYTES + WIRE_REPLY_MAX)
#define SERVER_MEMO_MAX 512  /* requests up to this size are remembered */

enum conn_state {
	CONN_READ = 0, /* reading a request */
	CONN_BUSY,     /* a hook job or a flight will answer */
	CONN_WRITE,    /* a reply is being written */
};

/*
 * One client connection.  Owned by the server's slot table; freed by
 * conn_close() (loop.c) or server_conn_free().  While CONN_BUSY it owns a
 * reference to flight (if set) and waits for a job numbered wait_seq (if
 * not 0).
 */
struct server_conn {
	int fd;        /* -1: not a socket */
	unsigned slot; /* index in server.conns */
	uint64_t id;   /* unique, never reused */
	enum conn_state state;
	unsigned events;   /* registered with epoll */
	struct peer_ident peer;
	char actor[CV_AUDIT_FIELD_MAX + 1];
	unsigned char *in; /* SERVER_IN_MAX bytes; requests carry no secrets */
	size_t in_len;
	struct secbuf *out; /* the reply frame; SERVER_OUT_MAX */
	size_t out_off;
	int close_after;       /* close once the reply is written */
	int eof;               /* the client shut down its side */
	int64_t deadline_ms;   /* frame, write or idle deadline */
	/* The request being answered. */
	struct wire_request req;
	char req_scope[CV_SCOPE_MAX + 1]; /* normalised, as asked */
	char scope[CV_SCOPE_MAX + 1];     /* effective: req_scope or the record's */
	struct cache_flight *flight;
	uint64_t wait_seq;
	/*
	 * A client that asks the same thing again on its connection (a
	 * long-lived library user) is answered without decoding the same
	 * bytes or encoding the same reply again, and, within
	 * CV_AGENT_RECORD_TTL_MS and the same policy epoch, without running
	 * a peer-only authorize stack again (an allow only; executables
	 * always run).  req, req_scope stay from the request memo_req holds.
	 */
	size_t memo_len; /* 0: nothing remembered */
	unsigned char memo_req[SERVER_MEMO_MAX];
	int memo_authorized;
	uint64_t memo_epoch;
	int64_t memo_at_ms;
	int memo_reply;  /* c->out still holds the reply for: */
	uint64_t memo_serial;
	uint32_t memo_expires_in;
	int64_t memo_expires_at;
};

struct token_job;

struct server {
	struct vault *v;     /* NULL once freed; locked when s->locked */
	pthread_mutex_t vmu; /* every vault call holds it */
	int locked;
	uid_t uid;           /* the agent's uid */
	struct server_opts opts;
	struct cache *cache;
	struct policy *policy;
	struct pool *pool;
	struct auditq *audit;
	struct secbuf *scratch; /* loop thread: a token copy */
	struct secbuf *plain;   /* loop thread: a decrypted record */
	struct records *records; /* loop thread: generations and scopes */

	int epfd, lfd, evfd, sigfd, tickfd;
	struct server_conn *conns[CV_AGENT_CLIENTS_MAX];
	unsigned free_slots[CV_AGENT_CLIENTS_MAX];
	size_t nfree;
	uint64_t next_id;
	uint64_t next_seq;
	struct secbuf *spare[SERVER_SPARE_MAX];
	size_t nspare;
	int64_t now_ms;       /* monotonic, per loop iteration */
	int64_t now_s;        /* wall clock, per loop iteration and dispatch */
	int64_t last_request_ms;
	int stopping;

	pthread_mutex_t cmu;        /* guards done */
	struct token_job *done;     /* finished jobs for the loop */
};

/* Monotonic milliseconds. */
int64_t server_now_ms(void);

/* The reply frames (into c->out); they never fail: an encoding problem
 * becomes a "failed internal" reply. */
void server_reply(struct server_conn *c, enum wire_status st,
    const char *cls);
/* now_s: the wall clock (s->now_s) for expires_at; the same value for a
 * memo check and the reply that follows it. */
void server_reply_token(struct server_conn *c, const struct cache_token *t,
    int64_t now_s);
/* Whether c->out already holds the reply server_reply_token() would make
 * for t at now_s (then t's bytes are not needed). */
int server_reply_is_memo(const struct server_conn *c,
    const struct cache_token *t, int64_t now_s);

/* Wipe the reply c keeps for its memo (a lock, a new request). */
void server_conn_forget_reply(struct server_conn *c);

/* Queue an audit entry for c's peer; non-zero when it cannot be queued
 * (then do not issue). */
int server_audit(struct server *s, struct server_conn *c,
    const char *action, const char *record, const char *result)
    __attribute__((warn_unused_result));

/* Lock: audit, commit, wipe keys and tokens, answer waiting clients. */
void server_lock(struct server *s, const char *why);

/* loop.c: write what c->out holds (or start to), then answer requests
 * that came meanwhile; c may be closed on return. */
void conn_send(struct server *s, struct server_conn *c);

/* token.c */
int token_op(struct server *s, struct server_conn *c,
    const struct wire_request *req);
/* Handle the jobs workers finished (the loop, on its eventfd). */
void token_drain(struct server *s);
/* Answer a waiting connection "locked" and release what it waits for. */
void token_conn_abandon(struct server *s, struct server_conn *c);

#endif
