/* SPDX-License-Identifier: MIT */
/* Who is on the other end of an agent connection, from the kernel only. */
#ifndef CV_AGENT_TRANSPORT_PEERCRED_H
#define CV_AGENT_TRANSPORT_PEERCRED_H

#include <stddef.h>

#include "hooks/peer_ident.h"

/*
 * The only code that reads SO_PEERCRED, SO_PEERGROUPS, SO_PEERPIDFD and
 * /proc (STYLE.md).  Nothing a client says about itself is used.
 *
 * Fill *id (peer_ident_init() first) for the connected Unix socket fd:
 * uid, gid and pid from SO_PEERCRED as of connect(); the supplementary
 * groups from SO_PEERGROUPS (groups_truncated set when there are more
 * than CV_PEER_GROUPS_MAX or the kernel cannot say, so that a group= rule
 * fails rather than matches wrongly); exe from /proc/PID/exe.  exe is
 * only kept when the process is provably the one that connected: the
 * kernel's pidfd for the peer (SO_PEERPIDFD, Linux 6.5) still refers to a
 * live process after the link was read, else (older kernels) /proc/PID
 * still belongs to the peer's uid; otherwise it stays "" (unknown, and no
 * exe= rule matches).
 *
 * Fails closed: returns CV_E_DENIED, with why for the log, when there
 * are no credentials (no SO_PEERCRED, pid 0, or an unmapped uid or gid);
 * the caller then denies the connection.  Thread-safe.
 */
int peercred_identify(int fd, struct peer_ident *id, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Only the peer's uid (SO_PEERCRED, no descriptor needed: for deciding
 * who may have a connection when descriptors run out).  0, or
 * CV_E_DENIED with *uid (uid_t)-1. */
int peercred_uid(int fd, uid_t *uid) __attribute__((warn_unused_result));

#endif
