/* SPDX-License-Identifier: MIT */
/* Runs one hook executable safely, the way OpenSSH runs its helpers. */
#ifndef CV_HOOKS_EXEC_H
#define CV_HOOKS_EXEC_H

#include <stddef.h>
#include <sys/types.h>

#include "crypto/secmem.h"
#include "hooks/proto.h"
#include "base/limits.h"

#define EXEC_SHA256_BYTES 32

/* What a path must be, besides trusted all the way up to "/". */
enum exec_path_kind {
	EXEC_PATH_HOOK, /* a regular file with an execute bit */
	EXEC_PATH_FILE, /* a regular file (a stack file) */
	EXEC_PATH_DIR,  /* a directory (hooks.d) */
};

/* The object a path check approved: its resolved path and identity. */
struct exec_checked {
	char path[CV_PATH_MAX]; /* absolute, no symlinks, no "." or ".." */
	dev_t dev;
	ino_t ino;
};

/*
 * Check a path the way ssh's safe_path() does.  path must be absolute; it
 * is resolved with realpath() and every component of the result, from
 * the object itself up to "/", must be owned by root or by owner and not
 * writable by group or others.  One exception: a directory above the
 * object's own parent may be group- or world-writable when it is owned by
 * root and has the sticky bit (like /tmp).  The object itself and its
 * parent never may.  kind adds the type checks above.
 *
 * Returns 0 with *out filled (out may be NULL), CV_E_PERM when the path is
 * unsafe, CV_E_NOTFOUND when it does not exist, CV_E_INVALID when it is
 * relative or too long, or CV_E_IO; on failure why says which component
 * is wrong and why, e.g. "'/x' is writable by others".  Thread-safe.
 */
int exec_path_check(const char *path, uid_t owner, enum exec_path_kind kind,
    struct exec_checked *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * The checks exec_run() makes before it runs a hook: exec_path_check()
 * with EXEC_PATH_HOOK, then, when pin is not NULL, the SHA-256 of the
 * resolved file against the EXEC_SHA256_BYTES of pin.  Returns 0 with
 * *out filled (out may be NULL), else exec_path_check()'s codes, or
 * CV_E_PERM when the content does not match the pin (why then gives the
 * file's actual hash) or changed while being checked.  `credvault check`
 * lints stack files with it, so it refuses exactly what the agent would.
 * Thread-safe.
 */
int exec_hook_check(const char *path, uid_t owner, const unsigned char *pin,
    struct exec_checked *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* How to run one hook.  Zero-initialise, then set what you need. */
struct exec_opts {
	uid_t owner;             /* may own hooks and their directories, besides root */
	unsigned timeout_ms;     /* 0: CV_HOOK_TIMEOUT_MS; at most CV_HOOK_TIMEOUT_MAX_MS */
	const unsigned char *sha256; /* NULL, or an EXEC_SHA256_BYTES pin (borrowed) */
};

/*
 * What a hook did.  exec_run() clears it on entry; the caller releases it
 * with exec_result_clear() whatever exec_run() returned.
 */
struct exec_result {
	enum proto_result result; /* from the exit status; see exec_run() */
	int exit_code;            /* -1 unless the hook exited */
	int term_signal;          /* the signal that ended it, else 0 */
	int timed_out;            /* killed at the deadline */
	int out_overflow;         /* stdout went past CV_HOOK_OUTPUT_MAX */
	int err_overflow;         /* stderr went past CV_HOOK_OUTPUT_MAX */
	struct secbuf *out;       /* stdout, owned, may carry secrets */
	char *err;                /* stderr, NUL-terminated, owned (wiped on clear) */
	size_t err_len;
};

/*
 * Run the hook at path with arguments args[0..nargs-1] (argv[0] is the
 * resolved path), after exec_path_check(EXEC_PATH_HOOK) and, when
 * opts->sha256 is set, a check of the file's SHA-256 against the pin.
 *
 * The hook is started with posix_spawn() and no shell, in its own process
 * group, with the working directory "/", the environment exactly
 * PATH=/usr/bin:/bin and LANG=C.UTF-8, default signal dispositions and an
 * empty signal mask, and only descriptors 0, 1 and 2 open: input (may be
 * NULL: empty stdin) is written to its stdin, which is then closed;
 * stdout and stderr are read into res, each capped at CV_HOOK_OUTPUT_MAX
 * (going past the cap kills the hook and is an error).  The hook's reply
 * is what its pipes hold when the hook process itself exits: a process it
 * left behind holding stdout does not delay it.  At the deadline the
 * whole process group gets SIGKILL; when the hook exits, whatever is left
 * of its process group is killed too.  The hook is always reaped, and
 * before exec_run() returns, every process the hook started that left its
 * group or was orphaned is killed and reaped as well (hooks/reap.h: the
 * process becomes a child subreaper on the first run).
 *
 * Returns 0 when the hook ran: res->result is PROTO_SUCCESS, PROTO_FAIL or
 * PROTO_IGNORE for exit 0, 1 or 2 and PROTO_ERROR for anything else
 * (another exit code, a signal, the timeout, an overflow), with why
 * saying what happened when it is an error.  Returns CV_E_PERM (refused:
 * why is "hook '/x/y' refused: <reason>"), CV_E_INVALID, CV_E_NOTFOUND,
 * CV_E_IO or CV_E_NOMEM when the hook was not run; res->result is then
 * PROTO_ERROR.
 *
 * Thread-safe; the only process-wide state is the reaper's list of
 * running hooks (hooks/reap.h); descriptors are opened O_CLOEXEC.
 * SIGPIPE is blocked in the calling thread while the hook runs and a
 * SIGPIPE raised by writing to a hook that closed its stdin is consumed,
 * so the process needs no SIGPIPE disposition of its own.  The process
 * must not set SIGCHLD to SIG_IGN nor reap with waitpid(-1, ...) in
 * another thread (a hook reaped elsewhere counts as PROTO_ERROR), and must
 * have no children of its own besides its hooks: any other child is taken
 * for a hook's orphan and killed (hooks/reap.h).
 */
int exec_run(const char *path, const char *const *args, size_t nargs,
    const struct secbuf *input, const struct exec_opts *opts,
    struct exec_result *res, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Free and wipe what res owns and zero it; accepts NULL. */
void exec_result_clear(struct exec_result *res);

#endif
