/* SPDX-License-Identifier: MIT */
/* What an admin operation answers, how it fails, and where it runs. */
#ifndef CV_AGENT_JOBS_ADMIN_ANSWER_H
#define CV_AGENT_JOBS_ADMIN_ANSWER_H

#include <jansson.h>

#define ADMIN_DETAIL_MAX 512

struct admin_answer {
	json_t *result;                 /* owned; on success */
	int err;                        /* 0 or CV_E_* */
	char detail[ADMIN_DETAIL_MAX];  /* on failure */
};

/* a fails with err (CV_E_*); the detail is the whole message. */
void admin_fail(struct admin_answer *a, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ADMIN_OPS_REMOTE 0x1u /* for a member, by the agent: backup only
                                names a file in the vault's backups/ */

/*
 * Where an operation runs, for those that need more than the vault
 * (explain): the agent's policy (its stack files as loaded, its own uid
 * for "no stack, no rule"), and whether the peer asking is the agent's
 * own user or root.  Borrowed.
 */
struct policy; /* hooks/policy.h */
struct admin_ops_env {
	struct policy *policy; /* NULL: make one for the vault's directory */
	int owner;             /* the peer is the agent's own user or root */
};

#endif
