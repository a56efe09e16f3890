/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/peer: the built-in `peer` module. */
#include <string.h>

#include "hooks/peer_rule.h"
#include "base/err.h"
#include "test.h"
#include "base/banned.h"

#define MAXARGS 8

/* Parse a rule from up to MAXARGS argument strings ending with NULL. */
static int
parse(struct peer_rule *rule, const char *const *args, char *why)
{
	size_t n = 0;

	while (n < MAXARGS && args[n] != NULL)
		n++;
	return peer_rule_parse(rule, args, n, why, CV_HOOK_REASON_MAX);
}

static void
test_parse(void)
{
	static const struct {
		const char *args[MAXARGS];
		int err;
		const char *why;
	} cases[] = {
		{ { NULL }, 0, "" },
		{ { "uid=0,1000", "gid=27", "user=deploy", "group=shop-deploy",
		    "exe=/usr/bin/a,/usr/bin/b", "scopes=view:a,manage:b", NULL },
		    0, "" },
		{ { "user=svc$", "group=a.b_c-d", NULL }, 0, "" },
		{ { "uidd=1", NULL }, CV_E_INVALID, "unknown argument 'uidd'" },
		{ { "uid", NULL }, CV_E_INVALID, "unknown argument" },
		{ { "=1", NULL }, CV_E_INVALID, "unknown argument" },
		{ { "uid=1", "uid=2", NULL }, CV_E_INVALID, "given twice" },
		{ { "uid=", NULL }, CV_E_INVALID, "empty value" },
		{ { "uid=1,", NULL }, CV_E_INVALID, "empty value" },
		{ { "uid=,1", NULL }, CV_E_INVALID, "empty value" },
		{ { "uid=1,,2", NULL }, CV_E_INVALID, "empty value" },
		{ { "uid=abc", NULL }, CV_E_INVALID, "decimal id" },
		{ { "uid=-1", NULL }, CV_E_INVALID, "decimal id" },
		{ { "uid=+1", NULL }, CV_E_INVALID, "decimal id" },
		{ { "uid=4294967295", NULL }, CV_E_INVALID, "decimal id" },
		{ { "uid=99999999999", NULL }, CV_E_INVALID, "decimal id" },
		{ { "gid=4294967294", NULL }, 0, "" },
		{ { "user=-rf", NULL }, CV_E_INVALID, "user or group name" },
		{ { "user=a b", NULL }, CV_E_INVALID, "user or group name" },
		{ { "group=a$b", NULL }, CV_E_INVALID, "user or group name" },
		{ { "group=$", NULL }, CV_E_INVALID, "user or group name" },
		{ { "exe=bin/sh", NULL }, CV_E_INVALID, "absolute path" },
		{ { "scopes=a\x01", NULL }, CV_E_INVALID, "scope names" },
		{ { "uid=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,"
		    "22,23,24,25,26,27,28,29,30,31,32,33", NULL }, CV_E_INVALID,
		    "more than 32" },
	};
	struct peer_rule rule;
	char why[CV_HOOK_REASON_MAX];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		r = parse(&rule, cases[i].args, why);
		if (r != cases[i].err || strstr(why, cases[i].why) == NULL)
			fprintf(stderr, "parse case %zu: got %d '%s'\n", i, r, why);
		ASSERT_INT_EQ(r, cases[i].err);
		ASSERT_TRUE(strstr(why, cases[i].why) != NULL);
	}
	ASSERT_INT_EQ(parse(&rule, (const char *const[]){ "uid=5", "exe=/x",
	    NULL }, why), 0);
	ASSERT_STR_EQ(rule.uid, "5");
	ASSERT_STR_EQ(rule.exe, "/x");
	ASSERT_TRUE(rule.user == NULL && rule.group == NULL &&
	    rule.gid == NULL && rule.scopes == NULL);
}

/* Match a peer against a rule given as argument strings. */
static enum proto_result
match(const char *const *args, const struct peer_ident *id, const char *scope)
{
	struct peer_rule rule;
	char why[CV_HOOK_REASON_MAX];

	if (parse(&rule, args, why) != 0) {
		TEST_FAIL_AT("rule does not parse: %s", why);
		return PROTO_ERROR;
	}
	struct peer_ask ask = { scope, NULL, NULL };

	return peer_rule_match(&rule, id, &ask, why, sizeof(why));
}

static void
test_match(void)
{
	struct peer_ident id;
	char why[CV_HOOK_REASON_MAX];
	struct peer_rule rule;

	peer_ident_init(&id);
	id.uid = 1000;
	id.gid = 100;
	id.pid = 77;
	id.ngroups = 2;
	id.groups[0] = 27;
	id.groups[1] = 4000;
	memcpy(id.exe, "/usr/bin/deploy", sizeof("/usr/bin/deploy"));

	ASSERT_INT_EQ(match((const char *const[]){ NULL }, &id, ""),
	    PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ NULL }, NULL, ""),
	    PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "uid=1000", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "uid=0,1000", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "uid=0,10000", NULL }, &id,
	    NULL), PROTO_FAIL);
	/* gid matches the primary or any supplementary group. */
	ASSERT_INT_EQ(match((const char *const[]){ "gid=100", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "gid=5,4000", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "gid=5,6", NULL }, &id,
	    NULL), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "exe=/usr/bin/deploy",
	    NULL }, &id, NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "exe=/usr/bin/deplo",
	    NULL }, &id, NULL), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "exe=/usr/bin/deploy2",
	    NULL }, &id, NULL), PROTO_FAIL);
	/* Every argument must match. */
	ASSERT_INT_EQ(match((const char *const[]){ "uid=1000", "gid=1",
	    NULL }, &id, NULL), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "uid=1000", "gid=27",
	    "exe=/usr/bin/deploy", NULL }, &id, NULL), PROTO_SUCCESS);
	/* Scopes: the request must be a subset. */
	ASSERT_INT_EQ(match((const char *const[]){ "scopes=a:x,b:x", NULL },
	    &id, "a:x"), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "scopes=a:x,b:x", NULL },
	    &id, "b:x  a:x"), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "scopes=a:x,b:x", NULL },
	    &id, "a:x c:x"), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "scopes=a:x,b:x", NULL },
	    &id, "a:"), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "scopes=a:x,b:x", NULL },
	    &id, ""), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "scopes=a:x,b:x", NULL },
	    &id, NULL), PROTO_SUCCESS);
	/* Names: root exists everywhere; a missing name matches nobody. */
	id.uid = 0;
	id.gid = 0;
	ASSERT_INT_EQ(match((const char *const[]){ "user=root", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "user=nosuchuser-cv,root",
	    NULL }, &id, NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "user=nosuchuser-cv",
	    NULL }, &id, NULL), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "group=root", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	id.gid = 100;
	ASSERT_INT_EQ(match((const char *const[]){ "group=root", NULL }, &id,
	    NULL), PROTO_FAIL);
	id.groups[1] = 0; /* root as a supplementary group */
	ASSERT_INT_EQ(match((const char *const[]){ "group=root", NULL }, &id,
	    NULL), PROTO_SUCCESS);
	ASSERT_INT_EQ(match((const char *const[]){ "group=nosuchgroup-cv",
	    NULL }, &id, NULL), PROTO_FAIL);
	/* An unknown executable never matches. */
	id.exe[0] = '\0';
	ASSERT_INT_EQ(match((const char *const[]){ "exe=/usr/bin/deploy",
	    NULL }, &id, NULL), PROTO_FAIL);
	/* A fresh identity matches nothing specific. */
	peer_ident_init(&id);
	ASSERT_INT_EQ(match((const char *const[]){ "gid=0", NULL }, &id,
	    NULL), PROTO_FAIL);
	ASSERT_INT_EQ(match((const char *const[]){ "uid=0", NULL }, &id,
	    NULL), PROTO_FAIL);
	/* The reason names the argument, not the peer's secrets. */
	ASSERT_INT_EQ(parse(&rule, (const char *const[]){ "uid=5", NULL }, why),
	    0);
	ASSERT_INT_EQ(peer_rule_match(&rule, &id, NULL, why, sizeof(why)),
	    PROTO_FAIL);
	ASSERT_TRUE(strstr(why, "uid=") != NULL);
}

int
main(void)
{
	test_parse();
	test_match();
	return test_done("test_peer");
}
