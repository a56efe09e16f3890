/* SPDX-License-Identifier: MIT */
/* Unit tests for hookkit/hookmain: arguments, messages, replies, exit codes. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/hookmain.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

/* What the keys of the test hook were given. */
struct test_ctx {
	const char *auth;
	int del;
	int admins;
};

static int
test_set_auth(void *ctx, const char *value)
{
	struct test_ctx *t = ctx;

	if (strcmp(value, "basic") != 0 && strcmp(value, "post") != 0)
		return CV_E_INVALID;
	t->auth = value;
	return 0;
}

static int
test_set_delete(void *ctx, const char *value)
{
	struct test_ctx *t = ctx;

	t->del = value == NULL ? t->del + 1 : -1;
	return 0;
}

static int
test_set_admin(void *ctx, const char *value)
{
	struct test_ctx *t = ctx;

	if (value[0] == '\0')
		return CV_E_INVALID;
	t->admins++;
	return 0;
}

/* As oauth2-mint declares its own keys. */
static const struct hookmain_key test_mint_keys[] = {
	{ "auth", "auth=basic|basic-raw|post", 0, test_set_auth },
};

/* As ct-rotate declares its own keys. */
static const struct hookmain_key test_rotate_keys[] = {
	{ "--delete", "--delete", HOOKMAIN_KEY_FLAG, test_set_delete },
	{ "admin", "admin=NAME", HOOKMAIN_KEY_REPEAT, test_set_admin },
};

static struct test_ctx test_got;

static const struct hookmain test_mint = { "test_hookmain", test_mint_keys,
	1, &test_got, NULL };
static const struct hookmain test_rotate = { "test_hookmain",
	test_rotate_keys, 2, &test_got, NULL };
static const struct hookmain test_bare = { "test_hookmain", NULL, 0,
	&test_got, NULL };

/* Capture what fd writes while a test runs: start, then stop. */
struct test_capture {
	int fd, saved;
	FILE *f;
	char text[4096];
};

static void
test_capture_start(struct test_capture *c, int fd)
{
	fflush(NULL);
	c->fd = fd;
	c->f = tmpfile();
	c->saved = dup(fd);
	if (c->f == NULL || c->saved < 0 || dup2(fileno(c->f), fd) < 0)
		abort();
}

static const char *
test_capture_stop(struct test_capture *c)
{
	size_t n;

	fflush(NULL);
	if (dup2(c->saved, c->fd) < 0)
		abort();
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	return c->text;
}

/* Parse a NULL-terminated argument list for hook; the line on stderr, if
 * any, goes into err (sizeof 4096). */
static int
test_parse(const struct hookmain *hook, struct hookmain_args *args,
    char *err, const char *first, ...)
{
	struct test_capture cap;
	char *argv[16];
	va_list ap;
	int argc = 1, r;

	argv[0] = (char *)"hook";
	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	memset(&test_got, 0, sizeof(test_got));
	test_capture_start(&cap, STDERR_FILENO);
	r = hookmain_parse_args(hook, argc, argv, args);
	memcpy(err, test_capture_stop(&cap), sizeof(cap.text));
	return r;
}

#define PARSE(hook, ...) test_parse((hook), &args, err, __VA_ARGS__, NULL)

static void
test_args_common(void)
{
	static char cafile[] = "cafile=/etc/credvault/ca.pem";
	char *argv[] = { (char *)"hook", cafile, NULL };
	struct hookmain_args args;
	char err[4096];

	ASSERT_INT_EQ(test_parse(&test_bare, &args, err, NULL), 0);
	ASSERT_INT_EQ(args.timeout_ms, CV_HTTP_TIMEOUT_DEFAULT_MS);
	ASSERT_INT_EQ(args.retries, CV_HTTP_RETRIES_DEFAULT);
	ASSERT_TRUE(args.cafile == NULL);
	ASSERT_STR_EQ(err, "");

	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=5", "retries=0"), 0);
	ASSERT_INT_EQ(args.timeout_ms, 5000);
	ASSERT_INT_EQ(args.retries, 0);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=1", "retries=10"), 0);
	ASSERT_INT_EQ(args.timeout_ms, 1000);
	ASSERT_INT_EQ(args.retries, 10);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=60"), 0);
	ASSERT_INT_EQ(args.timeout_ms, 60000);

	/* cafile= points into argv: no copy. */
	ASSERT_INT_EQ(hookmain_parse_args(&test_bare, 2, argv, &args), 0);
	ASSERT_TRUE(args.cafile == cafile + strlen("cafile="));
	ASSERT_STR_EQ(args.cafile, "/etc/credvault/ca.pem");

	/* Out of range, not a plain decimal, or no value. */
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=0"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=61"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout="), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=5s"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=-1"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=+5"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout= 5"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "retries=11"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "retries=0x1"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "Timeout=5"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "cafile=relative.pem"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "cafile="), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "=5"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, ""), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "frobnicate=1"), CV_E_USAGE);

	/* Each at most once, even with the same value. */
	ASSERT_INT_EQ(PARSE(&test_mint, "timeout=5", "timeout=5"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "retries=1", "retries=2"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "cafile=/a", "cafile=/b"), CV_E_USAGE);
}

static void
test_args_long_cafile(void)
{
	struct hookmain_args args;
	char err[4096];
	char *path = malloc(CV_PATH_MAX + 16);

	if (path == NULL)
		abort();
	/* "cafile=" and a path of CV_PATH_MAX - 1 bytes: fits with its NUL. */
	memcpy(path, "cafile=/", 8);
	memset(path + 8, 'p', CV_PATH_MAX - 2);
	path[7 + CV_PATH_MAX - 1] = '\0';
	ASSERT_INT_EQ(PARSE(&test_mint, path), 0);
	ASSERT_INT_EQ(strlen(args.cafile), CV_PATH_MAX - 1);
	path[7 + CV_PATH_MAX - 1] = 'p';
	path[7 + CV_PATH_MAX] = '\0';
	ASSERT_INT_EQ(PARSE(&test_mint, path), CV_E_USAGE);
	free(path);
}

static void
test_args_own(void)
{
	struct hookmain_args args;
	char err[4096];

	/* A value key: the callback decides, at most once. */
	ASSERT_INT_EQ(PARSE(&test_mint, "auth=post", "timeout=2"), 0);
	ASSERT_STR_EQ(test_got.auth, "post");
	ASSERT_INT_EQ(args.timeout_ms, 2000);
	ASSERT_INT_EQ(PARSE(&test_mint, "auth=nope"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "auth="), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "auth"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "auth=post", "auth=post"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_mint, "auth=basic", "auth=post"), CV_E_USAGE);
	/* Another hook's keys are unknown here. */
	ASSERT_INT_EQ(PARSE(&test_mint, "--delete"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_rotate, "auth=post"), CV_E_USAGE);

	/* A flag: alone, once, and handed no value. */
	ASSERT_INT_EQ(PARSE(&test_rotate, "--delete", "retries=1"), 0);
	ASSERT_INT_EQ(test_got.del, 1);
	ASSERT_INT_EQ(args.retries, 1);
	ASSERT_INT_EQ(PARSE(&test_rotate, "--delete", "--delete"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_rotate, "--delete=1"), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_rotate, "delete"), CV_E_USAGE);

	/* A repeatable key. */
	ASSERT_INT_EQ(PARSE(&test_rotate, "admin=a", "--delete", "admin=b",
	    "timeout=3"), 0);
	ASSERT_INT_EQ(test_got.admins, 2);
	ASSERT_INT_EQ(test_got.del, 1);
	ASSERT_INT_EQ(args.timeout_ms, 3000);
	ASSERT_INT_EQ(PARSE(&test_rotate, "admin="), CV_E_USAGE);
	ASSERT_INT_EQ(PARSE(&test_rotate, "admin"), CV_E_USAGE);
	/* The shared keys stay at most once next to a repeatable one. */
	ASSERT_INT_EQ(PARSE(&test_rotate, "admin=a", "cafile=/x", "admin=b",
	    "cafile=/x"), CV_E_USAGE);
}

static void
test_args_message(void)
{
	struct hookmain_args args;
	char err[4096];

	log_set_ident("test_hookmain", LOG_STYLE_PLAIN);
	/* The lines the hooks printed before they shared this code. */
	ASSERT_INT_EQ(PARSE(&test_mint, "retries=1", "frobnicate=1",
	    "timeout=0"), CV_E_USAGE);
	ASSERT_STR_EQ(err, "test_hookmain: main: bad or repeated argument "
	    "\"frobnicate=1\"; expected auth=basic|basic-raw|post, "
	    "timeout=1..60, retries=0..10, cafile=/ABSOLUTE/PATH (each at "
	    "most once)\n");
	ASSERT_INT_EQ(PARSE(&test_rotate, "admin=a", "--delete", "--delete"),
	    CV_E_USAGE);
	ASSERT_STR_EQ(err, "test_hookmain: main: bad or repeated argument "
	    "\"--delete\"; expected --delete, admin=NAME, timeout=1..60, "
	    "retries=0..10, cafile=/ABSOLUTE/PATH (each but admin= at most "
	    "once)\n");
	ASSERT_INT_EQ(PARSE(&test_bare, "x=1"), CV_E_USAGE);
	ASSERT_STR_EQ(err, "test_hookmain: main: bad or repeated argument "
	    "\"x=1\"; expected timeout=1..60, retries=0..10, "
	    "cafile=/ABSOLUTE/PATH (each at most once)\n");

	/* The argument is shown cleaned and cut, never raw. */
	ASSERT_INT_EQ(PARSE(&test_bare, "a\033[2Jb=\n1"), CV_E_USAGE);
	ASSERT_TRUE(strstr(err, "\"a?[2Jb=?1\"") != NULL);
	ASSERT_INT_EQ(strchr(err, '\n') - err, (long)strlen(err) - 1);
	{
		char longarg[300];

		memset(longarg, 'k', sizeof(longarg) - 1);
		longarg[sizeof(longarg) - 1] = '\0';
		ASSERT_INT_EQ(PARSE(&test_bare, longarg), CV_E_USAGE);
		ASSERT_TRUE(strstr(err, longarg + sizeof(longarg) - 1 - 128) ==
		    NULL);
		longarg[127] = '\0';
		ASSERT_TRUE(strstr(err, longarg) != NULL);
	}
}

static void
test_parse_ulong(void)
{
	unsigned long v = 99;

	ASSERT_INT_EQ(hookmain_parse_ulong("0", 0, 10, &v), 0);
	ASSERT_INT_EQ(v, 0);
	ASSERT_INT_EQ(hookmain_parse_ulong("10", 0, 10, &v), 0);
	ASSERT_INT_EQ(v, 10);
	ASSERT_INT_EQ(hookmain_parse_ulong("007", 0, 10, &v), 0);
	ASSERT_INT_EQ(v, 7);
	v = 99;
	ASSERT_INT_EQ(hookmain_parse_ulong("11", 0, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong("0", 1, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong("", 0, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong(" 1", 0, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong("1 ", 0, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong("-1", 0, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong("+1", 0, 10, &v), CV_E_INVALID);
	ASSERT_INT_EQ(hookmain_parse_ulong("99999999999999999999999", 0,
	    (unsigned long)-1, &v), CV_E_INVALID);
	ASSERT_INT_EQ(v, 99); /* untouched on failure */
}

static void
test_results(void)
{
	struct test_capture out, err;
	const char *text;
	int null_fd;

	log_set_ident("test_hookmain", LOG_STYLE_PLAIN);
	test_capture_start(&err, STDERR_FILENO);
	ASSERT_INT_EQ(hookmain_error("\"shop\"", CV_E_NOMEM, "no room"),
	    HOOKMAIN_EXIT_INTERNAL);
	ASSERT_INT_EQ(hookmain_error("\"shop\"", CV_E_INTERNAL, ""),
	    HOOKMAIN_EXIT_INTERNAL);
	ASSERT_INT_EQ(hookmain_error("\"shop\"", CV_E_INVALID, NULL),
	    HOOKMAIN_EXIT_USAGE);
	ASSERT_INT_EQ(hookmain_error("\"shop\"", CV_E_TOOBIG, "big"),
	    HOOKMAIN_EXIT_USAGE);
	text = test_capture_stop(&err);
	ASSERT_TRUE(strstr(text, "test_hookmain: main: record \"shop\": no "
	    "room\n") == text);
	ASSERT_TRUE(strstr(text, "record \"shop\": big\n") != NULL);
	/* An empty reason says what the code means. */
	ASSERT_TRUE(strstr(text, cv_strerror(CV_E_INTERNAL)) != NULL);
	ASSERT_TRUE(strstr(text, cv_strerror(CV_E_INVALID)) != NULL);

	/* The error object goes to stdout, the reason to stderr. */
	test_capture_start(&out, STDOUT_FILENO);
	test_capture_start(&err, STDERR_FILENO);
	ASSERT_INT_EQ(hookmain_fail("\"shop\"", "no token", "invalid_client",
	    "bad \"creds\""), HOOKMAIN_EXIT_FAILED);
	ASSERT_STR_EQ(test_capture_stop(&err), "test_hookmain: main: record "
	    "\"shop\": no token: invalid_client: bad \"creds\"\n");
	ASSERT_STR_EQ(test_capture_stop(&out), "{\"error\":\"invalid_client\","
	    "\"error_description\":\"bad \\\"creds\\\"\"}\n");

	test_capture_start(&out, STDOUT_FILENO);
	ASSERT_INT_EQ(hookmain_reply("\"shop\"", json_pack("{s:b}", "deleted",
	    1)), HOOKMAIN_EXIT_OK);
	ASSERT_STR_EQ(test_capture_stop(&out), "{\"deleted\":true}\n");

	/* No object (out of memory), or a stdout that cannot be written. */
	test_capture_start(&out, STDOUT_FILENO);
	test_capture_start(&err, STDERR_FILENO);
	ASSERT_INT_EQ(hookmain_reply("\"shop\"", NULL), HOOKMAIN_EXIT_INTERNAL);
	text = test_capture_stop(&err);
	ASSERT_TRUE(strstr(text, "record \"shop\": cannot write the reply: ") !=
	    NULL);
	ASSERT_TRUE(strstr(text, cv_strerror(CV_E_NOMEM)) != NULL);
	ASSERT_STR_EQ(test_capture_stop(&out), "");

	null_fd = open("/dev/null", O_RDONLY);
	test_capture_start(&out, STDOUT_FILENO);
	test_capture_start(&err, STDERR_FILENO);
	if (null_fd < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
		abort();
	ASSERT_INT_EQ(hookmain_fail("\"shop\"", "no token", "invalid_client",
	    "d"), HOOKMAIN_EXIT_INTERNAL);
	text = test_capture_stop(&err);
	ASSERT_TRUE(strstr(text, "cannot write the reply: ") != NULL);
	(void)test_capture_stop(&out);
	close(null_fd);
}

/* What a handler saw, checked in the child that runs hookmain_run(). */
static int
test_handle(void *ctx, const struct hookmain_args *args,
    const struct hookio_request *req, const char *name)
{
	(void)ctx;
	if (strcmp(name, "\"shop\"") != 0 && strcmp(name, "\"?\"") != 0)
		return 10;
	if (args->timeout_ms != 5000 || args->retries != 0)
		return 11;
	if (req->secret == NULL ||
	    strcmp((const char *)req->secret->data, "s3cret") != 0)
		return 12;
	return strcmp(req->phase, "mint") == 0 ? HOOKMAIN_EXIT_OK :
	                                         HOOKMAIN_EXIT_FAILED;
}

/* hookmain_run() in a child with stdin from in[0..n) and argv: its exit
 * status; stderr goes into err. */
static int
test_run(const char *in, size_t n, char **argv, char *err)
{
	static const struct hookmain hook = { "test_hookmain",
		test_mint_keys, 1, &test_got, test_handle };
	struct test_capture cap;
	FILE *f = tmpfile();
	int argc = 0, status;
	pid_t pid;

	while (argv[argc] != NULL)
		argc++;
	if (f == NULL || fwrite(in, 1, n, f) != n || fflush(f) != 0)
		abort();
	rewind(f);
	test_capture_start(&cap, STDERR_FILENO);
	if ((pid = fork()) < 0)
		abort();
	if (pid == 0) {
		if (dup2(fileno(f), STDIN_FILENO) < 0)
			_exit(99);
		_exit(hookmain_run(&hook, argc, argv));
	}
	if (waitpid(pid, &status, 0) != pid)
		abort();
	memcpy(err, test_capture_stop(&cap), sizeof(cap.text));
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
test_run_exits(void)
{
	static const char mint[] = "{\"version\":1,\"phase\":\"mint\","
	    "\"record\":{\"name\":\"shop\"},\"secret\":\"s3cret\"}";
	static const char rotate[] = "{\"version\":1,\"phase\":\"rotate\","
	    "\"record\":{},\"secret\":\"s3cret\"}";
	char *good[] = { (char *)"hook", (char *)"timeout=5",
		(char *)"retries=0", NULL };
	char *bad[] = { (char *)"hook", (char *)"timeout=0", NULL };
	static const char dup[] = "{\"version\":1,\"version\":1}";
	static const char broken[] = "{\"secret\":\"s3cret\" oops";
	char err[4096], want[256], *big;

	ASSERT_INT_EQ(test_run(mint, strlen(mint), good, err),
	    HOOKMAIN_EXIT_OK);
	ASSERT_STR_EQ(err, "");
	/* The handler's exit code is the hook's; a missing name is "?". */
	ASSERT_INT_EQ(test_run(rotate, strlen(rotate), good, err),
	    HOOKMAIN_EXIT_FAILED);
	/* Arguments are checked before stdin is read. */
	ASSERT_INT_EQ(test_run(mint, strlen(mint), bad, err),
	    HOOKMAIN_EXIT_USAGE);
	ASSERT_TRUE(strstr(err, "bad or repeated argument \"timeout=0\"") !=
	    NULL);
	/* A request that is not one, and one over the limit. */
	ASSERT_INT_EQ(test_run(dup, strlen(dup), good, err),
	    HOOKMAIN_EXIT_USAGE);
	ASSERT_TRUE(strstr(err, "test_hookmain: main: cannot decode the "
	    "request: ") == err);
	ASSERT_INT_EQ(test_run(broken, strlen(broken), good, err),
	    HOOKMAIN_EXIT_USAGE);
	ASSERT_TRUE(strstr(err, "s3cret") == NULL);
	if ((big = malloc(CV_HOOK_INPUT_MAX + 2)) == NULL)
		abort();
	memset(big, ' ', CV_HOOK_INPUT_MAX + 1);
	ASSERT_INT_EQ(test_run(big, CV_HOOK_INPUT_MAX + 1, good, err),
	    HOOKMAIN_EXIT_USAGE);
	(void)snprintf(want, sizeof(want), "test_hookmain: main: cannot read "
	    "the request on stdin: %s (the limit is %d bytes)\n",
	    cv_strerror(CV_E_TOOBIG), CV_HOOK_INPUT_MAX);
	ASSERT_STR_EQ(err, want);
	free(big);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fprintf(stderr, "test_hookmain: cannot initialise libsodium\n");
		return 1;
	}
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_args_common();
	test_args_long_cafile();
	test_args_own();
	test_args_message();
	test_parse_ulong();
	test_results();
	test_run_exits();
	return test_done("test_hookmain");
}
