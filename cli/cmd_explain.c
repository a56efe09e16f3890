/* SPDX-License-Identifier: MIT */
/* credvault explain: would a peer get a token, and which line decides. */
/* getgrouplist() is a BSD function. */
#define _DEFAULT_SOURCE
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define EXPLAIN_USAGE "NAME [--uid U | --user U] [--gid G | --group G] " \
	"[--exe PATH] [--scope S] [--run-hooks]"
#define EXPLAIN_PW_BUF 16384

#define EXPLAIN_HELP \
	"Say whether a process would get a token for NAME with these scopes, " \
	"and which\nline of which stack file decides, without asking for one " \
	"(nothing is minted\nor audited).  The peer is the user given (uid, " \
	"primary group and the groups\nthe group database gives it, as at " \
	"login), else you; --gid/--group sets its\nprimary group, --exe its " \
	"executable (else unknown: no exe= rule matches).\nThe answer follows " \
	"the agent: the record's scopes (asking beyond them is\ndenied), then " \
	"the authorize lines of its stack file (or \"no stack, no\nrule\": the " \
	"agent's own user only).  Built-in peer lines are evaluated;\nhook " \
	"executables are not run unless --run-hooks is given (the agent runs\n" \
	"them for its own user only): the stack is then evaluated with them " \
	"failing\nand succeeding, and if that changes the verdict the answer " \
	"is undecided.\n\nThrough the vault's agent when one serves it (its " \
	"stack files as it loaded\nthem), else on the files.  --json (global) " \
	"prints the whole answer.\nExits 0 if the peer would get a token, 5 if " \
	"denied, 4 if allowed but the\nrecord does not exist or has no active " \
	"secret, 1 if it depends on hooks\nthat were not run.\n"

struct explain_peer {
	long uid, gid;
	char user[CV_LABEL_MAX + 1];
	gid_t groups[CV_PEER_GROUPS_MAX];
	int ngroups;
};

/* A number, or a name looked up: uid/gid into *out, the name into name. */
static int
explain_user(const struct cli *c, const char *arg, int by_name,
    struct explain_peer *p, gid_t *pw_gid, int *found)
{
	struct passwd pw, *res = NULL;
	char *buf;
	unsigned long n;

	*found = 0;
	if ((buf = malloc(EXPLAIN_PW_BUF)) == NULL)
		return CV_EXIT_FAILURE;
	if (!by_name) {
		if (cli_parse_u32(arg, 0, 4294967294ul, &n) != 0) {
			free(buf);
			cli_error(c, "--uid needs a number; use --user for a "
			    "name");
			return CV_EXIT_USAGE;
		}
		p->uid = (long)n;
		(void)getpwuid_r((uid_t)n, &pw, buf, EXPLAIN_PW_BUF, &res);
	} else {
		(void)getpwnam_r(arg, &pw, buf, EXPLAIN_PW_BUF, &res);
		if (res == NULL) {
			free(buf);
			cli_error(c, "no user '%s'; give --uid for a uid "
			    "without a name", arg);
			return CV_EXIT_USAGE;
		}
		p->uid = (long)pw.pw_uid;
	}
	if (res != NULL) {
		(void)snprintf(p->user, sizeof(p->user), "%s", pw.pw_name);
		*pw_gid = pw.pw_gid;
		*found = 1;
	}
	free(buf);
	return 0;
}

static int
explain_group(const struct cli *c, const char *arg, int by_name, long *gid)
{
	struct group gr, *res = NULL;
	unsigned long n;
	char *buf;

	if (!by_name) {
		if (cli_parse_u32(arg, 0, 4294967294ul, &n) != 0) {
			cli_error(c, "--gid needs a number; use --group for a "
			    "name");
			return CV_EXIT_USAGE;
		}
		*gid = (long)n;
		return 0;
	}
	if ((buf = malloc(EXPLAIN_PW_BUF)) == NULL)
		return CV_EXIT_FAILURE;
	(void)getgrnam_r(arg, &gr, buf, EXPLAIN_PW_BUF, &res);
	if (res != NULL)
		*gid = (long)gr.gr_gid;
	free(buf);
	if (res == NULL) {
		cli_error(c, "no group '%s'; give --gid for a gid without a "
		    "name", arg);
		return CV_EXIT_USAGE;
	}
	return 0;
}

/* The peer as the kernel would report it for such a process. */
static int
explain_resolve(const struct cli *c, const char *uarg, int uname,
    const char *garg, int gname, struct explain_peer *p)
{
	gid_t pw_gid = 0;
	int found = 0, r, n;

	memset(p, 0, sizeof(*p));
	p->gid = -1;
	if (uarg == NULL) {
		/* You, as you are now. */
		p->uid = (long)getuid();
		p->gid = (long)getgid();
		n = getgroups(CV_PEER_GROUPS_MAX, p->groups);
		p->ngroups = n > 0 ? n : 0;
	} else if ((r = explain_user(c, uarg, uname, p, &pw_gid,
	    &found)) != 0) {
		return r;
	}
	if (garg != NULL && (r = explain_group(c, garg, gname, &p->gid)) != 0)
		return r;
	if (uarg == NULL)
		return 0;
	if (p->gid < 0 && !found) {
		cli_error(c, "uid %ld has no entry in the user database; give "
		    "its group with --gid or --group", p->uid);
		return CV_EXIT_USAGE;
	}
	if (p->gid < 0)
		p->gid = (long)pw_gid;
	if (found) {
		n = CV_PEER_GROUPS_MAX;
		/* The groups it would have at login (initgroups). */
		if (getgrouplist(p->user, (gid_t)p->gid, p->groups, &n) < 0)
			n = CV_PEER_GROUPS_MAX; /* more: the first ones */
		p->ngroups = n;
	} else {
		p->groups[0] = (gid_t)p->gid;
		p->ngroups = 1;
	}
	return 0;
}

static const char *
explain_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* "module arg arg" of a trace entry. */
static void
explain_module(const json_t *m, char *buf, size_t len)
{
	const json_t *a;
	size_t i, n;

	n = (size_t)snprintf(buf, len, "%s", explain_str(m, "module"));
	for (i = 0; i < json_array_size(json_object_get(m, "args")) &&
	    (a = json_array_get(json_object_get(m, "args"), i)) != NULL; i++) {
		if (n >= len)
			break;
		n += (size_t)snprintf(buf + n, len - n, " %s",
		    json_string_value(a) != NULL ? json_string_value(a) : "");
	}
}

static void
explain_text(const json_t *r)
{
	const json_t *peer = json_object_get(r, "peer");
	const json_t *d = json_object_get(r, "decided_by"), *m, *g;
	const char *file = json_string_value(json_object_get(r, "file"));
	const char *outcome = explain_str(r, "outcome");
	char mod[CV_STACK_LINE_MAX + 64];
	size_t i;

	printf("record   %s (%s)\n", explain_str(r, "record"),
	    json_is_true(json_object_get(r, "exists")) ? "exists" :
	    "no such record");
	printf("peer     uid=%lld gid=%lld groups=",
	    (long long)json_integer_value(json_object_get(peer, "uid")),
	    (long long)json_integer_value(json_object_get(peer, "gid")));
	for (i = 0; i < json_array_size(json_object_get(peer, "groups")) &&
	    (g = json_array_get(json_object_get(peer, "groups"), i)) != NULL; i++)
		printf("%s%lld", i > 0 ? "," : "",
		    (long long)json_integer_value(g));
	printf(" exe=%s\n", explain_str(peer, "exe")[0] != '\0' ?
	    explain_str(peer, "exe") : "(unknown)");
	printf("scope    %s (%s)\n", explain_str(r, "scope")[0] != '\0' ?
	    explain_str(r, "scope") : "(none)", strcmp(explain_str(r,
	    "scope_of"), "record") == 0 ? "the record's" : "as asked");
	printf("stack    %s%s%s\n", file != NULL ? file : "-",
	    strcmp(explain_str(r, "rule"), "stack") != 0 ? "; " : "",
	    strcmp(explain_str(r, "rule"), "stack") != 0 ?
	    explain_str(r, "rule") : "");
	printf("verdict  %s\n", explain_str(r, "verdict"));
	if (strcmp(explain_str(r, "verdict"), "undecided") == 0) {
		printf("decided  not yet: %s\n", explain_str(r, "reason"));
	} else if (json_is_object(d)) {
		explain_module(d, mod, sizeof(mod));
		printf("decided  %s:%lld: authorize %s %s\n", file != NULL ?
		    file : "?", (long long)json_integer_value(
		    json_object_get(d, "line")), explain_str(d, "control"),
		    mod);
	} else {
		printf("decided  by the rule: %s\n", explain_str(r, "reason"));
	}
	if (json_array_size(json_object_get(r, "modules")) > 0)
		printf("modules\n");
	for (i = 0; i < json_array_size(json_object_get(r, "modules")) &&
	    (m = json_array_get(json_object_get(r, "modules"), i)) != NULL; i++) {
		explain_module(m, mod, sizeof(mod));
		printf("  line %-3lld %-10s %-40s %s%s%s\n",
		    (long long)json_integer_value(json_object_get(m, "line")),
		    explain_str(m, "control"), mod,
		    json_is_true(json_object_get(m, "ran")) ?
		    explain_str(m, "result") : "not run",
		    explain_str(m, "why")[0] != '\0' &&
		    json_is_true(json_object_get(m, "ran")) ? ": " : "",
		    json_is_true(json_object_get(m, "ran")) ?
		    explain_str(m, "why") : "");
	}
	if (json_integer_value(json_object_get(r, "hooks_not_run")) > 0)
		printf("(hook executables are not run without --run-hooks; the "
		    "verdict %s on them)\n", strcmp(explain_str(r, "verdict"),
		    "undecided") == 0 ? "depends" : "does not depend");
	if (strcmp(outcome, "token") == 0)
		printf("=> a token request from this peer would get a token\n");
	else if (strcmp(outcome, "denied") == 0)
		printf("=> a token request from this peer would be denied\n");
	else if (strcmp(outcome, "undecided") == 0)
		printf("=> it depends on the hooks; run with --run-hooks to "
		    "run them\n");
	else
		printf("=> allowed, but the request would fail: %s\n",
		    strcmp(outcome, "no_such_record") == 0 ? "no such record" :
		    "the record has no active secret");
}

int
cmd_explain(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uid", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'U' },
		{ "gid", required_argument, NULL, 'g' },
		{ "group", required_argument, NULL, 'G' },
		{ "exe", required_argument, NULL, 'e' },
		{ "scope", required_argument, NULL, 's' },
		{ "run-hooks", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *uarg = NULL, *garg = NULL, *exe = "", *scope = "";
	const char *outcome;
	int uname = 0, gname = 0, run_hooks = 0, ch, r, i;
	struct explain_peer p;
	json_t *args, *groups, *res = NULL;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
		case 'U':
			if (uarg != NULL)
				return cli_usage(c, EXPLAIN_USAGE);
			uarg = optarg;
			uname = ch == 'U';
			break;
		case 'g':
		case 'G':
			if (garg != NULL)
				return cli_usage(c, EXPLAIN_USAGE);
			garg = optarg;
			gname = ch == 'G';
			break;
		case 'e':
			exe = optarg != NULL ? optarg : "";
			break;
		case 's':
			scope = optarg != NULL ? optarg : "";
			break;
		case 'r':
			run_hooks = 1;
			break;
		case 'h':
			printf("usage: credvault explain " EXPLAIN_USAGE "\n%s",
			    EXPLAIN_HELP);
			return 0;
		default:
			return cli_usage(c, EXPLAIN_USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(c, EXPLAIN_USAGE);
	if (exe[0] != '\0' && exe[0] != '/') {
		cli_error(c, "--exe needs an absolute path, as the agent sees "
		    "executables");
		return CV_EXIT_USAGE;
	}
	if ((r = explain_resolve(c, uarg, uname, garg, gname, &p)) != 0)
		return r;
	if ((groups = json_array()) == NULL)
		return CV_EXIT_FAILURE;
	for (i = 0; i < p.ngroups; i++)
		(void)json_array_append_new(groups, json_integer(p.groups[i]));
	args = json_pack("{s:s,s:I,s:I,s:o,s:s,s:s,s:b}", "name",
	    argv[optind], "uid", (json_int_t)p.uid, "gid", (json_int_t)p.gid,
	    "groups", groups, "exe", exe, "scope", scope, "run_hooks",
	    run_hooks);
	if (args == NULL)
		return CV_EXIT_FAILURE;
	if ((r = cli_admin(c, "explain", args, &res)) != 0)
		return r;
	if (c->json)
		output_json(res);
	else
		explain_text(res);
	outcome = explain_str(res, "outcome");
	r = strcmp(outcome, "token") == 0 ? 0 : strcmp(outcome, "denied") == 0 ?
	    CV_EXIT_REFUSED : strcmp(outcome, "undecided") == 0 ?
	    CV_EXIT_FAILURE : CV_EXIT_NOTFOUND;
	json_decref(res);
	return r;
}
