/* SPDX-License-Identifier: MIT */
/* Who is asking: the peer identity the agent establishes and hooks read. */
#ifndef CV_HOOKS_PEER_IDENT_H
#define CV_HOOKS_PEER_IDENT_H

#include <stddef.h>
#include <sys/types.h>

#include "base/limits.h"

/*
 * Who asked, as the agent established it from SO_PEERCRED, SO_PEERGROUPS
 * and /proc/PID/exe (agent/transport/peercred.c), never from what the client said.  The
 * struct is self-contained (no pointers); the agent fills it, hooks only
 * read it.  A peer with more than CV_PEER_GROUPS_MAX supplementary groups
 * keeps the first ones and groups_truncated is set: a group= rule can then
 * fail to match (deny), never match wrongly.  exe is "" when unknown, and
 * then no exe= rule matches.
 */
struct peer_ident {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	size_t ngroups;
	int groups_truncated;
	gid_t groups[CV_PEER_GROUPS_MAX];
	char exe[CV_PATH_MAX];
};

/* An identity that matches nothing: ids (uid_t)-1 etc., no groups, no exe. */
void peer_ident_init(struct peer_ident *id);

/*
 * The audit actor for id, "peer uid=N pid=N exe=PATH" (exe "?" when
 * unknown), truncated to fit len (at most CV_AUDIT_FIELD_MAX + 1 is used).
 */
void peer_ident_actor(const struct peer_ident *id, char *buf, size_t len);

#endif
