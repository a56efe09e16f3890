/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/stack: parser, loader, and PAM semantics. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "hooks/stack.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

#define MAXMOD 3

static const char *const controls[] = { "required", "requisite",
	"sufficient", "optional" };
static const enum proto_result results[] = { PROTO_SUCCESS, PROTO_FAIL,
	PROTO_IGNORE, PROTO_ERROR };

/* ---- parser ----------------------------------------------------------- */

static void
test_parse_ok(void)
{
	static const char text[] =
	    "# phase control module args\n"
	    "\n"
	    "   \t \n"
	    "authorize\trequisite  peer group=shop-deploy scopes=a:b # comment\n"
	    "authorize required /usr/local/libexec/credvault/hours 08-20\n"
	    "mint required /usr/libexec/oauth2-mint sha256="
	    "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"
	    " --x sha256=arg\n"
	    "notify optional /usr/bin/page-oncall";
	struct stack *st = NULL;
	char why[CV_HOOK_REASON_MAX];
	const struct stack_entry *e;

	ASSERT_INT_EQ(stack_parse(text, sizeof(text) - 1, "hooks.d/shop", &st,
	    why, sizeof(why)), 0);
	if (st == NULL)
		return;
	ASSERT_INT_EQ(st->n, 4);
	e = &st->entries[0];
	ASSERT_INT_EQ(e->line, 4);
	ASSERT_INT_EQ(e->phase, PROTO_AUTHORIZE);
	ASSERT_INT_EQ(e->control, STACK_REQUISITE);
	ASSERT_INT_EQ(e->module, STACK_MODULE_PEER);
	ASSERT_INT_EQ(e->nargs, 2);
	ASSERT_STR_EQ(e->peer.group, "shop-deploy");
	ASSERT_STR_EQ(e->peer.scopes, "a:b");
	e = &st->entries[1];
	ASSERT_INT_EQ(e->module, STACK_MODULE_EXEC);
	ASSERT_STR_EQ(e->path, "/usr/local/libexec/credvault/hours");
	ASSERT_INT_EQ(e->nargs, 1);
	ASSERT_STR_EQ(e->args[0], "08-20");
	ASSERT_TRUE(!e->pinned);
	e = &st->entries[2];
	ASSERT_INT_EQ(e->phase, PROTO_MINT);
	ASSERT_TRUE(e->pinned);
	ASSERT_INT_EQ(e->sha256[0], 0x00);
	ASSERT_INT_EQ(e->sha256[10], 0xaa);
	ASSERT_INT_EQ(e->sha256[31], 0xff);
	ASSERT_INT_EQ(e->nargs, 2);
	ASSERT_STR_EQ(e->args[1], "sha256=arg"); /* later: a plain argument */
	e = &st->entries[3];
	ASSERT_INT_EQ(e->line, 7);
	ASSERT_INT_EQ(e->phase, PROTO_NOTIFY);
	ASSERT_INT_EQ(e->control, STACK_OPTIONAL);
	ASSERT_TRUE(stack_has_phase(st, PROTO_MINT));
	ASSERT_TRUE(!stack_has_phase(st, PROTO_ROTATE));
	stack_free(&st);
	ASSERT_TRUE(st == NULL);
	stack_free(&st);
	stack_free(NULL);

	/* Empty and comment-only files parse to empty stacks. */
	ASSERT_INT_EQ(stack_parse("", 0, "f", &st, why, sizeof(why)), 0);
	ASSERT_INT_EQ(st != NULL ? st->n : 99, 0);
	stack_free(&st);
	ASSERT_INT_EQ(stack_parse("#x\n\n", 4, "f", &st, why, sizeof(why)), 0);
	stack_free(&st);
}

static void
test_parse_errors(void)
{
	static const struct {
		const char *text;
		int err;
		const char *why;
	} cases[] = {
		{ "authorize requird /x", CV_E_INVALID,
		    "hooks.d/shop:1: unknown control 'requird'" },
		{ "# c\n\nauthorize required /x\nmint bogus /y\n", CV_E_INVALID,
		    "hooks.d/shop:4: unknown control 'bogus'" },
		{ "authorise required /x", CV_E_INVALID,
		    ":1: unknown phase 'authorise'" },
		{ "Authorize required /x", CV_E_INVALID, "unknown phase" },
		{ "authorize Required /x", CV_E_INVALID, "unknown control" },
		{ "authorize required", CV_E_INVALID, ":1: want 'phase control" },
		{ "authorize", CV_E_INVALID, "want 'phase control" },
		{ "authorize required hours", CV_E_INVALID,
		    "module 'hours' is neither a built-in (peer, passphrase) "
		    "nor an absolute path" },
		{ "authorize required ./hours", CV_E_INVALID, "neither" },
		{ "mint required /x sha256=abc", CV_E_INVALID, "bad sha256 pin" },
		{ "mint required /x sha256=00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeefg", CV_E_INVALID,
		    "bad sha256 pin" },
		{ "mint required /x sha256=00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff00", CV_E_INVALID,
		    "bad sha256 pin" },
		{ "mint required peer sha256=00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff", CV_E_INVALID,
		    "only to executables" },
		{ "authorize required peer uid=abc", CV_E_INVALID,
		    ":1: peer: bad value in 'uid='" },
		{ "authorize required peer colour=blue", CV_E_INVALID,
		    "peer: unknown argument 'colour'" },
		{ "authorize required /x\r\n", CV_E_INVALID,
		    ":1: control character 0x0d" },
		{ "authorize required /x a\x7f", CV_E_INVALID, "0x7f" },
		{ "authorize required /x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 "
		    "17", CV_E_INVALID, ":1: more than 16 arguments" },
		{ "authorize required /x sha256=00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff 1 2 3 4 5 6 7 8 9 10 11 12 13 "
		    "14 15 16 17", CV_E_INVALID, "more than 16 arguments" },
		{ "authorize required /x \xff\xfe\x01", CV_E_INVALID,
		    "control character 0x01" },
		{ "authorize required \xff\xfe", CV_E_INVALID, "module '?" "?'" },
	};
	struct stack *st = NULL;
	char why[CV_HOOK_REASON_MAX], *big;
	size_t i, off;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		r = stack_parse(cases[i].text, strlen(cases[i].text),
		    "hooks.d/shop", &st, why, sizeof(why));
		if (r != cases[i].err || strstr(why, cases[i].why) == NULL)
			fprintf(stderr, "case %zu: got %d '%s'\n", i, r, why);
		ASSERT_INT_EQ(r, cases[i].err);
		ASSERT_TRUE(strstr(why, cases[i].why) != NULL);
		ASSERT_TRUE(st == NULL);
	}
	/* A NUL byte. */
	ASSERT_INT_EQ(stack_parse("mint required /x\0y", 18, "f", &st, why,
	    sizeof(why)), CV_E_INVALID);
	ASSERT_TRUE(strstr(why, "f:1: control character 0x00") != NULL);

	if ((big = malloc(CV_STACK_FILE_MAX + 2)) == NULL)
		return;
	/* A line of exactly CV_STACK_LINE_MAX bytes passes, one more fails. */
	for (i = 0; i < 2; i++) {
		memcpy(big, "mint required /", 15);
		memset(big + 15, 'a', CV_STACK_LINE_MAX - 15 + i);
		memcpy(big + CV_STACK_LINE_MAX + i, "\n#\n", 3);
		r = stack_parse(big, CV_STACK_LINE_MAX + i + 3, "f", &st, why,
		    sizeof(why));
		ASSERT_INT_EQ(r, i == 0 ? 0 : CV_E_TOOBIG);
		if (i == 1)
			ASSERT_TRUE(strstr(why, "f:1: line is longer") != NULL);
		stack_free(&st);
	}
	/* CV_STACK_LINES_MAX modules pass, one more fails. */
	for (i = 0, off = 0; i <= CV_STACK_LINES_MAX; i++) {
		memcpy(big + off, "# x\nmint optional /x\n", 21);
		off += 21;
		r = stack_parse(big, off, "f", &st, why, sizeof(why));
		ASSERT_INT_EQ(r, i < CV_STACK_LINES_MAX ? 0 : CV_E_TOOBIG);
		stack_free(&st);
	}
	ASSERT_TRUE(strstr(why, "f:130: more than 64 modules") != NULL);
	/* The whole file. */
	memset(big, '#', CV_STACK_FILE_MAX + 1);
	ASSERT_INT_EQ(stack_parse(big, CV_STACK_FILE_MAX, "f", &st, why,
	    sizeof(why)), CV_E_TOOBIG); /* a 64 KiB comment line */
	ASSERT_INT_EQ(stack_parse(big, CV_STACK_FILE_MAX + 1, "f", &st, why,
	    sizeof(why)), CV_E_TOOBIG);
	ASSERT_TRUE(strstr(why, "larger than") != NULL);
	free(big);
}

/* ---- PAM semantics ---------------------------------------------------- */

/*
 * The reference, written from the prose of pam.conf(5) only:
 *  required:   "failure of such a PAM will ultimately lead to the PAM-API
 *              returning failure but only after the remaining stacked
 *              modules have been invoked";
 *  requisite:  "like required, however, in the case that such a module
 *              returns a failure, control is directly returned ... The
 *              return value is that associated with the first required or
 *              requisite module to fail";
 *  sufficient: "if such a module succeeds and no prior required module has
 *              failed the PAM framework returns success ... immediately
 *              without calling any further modules.  A failure of a
 *              sufficient module is ignored";
 *  optional:   "the success or failure of this module is only important if
 *              it is the only module in the stack";
 *  ignore:     required and requisite have ignore=ignore, the others
 *              default=ignore: PAM_IGNORE never counts either way;
 *  and the framework answers failure when nothing succeeded (the stack
 *  starts at PAM_PERM_DENIED).  Errors count as failures.
 * Returns the verdict; ran[i] says whether module i ran; *reply is the
 * module whose output comes back (-1: none), per stack.h.
 */
static enum proto_result
reference(size_t n, const int *ctl, const enum proto_result *res, int *ran,
    int *reply)
{
	int first_fail = -1, first_success = -1;
	size_t i;

	*reply = -1;
	for (i = 0; i < n; i++)
		ran[i] = 0;
	for (i = 0; i < n; i++) {
		int failed = res[i] == PROTO_FAIL || res[i] == PROTO_ERROR;

		ran[i] = 1;
		if (res[i] == PROTO_SUCCESS && first_success < 0)
			first_success = (int)i;
		switch (ctl[i]) {
		case STACK_REQUIRED:
			if (failed && first_fail < 0)
				first_fail = (int)i;
			break;
		case STACK_REQUISITE:
			if (failed && first_fail < 0)
				first_fail = (int)i;
			if (failed)
				goto done;
			break;
		case STACK_SUFFICIENT:
			if (res[i] == PROTO_SUCCESS && first_fail < 0)
				goto done;
			break;
		case STACK_OPTIONAL:
			break;
		}
	}
done:
	if (first_fail >= 0) {
		*reply = first_fail;
		return res[first_fail];
	}
	/* No required/requisite failure: success if anything succeeded. */
	if (first_success >= 0) {
		*reply = first_success;
		return PROTO_SUCCESS;
	}
	return PROTO_FAIL;
}

struct fake {
	const enum proto_result *res;
	int ran[MAXMOD];
	unsigned order; /* modules run so far */
	int out_of_order;
	int silent;     /* no replies */
};

static enum proto_result
fake_run(void *arg, const struct stack_entry *e, struct secbuf **reply,
    char *why, size_t whylen)
{
	struct fake *f = arg;
	unsigned idx = e->line - 1;
	char text[8];

	if (idx >= MAXMOD)
		return PROTO_ERROR;
	if (idx < f->order)
		f->out_of_order = 1;
	f->order = idx + 1;
	f->ran[idx] = 1;
	(void)snprintf(text, sizeof(text), "r%u", idx);
	*reply = f->silent ? NULL : secbuf_dup(text, strlen(text));
	(void)snprintf(why, whylen, "module %u said %s", idx,
	    proto_result_name(f->res[idx]));
	return f->res[idx];
}

/* One stack: build, parse, evaluate, compare with the reference. */
static void
check_stack(size_t n, const int *ctl, const enum proto_result *res)
{
	char text[256], desc[256];
	size_t i, off = 0, doff = 0;
	struct stack *st = NULL;
	struct stack_verdict v;
	struct fake f;
	struct stack_runner runner = { fake_run, &f };
	int ran[MAXMOD], want_reply, failures = test_failures;
	enum proto_result want;

	for (i = 0; i < n; i++) {
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "authorize %s /m%zu\n", controls[ctl[i]], i);
		doff += (size_t)snprintf(desc + doff, sizeof(desc) - doff,
		    "%s%s=%s", i ? ", " : "", controls[ctl[i]],
		    proto_result_name(res[i]));
	}
	/* Other phases in between must not run. */
	off += (size_t)snprintf(text + off, sizeof(text) - off,
	    "mint required /other\n");
	if (stack_parse(text, off, "t", &st, NULL, 0) != 0) {
		TEST_FAIL_AT("cannot parse %s", text);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.res = res;
	stack_eval(st, PROTO_AUTHORIZE, &runner, &v);
	want = reference(n, ctl, res, ran, &want_reply);

	ASSERT_INT_EQ(v.result, want);
	ASSERT_INT_EQ(f.out_of_order, 0);
	for (i = 0; i < n; i++)
		ASSERT_INT_EQ(f.ran[i], ran[i]);
	if (want_reply < 0) {
		ASSERT_TRUE(v.reply == NULL);
		ASSERT_INT_EQ(v.decisive, SIZE_MAX);
	} else {
		ASSERT_TRUE(v.reply != NULL);
		if (v.reply != NULL)
			ASSERT_INT_EQ(v.reply->data[1], '0' + want_reply);
		ASSERT_INT_EQ(v.decisive, want_reply);
	}
	if (want != PROTO_SUCCESS)
		ASSERT_TRUE(v.reason[0] != '\0');
	if (test_failures != failures)
		fprintf(stderr, "  stack: %s\n", desc);
	stack_verdict_clear(&v);
	stack_free(&st);
}

static void
test_pam_table(void)
{
	int ctl[MAXMOD];
	enum proto_result res[MAXMOD];
	size_t n, i, combos, k, cases = 0;

	for (n = 1; n <= MAXMOD; n++) {
		/* Each module: 4 controls x 4 results = 16 choices. */
		for (combos = 1, i = 0; i < n; i++)
			combos *= 16;
		for (k = 0; k < combos; k++) {
			size_t x = k;

			for (i = 0; i < n; i++, x /= 16) {
				ctl[i] = (int)(x % 16 / 4);
				res[i] = results[x % 4];
			}
			check_stack(n, ctl, res);
			cases++;
		}
	}
	ASSERT_INT_EQ(cases, 16 + 256 + 4096);
}

/* Spot checks that pin the subtle cases down in prose. */
static void
test_pam_cases(void)
{
	static const char text[] =
	    "authorize required /a\n"
	    "authorize sufficient /b\n"
	    "authorize required /c\n";
	struct stack *st = NULL;
	struct stack_verdict v;
	struct fake f;
	struct stack_runner runner = { fake_run, &f };
	enum proto_result r1[] = { PROTO_FAIL, PROTO_SUCCESS, PROTO_SUCCESS };
	enum proto_result r2[] = { PROTO_SUCCESS, PROTO_SUCCESS, PROTO_FAIL };

	ASSERT_INT_EQ(stack_parse(text, sizeof(text) - 1, "t", &st, NULL, 0), 0);
	if (st == NULL)
		return;
	/* A sufficient success after a required failure does not stop. */
	memset(&f, 0, sizeof(f));
	f.res = r1;
	stack_eval(st, PROTO_AUTHORIZE, &runner, &v);
	ASSERT_INT_EQ(v.result, PROTO_FAIL);
	ASSERT_INT_EQ(v.ran, 3);
	ASSERT_TRUE(strstr(v.reason, "t:1: module 0 said fail") != NULL);
	stack_verdict_clear(&v);
	/* Otherwise it does: the failing third module never runs. */
	memset(&f, 0, sizeof(f));
	f.res = r2;
	stack_eval(st, PROTO_AUTHORIZE, &runner, &v);
	ASSERT_INT_EQ(v.result, PROTO_SUCCESS);
	ASSERT_INT_EQ(v.ran, 2);
	ASSERT_INT_EQ(f.ran[2], 0);
	ASSERT_STR_EQ(v.reason, "");
	stack_verdict_clear(&v);
	/* No module for the phase: deny. */
	memset(&f, 0, sizeof(f));
	stack_eval(st, PROTO_ROTATE, &runner, &v);
	ASSERT_INT_EQ(v.result, PROTO_FAIL);
	ASSERT_INT_EQ(v.ran, 0);
	ASSERT_TRUE(strstr(v.reason, "no module for phase 'rotate'") != NULL);
	stack_verdict_clear(&v);
	/* Silent modules: success without a reply. */
	memset(&f, 0, sizeof(f));
	f.res = r2;
	f.silent = 1;
	stack_eval(st, PROTO_AUTHORIZE, &runner, &v);
	ASSERT_INT_EQ(v.result, PROTO_SUCCESS);
	ASSERT_TRUE(v.reply == NULL);
	stack_verdict_clear(&v);
	stack_free(&st);
}

/* ---- loading ---------------------------------------------------------- */

static char tmpdir[64];
static char hooksdir[128];

static void
put(const char *name, const char *text, size_t len, mode_t mode)
{
	char path[256];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", hooksdir, name);
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		TEST_FAIL_AT("cannot write %s", path);
	if (fd >= 0)
		(void)close(fd);
	if (chmod(path, mode) != 0)
		TEST_FAIL_AT("cannot chmod %s", path);
}

static void
rm(const char *name)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", hooksdir, name);
	(void)unlink(path);
}

/* stack_load() of record: its return value, and why contains want. */
static int
load(const char *record, uid_t owner, const char *want, struct stack **st)
{
	char why[CV_HOOK_REASON_MAX];
	int r;

	why[0] = '\0';
	r = stack_load(hooksdir, record, owner, st, why, sizeof(why));
	if (strstr(why, want) == NULL)
		TEST_FAIL_AT("'%s' lacks '%s'", why, want);
	return r;
}

static void
test_load(void)
{
	static const char ok[] = "authorize required peer uid=0\n";
	struct stack *st = NULL;
	char *big, name[200];

	memcpy(tmpdir, "/tmp/cv-stack-XXXXXX", sizeof("/tmp/cv-stack-XXXXXX"));
	if (mkdtemp(tmpdir) == NULL) {
		TEST_FAIL_AT("%s", "mkdtemp");
		return;
	}
	(void)snprintf(hooksdir, sizeof(hooksdir), "%s/hooks.d", tmpdir);
	ASSERT_INT_EQ(load("shop", 0, "missing", &st), CV_E_NOTFOUND);
	ASSERT_INT_EQ(mkdir(hooksdir, 0755), 0);

	/* The record's own file, '/' written as %2F; then the default. */
	put("shop%2Feu", ok, sizeof(ok) - 1, 0644);
	ASSERT_INT_EQ(load("shop/eu", 0, "", &st), 0);
	ASSERT_TRUE(st != NULL && strstr(st->file, "/hooks.d/shop%2Feu") != NULL);
	ASSERT_INT_EQ(st != NULL ? st->n : 0, 1);
	stack_free(&st);
	ASSERT_INT_EQ(load("other", 0, "default", &st), CV_E_NOTFOUND);
	put("default", "mint required /x\n", 17, 0600);
	ASSERT_INT_EQ(load("other", 0, "", &st), 0);
	ASSERT_TRUE(st != NULL && strstr(st->file, "/hooks.d/default") != NULL);
	stack_free(&st);
	/* Names cannot climb out of the directory. */
	ASSERT_INT_EQ(load("a/../../default", 0, "", &st), 0);
	ASSERT_TRUE(st != NULL && strstr(st->file, "/default") != NULL);
	stack_free(&st);
	ASSERT_INT_EQ(load("../x", 0, "record name", &st), CV_E_INVALID);
	ASSERT_INT_EQ(load("Shop", 0, "record name", &st), CV_E_INVALID);
	ASSERT_INT_EQ(load("", 0, "record name", &st), CV_E_INVALID);
	ASSERT_INT_EQ(load("-x", 0, "record name", &st), CV_E_INVALID);
	memset(name, 'a', 129);
	name[129] = '\0';
	ASSERT_INT_EQ(load(name, 0, "record name", &st), CV_E_INVALID);
	name[128] = '\0';
	ASSERT_INT_EQ(load(name, 0, "", &st), 0); /* falls back to default */
	stack_free(&st);
	/* 64 slashes would make a file name over NAME_MAX. */
	for (size_t i = 1; i < 128; i += 2)
		name[i] = '/';
	ASSERT_INT_EQ(load(name, 0, "record name", &st), CV_E_INVALID);

	/* Unsafe stack files. */
	put("g", ok, sizeof(ok) - 1, 0664);
	ASSERT_INT_EQ(load("g", 0, "/hooks.d/g' refused: writable by its group",
	    &st), CV_E_PERM);
	put("o", ok, sizeof(ok) - 1, 0646);
	ASSERT_INT_EQ(load("o", 0, "refused: writable by others", &st),
	    CV_E_PERM);
	put("u", ok, sizeof(ok) - 1, 0644);
	(void)snprintf(name, sizeof(name), "%s/u", hooksdir);
	ASSERT_INT_EQ(chown(name, 12345, 12345), 0);
	ASSERT_INT_EQ(load("u", 0, "refused: owned by uid 12345, not by root",
	    &st), CV_E_PERM);
	ASSERT_INT_EQ(load("u", 12345, "", &st), 0); /* the vault owner */
	stack_free(&st);
	rm("u");
	ASSERT_INT_EQ(symlink("default", name), 0);
	ASSERT_INT_EQ(load("u", 0, "/hooks.d/u': is a symbolic link", &st),
	    CV_E_PERM);
	rm("u");
	(void)snprintf(name, sizeof(name), "%s/fifo", hooksdir);
	ASSERT_INT_EQ(mkfifo(name, 0600), 0);
	ASSERT_INT_EQ(load("fifo", 0, "refused: not a regular file", &st),
	    CV_E_PERM);
	rm("fifo");
	put("bad", "authorize\nmint", 14, 0600);
	ASSERT_INT_EQ(load("bad", 0, "/hooks.d/bad:1: want", &st),
	    CV_E_INVALID);
	if ((big = malloc(CV_STACK_FILE_MAX + 1)) != NULL) {
		memset(big, '\n', CV_STACK_FILE_MAX + 1);
		put("big", big, CV_STACK_FILE_MAX, 0600);
		ASSERT_INT_EQ(load("big", 0, "", &st), 0);
		stack_free(&st);
		put("big", big, CV_STACK_FILE_MAX + 1, 0600);
		ASSERT_INT_EQ(load("big", 0, "is larger than 65536 bytes", &st),
		    CV_E_TOOBIG);
		free(big);
	}
	rm("big");
	rm("bad");

	/* An unsafe hooks directory. */
	ASSERT_INT_EQ(chmod(hooksdir, 0777), 0);
	ASSERT_INT_EQ(load("shop/eu", 0, "hooks.d' refused: '", &st), CV_E_PERM);
	ASSERT_INT_EQ(load("shop/eu", 0, "/hooks.d' is writable by others",
	    &st), CV_E_PERM);
	ASSERT_INT_EQ(chmod(hooksdir, 01777), 0); /* sticky is no excuse here */
	ASSERT_INT_EQ(load("shop/eu", 0, "is writable by others", &st),
	    CV_E_PERM);
	ASSERT_INT_EQ(chmod(hooksdir, 0750), 0);
	ASSERT_INT_EQ(chmod(tmpdir, 0770), 0); /* its parent */
	ASSERT_INT_EQ(load("shop/eu", 0, "is writable by its group", &st),
	    CV_E_PERM);
	ASSERT_INT_EQ(chmod(tmpdir, 0700), 0);
	ASSERT_INT_EQ(load("shop/eu", 0, "", &st), 0);
	stack_free(&st);
	ASSERT_TRUE(st == NULL);

	rm("shop%2Feu");
	rm("default");
	(void)rmdir(hooksdir);
	(void)rmdir(tmpdir);
}

/* The inverse of the record-to-file mapping, as the lint uses it. */
static void
test_record_of_file(void)
{
	char rec[CV_NAME_MAX + 1];

	ASSERT_INT_EQ(stack_record_of_file("shop", rec, sizeof(rec)), 0);
	ASSERT_STR_EQ(rec, "shop");
	ASSERT_INT_EQ(stack_record_of_file("shop%2Feu", rec, sizeof(rec)), 0);
	ASSERT_STR_EQ(rec, "shop/eu");
	ASSERT_INT_EQ(stack_record_of_file("shop/eu", rec, sizeof(rec)),
	    CV_E_INVALID); /* a '/' is never in a file name */
	ASSERT_INT_EQ(stack_record_of_file("Shop", rec, sizeof(rec)),
	    CV_E_INVALID);
	ASSERT_INT_EQ(stack_record_of_file(".shop.swp", rec, sizeof(rec)),
	    CV_E_INVALID);
	ASSERT_INT_EQ(stack_record_of_file("shop%2f", rec, sizeof(rec)),
	    CV_E_INVALID);
	ASSERT_INT_EQ(stack_record_of_file("", rec, sizeof(rec)),
	    CV_E_INVALID);
	ASSERT_INT_EQ(stack_record_of_file("shop", rec, 4), CV_E_INVALID);
}

int
main(void)
{
	if (secmem_init() != 0)
		return 1;
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_parse_ok();
	test_parse_errors();
	test_pam_table();
	test_pam_cases();
	test_load();
	test_record_of_file();
	return test_done("test_stack");
}
