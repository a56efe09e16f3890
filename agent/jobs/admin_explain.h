/* SPDX-License-Identifier: MIT */
/* The explain operation: would a peer get a token, and which line decides. */
#ifndef CV_AGENT_JOBS_ADMIN_EXPLAIN_H
#define CV_AGENT_JOBS_ADMIN_EXPLAIN_H

#include <jansson.h>

#include "agent/jobs/admin_answer.h"
#include "vault/vault.h"

/*
 * The "explain" operation (admin_ops.h): for a peer described by args
 * (uid, gid, groups, exe; as the kernel would report them), record
 * "name" and "scope", the answer a token request would get, taken the
 * way the agent takes it: the record and its scopes (a request beyond
 * them is denied), then the authorize stack with policy_explain(), then
 * "no such record" or "no active secret" for an allowed peer.  Nothing is
 * minted or audited.  Executables of the authorize phase run only with
 * "run_hooks" and, through the agent, only for its own user or root.
 */
void admin_explain(struct vault *v, const json_t *args,
    const struct admin_ops_env *env, unsigned flags, struct admin_answer *a);

#endif
