/* SPDX-License-Identifier: MIT */
/* libcredvault-client: ask a credvault agent for short-lived tokens. */
#ifndef CREDVAULT_H
#define CREDVAULT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(CREDVAULT_BUILDING)
#define CREDVAULT_API __attribute__((visibility("default")))
#else
#define CREDVAULT_API
#endif

/*
 * A process asks the agent (credvault agent, docs/agent.md) for a token
 * for a record; the agent decides from the kernel's view of the process
 * (uid, groups, executable) whether it may have one, and never hands out
 * the secret itself.  The wire protocol is in docs/protocol.md.
 *
 *     struct credvault_token *t = NULL;
 *     int r = credvault_fetch_token(NULL, "shop", NULL, 0, &t, NULL, 0);
 *     if (r == CREDVAULT_OK)
 *             use(credvault_token_value(t));
 *     credvault_token_free(&t);
 *
 * Tokens are kept in locked memory (libsodium) and wiped when freed.  The
 * library parses replies with jansson; if the program has not installed
 * jansson allocators of its own, it installs a free() that wipes each
 * block first (so that jansson's copies of tokens are wiped too); call
 * credvault_init() before starting threads that use jansson.
 *
 * Every function returns CREDVAULT_OK (0) or a negative status.  A
 * connection must not be used by two threads at once; distinct
 * connections are independent.
 */
enum credvault_status {
	CREDVAULT_OK = 0,
	CREDVAULT_DENIED = -1,   /* the agent's policy refused this process */
	CREDVAULT_LOCKED = -2,   /* the agent is locked (restart it) */
	CREDVAULT_FAILED = -3,   /* no token: credvault_error() has the class */
	CREDVAULT_NO_AGENT = -4, /* nothing serves the socket */
	CREDVAULT_PROTOCOL = -5, /* a malformed, oversized or cut-off reply */
	CREDVAULT_TIMEOUT = -6,  /* no reply in time */
	CREDVAULT_INVALID = -7,  /* a bad argument */
	CREDVAULT_NOMEM = -8,
	CREDVAULT_IO = -9,       /* a socket error (errno says which) */
	CREDVAULT_NO_ACCESS = -10, /* the socket's permissions keep us out */
	CREDVAULT_BUSY = -11,    /* the agent takes no more clients now: its
	                            backlog stayed full, or it closed the
	                            connection unanswered; try again later */
};

/* Longest failure class, without its NUL. */
#define CREDVAULT_ERROR_MAX 64

struct credvault_conn;
struct credvault_token;

/* Idempotent, thread-safe set-up (also done by the first connect). */
CREDVAULT_API int credvault_init(void);

/*
 * The agent's socket: $CREDVAULT_SOCKET, else
 * $XDG_RUNTIME_DIR/credvault.sock.  CREDVAULT_INVALID when neither is
 * set (or the path does not fit in len bytes).
 */
CREDVAULT_API int credvault_socket_path(char *buf, size_t len);

/*
 * Connect to the agent at path (NULL: credvault_socket_path()).
 * CREDVAULT_NO_AGENT when there is no socket (path NULL and neither
 * CREDVAULT_SOCKET nor XDG_RUNTIME_DIR set) or nobody listens on it;
 * CREDVAULT_BUSY when its backlog stays full for 3 s
 * (CV_CLIENT_CONNECT_TIMEOUT_MS).  Free *out with credvault_close().
 *
 * The agent closes connections that send nothing for 5 s, that stay idle
 * 300 s after a request, or (idle ones) to make room for other clients:
 * a request on a connection the agent closed unanswered is sent again
 * once on a new connection to the same path (requests are safe to
 * repeat); closed unanswered again, it returns CREDVAULT_BUSY.
 */
CREDVAULT_API int credvault_connect(const char *path,
    struct credvault_conn **out);

/* Close; accepts NULL and sets *c to NULL. */
CREDVAULT_API void credvault_close(struct credvault_conn **c);

/* How long to wait for each reply (default 120000 ms; minting may run
 * hooks that take seconds). */
CREDVAULT_API void credvault_set_timeout(struct credvault_conn *c,
    unsigned ms);

/*
 * A token for record name: scope is NULL for the record's scopes, or a
 * space-separated subset of them; min_ttl (seconds) asks for a token
 * that stays valid at least that long (0: the agent's default margin).
 * On CREDVAULT_OK *out is a new token for credvault_token_free().  After
 * CREDVAULT_FAILED, credvault_error() names the class, e.g.
 * "invalid_client".  The connection can be used again after any status
 * but CREDVAULT_PROTOCOL, CREDVAULT_TIMEOUT and CREDVAULT_IO.
 */
CREDVAULT_API int credvault_get_token(struct credvault_conn *c,
    const char *name, const char *scope, unsigned min_ttl,
    struct credvault_token **out);

/* Ask the agent to lock (wipe its keys and tokens): its own user only. */
CREDVAULT_API int credvault_lock(struct credvault_conn *c);

/*
 * One raw exchange, for requests this library has no function for (the
 * admin operations of docs/protocol.md): request is a whole request body
 * (one JSON object, at most 16384 bytes), and on CREDVAULT_OK *reply is
 * the reply body (*replylen bytes, at most 4 MiB, not decoded: check it
 * as docs/protocol.md says), to be freed with credvault_reply_free(),
 * which wipes it (replies may carry secrets).  Unlike the token
 * functions, a request is not sent again when the agent closed the
 * connection first (it may not be safe to repeat): CREDVAULT_BUSY.
 */
CREDVAULT_API int credvault_call(struct credvault_conn *c,
    const void *request, size_t len, void **reply, size_t *replylen);
CREDVAULT_API void credvault_reply_free(void *reply, size_t len);

/* The failure class of the last CREDVAULT_FAILED reply, else "". */
CREDVAULT_API const char *credvault_error(const struct credvault_conn *c);

/*
 * Connect, get one token, close.  path may be NULL.  error (may be NULL)
 * receives the failure class after CREDVAULT_FAILED.
 */
CREDVAULT_API int credvault_fetch_token(const char *path, const char *name,
    const char *scope, unsigned min_ttl, struct credvault_token **out,
    char *error, size_t errorlen);

/* The token's fields; valid until credvault_token_free(). */
CREDVAULT_API const char *credvault_token_value(
    const struct credvault_token *t);
CREDVAULT_API size_t credvault_token_length(const struct credvault_token *t);
CREDVAULT_API const char *credvault_token_type(const struct credvault_token *t);
CREDVAULT_API const char *credvault_token_scope(
    const struct credvault_token *t);
/* Seconds left when the agent answered, and the Unix time it expires. */
CREDVAULT_API unsigned credvault_token_expires_in(
    const struct credvault_token *t);
CREDVAULT_API long long credvault_token_expires_at(
    const struct credvault_token *t);

/* Wipe and free; accepts NULL and sets *t to NULL. */
CREDVAULT_API void credvault_token_free(struct credvault_token **t);

/* A short lowercase phrase for a status. */
CREDVAULT_API const char *credvault_strerror(int status);

/* A short lowercase phrase for a failure class, e.g. "upstream rejected
 * the client secret" for "invalid_client". */
CREDVAULT_API const char *credvault_describe(const char *cls);

#ifdef __cplusplus
}
#endif

#endif
