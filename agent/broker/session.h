/* SPDX-License-Identifier: MIT */
/* One client's conversation with the broker: its request and its reply. */
#ifndef CV_AGENT_BROKER_SESSION_H
#define CV_AGENT_BROKER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agent/broker/cache.h"
#include "client/wire.h"
#include "crypto/secmem.h"
#include "hooks/peer_ident.h"
#include "base/limits.h"
#include "base/log.h"

#define SESSION_OUT_MAX (WIRE_HEADER_BYTES + WIRE_REPLY_MAX)
#define SESSION_MEMO_MAX 512 /* requests up to this size are remembered */

/*
 * How a reply that was not ready at once reaches whoever carries the
 * bytes (the transport): reply[0..len) is a whole frame, valid until the
 * next call on the session.
 */
typedef void (*session_reply_fn)(void *arg, const unsigned char *reply,
    size_t len);

/*
 * A session belongs to the table that made it and lives until
 * session_free().  It owns its reply buffer (locked memory: token replies)
 * and, while busy, a reference to the flight it waits for (the token
 * service releases it) or the number of the authorize job it waits for.
 */
struct session {
	unsigned slot; /* index in the table */
	uint64_t id;   /* unique, never reused */
	struct peer_ident peer;
	char actor[CV_AUDIT_FIELD_MAX + 1];
	session_reply_fn reply_fn; /* NULL: nobody to tell (fuzzers) */
	void *reply_arg;
	int busy;    /* a deferred reply will come */
	int sending; /* the reply in out is being carried */
	struct secbuf *out; /* the reply frame, SESSION_OUT_MAX */
	struct secbuf *big; /* an admin reply frame (CV_ADMIN_REPLY_MAX), while
	                       it is being carried; else NULL */
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
	unsigned char memo_req[SESSION_MEMO_MAX];
	int memo_authorized;
	uint64_t memo_epoch;
	int64_t memo_at_ms;
	int memo_reply; /* out still holds the reply for: */
	uint64_t memo_serial;
	uint32_t memo_expires_in;
	int64_t memo_expires_at;
};

/* At most CV_AGENT_CLIENTS_MAX sessions; reply buffers are reused. */
struct sessions;

int sessions_new(struct sessions **out) __attribute__((warn_unused_result));
/* Every session must have been freed.  Accepts NULL; sets *tp to NULL. */
void sessions_free(struct sessions **tp);

/* A new session for peer; CV_E_BUSY when the table is full. */
int session_new(struct sessions *t, const struct peer_ident *peer,
    session_reply_fn fn, void *arg, struct session **out)
    __attribute__((warn_unused_result));
/* The flight must have been released.  Accepts NULL; sets *sp to NULL. */
void session_free(struct sessions *t, struct session **sp);

/* The session in slot i (< CV_AGENT_CLIENTS_MAX), or NULL. */
struct session *sessions_at(struct sessions *t, size_t i);

/*
 * Decode and check a request body into s->req, unless it is the very
 * request decoded last time on s (then s->req and s->req_scope still hold
 * it).  CV_E_* as wire_request_decode(), CV_E_PROTO for a bad record
 * name, scope_normalize()'s codes for a bad scope; why for the log.
 */
int session_decode(struct session *s, const unsigned char *body,
    size_t len, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* The reply frames (into s->out); they never fail: an encoding problem
 * becomes a "failed internal" reply. */
void session_reply(struct session *s, enum wire_status st, const char *cls);
/* now_s: the wall clock for expires_at; the same value for a memo check
 * and the reply that follows it. */
void session_reply_token(struct session *s, const struct cache_token *t,
    int64_t now_s);
/* Whether s->out already holds the reply session_reply_token() would
 * make for t at now_s (then t's bytes are not needed). */
int session_reply_is_memo(const struct session *s,
    const struct cache_token *t, int64_t now_s);

/*
 * An admin reply: the object reply (docs/protocol.md) as a frame in a
 * locked buffer of its own (it may carry a secret), or "failed too_large"
 * when it does not fit CV_ADMIN_REPLY_MAX.  Never fails.
 */
void session_reply_json(struct session *s, const json_t *reply);

/* Wipe the reply s keeps for its memo, unless it is being carried. */
void session_forget_reply(struct session *s);

/* The reply was carried: wipe it, unless the memo keeps it. */
void session_sent(struct session *s);

/* A deferred reply is in s->out: no longer busy; hand it over. */
void session_complete(struct session *s);

/*
 * The journal's fields for a line about s: CREDVAULT_EVENT (event),
 * CREDVAULT_RECORD (record, unless NULL or ""), CREDVAULT_PEER_UID,
 * _GID, _PID and _EXE (when known).  The fields point into *out and
 * s, valid while both are.
 */
struct session_fields {
	struct log_field f[LOG_FIELDS_MAX];
	size_t n;
	char uid[24], gid[24], pid[24];
};
void session_fields(const struct session *s, const char *event,
    const char *record, struct session_fields *out);

/* log_put_fields() at prio about session s (the message names the
 * record and the peer too: other destinations have no fields). */
#define session_log(prio, s, event, record, ...) do { \
	struct session_fields sf_; \
	session_fields((s), (event), (record), &sf_); \
	log_put_fields((prio), __func__, sf_.f, sf_.n, __VA_ARGS__); \
} while (0)

#endif
