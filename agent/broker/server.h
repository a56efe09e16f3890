/* SPDX-License-Identifier: MIT */
/* The token agent's server: socket loop, dispatch table, lock and reload. */
#ifndef CV_AGENT_SERVER_H
#define CV_AGENT_SERVER_H

#include <stddef.h>

#include "hooks/peer_rule.h"
#include "vault/vault.h"

struct server;
struct server_conn;

struct server_opts {
	unsigned lifetime_s;      /* lock after this long without a request; 0: never */
	const char *default_mint; /* NULL: CV_HOOKDIR "/oauth2-mint" */
	unsigned hook_timeout_ms; /* 0: CV_HOOK_TIMEOUT_MS */
	unsigned hook_threads;    /* 0: CV_HOOKS_CONCURRENT_MAX */
};

/*
 * A server for the unlocked vault v, which it takes over whatever happens
 * (v NULL: a server
 * that is locked from the start, which only fuzzers want).  It starts the
 * hook workers and the audit thread; the caller must have blocked SIGTERM,
 * SIGINT and SIGHUP in every thread (server_block_signals()) first.  The
 * vault's actor becomes "agent".  Free with server_free().
 */
int server_new(struct vault *v, const struct server_opts *o,
    struct server **out) __attribute__((warn_unused_result));

/* Block the signals the loop takes through a signalfd, in this thread
 * and the threads it creates later; call before creating any thread. */
int server_block_signals(void) __attribute__((warn_unused_result));

/*
 * Serve on the listening socket lfd (non-blocking, close-on-exec; still
 * the caller's) until SIGTERM or SIGINT: then lock (commit the audit
 * queue, wipe keys and tokens), answer waiting clients "locked" and
 * return 0.  SIGHUP reloads stack files.  An error setting up the loop
 * returns a CV_E_* code.
 */
int server_run(struct server *s, int lfd) __attribute__((warn_unused_result));

/* Lock (if not yet), stop the workers, commit the audit queue, free.
 * Accepts NULL; sets *sp to NULL. */
void server_free(struct server **sp);

/*
 * The dispatcher, for the event loop and for fuzzers: a connection that
 * is not a socket (fd -1) from peer, and one request body at a time.
 * server_dispatch() answers (0: the reply frame is at *reply, *len bytes,
 * valid until the next call on c) or defers (1: the loop answers later;
 * never for a locked server).  Any input gets an answer, never a crash.
 */
int server_conn_new(struct server *s, int fd, const struct peer_ident *peer,
    struct server_conn **out) __attribute__((warn_unused_result));
void server_conn_free(struct server *s, struct server_conn **cp);
int server_dispatch(struct server *s, struct server_conn *c,
    const unsigned char *body, size_t len, const unsigned char **reply,
    size_t *replylen);

#endif
