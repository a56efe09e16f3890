/* SPDX-License-Identifier: MIT */
/* The agent rotates a record by itself where its policy allows it. */
#ifndef CV_AGENT_JOBS_AUTOROTATE_H
#define CV_AGENT_JOBS_AUTOROTATE_H

#include <stdint.h>

#include "agent/jobs/guard.h"
#include "hooks/peer_ident.h"
#include "hooks/policy.h"

/*
 * Worker thread.  After the provider rejected generation gen of record
 * name with invalid_client (or when that generation is older than the
 * record's max age, with due set), rotate the record if its policy allows
 * that, then mint for scope and peer with the new secret.  On success *out
 * is replaced by the new mint's outcome and 1 is returned (the caller
 * forgets what it knew of the record); else *out is left as it was and 0
 * returned.  Rotations run on a clone of the agent's vault (guard.h); one
 * that another process already did counts as done.
 */
int autorotate(struct guard *g, struct policy *p, const char *name,
    uint32_t gen, int due, const char *scope, const struct peer_ident *peer,
    struct policy_outcome *out);

#endif
