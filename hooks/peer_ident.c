/* SPDX-License-Identifier: MIT */
/* The peer identity: an empty one, and its audit actor text. */
#include "hooks/peer_ident.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

void
peer_ident_init(struct peer_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->uid = (uid_t)-1;
	id->gid = (gid_t)-1;
	id->pid = -1;
}

void
peer_ident_actor(const struct peer_ident *id, char *buf, size_t len)
{
	size_t max = len < CV_AUDIT_FIELD_MAX + 1 ? len : CV_AUDIT_FIELD_MAX + 1;
	int n;

	if (max == 0)
		return;
	n = snprintf(buf, max, "peer uid=%lu pid=%ld exe=%s",
	    (unsigned long)id->uid, (long)id->pid,
	    id->exe[0] != '\0' ? id->exe : "?");
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= max && max > 4)
		memcpy(buf + max - 4, "...", 4); /* truncated: say so */
}
