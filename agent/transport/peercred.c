/* SPDX-License-Identifier: MIT */
/* Peer identity: SO_PEERCRED, SO_PEERGROUPS, SO_PEERPIDFD and /proc/PID/exe. */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include "agent/transport/peercred.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

/* Linux 6.5; older libc headers lack it. */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define PEER_NGROUPS_KERNEL_MAX 65536 /* NGROUPS_MAX on Linux */

/* Supplementary groups; on any doubt the list is marked truncated. */
static void
peer_groups(int fd, struct peer_ident *id)
{
	gid_t *all = NULL;
	socklen_t len = (socklen_t)sizeof(id->groups);
	size_t n;

	id->ngroups = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, id->groups, &len) == 0) {
		id->ngroups = len / sizeof(gid_t);
		return;
	}
	id->groups_truncated = 1;
	/* ERANGE: len is the size needed; keep the first groups. */
	if (errno != ERANGE || len / sizeof(gid_t) > PEER_NGROUPS_KERNEL_MAX ||
	    (all = malloc(len)) == NULL)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &len) == 0) {
		n = len / sizeof(gid_t);
		if (n > CV_PEER_GROUPS_MAX)
			n = CV_PEER_GROUPS_MAX;
		memcpy(id->groups, all, n * sizeof(gid_t));
		id->ngroups = n;
	}
	free(all);
}

/*
 * The peer's pidfd (SO_PEERPIDFD): it names the process that connected,
 * not a pid number, so it tells whether that very process still runs.
 * -1 on kernels without it.
 */
static int
peer_pidfd(int fd)
{
	socklen_t len = (socklen_t)sizeof(int);
	int pidfd = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0 ||
	    len != (socklen_t)sizeof(int))
		return -1;
	return pidfd;
}

/*
 * Whether the process that connected still is the one at id->pid, asked
 * after /proc/PID/exe was read: while it lives its pid cannot be reused,
 * so the link belonged to it.
 */
static int
peer_is_same_process(int pidfd, const struct peer_ident *id)
{
	char proc[64];
	struct stat st;

	if (pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
	/* Older kernels: accept the link only while /proc/PID still
	 * belongs to the peer's uid (a narrower race, not none). */
	(void)snprintf(proc, sizeof(proc), "/proc/%ld", (long)id->pid);
	return stat(proc, &st) == 0 && st.st_uid == id->uid;
}

int
peercred_uid(int fd, uid_t *uid)
{
	struct ucred uc;
	socklen_t len = (socklen_t)sizeof(uc);

	*uid = (uid_t)-1;
	memset(&uc, 0, sizeof(uc));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
	    len != (socklen_t)sizeof(uc) || uc.pid <= 0 ||
	    uc.uid == (uid_t)-1)
		return CV_E_DENIED;
	*uid = uc.uid;
	return 0;
}

int
peercred_identify(int fd, struct peer_ident *id, char *why, size_t whylen)
{
	struct ucred uc;
	socklen_t len = (socklen_t)sizeof(uc);
	char link[64];
	ssize_t n;
	int pidfd;

	peer_ident_init(id);
	cv_why(why, whylen, "%s", "");
	memset(&uc, 0, sizeof(uc));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0 ||
	    len != (socklen_t)sizeof(uc)) {
		cv_why(why, whylen, "no peer credentials: %s",
		    strerror(errno));
		return CV_E_DENIED;
	}
	if (uc.pid <= 0 || uc.uid == (uid_t)-1 || uc.gid == (gid_t)-1) {
		cv_why(why, whylen, "no peer credentials (pid %ld, uid %ld, "
		    "gid %ld)", (long)uc.pid, (long)uc.uid, (long)uc.gid);
		return CV_E_DENIED;
	}
	id->uid = uc.uid;
	id->gid = uc.gid;
	id->pid = uc.pid;
	peer_groups(fd, id);

	pidfd = peer_pidfd(fd);
	(void)snprintf(link, sizeof(link), "/proc/%ld/exe", (long)uc.pid);
	n = readlink(link, id->exe, sizeof(id->exe) - 1);
	if (n <= 0 || (size_t)n >= sizeof(id->exe) - 1 || id->exe[0] != '/')
		n = 0;
	id->exe[n] = '\0';
	if (n > 0 && !peer_is_same_process(pidfd, id))
		id->exe[0] = '\0';
	if (pidfd >= 0)
		(void)close(pidfd);
	return 0;
}

