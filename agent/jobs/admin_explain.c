/* SPDX-License-Identifier: MIT */
/* explain: a token request's answer, worked out without asking for one. */
#include "agent/jobs/admin_explain.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks/peer_ident.h"
#include "hooks/policy.h"
#include "hooks/proto.h"
#include "hooks/scope.h"
#include "vault/record.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

/* An id argument: an integer 0..2^32-2 ((uid_t)-1 means "none"). */
static int
explain_id(const json_t *v, const char *key, uint32_t *out,
    struct admin_answer *a)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= (json_int_t)UINT32_MAX) {
		admin_fail(a, CV_E_INVALID, "argument '%s' is not a user or "
		    "group id", key);
		return CV_E_INVALID;
	}
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

/* A string argument of printable ASCII, at most max bytes. */
static int
explain_text(const json_t *v, const char *key, size_t max, const char **out,
    struct admin_answer *a)
{
	const char *s = json_string_value(v);
	size_t i, n = s != NULL ? json_string_length(v) : 0;

	for (i = 0; s != NULL && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	if (s == NULL || n > max || i != n) {
		admin_fail(a, CV_E_INVALID, "argument '%s' is not printable "
		    "text of at most %zu bytes", key, max);
		return CV_E_INVALID;
	}
	*out = s;
	return 0;
}

/* The arguments: name, uid, gid, groups, exe, scope, run_hooks. */
static int
explain_args(const json_t *args, const char **name, struct peer_ident *peer,
    const char **scope, int *run_hooks, struct admin_answer *a)
{
	const char *key, *exe = "";
	json_t *v, *g;
	uint32_t id;
	size_t i;
	int have_uid = 0, have_gid = 0;

	*name = NULL;
	*scope = "";
	*run_hooks = 0;
	peer_ident_init(peer);
	peer->pid = 0;
	if (!json_is_object(args)) {
		admin_fail(a, CV_E_INVALID, "missing argument 'name'");
		return CV_E_INVALID;
	}
	json_object_foreach((json_t *)args, key, v) {
		if (strcmp(key, "name") == 0) {
			if (explain_text(v, key, CV_NAME_MAX, name, a) != 0)
				return CV_E_INVALID;
		} else if (strcmp(key, "uid") == 0) {
			if (explain_id(v, key, &id, a) != 0)
				return CV_E_INVALID;
			peer->uid = (uid_t)id;
			have_uid = 1;
		} else if (strcmp(key, "gid") == 0) {
			if (explain_id(v, key, &id, a) != 0)
				return CV_E_INVALID;
			peer->gid = (gid_t)id;
			have_gid = 1;
		} else if (strcmp(key, "groups") == 0) {
			if (!json_is_array(v) ||
			    json_array_size(v) > CV_PEER_GROUPS_MAX) {
				admin_fail(a, CV_E_INVALID, "argument 'groups' "
				    "is not a list of at most %u group ids",
				    (unsigned)CV_PEER_GROUPS_MAX);
				return CV_E_INVALID;
			}
			for (i = 0; i < json_array_size(v) &&
	    (g = json_array_get(v, i)) != NULL; i++) {
				if (explain_id(g, key, &id, a) != 0)
					return CV_E_INVALID;
				peer->groups[i] = (gid_t)id;
			}
			peer->ngroups = json_array_size(v);
		} else if (strcmp(key, "exe") == 0) {
			if (explain_text(v, key, CV_PATH_MAX - 1, &exe, a) != 0)
				return CV_E_INVALID;
			if (exe[0] != '\0' && exe[0] != '/') {
				admin_fail(a, CV_E_INVALID, "argument 'exe' "
				    "is not an absolute path");
				return CV_E_INVALID;
			}
		} else if (strcmp(key, "scope") == 0) {
			if (explain_text(v, key, CV_SCOPE_MAX, scope, a) != 0)
				return CV_E_INVALID;
		} else if (strcmp(key, "run_hooks") == 0) {
			if (!json_is_boolean(v)) {
				admin_fail(a, CV_E_INVALID, "argument "
				    "'run_hooks' is not a boolean");
				return CV_E_INVALID;
			}
			*run_hooks = json_is_true(v);
		} else {
			admin_fail(a, CV_E_INVALID, "unknown argument "
			    "'%.32s'", key);
			return CV_E_INVALID;
		}
	}
	if (*name == NULL || !record_name_is_valid(*name)) {
		admin_fail(a, CV_E_INVALID, "invalid name: use "
		    "[a-z0-9][a-z0-9._/-]{0,127}");
		return CV_E_INVALID;
	}
	if (!have_uid || !have_gid) {
		admin_fail(a, CV_E_INVALID, "missing argument '%s'",
		    have_uid ? "gid" : "uid");
		return CV_E_INVALID;
	}
	(void)snprintf(peer->exe, sizeof(peer->exe), "%s", exe);
	return 0;
}

static json_t *
explain_args_json(const char *const *args, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < n; i++)
		if (json_array_append_new(arr, json_string(args[i])) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *
explain_trace_json(const struct policy_trace *t)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:s,s:b,s:s}", "line",
	    (json_int_t)t->line, "control", t->control, "module", t->module,
	    "args", explain_args_json(t->args, t->nargs), "result",
	    proto_result_name(t->result), "ran", t->ran, "why", t->why);
}

static json_t *
explain_peer_json(const struct peer_ident *p)
{
	json_t *o, *g = json_array();
	size_t i;

	for (i = 0; g != NULL && i < p->ngroups; i++)
		if (json_array_append_new(g, json_integer(p->groups[i])) != 0) {
			json_decref(g);
			return NULL;
		}
	o = json_pack("{s:I,s:I,s:o,s:s}", "uid", (json_int_t)p->uid, "gid",
	    (json_int_t)p->gid, "groups", g, "exe", p->exe);
	return o;
}

/* The authorize request the agent would give a hook (no secret). */
static int
explain_request(const struct record *r, const struct peer_ident *peer,
    const char *name, const char *scope, struct secbuf **out)
{
	const struct generation *g = r != NULL ? record_active(r) : NULL;
	struct proto_record pr;
	struct proto_request req;

	if (r != NULL) {
		proto_record_of(&pr, r, g);
	} else {
		memset(&pr, 0, sizeof(pr));
		pr.name = name;
	}
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_AUTHORIZE;
	req.record = &pr;
	req.scope = scope;
	req.peer = peer;
	return proto_request_encode(&req, out);
}

void
admin_explain(struct vault *v, const json_t *args,
    const struct admin_ops_env *env, unsigned flags, struct admin_answer *a)
{
	static struct policy_explanation ex_zero;
	struct policy_explanation *ex = NULL;
	struct policy *own = NULL, *p = env->policy;
	struct policy_stack *stack = NULL;
	struct secbuf *plain = NULL, *request = NULL;
	struct peer_ident peer;
	struct record r;
	char req_scope[CV_SCOPE_MAX + 1], rec_scope[CV_SCOPE_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	const char *name, *asked, *verdict, *outcome;
	json_t *mods = NULL, *decided = json_null();
	size_t i;
	int rc, run_hooks, exists, active = 0, beyond = 0;

	memset(a, 0, sizeof(*a));
	memset(&r, 0, sizeof(r));
	if (explain_args(args, &name, &peer, &asked, &run_hooks, a) != 0)
		goto out;
	if (run_hooks && (flags & ADMIN_OPS_REMOTE) != 0 && !env->owner) {
		admin_fail(a, CV_E_PERM, "only the agent's own user may run "
		    "hooks for another peer (--run-hooks); ask without it");
		goto out;
	}
	if (scope_normalize(asked, req_scope, sizeof(req_scope)) != 0) {
		admin_fail(a, CV_E_INVALID, "invalid scope: at most %u "
		    "printable scopes", (unsigned)CV_SCOPES_MAX);
		goto out;
	}
	if ((plain = secbuf_new(CV_RECORD_MAX)) == NULL ||
	    (ex = malloc(sizeof(*ex))) == NULL) {
		admin_fail(a, CV_E_NOMEM, "cannot explain: out of memory");
		goto out;
	}
	*ex = ex_zero;
	rc = vault_record_get(v, name, plain, &r);
	if (rc != 0 && rc != CV_E_NOTFOUND) {
		admin_fail(a, rc, "cannot read record '%s': %s: %s", name,
		    vault_subject(v), cv_strerror(rc));
		goto out;
	}
	exists = rc == 0;
	/* No scope asked: the record's; else a subset of them. */
	rec_scope[0] = '\0';
	if (exists && scope_normalize(r.scope != NULL ? r.scope : "",
	    rec_scope, sizeof(rec_scope)) != 0)
		rec_scope[0] = '\0';
	(void)snprintf(scope, sizeof(scope), "%s", exists &&
	    req_scope[0] == '\0' ? rec_scope : req_scope);
	beyond = exists && !scope_is_subset(scope, rec_scope);
	active = exists && record_active(&r) != NULL &&
	    record_active(&r)->secret_len > 0;
	if (p == NULL && (rc = policy_new(vault_path(v), vault_owner(v),
	    getuid(), NULL, 0, &own)) != 0) {
		admin_fail(a, rc, "cannot read the stack files of '%s': %s",
		    vault_path(v), cv_strerror(rc));
		goto out;
	}
	if (p == NULL)
		p = own;
	if (!beyond) {
		if (policy_get(p, name, 0, &stack) != 0 || (run_hooks &&
		    explain_request(exists ? &r : NULL, &peer, name, scope,
		    &request) != 0)) {
			admin_fail(a, CV_E_NOMEM, "cannot explain: out of "
			    "memory");
			goto out;
		}
		policy_explain(p, stack, &peer, scope, request, run_hooks, ex);
	} else {
		ex->verdict = POLICY_EXPLAIN_DENY;
		ex->rule = "scopes";
		ex->decisive = SIZE_MAX;
		(void)snprintf(ex->reason, sizeof(ex->reason), "asks for "
		    "scopes beyond the record's (%s)", rec_scope);
	}
	verdict = ex->verdict == POLICY_EXPLAIN_ALLOW ? "allowed" :
	    ex->verdict == POLICY_EXPLAIN_DENY ? "denied" : "undecided";
	outcome = ex->verdict != POLICY_EXPLAIN_ALLOW ? verdict : !exists ?
	    "no_such_record" : !active ? "no_active_secret" : "token";
	if ((mods = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < ex->n; i++)
		if (json_array_append_new(mods, explain_trace_json(
		    &ex->trace[i])) != 0)
			goto nomem;
	if (ex->decisive < ex->n &&
	    (decided = explain_trace_json(&ex->trace[ex->decisive])) == NULL)
		goto nomem;
	a->result = json_pack("{s:s,s:b,s:b,s:s,s:s,s:o,s:s,s:s,s:s,s:s?,"
	    "s:o,s:s,s:o,s:I,s:b}",
	    "record", name, "exists", exists, "active_secret", active,
	    "scope", scope, "scope_of", exists && req_scope[0] == '\0' ?
	    "record" : "request",
	    "peer", explain_peer_json(&peer),
	    "verdict", verdict, "outcome", outcome, "rule", ex->rule,
	    "file", ex->file,
	    "decided_by", decided, "reason", ex->reason, "modules", mods,
	    "hooks_not_run", (json_int_t)ex->not_run,
	    "hooks_run", run_hooks);
	decided = mods = NULL; /* transferred */
	if (a->result == NULL)
		goto nomem;
	goto out;
nomem:
	admin_fail(a, CV_E_NOMEM, "cannot explain: out of memory");
out:
	json_decref(mods);
	json_decref(decided);
	if (stack != NULL)
		policy_put(p, &stack);
	policy_free(&own);
	secbuf_free(&request);
	secbuf_free(&plain);
	free(ex);
}
