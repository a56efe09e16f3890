/* SPDX-License-Identifier: MIT */
/* The built-in `peer` module: match the requesting process and its scopes. */
#include "hooks/peer_rule.h"

#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

#define PEER_NAME_MAX 64             /* user and group names */
#define PEER_NSS_BUF_MIN 4096        /* getpwnam_r()/getgrnam_r() buffer */
#define PEER_NSS_BUF_MAX (1u << 20)  /* a group with a huge member list */

enum peer_key { PEER_UID, PEER_USER, PEER_GID, PEER_GROUP, PEER_EXE,
	PEER_SCOPES, PEER_OPS, PEER_RECORDS, PEER_KEYS };

static const char *const peer_keys[PEER_KEYS] = {
	[PEER_UID] = "uid", [PEER_USER] = "user", [PEER_GID] = "gid",
	[PEER_GROUP] = "group", [PEER_EXE] = "exe", [PEER_SCOPES] = "scopes",
	[PEER_OPS] = "ops", [PEER_RECORDS] = "records",
};

/*
 * Step through a comma-separated list: the next item in (*s, *n), and
 * *cur moves past it.  0 at the end of the list.
 */
static int
peer_next(const char **cur, char sep, const char **s, size_t *n)
{
	const char *p = *cur, *e;

	while (*p == sep)
		p++;
	if (*p == '\0')
		return 0;
	for (e = p; *e != '\0' && *e != sep; e++)
		;
	*s = p;
	*n = (size_t)(e - p);
	*cur = e;
	return 1;
}

/* A decimal id, no sign, below (uid_t)-1; 0 or CV_E_INVALID. */
static int
peer_parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	*out = 0;
	if (n == 0 || n > 10)
		return CV_E_INVALID;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CV_E_INVALID;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return CV_E_INVALID;
	*out = (uint32_t)v;
	return 0;
}

static int
peer_is_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PEER_NAME_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '$' && i == n - 1 && i > 0)
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A record name glob: the name's characters and fnmatch's * ? [ ] !. */
static int
peer_is_glob(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || strchr("._/-*?[]!", s[i]) != NULL))
			return 0;
	return n > 0 && n <= CV_NAME_MAX;
}

static int
peer_is_scope(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return n > 0;
}

/* Validate every alternative of one value for key k. */
static int
peer_check_value(enum peer_key k, const char *value, char *why,
    size_t whylen)
{
	const char *cur = value, *s;
	size_t n, count = 0, len = strlen(value);
	uint32_t id;
	int ok;

	if (len == 0 || value[0] == ',' || value[len - 1] == ',' ||
	    strstr(value, ",,") != NULL) {
		cv_why(why, whylen, "peer: '%s=' has an empty value",
		    peer_keys[k]);
		return CV_E_INVALID;
	}
	while (peer_next(&cur, ',', &s, &n)) {
		if (++count > CV_PEER_ALTS_MAX) {
			cv_why(why, whylen, "peer: '%s=' has more than %u "
			    "values", peer_keys[k], (unsigned)CV_PEER_ALTS_MAX);
			return CV_E_INVALID;
		}
		switch (k) {
		case PEER_UID:
		case PEER_GID:
			ok = peer_parse_id(s, n, &id) == 0;
			break;
		case PEER_USER:
		case PEER_GROUP:
			ok = peer_is_name(s, n);
			break;
		case PEER_EXE:
			ok = s[0] == '/' && n < CV_PATH_MAX;
			break;
		case PEER_OPS:
			ok = proto_admin_op_parse(s, n) != NULL;
			break;
		case PEER_RECORDS:
			ok = peer_is_glob(s, n);
			break;
		case PEER_SCOPES:
		default:
			ok = peer_is_scope(s, n);
			break;
		}
		if (!ok) {
			cv_why(why, whylen, "peer: bad value in '%s=' (%s)",
			    peer_keys[k], k == PEER_UID || k == PEER_GID ?
			    "want a decimal id" : k == PEER_EXE ?
			    "want an absolute path" : k == PEER_SCOPES ?
			    "want scope names" : k == PEER_OPS ?
			    "want operations: " PROTO_ADMIN_OPS_TEXT :
			    k == PEER_RECORDS ? "want record names or globs" :
			    "want a user or group name");
			return CV_E_INVALID;
		}
	}
	return 0;
}

int
peer_rule_parse(struct peer_rule *rule, const char *const *args, size_t n,
    char *why, size_t whylen)
{
	const char *vals[PEER_KEYS] = { NULL };
	const char *eq;
	size_t i, klen;
	unsigned k;
	int r;

	memset(rule, 0, sizeof(*rule));
	for (i = 0; i < n; i++) {
		eq = strchr(args[i], '=');
		klen = eq == NULL ? 0 : (size_t)(eq - args[i]);
		for (k = 0; k < PEER_KEYS; k++)
			if (eq != NULL && strlen(peer_keys[k]) == klen &&
			    memcmp(peer_keys[k], args[i], klen) == 0)
				break;
		if (k == PEER_KEYS) {
			cv_why(why, whylen, "peer: unknown argument '%.*s' "
			    "(want uid=, user=, gid=, group=, exe=, scopes=, ops= "
			    "or records=)",
			    (int)(klen > 0 && klen < 32 ? klen : 32), args[i]);
			return CV_E_INVALID;
		}
		if (vals[k] != NULL) {
			cv_why(why, whylen, "peer: '%s=' given twice",
			    peer_keys[k]);
			return CV_E_INVALID;
		}
		if ((r = peer_check_value((enum peer_key)k, eq + 1, why,
		    whylen)) != 0)
			return r;
		vals[k] = eq + 1;
	}
	rule->uid = vals[PEER_UID];
	rule->user = vals[PEER_USER];
	rule->gid = vals[PEER_GID];
	rule->group = vals[PEER_GROUP];
	rule->exe = vals[PEER_EXE];
	rule->scopes = vals[PEER_SCOPES];
	rule->ops = vals[PEER_OPS];
	rule->records = vals[PEER_RECORDS];
	return 0;
}

static int
peer_has_gid(const struct peer_ident *id, gid_t g)
{
	size_t i;

	if (id->gid == g)
		return 1;
	for (i = 0; i < id->ngroups && i < CV_PEER_GROUPS_MAX; i++)
		if (id->groups[i] == g)
			return 1;
	return 0;
}

/* Whether one of the listed ids is the peer's uid (or one of its gids). */
static int
peer_match_ids(const char *list, const struct peer_ident *id, int is_gid)
{
	const char *cur = list, *s;
	size_t n;
	uint32_t v;

	while (peer_next(&cur, ',', &s, &n)) {
		if (peer_parse_id(s, n, &v) != 0)
			continue; /* validated at parse time */
		if (is_gid ? peer_has_gid(id, (gid_t)v) : id->uid == (uid_t)v)
			return 1;
	}
	return 0;
}

/*
 * Whether one of the listed names is the peer's user (or one of its
 * groups): 1, 0, or CV_E_IO when the name service failed.
 */
static int
peer_match_names(const char *list, const struct peer_ident *id, int is_group)
{
	const char *cur = list, *s;
	char name[PEER_NAME_MAX + 1], *buf = NULL, *nbuf;
	size_t n, buflen = PEER_NSS_BUF_MIN;
	struct passwd pw, *pwp;
	struct group gr, *grp;
	int rc, r = CV_E_NOMEM;

	if ((buf = malloc(buflen)) == NULL)
		goto out;
	while (peer_next(&cur, ',', &s, &n)) {
		if (n > PEER_NAME_MAX)
			continue; /* validated at parse time */
		memcpy(name, s, n);
		name[n] = '\0';
		for (;;) {
			pwp = NULL;
			grp = NULL;
			rc = is_group ? getgrnam_r(name, &gr, buf, buflen, &grp)
			    : getpwnam_r(name, &pw, buf, buflen, &pwp);
			if (rc != ERANGE)
				break;
			if (buflen >= PEER_NSS_BUF_MAX) {
				r = CV_E_IO;
				goto out;
			}
			buflen *= 2;
			if ((nbuf = realloc(buf, buflen)) == NULL)
				goto out;
			buf = nbuf;
		}
		/* glibc reports "no such name" as 0 and a NULL result. */
		if (rc != 0) {
			r = CV_E_IO;
			goto out;
		}
		if ((is_group && grp != NULL && peer_has_gid(id, grp->gr_gid)) ||
		    (!is_group && pwp != NULL && pwp->pw_uid == id->uid)) {
			r = 1;
			goto out;
		}
	}
	r = 0;
out:
	free(buf);
	return r;
}

static int
peer_match_exe(const char *list, const struct peer_ident *id)
{
	const char *cur = list, *s;
	size_t n, len = strnlen(id->exe, sizeof(id->exe));

	if (len == 0 || len == sizeof(id->exe))
		return 0; /* unknown: fail closed */
	while (peer_next(&cur, ',', &s, &n))
		if (n == len && memcmp(s, id->exe, n) == 0)
			return 1;
	return 0;
}

/* Whether every space-separated scope of want is one of list's. */
static int
peer_match_scopes(const char *list, const char *want, char *why,
    size_t whylen)
{
	const char *wcur = want, *ws, *cur, *s;
	size_t wn, n;
	int found;

	while (peer_next(&wcur, ' ', &ws, &wn)) {
		found = 0;
		cur = list;
		while (!found && peer_next(&cur, ',', &s, &n))
			found = n == wn && memcmp(s, ws, n) == 0;
		if (!found) {
			cv_why(why, whylen, "peer: requested scope '%.*s' is not "
			    "in scopes=%.200s", (int)(wn < 64 ? wn : 64), ws,
			    list);
			return 0;
		}
	}
	return 1;
}

/* Whether the operation asked for is one of list's. */
static int
peer_match_op(const char *list, const char *op)
{
	const char *cur = list, *s;
	size_t n;

	if (op == NULL)
		return 0; /* a token request: ops= lines are for admin */
	while (peer_next(&cur, ',', &s, &n))
		if (n == strlen(op) && memcmp(s, op, n) == 0)
			return 1;
	return 0;
}

/* Whether the record asked about matches one of list's globs. */
static int
peer_match_record(const char *list, const char *record)
{
	char glob[CV_NAME_MAX + 1];
	const char *cur = list, *s;
	size_t n;

	if (record == NULL || record[0] == '\0')
		return 0; /* an operation on no one record */
	while (peer_next(&cur, ',', &s, &n)) {
		if (n > CV_NAME_MAX)
			continue; /* validated at parse time */
		memcpy(glob, s, n);
		glob[n] = '\0';
		if (fnmatch(glob, record, 0) == 0)
			return 1;
	}
	return 0;
}

enum proto_result
peer_rule_match(const struct peer_rule *rule, const struct peer_ident *id,
    const struct peer_ask *ask, char *why, size_t whylen)
{
	const char *scope = ask != NULL ? ask->scope : NULL;
	int m;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (id == NULL) {
		cv_why(why, whylen, "peer: no peer to match");
		return PROTO_FAIL;
	}
	if (rule->uid != NULL && !peer_match_ids(rule->uid, id, 0)) {
		cv_why(why, whylen, "peer: uid %lu not in uid=%.200s",
		    (unsigned long)id->uid, rule->uid);
		return PROTO_FAIL;
	}
	if (rule->gid != NULL && !peer_match_ids(rule->gid, id, 1)) {
		cv_why(why, whylen, "peer: no gid of uid %lu in gid=%.200s",
		    (unsigned long)id->uid, rule->gid);
		return PROTO_FAIL;
	}
	if (rule->exe != NULL && !peer_match_exe(rule->exe, id)) {
		cv_why(why, whylen, "peer: executable %.200s of pid %ld not "
		    "in exe=%.200s", id->exe[0] != '\0' ? id->exe : "(unknown)",
		    (long)id->pid, rule->exe);
		return PROTO_FAIL;
	}
	if (rule->scopes != NULL &&
	    !peer_match_scopes(rule->scopes, scope != NULL ? scope : "", why,
	    whylen))
		return PROTO_FAIL;
	if (rule->ops != NULL &&
	    !peer_match_op(rule->ops, ask != NULL ? ask->op : NULL)) {
		cv_why(why, whylen, "peer: operation '%s' not in ops=%.200s",
		    ask != NULL && ask->op != NULL ? ask->op : "token",
		    rule->ops);
		return PROTO_FAIL;
	}
	if (rule->records != NULL &&
	    !peer_match_record(rule->records, ask != NULL ? ask->record :
	    NULL)) {
		cv_why(why, whylen, "peer: record '%s' not in records=%.200s",
		    ask != NULL && ask->record != NULL ? ask->record : "",
		    rule->records);
		return PROTO_FAIL;
	}
	/* Name lookups last: they are the slow ones. */
	if (rule->user != NULL &&
	    (m = peer_match_names(rule->user, id, 0)) != 1) {
		if (m < 0) {
			cv_why(why, whylen, "peer: user lookup failed");
			return PROTO_ERROR;
		}
		cv_why(why, whylen, "peer: uid %lu is not one of user=%.200s",
		    (unsigned long)id->uid, rule->user);
		return PROTO_FAIL;
	}
	if (rule->group != NULL &&
	    (m = peer_match_names(rule->group, id, 1)) != 1) {
		if (m < 0) {
			cv_why(why, whylen, "peer: group lookup failed");
			return PROTO_ERROR;
		}
		cv_why(why, whylen, "peer: uid %lu is in none of "
		    "group=%.200s", (unsigned long)id->uid, rule->group);
		return PROTO_FAIL;
	}
	return PROTO_SUCCESS;
}
