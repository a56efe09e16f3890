/* SPDX-License-Identifier: MIT */
/* A vault command, through the vault's agent or on the files. */
#ifndef CV_CLI_ADMIN_H
#define CV_CLI_ADMIN_H

#include <jansson.h>

#include "cli/cli.h"

/*
 * Run the admin command cmd (agent/jobs/admin_ops.h) with args (taken
 * over; NULL for none) and give its result object in *res (the caller
 * json_decref()s it).  Where it runs:
 *
 *   1. --local: on the files (the caller must be able to unlock them);
 *   2. --socket PATH or $CREDVAULT_SOCKET: through that agent, which
 *      must be running;
 *   3. else through the agent at the default socket when it serves the
 *      vault this command names (--vault, $CREDVAULT_DIR, the default);
 *   4. else on the files.
 *
 * --verbose says which on stderr.  Through the agent, its admin stack
 * decides (hooks.d/admin); when a `passphrase` line asks, the passphrase
 * of the caller's keyslot is read as the global options say (or
 * prompted for) and sent once.  On failure the error is printed and its
 * exit code returned; 0 with *res on success.
 */
int cli_admin(struct cli *c, const char *cmd, json_t *args, json_t **res);

/* The same; with CLI_ADMIN_NO_UNLOCK, on the files it runs on the vault
 * opened but not unlocked (keyslot_list: labels and costs are not
 * secret). */
#define CLI_ADMIN_NO_UNLOCK 0x1u
int cli_admin_flags(struct cli *c, const char *cmd, json_t *args,
    unsigned flags, json_t **res);

/*
 * Several commands on one connection or one unlocked vault (a paged
 * list, a bulk import, audit --follow): begin decides where they run, as
 * above; each call takes args over; end closes.
 */
struct cli_admin;
int cli_admin_begin(struct cli *c, unsigned flags, struct cli_admin **out);
int cli_admin_call(struct cli_admin *s, const char *cmd, json_t *args,
    json_t **res);
void cli_admin_end(struct cli_admin **sp);
/* cmd once per page of its answer: page(res, arg) for each (non-zero
 * stops), args' "after" set to the page's "next" until there is none.
 * args stays the caller's. */
int cli_admin_pages(struct cli_admin *s, const char *cmd, json_t *args,
    int (*page)(const json_t *res, void *arg), void *arg);
/* 1 when s runs its commands through an agent. */
int cli_admin_is_agent(const struct cli_admin *s);

#endif
