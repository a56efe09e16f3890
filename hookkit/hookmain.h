/* SPDX-License-Identifier: MIT */
/* The main() every shipped hook shares: hardening, arguments, request, exit. */
#ifndef CV_HOOKKIT_HOOKMAIN_H
#define CV_HOOKKIT_HOOKMAIN_H

#include <stddef.h>

#include <jansson.h>

#include "hookkit/hookio.h"

/*
 * A hook's main() fills in a struct hookmain and returns hookmain_run():
 *
 *   static const struct hookmain_key mint_keys[] = {
 *           { "auth", "auth=basic|basic-raw|post", 0, mint_set_auth },
 *   };
 *   ...
 *   return hookmain_run(&hook, argc, argv);
 *
 * The skeleton hardens the process, puts jansson on the wiping allocator,
 * initialises libsodium and libcurl, parses the arguments (the hook's own
 * keys and the shared timeout=, retries=, cafile=), reads and decodes one
 * request from stdin, calls the hook's handler, and cleans up.  The lines
 * it writes on stderr for the hook read "IDENT: main: MESSAGE".
 */

/* Exit codes of the shipped hooks (docs/oauth2-mint.md, docs/ct-rotate.md):
 * 0 and 1 are the hook protocol's success and failure, and a failure
 * always comes with an error object on stdout; 3 and 4 say the hook could
 * not do its job at all, and stdout stays empty. */
enum hookmain_exit {
	HOOKMAIN_EXIT_OK = 0,
	HOOKMAIN_EXIT_FAILED = 1,
	HOOKMAIN_EXIT_USAGE = 3,    /* arguments, request or configuration */
	HOOKMAIN_EXIT_INTERNAL = 4, /* out of memory, I/O on stdin/stdout */
};

/* The arguments every shipped hook takes, with their defaults. */
struct hookmain_args {
	long timeout_ms;    /* timeout=SEC, 1..60; CV_HTTP_TIMEOUT_DEFAULT_MS */
	unsigned retries;   /* retries=N, 0..10; CV_HTTP_RETRIES_DEFAULT */
	const char *cafile; /* cafile=/ABS/PATH; NULL: the system store.
	                     * Points into argv: valid for the process. */
};

enum hookmain_key_flags {
	HOOKMAIN_KEY_FLAG = 1 << 0,   /* the bare name ("--delete"), no value */
	HOOKMAIN_KEY_REPEAT = 1 << 1, /* may be given more than once */
};

/*
 * One argument of a hook's own: name=VALUE, or with HOOKMAIN_KEY_FLAG
 * name alone.  Unless HOOKMAIN_KEY_REPEAT, a second one is a usage error.
 * set() gets the hook's ctx and the value (NULL for a flag; it points into
 * argv, so it stays valid for the process) and returns 0, or nonzero to
 * refuse it.  usage is how the usage message spells the argument
 * ("auth=basic|basic-raw|post").  The strings are literals.
 */
struct hookmain_key {
	const char *name;
	const char *usage;
	unsigned flags;
	int (*set)(void *ctx, const char *value);
};

/*
 * A hook: its name on stderr (a literal), its own keys (at most 16), and
 * the handler for a decoded request, which returns an enum hookmain_exit.
 * The handler borrows args, req and name for its call; name is the
 * record's name quoted for log lines ("\"shop\"", or "\"?\"").
 */
struct hookmain {
	const char *ident;
	const struct hookmain_key *keys;
	size_t nkeys;
	void *ctx; /* the hook's, handed to keys[].set and handle */
	int (*handle)(void *ctx, const struct hookmain_args *args,
	    const struct hookio_request *req, const char *name);
};

/*
 * Run hook as the process's main(): the exit code, which main() returns.
 * Everything it set up is undone before it returns.
 */
int hookmain_run(const struct hookmain *hook, int argc, char **argv)
    __attribute__((warn_unused_result));

/*
 * Parse argv[1..argc) into args (reset to the defaults first) and, through
 * hook->keys, into hook->ctx.  0, or CV_E_USAGE after a line on stderr
 * that quotes the first bad or repeated argument and lists the expected
 * ones.  Called by hookmain_run(); exposed for tests.
 */
int hookmain_parse_args(const struct hookmain *hook, int argc, char **argv,
    struct hookmain_args *args) __attribute__((warn_unused_result));

/* Parse "N" as a decimal in [min, max] (no sign, spaces or suffix): a
 * hook argument such as timeout= or retries=.  0 or CV_E_INVALID. */
int hookmain_parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out) __attribute__((warn_unused_result));

/*
 * The hook could not do its job for record name (a library call returned
 * r, a negative CV_E_*): log "record NAME: REASON" (cv_strerror(r) when
 * reason is NULL or empty) and return HOOKMAIN_EXIT_INTERNAL for CV_E_NOMEM and
 * CV_E_INTERNAL, else HOOKMAIN_EXIT_USAGE.
 */
int hookmain_error(const char *name, int r, const char *reason);

/*
 * The provider said no: log "record NAME: ACTION: ERROR: DESCRIPTION" and
 * write {"error", "error_description"} on stdout.  HOOKMAIN_EXIT_FAILED,
 * or HOOKMAIN_EXIT_INTERNAL when the reply could not be written.
 */
int hookmain_fail(const char *name, const char *action, const char *error,
    const char *description);

/*
 * Write reply on stdout as one line (hookio_reply_write) and release it:
 * the function takes reply, a new reference, or NULL when building it ran
 * out of memory.  HOOKMAIN_EXIT_OK, or HOOKMAIN_EXIT_INTERNAL after "record
 * NAME: cannot write the reply: REASON" on stderr.
 */
int hookmain_reply(const char *name, json_t *reply);

#endif
