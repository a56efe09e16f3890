/* SPDX-License-Identifier: MIT */
/* The admin operations: one function per operation, JSON in, JSON out. */
#ifndef CV_AGENT_JOBS_ADMIN_OPS_H
#define CV_AGENT_JOBS_ADMIN_OPS_H

#include <stddef.h>

#include <jansson.h>

#include "agent/jobs/admin_answer.h"
#include "vault/vault.h"

/*
 * Every command that reads or changes a vault is one operation here, run
 * against an open, unlocked vault: by the agent for a member who asked
 * over its socket (after the admin stack allowed it, on a worker's clone
 * of its vault), and by the CLI itself when the caller owns the files.
 * One implementation, so both give the same answers.
 *
 * An operation takes its arguments as a JSON object (docs/protocol.md,
 * "admin"): every member is checked here (types, sizes, syntax), unknown
 * members are refused.  It answers with a JSON object of results, or an
 * error: a CV_E_* code and a detail that says what failed and what to do
 * next (never a secret).  A result may carry secrets (reveal) and
 * arguments may (add): jansson must use the wiping allocator
 * (base/wipealloc.h).  The audit actor is the vault's (vault_set_actor()).
 */

/* Records in one import (one transaction). */
#define ADMIN_IMPORT_MAX 100000

/*
 * The operation named cmd: its name for the admin stack
 * (proto_admin_op_parse(); NULL for "vault", which anyone who can connect
 * may ask), and the record it is on (args' "name", checked; "" for an
 * operation on no one record) into record (CV_NAME_MAX + 1 bytes).
 * CV_E_NOTFOUND for no such command, CV_E_INVALID for a bad name.
 */
int admin_ops_lookup(const char *cmd, const json_t *args, const char **op,
    char *record, size_t recordlen) __attribute__((warn_unused_result));

/*
 * Run cmd with args (NULL: none) against v (flags: ADMIN_OPS_*).  a is
 * cleared on entry; on return a->err says how it went and a->result
 * (success) is the caller's to json_decref().  An operation that read everything it could but met
 * damage (list, check) succeeds with a "problems" array in its result.
 */
/* flags: ADMIN_OPS_REMOTE (admin_answer.h). */
void admin_ops_run(struct vault *v, const char *cmd, const json_t *args,
    unsigned flags, struct admin_answer *a);

/* admin_ops_run() is admin_ops_run_env() with no env (admin_answer.h):
 * the CLI on the files, with a policy of its own. */
void admin_ops_run_env(struct vault *v, const char *cmd, const json_t *args,
    unsigned flags, const struct admin_ops_env *env, struct admin_answer *a);

/* Release what a holds. */
void admin_answer_clear(struct admin_answer *a);

/*
 * Whether url (the value of option opt, e.g. "--auth-url") is one a record
 * may hold: an absolute https URL with a host (http only to a loopback
 * host), no user name or password in it.  0, or CV_E_INVALID with the
 * reason and what to type in why.
 */
int admin_url_check(const char *opt, const char *url, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* A record as JSON, never a secret (show, and --json of the CLI). */
json_t *admin_record_json(const struct record *r);

#endif
