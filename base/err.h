/* SPDX-License-Identifier: MIT */
/* Error codes shared by every module, their messages and the CLI exit codes. */
#ifndef CV_BASE_ERR_H
#define CV_BASE_ERR_H

#include <stddef.h>

/*
 * Every function that can fail returns 0 or one of these negative codes.
 * cv_strerror() gives a short lowercase phrase; cv_exit_code() maps a code
 * to the exit codes of DESIGN.md section 9.
 */
enum cv_err {
	CV_OK = 0,
	CV_E_INTERNAL = -1,   /* a bug or an impossible state */
	CV_E_NOMEM = -2,      /* out of (locked) memory */
	CV_E_IO = -3,         /* read/write/open failed; see errno */
	CV_E_INVALID = -4,    /* malformed input or argument */
	CV_E_USAGE = -5,      /* bad command line */
	CV_E_NOTFOUND = -6,   /* no such record, keyslot or file */
	CV_E_EXISTS = -7,     /* record or keyslot already exists */
	CV_E_AUTH = -8,       /* unlock failed: wrong passphrase or key */
	CV_E_REFUSED = -9,    /* refused: already revealed, never revealable */
	CV_E_DENIED = -10,    /* denied by policy */
	CV_E_INTEGRITY = -11, /* authentication of stored data failed */
	CV_E_UPSTREAM = -12,  /* a hook or the provider failed */
	CV_E_TOOBIG = -13,    /* input over its limit */
	CV_E_PERM = -14,      /* unsafe ownership or permissions */
	CV_E_NOSPACE = -15,   /* disk full or file size limit */
	CV_E_VERSION = -16,   /* unsupported format version */
	CV_E_TIMEOUT = -17,   /* an operation ran out of time */
	CV_E_LOCKED = -18,    /* the vault or agent is locked */
	CV_E_PROTO = -19,     /* protocol violation by a peer */
	CV_E_BUSY = -20,      /* another process holds what we need */
	CV_E_NOVAULT = -21,   /* no vault in the directory given */
};

#define CV_ERR_MIN CV_E_NOVAULT

/* Exit codes, DESIGN.md section 9. */
enum cv_exit {
	CV_EXIT_OK = 0,
	CV_EXIT_FAILURE = 1,
	CV_EXIT_USAGE = 2,
	CV_EXIT_UNLOCK = 3,
	CV_EXIT_NOTFOUND = 4,
	CV_EXIT_REFUSED = 5,
	CV_EXIT_INTEGRITY = 6,
	CV_EXIT_UPSTREAM = 7,
};

/* Static string, never NULL, for any int (unknown codes get a generic text). */
const char *cv_strerror(int err);

/* Exit code for an error code (0 for CV_OK). */
int cv_exit_code(int err);

/* Format a reason into why (whylen bytes, truncated); a NULL why or a zero
 * whylen is allowed and writes nothing. */
void cv_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Whether s is a failure class, as hooks report them and the agent's
 * replies carry them (docs/protocol.md): 1..CV_ERROR_CLASS_MAX bytes of
 * [a-z0-9_].
 */
int cv_class_is_valid(const char *s);

#endif
