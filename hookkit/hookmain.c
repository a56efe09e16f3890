/* SPDX-License-Identifier: MIT */
/* The shipped hooks' main(): set-up, arguments, request in, exit code out. */
#include "hookkit/hookmain.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/wipealloc.h"
#include "crypto/secmem.h"
#include "hookkit/http.h"
#include "base/banned.h"

#define HOOKMAIN_STR_(x) #x
#define HOOKMAIN_STR(x) HOOKMAIN_STR_(x)

/* Bits in the masks of keys already seen. */
#define HOOKMAIN_KEYS_MAX 16

/* The lines written here for a hook are its main()'s, and say so. */
#define HOOKMAIN_FUNC "main"

static int
hookmain_set_timeout(void *ctx, const char *value)
{
	struct hookmain_args *a = ctx;
	unsigned long v;

	if (hookmain_parse_ulong(value, 1, CV_HTTP_TIMEOUT_MAX_MS / 1000,
	        &v) != 0)
		return CV_E_INVALID;
	a->timeout_ms = (long)v * 1000L;
	return 0;
}

static int
hookmain_set_retries(void *ctx, const char *value)
{
	struct hookmain_args *a = ctx;
	unsigned long v;

	if (hookmain_parse_ulong(value, 0, CV_HTTP_RETRIES_MAX, &v) != 0)
		return CV_E_INVALID;
	a->retries = (unsigned)v;
	return 0;
}

static int
hookmain_set_cafile(void *ctx, const char *value)
{
	struct hookmain_args *a = ctx;

	if (value[0] != '/' || strlen(value) >= CV_PATH_MAX)
		return CV_E_INVALID;
	a->cafile = value;
	return 0;
}

/* The keys every hook takes; hookmain_usage() spells them out. */
static const struct hookmain_key hookmain_common[] = {
	{ "timeout", NULL, 0, hookmain_set_timeout },
	{ "retries", NULL, 0, hookmain_set_retries },
	{ "cafile", NULL, 0, hookmain_set_cafile },
};
#define HOOKMAIN_NCOMMON (sizeof(hookmain_common) / sizeof(hookmain_common[0]))

int
hookmain_parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return CV_E_INVALID;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return CV_E_INVALID;
	*out = v;
	return 0;
}

/*
 * Offer arg to keys[0..n): 1 when one of them took it, 0 when none is
 * named so, CV_E_USAGE when the one named so refused it or had it before.
 */
static int
hookmain_take(const struct hookmain_key *keys, size_t n, void *ctx,
    unsigned *seen, const char *arg)
{
	const char *eq = strchr(arg, '='), *value;
	size_t keylen = eq != NULL ? (size_t)(eq - arg) : strlen(arg), i;

	for (i = 0; i < n; i++) {
		if (keys[i].flags & HOOKMAIN_KEY_FLAG) {
			if (strcmp(arg, keys[i].name) != 0)
				continue;
			value = NULL;
		} else {
			if (eq == NULL || strlen(keys[i].name) != keylen ||
			    strncmp(arg, keys[i].name, keylen) != 0)
				continue;
			value = eq + 1;
		}
		if (((*seen >> i) & 1U) &&
		    !(keys[i].flags & HOOKMAIN_KEY_REPEAT))
			return CV_E_USAGE;
		if (keys[i].set(ctx, value) != 0)
			return CV_E_USAGE;
		*seen |= 1U << i;
		return 1;
	}
	return 0;
}

/* Append s to buf (bufsz bytes); the hooks' literals always fit. */
static void
hookmain_append(char *buf, size_t bufsz, const char *s)
{
	size_t n = strlen(buf), m = strlen(s);

	if (n + m >= bufsz)
		abort();
	memcpy(buf + n, s, m + 1);
}

/* Say which argument is wrong and which ones the hook takes. */
static void
hookmain_usage(const struct hookmain *hook, const char *arg)
{
	char shown[128], own[256] = "", repeat[128] = "";
	const struct hookmain_key *k;
	size_t i;

	for (i = 0; i < hook->nkeys; i++) {
		k = &hook->keys[i];
		hookmain_append(own, sizeof(own), k->usage);
		hookmain_append(own, sizeof(own), ", ");
		if (k->flags & HOOKMAIN_KEY_REPEAT) {
			if (repeat[0] != '\0')
				hookmain_append(repeat, sizeof(repeat), ", ");
			hookmain_append(repeat, sizeof(repeat), k->name);
			if (!(k->flags & HOOKMAIN_KEY_FLAG))
				hookmain_append(repeat, sizeof(repeat), "=");
		}
	}
	/* Arguments come from the stack file, never secrets: quote them. */
	log_clean(shown, sizeof(shown), arg, strlen(arg));
	log_put(LOG_ERR, HOOKMAIN_FUNC, "bad or repeated argument \"%s\"; "
	    "expected %stimeout=1..%d, retries=0..%d, cafile=/ABSOLUTE/PATH "
	    "(each%s%s at most once)", shown, own,
	    CV_HTTP_TIMEOUT_MAX_MS / 1000, CV_HTTP_RETRIES_MAX,
	    repeat[0] != '\0' ? " but " : "", repeat);
}

int
hookmain_parse_args(const struct hookmain *hook, int argc, char **argv,
    struct hookmain_args *args)
{
	unsigned seen_own = 0, seen_common = 0;
	int i, r;

	if (hook->nkeys > HOOKMAIN_KEYS_MAX)
		abort();
	args->timeout_ms = CV_HTTP_TIMEOUT_DEFAULT_MS;
	args->retries = CV_HTTP_RETRIES_DEFAULT;
	args->cafile = NULL;
	for (i = 1; i < argc; i++) {
		r = hookmain_take(hook->keys, hook->nkeys, hook->ctx, &seen_own,
		    argv[i]);
		if (r == 0)
			r = hookmain_take(hookmain_common, HOOKMAIN_NCOMMON,
			    args, &seen_common, argv[i]);
		if (r != 1) {
			hookmain_usage(hook, argv[i]);
			return CV_E_USAGE;
		}
	}
	return 0;
}

static int
hookmain_exit_for(int r)
{
	return r == CV_E_NOMEM || r == CV_E_INTERNAL ? HOOKMAIN_EXIT_INTERNAL :
	                                               HOOKMAIN_EXIT_USAGE;
}

int
hookmain_error(const char *name, int r, const char *reason)
{
	log_put(LOG_ERR, HOOKMAIN_FUNC, "record %s: %s", name,
	    reason != NULL && reason[0] != '\0' ? reason : cv_strerror(r));
	return hookmain_exit_for(r);
}

int
hookmain_reply(const char *name, json_t *reply)
{
	int r;

	r = reply != NULL ? hookio_reply_write(STDOUT_FILENO, reply) :
	                    CV_E_NOMEM;
	json_decref(reply); /* the wiping allocator wipes what it held */
	if (r != 0) {
		log_put(LOG_ERR, HOOKMAIN_FUNC, "record %s: cannot write the "
		    "reply: %s", name, cv_strerror(r));
		return HOOKMAIN_EXIT_INTERNAL;
	}
	return HOOKMAIN_EXIT_OK;
}

int
hookmain_fail(const char *name, const char *action, const char *error,
    const char *description)
{
	json_t *o;

	log_put(LOG_ERR, HOOKMAIN_FUNC, "record %s: %s: %s: %s", name, action,
	    error, description);
	o = json_object();
	if (o != NULL &&
	    (json_object_set_new(o, "error", json_string(error)) != 0 ||
	        json_object_set_new(o, "error_description",
	            json_string(description)) != 0)) {
		json_decref(o);
		o = NULL;
	}
	if (hookmain_reply(name, o) != HOOKMAIN_EXIT_OK)
		return HOOKMAIN_EXIT_INTERNAL;
	return HOOKMAIN_EXIT_FAILED;
}

static void
hookmain_harden(void)
{
	struct rlimit rl = { 0, 0 };
	struct sigaction sa;

	/* Secrets and tokens are in this process: no core files. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		log_err("cannot disable core files: %s", strerror(errno));
	/* A reader that went away must not kill us mid-wipe. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
}

int
hookmain_run(const struct hookmain *hook, int argc, char **argv)
{
	struct hookmain_args args;
	struct hookio_request req;
	struct secbuf *in = NULL;
	char why[CV_HOOK_REASON_MAX];
	char name[CV_NAME_MAX + 3];
	int r, code = HOOKMAIN_EXIT_INTERNAL;

	log_set_ident(hook->ident, LOG_STYLE_PLAIN);
	hookio_request_init(&req);
	why[0] = '\0';
	hookmain_harden();
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (secmem_init() != 0 || http_init() != 0) {
		log_put(LOG_ERR, HOOKMAIN_FUNC,
		    "cannot initialise libsodium or libcurl");
		goto out;
	}
	if (hookmain_parse_args(hook, argc, argv, &args) != 0) {
		code = HOOKMAIN_EXIT_USAGE;
		goto out;
	}

	if ((r = hookio_read(STDIN_FILENO, &in)) != 0) {
		log_put(LOG_ERR, HOOKMAIN_FUNC, "cannot read the request on "
		    "stdin: %s%s", cv_strerror(r), r == CV_E_TOOBIG ?
		        " (the limit is " HOOKMAIN_STR(CV_HOOK_INPUT_MAX)
		        " bytes)" : "");
		code = r == CV_E_TOOBIG ? HOOKMAIN_EXIT_USAGE :
		                          HOOKMAIN_EXIT_INTERNAL;
		goto out;
	}
	r = hookio_request_decode(in->data, in->len, &req, why, sizeof(why));
	secbuf_free(&in);
	if (r != 0) {
		log_put(LOG_ERR, HOOKMAIN_FUNC, "cannot decode the request: %s",
		    why);
		code = hookmain_exit_for(r);
		goto out;
	}
	(void)snprintf(name, sizeof(name), "\"%s\"",
	    req.name[0] != '\0' ? req.name : "?");
	code = hook->handle(hook->ctx, &args, &req, name);
out:
	secbuf_free(&in);
	hookio_request_clear(&req);
	http_cleanup();
	return code;
}
