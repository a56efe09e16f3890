/* SPDX-License-Identifier: MIT */
/* PAM-style hook stacks: the hooks.d file format and its evaluation. */
#ifndef CV_HOOKS_STACK_H
#define CV_HOOKS_STACK_H

#include <stddef.h>
#include <sys/types.h>

#include "crypto/secmem.h"
#include "hooks/exec.h"
#include "hooks/peer_rule.h"
#include "hooks/proto.h"
#include "base/limits.h"

/* The four controls of pam.conf(5), with their Linux-PAM meaning. */
enum stack_control {
	STACK_REQUIRED = 0,
	STACK_REQUISITE,
	STACK_SUFFICIENT,
	STACK_OPTIONAL,
};

/* "required", ...; NULL for a value out of range. */
const char *stack_control_name(enum stack_control c);

enum stack_module {
	STACK_MODULE_EXEC = 0, /* an executable at an absolute path */
	STACK_MODULE_PEER,     /* the built-in `peer` (hooks/peer_rule.h) */
	STACK_MODULE_PASSPHRASE, /* the built-in `passphrase` (admin lines):
	                            the peer proves its keyslot's passphrase */
};

#define STACK_PASSPHRASE_TS_S 300      /* a proof holds this long... */
#define STACK_PASSPHRASE_TS_MAX_S 86400 /* ...at most a day */

/* The arguments of a `passphrase` line. */
struct stack_passphrase {
	unsigned timestamp_s; /* a proof holds this long; 0: every time */
	int any_keyslot;      /* else the keyslot named after the peer's user */
};

/*
 * One line of a stack file:  phase control module [sha256=HEX] [args...]
 * Strings point into the stack that holds the entry.
 */
struct stack_entry {
	unsigned line; /* 1-based line number in the file */
	enum proto_phase phase;
	enum stack_control control;
	enum stack_module module;
	const char *path; /* the absolute path, or "peer" */
	size_t nargs;
	const char *args[CV_STACK_ARGS_MAX]; /* after the module (and pin) */
	int pinned;
	unsigned char sha256[EXEC_SHA256_BYTES];
	struct peer_rule peer; /* module == STACK_MODULE_PEER */
	struct stack_passphrase pass; /* module == STACK_MODULE_PASSPHRASE */
};

/* A parsed stack file.  Allocated by stack_parse()/stack_load(). */
struct stack {
	char *file; /* name used in messages, owned */
	char *text; /* the tokens the entries point to, owned */
	size_t n;
	struct stack_entry entries[CV_STACK_LINES_MAX];
};

/*
 * Parse a stack file held in (text, len); file names it in messages.
 * Syntax: one module per line, tokens separated by spaces or tabs, '#'
 * starts a comment anywhere, blank lines are skipped, no continuation
 * lines.  phase and control are lowercase keywords; module is `peer` or
 * an absolute path; an optional sha256=<64 hex digits> right after an
 * executable's path pins its content.  At most CV_STACK_FILE_MAX bytes,
 * CV_STACK_LINE_MAX bytes per line, CV_STACK_LINES_MAX modules and
 * CV_STACK_ARGS_MAX arguments; no NUL or other control bytes but tab.
 *
 * *out is cleared on entry; on success it is a new stack the caller frees
 * with stack_free().  Returns 0, CV_E_INVALID or CV_E_TOOBIG with
 * "FILE:LINE: what is wrong" in why, or CV_E_NOMEM.
 */
int stack_parse(const char *text, size_t len, const char *file,
    struct stack **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Load the stack of record from the directory hooksdir: the file named
 * after the record (each '/' in the name written as "%2F", so record
 * "shop/eu" reads hooksdir/shop%2Feu), else hooksdir/default.  hooksdir
 * must pass exec_path_check(EXEC_PATH_DIR) for owner; the file is opened
 * with O_NOFOLLOW and must be a regular file owned by root or owner, not
 * writable by group or others, and at most CV_STACK_FILE_MAX bytes.
 *
 * *out is cleared on entry.  Returns 0 with a new stack (stack_free()),
 * CV_E_NOTFOUND when neither file exists (no stack: the caller applies
 * its own default rule), CV_E_INVALID for a bad record name or stack
 * syntax, CV_E_PERM for unsafe permissions, CV_E_TOOBIG, CV_E_IO or
 * CV_E_NOMEM; why says which file and what is wrong.
 */
int stack_load(const char *hooksdir, const char *record, uid_t owner,
    struct stack **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Load hooksdir/admin, the stack of the admin phase, with the checks of
 * stack_load() but never hooksdir/default.  Same returns.
 */
int stack_load_admin(const char *hooksdir, uid_t owner, struct stack **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Load hooksdir/file, a file name as it is in the directory (no '/'),
 * with the checks of stack_load() and no fallback to hooksdir/default.
 * Same returns; CV_E_INVALID also for a name that is no file name.
 */
int stack_load_file(const char *hooksdir, const char *file, uid_t owner,
    struct stack **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * The record whose stack file is called file (the inverse of the
 * mapping stack_load() uses: "%2F" back to '/'), into record (recordlen
 * > CV_NAME_MAX).  CV_E_INVALID when no record name maps to file.
 */
int stack_record_of_file(const char *file, char *record, size_t recordlen)
    __attribute__((warn_unused_result));

/* Free *stp and set it to NULL; accepts NULL and *stp NULL. */
void stack_free(struct stack **stp);

/* Whether the stack has at least one module for phase. */
int stack_has_phase(const struct stack *st, enum proto_phase phase);

/*
 * The outcome of one phase.  result is PROTO_SUCCESS, PROTO_FAIL or
 * PROTO_ERROR, never PROTO_IGNORE.  reply is owned and freed by
 * stack_verdict_clear():
 *  - on success, the output of the first module that succeeded while the
 *    stack still stood at success (a PAM "grantor") and printed something;
 *  - on failure or error, the output of the module whose failure decided
 *    the verdict (the first failing required or requisite module), which
 *    may hold an error object (proto_error_decode());
 *  - NULL otherwise.
 * decisive is the index in st->entries of that module (SIZE_MAX if none),
 * reason says why (no secrets; "" on success).
 */
struct stack_verdict {
	enum proto_result result;
	struct secbuf *reply;
	size_t decisive;
	unsigned ran; /* modules run */
	char reason[CV_HOOK_REASON_MAX];
};

/* Free and wipe what v owns, zero it; accepts NULL. */
void stack_verdict_clear(struct stack_verdict *v);

/*
 * Runs one module for stack_eval(): returns its result and may hand over
 * its output in *reply (a new secbuf; NULL when none) and a reason in why
 * (for failures and errors).  Return values outside proto_result count as
 * PROTO_ERROR.
 */
struct stack_runner {
	enum proto_result (*run)(void *arg, const struct stack_entry *e,
	    struct secbuf **reply, char *why, size_t whylen);
	void *arg;
};

/*
 * Evaluate the modules of phase in file order with Linux-PAM's semantics
 * (_pam_dispatch_aux() in libpam/pam_dispatch.c with the actions that
 * pam.conf(5) gives the four keywords): the verdict starts at "deny" and
 * only a success with no failure before it makes it positive.
 *   required:   success ok, ignore ignored, fail/error bad (run on)
 *   requisite:  success ok, ignore ignored, fail/error die (stop)
 *   sufficient: success done (stop unless a failure came before), else ignored
 *   optional:   success ok, else ignored
 * A failing verdict carries the result of the first bad/die module
 * (PROTO_FAIL or PROTO_ERROR); with no such module and no success (no
 * module, or every module ignored or failed unheeded) it is PROTO_FAIL.
 * v is cleared on entry; the caller releases it with stack_verdict_clear().
 */
void stack_eval(const struct stack *st, enum proto_phase phase,
    const struct stack_runner *runner, struct stack_verdict *v);

#endif
