/* SPDX-License-Identifier: MIT */
/* The agent's listening socket, its directory and its lock file. */
#ifndef CV_AGENT_TRANSPORT_LISTEN_H
#define CV_AGENT_TRANSPORT_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#define LISTEN_PATH_MAX 108 /* sizeof(sun_path) on Linux, with its NUL */

/* A bound, listening socket; fields are the caller's to read only. */
struct listen_sock {
	int fd;     /* non-blocking, close-on-exec */
	int lockfd; /* holds an flock on PATH.lock while we serve */
	dev_t dev;
	ino_t ino;
	char path[LISTEN_PATH_MAX];
};

/*
 * Prepare the socket directory and bind path:
 *   - the directory is created when missing (0700; 0710 and the group
 *     with group), and must then be a directory owned by this uid and not
 *     writable by group or others, else CV_E_PERM (git's
 *     init_socket_directory); its parent is not changed;
 *   - PATH.lock is held with flock(): CV_E_BUSY when another agent holds
 *     it; a socket left at path by an agent that is gone is replaced;
 *     anything else at path is refused (CV_E_EXISTS);
 *   - the socket is created 0600, then given to group and opened to
 *     0660 when group (a name or number) is set, before listen().
 * *out is initialised on entry (fds -1).  why says what is wrong and how
 * to fix it.  Release with listen_close().
 */
int listen_open(const char *path, const char *group, struct listen_sock *out,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Take over fd, a listening Unix stream socket bound by someone else (the
 * service manager: socket activation), instead of listen_open(): nothing
 * is created, bound, locked or, at listen_close(), removed.  The same
 * rules for what it is bound to: a path (not an abstract or unnamed
 * socket), which must equal path when path is not NULL; a socket file
 * there, in a directory owned by root or this uid that neither its group
 * nor others may write.  A socket that anyone may connect to is allowed
 * (every peer is still checked and authorised) but *warn says so; ""
 * otherwise.  fd is made non-blocking.  *out is initialised on entry; on
 * failure fd is left open and why says what is wrong.
 */
int listen_adopt(int fd, const char *path, struct listen_sock *out,
    char *warn, size_t warnlen, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Close, and remove the socket if it is still the one we bound. */
void listen_close(struct listen_sock *ls);

#endif
