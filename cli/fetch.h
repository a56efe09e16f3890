/* SPDX-License-Identifier: MIT */
/* The agent's socket and a token from it, for the client commands. */
#ifndef CV_CLI_FETCH_H
#define CV_CLI_FETCH_H

#include <stddef.h>

#include "client/credvault.h"
#include "cli/cli.h"

/* *path (from --socket) or else the default (into def, len bytes):
 * $CREDVAULT_SOCKET, then $XDG_RUNTIME_DIR/credvault.sock.  0, or an exit
 * code after a message. */
int cli_agent_socket(const struct cli *c, const char **path, char *def,
    size_t len);

/* A token for name from the agent at path; 0 with *t (the caller frees it
 * with credvault_token_free()), or an exit code after a message. */
int cli_fetch_token(const struct cli *c, const char *path, const char *name,
    const char *scope, unsigned long min_ttl, struct credvault_token **t);

#endif
