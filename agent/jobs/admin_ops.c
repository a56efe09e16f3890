/* SPDX-License-Identifier: MIT */
/* The admin operations: one function per operation, JSON in, JSON out. */
#include "agent/jobs/admin_ops.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <sodium.h>

#include "agent/jobs/admin_explain.h"
#include "hooks/lint.h"
#include "hooks/proto.h"
#include "hooks/rotator.h"
#include "vault/rotate.h"
#include "vault/record.h"
#include "base/dynlib.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

/* What to do next after an error, per code. */
static const char *
admin_hint(int err)
{
	switch (err) {
	case CV_E_AUTH:
		return "check the passphrase or key file";
	case CV_E_INTEGRITY:
		return "the vault data was altered or damaged; run 'credvault "
		    "check' and restore from a backup if needed";
	case CV_E_NOSPACE:
		return "free disk space and retry; the vault is unchanged";
	case CV_E_NOTFOUND:
		return "see 'credvault list'";
	case CV_E_BUSY:
		return "retry in a moment";
	default:
		return NULL;
	}
}

void
admin_fail(struct admin_answer *a, int err, const char *fmt, ...)
{
	va_list ap;

	a->err = err;
	va_start(ap, fmt);
	(void)vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
}

/* a fails with err from the vault: "cannot DOING: subject: why; hint". */
static void
admin_fail_vault(struct admin_answer *a, const struct vault *v, int err,
    const char *doing)
{
	const char *subject = v != NULL ? vault_subject(v) : "";
	const char *hint = admin_hint(err);

	admin_fail(a, err, "cannot %s: %s%s%s%s%s", doing,
	    subject[0] != '\0' ? subject : "", subject[0] != '\0' ? ": " : "",
	    cv_strerror(err), hint != NULL ? "; " : "", hint != NULL ? hint :
	    "");
}

/* ---- arguments -------------------------------------------------------- */

/* Every member of args is one of allowed (a NULL-ended list). */
static int
admin_args_only(const json_t *args, const char *const *allowed,
    struct admin_answer *a)
{
	const char *key;
	json_t *v;
	size_t i;

	if (args == NULL)
		return 0;
	json_object_foreach((json_t *)args, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			admin_fail(a, CV_E_INVALID, "unknown argument '%.32s'",
			    key);
			return CV_E_INVALID;
		}
	}
	(void)v;
	return 0;
}

/* args' string key (at most max bytes, printable ASCII), or NULL when
 * absent and not required. */
static int
admin_str(const json_t *args, const char *key, int required, size_t max,
    const char **out, struct admin_answer *a)
{
	json_t *v = args != NULL ? json_object_get(args, key) : NULL;
	const char *s;
	size_t i, n;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		admin_fail(a, CV_E_INVALID, "missing argument '%s'", key);
		return CV_E_INVALID;
	}
	if (!json_is_string(v) || (n = json_string_length(v)) > max) {
		admin_fail(a, CV_E_INVALID, "argument '%s' is not a string of "
		    "at most %zu bytes", key, max);
		return CV_E_INVALID;
	}
	s = json_string_value(v);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) {
			admin_fail(a, CV_E_INVALID, "argument '%s' is not "
			    "printable ASCII", key);
			return CV_E_INVALID;
		}
	*out = s;
	return 0;
}

/* args' integer key in [min, max], or dflt when absent. */
static int
admin_uint(const json_t *args, const char *key, json_int_t min,
    json_int_t max, json_int_t dflt, json_int_t *out, struct admin_answer *a)
{
	json_t *v = args != NULL ? json_object_get(args, key) : NULL;

	*out = dflt;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		admin_fail(a, CV_E_INVALID, "argument '%s' is not an integer in "
		    "%lld..%lld", key, (long long)min, (long long)max);
		return CV_E_INVALID;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
admin_bool(const json_t *args, const char *key, int *out,
    struct admin_answer *a)
{
	json_t *v = args != NULL ? json_object_get(args, key) : NULL;

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		admin_fail(a, CV_E_INVALID, "argument '%s' is not a boolean",
		    key);
		return CV_E_INVALID;
	}
	*out = json_is_true(v);
	return 0;
}

/* The record name argument, checked. */
static int
admin_name(const json_t *args, const char **name, struct admin_answer *a)
{
	if (admin_str(args, "name", 1, CV_NAME_MAX, name, a) != 0)
		return CV_E_INVALID;
	if (!record_name_is_valid(*name)) {
		admin_fail(a, CV_E_INVALID, "invalid name: use "
		    "[a-z0-9][a-z0-9._/-]{0,127}");
		return CV_E_INVALID;
	}
	return 0;
}

/* ---- records ---------------------------------------------------------- */

json_t *
admin_record_json(const struct record *r)
{
	json_t *o, *gens, *g1;
	uint32_t i;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}",
	    "name", r->name, "provider", r->provider,
	    "project_key", r->project_key ? r->project_key : "",
	    "client_id", record_client_id(r),
	    "scope", r->scope ? r->scope : "",
	    "api_url", r->api_url ? r->api_url : "",
	    "auth_url", r->auth_url,
	    "created_at", (json_int_t)r->created_at,
	    "updated_at", (json_int_t)r->updated_at);
	if (o == NULL || (gens = json_array()) == NULL ||
	    json_object_set_new(o, "generations", gens) != 0) {
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < r->ngen; i++) {
		const struct generation *g = &r->gen[i];

		g1 = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:b,s:b,s:b}",
		    "number", (json_int_t)g->number,
		    "state", record_state_name(g->state),
		    "client_id", g->client_id,
		    "created_at", (json_int_t)g->created_at,
		    "activated_at", (json_int_t)g->activated_at,
		    "retired_at", (json_int_t)g->retired_at,
		    "revealed_at", (json_int_t)g->revealed_at,
		    "revealable", !(g->flags & GEN_F_NO_REVEAL) &&
		    g->revealed_at == 0 && !(g->flags & GEN_F_WIPED),
		    "no_reveal", (g->flags & GEN_F_NO_REVEAL) != 0,
		    "secret_wiped", (g->flags & GEN_F_WIPED) != 0,
		    "client_deleted", (g->flags & GEN_F_DELETED) != 0);
		if (g1 == NULL || json_array_append_new(gens, g1) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	if (json_object_set_new(o, "rotation", json_pack(
	    "{s:s,s:I,s:s,s:I,s:I,s:s}",
	    "step", record_step_name(r->rot.step),
	    "generation", (json_int_t)r->rot.generation,
	    "client_name", r->rot.client_name ? r->rot.client_name : "",
	    "started_at", (json_int_t)r->rot.started_at,
	    "attempts", (json_int_t)r->rot.attempts,
	    "last_error", r->rot.last_error ? r->rot.last_error : "")) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void
admin_op_vault(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { NULL };

	if (admin_args_only(args, allowed, a) != 0)
		return;
	a->result = json_pack("{s:s}", "path", vault_path(v));
}

static void
admin_op_show(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "name", NULL };
	struct secbuf *plain = NULL;
	const char *name;
	struct record r;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_name(args, &name, a) != 0)
		return;
	if ((plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "show the record");
		return;
	}
	if ((rc = vault_record_get(v, name, plain, &r)) != 0)
		admin_fail_vault(a, v, rc, "show the record");
	else if ((a->result = admin_record_json(&r)) == NULL)
		admin_fail_vault(a, NULL, CV_E_NOMEM, "show the record");
	secbuf_free(&plain);
}

/* list: every record's summary, and what could not be read. */
struct admin_list {
	json_t *items, *problems;
	const char *glob, *provider, *after; /* filters; NULL: none */
	int names;                           /* each item only its name */
};

static int
admin_list_record(const struct record *r, void *arg)
{
	const struct generation *g = record_active(r);
	struct admin_list *l = arg;
	json_t *o;

	if ((l->glob != NULL && fnmatch(l->glob, r->name, 0) != 0) ||
	    (l->provider != NULL && strcmp(l->provider, r->provider) != 0) ||
	    (l->after != NULL && strcmp(r->name, l->after) <= 0))
		return 0;
	/* A plain list prints names: the rest would be built, sent and
	 * parsed for nothing. */
	if (l->names)
		o = json_pack("{s:s}", "name", r->name);
	else
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:b}", "name",
		    r->name, "provider", r->provider,
		    "project_key", r->project_key ? r->project_key : "",
		    "client_id", record_client_id(r),
		    "scope", r->scope ? r->scope : "",
		    "generation", (json_int_t)(g != NULL ? g->number : 0),
		    "activated_at", (json_int_t)(g != NULL ?
		    g->activated_at : 0),
		    "revealed", g != NULL && g->revealed_at != 0);
	if (o == NULL || json_array_append_new(l->items, o) != 0)
		return CV_E_NOMEM;
	return 0;
}

static int
admin_list_corrupt(const char *id, int err, void *arg)
{
	struct admin_list *l = arg;
	char msg[160];

	(void)err;
	(void)snprintf(msg, sizeof(msg), "a sealed record (storage id "
	    "%.16s...) fails authentication; run 'credvault check'", id);
	return json_array_append_new(l->problems, json_string(msg)) == 0 ? 0 :
	    CV_E_NOMEM;
}

static int
admin_list_stale(const char *why, void *arg)
{
	struct admin_list *l = arg;
	char msg[ADMIN_DETAIL_MAX];

	(void)snprintf(msg, sizeof(msg), "the vault is inconsistent: %s; run "
	    "'credvault check'", why);
	return json_array_append_new(l->problems, json_string(msg)) == 0 ? 0 :
	    CV_E_NOMEM;
}

static int
admin_list_cmp(const void *x, const void *y)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)x,
	    "name")), json_string_value(json_object_get(*(json_t *const *)y,
	    "name")));
}

/* Through the agent, a list comes in pages that fit a frame. */
#define ADMIN_PAGE_BYTES (CV_ADMIN_REPLY_MAX / 4)

static int
admin_confine_page(struct vault *v, const json_t *args, json_t **out,
    struct admin_answer *a)
{
	(void)v;
	if ((*out = args != NULL ? json_deep_copy(args) : json_object()) ==
	    NULL ||
	    json_object_set_new(*out, "page_bytes",
	    json_integer(ADMIN_PAGE_BYTES)) != 0) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "answer in pages");
		return CV_E_NOMEM;
	}
	return 0;
}

/* items[0..n) appended to page while they fit in budget bytes (0: no
 * limit); the index of the first left out. */
static size_t
admin_page_fill(json_t *page, json_t *const *items, size_t n, size_t budget)
{
	size_t i, used = 0;

	for (i = 0; i < n; i++) {
		used += json_dumpb(items[i], NULL, 0, JSON_COMPACT) + 1;
		if (budget != 0 && used > budget && i > 0)
			break;
		if (json_array_append(page, items[i]) != 0)
			break;
	}
	return i;
}

static void
admin_op_list(struct vault *v, const json_t *args, struct admin_answer *a)
{
	static const char *const allowed[] = { "glob", "provider", "after",
		"page_bytes", "names", NULL };
	struct admin_list l = { json_array(), json_array(), NULL, NULL, NULL,
		0 };
	struct vault_visitor vis = { admin_list_record, admin_list_corrupt, &l,
		admin_list_stale };
	json_t **items = NULL, *page = NULL;
	json_int_t budget;
	size_t i, n, used;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_str(args, "glob", 0, CV_NAME_MAX, &l.glob, a) != 0 ||
	    admin_str(args, "provider", 0, CV_PROVIDER_MAX, &l.provider,
	    a) != 0 ||
	    admin_str(args, "after", 0, CV_NAME_MAX, &l.after, a) != 0 ||
	    admin_uint(args, "page_bytes", 1024, 1 << 30, 0, &budget, a) != 0 ||
	    admin_bool(args, "names", &l.names, a) != 0)
		goto out;
	if (l.items == NULL || l.problems == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "list the records");
		goto out;
	}
	if ((rc = vault_record_foreach(v, &vis)) != 0) {
		admin_fail_vault(a, v, rc, "list the records");
		goto out;
	}
	/* Sorted by name, as people read a list. */
	n = json_array_size(l.items);
	if ((items = calloc(n + 1, sizeof(json_t *))) == NULL ||
	    (page = json_array()) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "list the records");
		goto out;
	}
	for (i = 0; i < n; i++)
		items[i] = json_array_get(l.items, i);
	qsort(items, n, sizeof(json_t *), admin_list_cmp);
	used = admin_page_fill(page, items, n, (size_t)budget);
	a->result = json_pack("{s:o,s:O}", "records", page, "problems",
	    l.problems);
	page = NULL; /* stolen by json_pack, even when it fails */
	if (a->result != NULL && used < n)
		(void)json_object_set_new(a->result, "next", json_string(
		    json_string_value(json_object_get(items[used - 1],
		    "name"))));
out:
	free(items);
	json_decref(page);
	json_decref(l.items);
	json_decref(l.problems);
}

static void
admin_op_reveal(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "name", NULL };
	struct secbuf *secret = NULL;
	const char *name;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_name(args, &name, a) != 0)
		return;
	if ((secret = secbuf_new(CV_SECRET_MAX)) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "reveal the secret");
		return;
	}
	rc = vault_record_reveal(v, name, secret);
	if (rc == CV_E_REFUSED)
		admin_fail(a, rc, "%s; to get a new secret, rotate it: "
		    "credvault rotate %s", vault_subject(v), name);
	else if (rc != 0)
		admin_fail_vault(a, v, rc, "reveal the secret");
	/* jansson copies it; the wiping allocator wipes the copy. */
	else if ((a->result = json_pack("{s:s%}", "secret",
	    (const char *)secret->data, secret->len)) == NULL)
		admin_fail_vault(a, NULL, CV_E_NOMEM, "reveal the secret");
	secbuf_free(&secret);
}

static void
admin_op_rm(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "name", NULL };
	const char *name;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_name(args, &name, a) != 0)
		return;
	if ((rc = vault_record_remove(v, name)) != 0)
		admin_fail_vault(a, v, rc, "remove the record");
	else
		a->result = json_object();
}

/* libcurl's URL API, loaded on first use (base/dynlib.h). */
static struct {
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
	const char *(*url_strerror)(CURLUcode);
	void (*free)(void *);
} curlu;

static int
admin_curl_load(char *why, size_t whylen)
{
	const struct dynlib_sym syms[] = {
		{ "curl_url", (void **)&curlu.url },
		{ "curl_url_cleanup", (void **)&curlu.url_cleanup },
		{ "curl_url_set", (void **)&curlu.url_set },
		{ "curl_url_get", (void **)&curlu.url_get },
		{ "curl_url_strerror", (void **)&curlu.url_strerror },
		{ "curl_free", (void **)&curlu.free },
	};
	char dwhy[160];

	if (dynlib_load("libcurl.so.4", "libcurl4", syms,
	    sizeof(syms) / sizeof(syms[0]), dwhy, sizeof(dwhy)) == 0)
		return 0;
	cv_why(why, whylen, "cannot check URLs: %s", dwhy);
	return CV_E_NOTFOUND;
}

static int
admin_url_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strncmp(host, "127.", 4) == 0;
}

int
admin_url_check(const char *opt, const char *url, char *why, size_t whylen)
{
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	const char *problem = NULL;
	char curl_says[96];
	CURLUcode uc;
	CURLU *u;
	int rc;

	if ((rc = admin_curl_load(why, whylen)) != 0)
		return rc;
	rc = CV_E_INVALID;
	if ((u = curlu.url()) == NULL) {
		cv_why(why, whylen, "out of memory");
		return CV_E_NOMEM;
	}
	/* No default scheme: "127.0.0.1:1" is not taken for http. */
	if ((uc = curlu.url_set(u, CURLUPART_URL, url, 0)) ==
	    CURLUE_UNSUPPORTED_SCHEME || uc == CURLUE_BAD_SCHEME) {
		problem = "it has no https:// scheme";
	} else if (uc != CURLUE_OK) {
		/* libcurl's reason, lowercase as our messages are. */
		(void)snprintf(curl_says, sizeof(curl_says), "%s",
		    curlu.url_strerror(uc));
		if (curl_says[0] >= 'A' && curl_says[0] <= 'Z')
			curl_says[0] = (char)(curl_says[0] - 'A' + 'a');
		problem = curl_says;
	}
	else if (curlu.url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curlu.url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')
		problem = "it names no host";
	else if (curlu.url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curlu.url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		problem = "it holds a user name or password, which would "
		    "travel and be logged with it";
	else if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") ==
	    0 && admin_url_is_loopback(host)))
		problem = strcmp(scheme, "http") == 0 ? "plain http is only "
		    "for a loopback host (the secret would travel in clear)" :
		    "the scheme is not https";
	else
		rc = 0;
	if (rc != 0)
		cv_why(why, whylen, "invalid %s '%s': %s; use "
		    "https://HOST[:PORT][/PATH]", opt, url, problem);
	curlu.free(scheme);
	curlu.free(host);
	curlu.free(user);
	curlu.free(pass);
	curlu.url_cleanup(u);
	return rc;
}

/* A new record from args (add's, or one of import's): its strings stay
 * args'. */
static int
admin_record_from(const json_t *args, struct record *r,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "name", "provider",
		"client_id", "auth_url", "project_key", "scope", "api_url",
		"no_reveal", "secret", NULL };
	const char *secret, *field;
	char why[CV_URL_MAX + 160];
	int no_reveal;

	memset(r, 0, sizeof(*r));
	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_name(args, &r->name, a) != 0 ||
	    admin_str(args, "provider", 1, CV_PROVIDER_MAX, &r->provider,
	    a) != 0 ||
	    admin_str(args, "client_id", 1, CV_CLIENT_ID_MAX,
	    &r->gen[0].client_id, a) != 0 ||
	    admin_str(args, "auth_url", 1, CV_URL_MAX, &r->auth_url, a) != 0 ||
	    admin_str(args, "project_key", 0, CV_PROJECT_KEY_MAX,
	    &r->project_key, a) != 0 ||
	    admin_str(args, "scope", 0, CV_SCOPE_MAX, &r->scope, a) != 0 ||
	    admin_str(args, "api_url", 0, CV_URL_MAX, &r->api_url, a) != 0 ||
	    admin_str(args, "secret", 1, CV_SECRET_MAX, &secret, a) != 0 ||
	    admin_bool(args, "no_reveal", &no_reveal, a) != 0)
		return CV_E_INVALID;
	r->created_at = r->updated_at = vault_now();
	r->ngen = 1;
	r->policy.grace_s = ROTATION_GRACE_DEFAULT_S;
	r->gen[0].number = 1;
	r->gen[0].state = GEN_ACTIVE;
	r->gen[0].flags = no_reveal ? GEN_F_NO_REVEAL : 0;
	r->gen[0].created_at = r->gen[0].activated_at = r->created_at;
	r->gen[0].secret = secret;
	r->gen[0].secret_len = strlen(secret);
	if (!record_secret_is_valid(secret, strlen(secret))) {
		admin_fail(a, CV_E_INVALID, "the client secret of '%s' must be "
		    "1-%d printable ASCII characters without spaces", r->name,
		    CV_SECRET_MAX);
		return CV_E_INVALID;
	}
	if (record_check(r, &field) != 0) {
		admin_fail(a, CV_E_INVALID, "'%s': invalid %s%s", r->name, field,
		    strcmp(field, "name") == 0 ?
		    ": use [a-z0-9][a-z0-9._/-]{0,127}" :
		    strcmp(field, "provider") == 0 ?
		    ": use commercetools, commercelayer or oauth2" : "");
		return CV_E_INVALID;
	}
	if (strcmp(r->provider, "commercetools") == 0 &&
	    (r->project_key == NULL || r->project_key[0] == '\0')) {
		admin_fail(a, CV_E_INVALID, "'%s': commercetools records need "
		    "--project-key", r->name);
		return CV_E_INVALID;
	}
	if (admin_url_check("--auth-url", r->auth_url, why, sizeof(why)) != 0 ||
	    (r->api_url != NULL && admin_url_check("--api-url", r->api_url,
	    why, sizeof(why)) != 0)) {
		admin_fail(a, CV_E_INVALID, "'%s': %s", r->name, why);
		return CV_E_INVALID;
	}
	return 0;
}

static void
admin_op_add(struct vault *v, const json_t *args, struct admin_answer *a)
{
	struct record r;
	int rc;

	if (admin_record_from(args, &r, a) != 0)
		return;
	rc = vault_records_add(v, &r, 1);
	if (rc == CV_E_EXISTS)
		admin_fail(a, rc, "record '%s' already exists; to store a new "
		    "secret use 'credvault rotate %s --secret-stdin'", r.name,
		    r.name);
	else if (rc != 0)
		admin_fail_vault(a, v, rc, "add the record");
	else
		a->result = json_pack("{s:s}", "name", r.name);
}

/* Many records in one transaction: all of them, or none. */
static void
admin_op_import(struct vault *v, const json_t *args, struct admin_answer *a)
{
	static const char *const allowed[] = { "records", NULL };
	const json_t *items = args != NULL ? json_object_get(args, "records") :
	    NULL;
	struct record *rs = NULL;
	size_t i, n;
	int rc;

	if (admin_args_only(args, allowed, a) != 0)
		return;
	if (!json_is_array(items) || (n = json_array_size(items)) == 0 ||
	    n > ADMIN_IMPORT_MAX) {
		admin_fail(a, CV_E_INVALID, "argument 'records' is not an "
		    "array of 1-%d records", ADMIN_IMPORT_MAX);
		return;
	}
	if ((rs = calloc(n, sizeof(*rs))) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "import");
		return;
	}
	for (i = 0; i < n; i++)
		if (!json_is_object(json_array_get(items, i)) ||
		    admin_record_from(json_array_get(items, i), &rs[i],
		    a) != 0) {
			if (a->err == 0)
				admin_fail(a, CV_E_INVALID, "record %zu is not "
				    "an object", i + 1);
			goto out;
		}
	rc = vault_records_add(v, rs, n);
	if (rc == CV_E_EXISTS)
		admin_fail(a, rc, "cannot import: %s already exists (or is "
		    "twice in the input); nothing was imported",
		    vault_subject(v)[0] != '\0' ? vault_subject(v) :
		    "a record");
	else if (rc != 0)
		admin_fail_vault(a, v, rc, "import (nothing was imported)");
	else
		a->result = json_pack("{s:I}", "imported", (json_int_t)n);
out:
	free(rs);
}

/* keyslot_list: labels, kinds, costs; a damaged one says so. */
static int
admin_slot_visit(const struct vault_slot_info *si, void *arg)
{
	json_t *arr = arg, *o;

	if (si->corrupt)
		o = json_pack("{s:s,s:b}", "label", si->label, "corrupt", 1);
	else
		o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:b}", "label", si->label,
		    "kind", si->kind == KEYSLOT_KEYFILE ? "keyfile" :
		    "passphrase", "memory_kib", (json_int_t)si->kdf.memory_kib,
		    "iterations", (json_int_t)si->kdf.iterations,
		    "parallelism", (json_int_t)si->kdf.parallelism,
		    "corrupt", 0);
	return o != NULL && json_array_append_new(arr, o) == 0 ? 0 :
	    CV_E_NOMEM;
}

static void
admin_op_keyslot_list(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { NULL };
	json_t *arr;
	int rc;

	if (admin_args_only(args, allowed, a) != 0)
		return;
	if ((arr = json_array()) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "list the keyslots");
		return;
	}
	if ((rc = vault_keyslot_list(v, admin_slot_visit, arr)) != 0) {
		json_decref(arr);
		admin_fail_vault(a, v, rc, "list the keyslots");
		return;
	}
	a->result = json_pack("{s:o}", "keyslots", arr);
}


/* ---- rotation policy -------------------------------------------------- */

#define ADMIN_SECONDS_MAX (10ll * 365 * 24 * 3600)

static const char *
admin_auto_name(uint8_t flags)
{
	switch (flags & ROTATION_AUTO_ALL) {
	case ROTATION_AUTO_INVALID_CLIENT:
		return "invalid-client";
	case ROTATION_AUTO_AGE:
		return "age";
	case ROTATION_AUTO_ALL:
		return "both";
	default:
		return "off";
	}
}

struct admin_policy_change {
	int set_flags, set_age, set_grace;
	uint8_t flags;
	uint64_t max_age, grace;
	struct rotation_policy result;
};

static int
admin_policy_fn(struct record *r, void *arg)
{
	struct admin_policy_change *p = arg;

	if (p->set_flags)
		r->policy.flags = p->flags;
	if (p->set_age)
		r->policy.max_age_s = p->max_age;
	if (p->set_grace)
		r->policy.grace_s = p->grace;
	if ((r->policy.flags & ROTATION_AUTO_AGE) && r->policy.max_age_s == 0)
		return CV_E_INVALID;
	p->result = r->policy;
	return 0;
}

static void
admin_op_policy(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "name", "auto_rotate",
		"max_age", "grace", NULL };
	struct admin_policy_change p;
	struct secbuf *plain = NULL;
	const char *name, *mode;
	json_int_t age, grace;
	struct record r;
	int rc;

	memset(&p, 0, sizeof(p));
	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_name(args, &name, a) != 0 ||
	    admin_str(args, "auto_rotate", 0, 16, &mode, a) != 0 ||
	    admin_uint(args, "max_age", 60, ADMIN_SECONDS_MAX, -1, &age,
	    a) != 0 ||
	    admin_uint(args, "grace", 0, ADMIN_SECONDS_MAX, -1, &grace, a) != 0)
		return;
	if (mode != NULL) {
		p.set_flags = 1;
		if (strcmp(mode, "off") == 0)
			p.flags = 0;
		else if (strcmp(mode, "invalid-client") == 0)
			p.flags = ROTATION_AUTO_INVALID_CLIENT;
		else if (strcmp(mode, "age") == 0)
			p.flags = ROTATION_AUTO_AGE;
		else if (strcmp(mode, "both") == 0)
			p.flags = ROTATION_AUTO_ALL;
		else {
			admin_fail(a, CV_E_INVALID, "--auto-rotate takes off, "
			    "invalid-client, age or both");
			return;
		}
	}
	p.set_age = age >= 0;
	p.max_age = age >= 0 ? (uint64_t)age : 0;
	p.set_grace = grace >= 0;
	p.grace = grace >= 0 ? (uint64_t)grace : 0;
	if (p.set_flags || p.set_age || p.set_grace) {
		rc = vault_record_update(v, name, admin_policy_fn, &p, "policy",
		    NULL);
		if (rc == CV_E_INVALID) {
			admin_fail(a, rc, "--auto-rotate age needs --max-age SEC");
			return;
		}
		if (rc != 0) {
			admin_fail_vault(a, v, rc, "set the policy");
			return;
		}
	} else {
		if ((plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
			admin_fail_vault(a, NULL, CV_E_NOMEM, "read the policy");
			return;
		}
		rc = vault_record_get(v, name, plain, &r);
		if (rc == 0)
			p.result = r.policy;
		secbuf_free(&plain);
		if (rc != 0) {
			admin_fail_vault(a, v, rc, "read the policy");
			return;
		}
	}
	a->result = json_pack("{s:s,s:s,s:I,s:I}", "name", name,
	    "auto_rotate", admin_auto_name(p.result.flags),
	    "max_age", (json_int_t)p.result.max_age_s,
	    "grace", (json_int_t)p.result.grace_s);
}

/* ---- the audit log ---------------------------------------------------- */

struct admin_audit {
	json_t *entries;
	json_int_t after, since;             /* 0: no filter */
	const char *record, *actor, *action; /* NULL: no filter */
	json_int_t count;                    /* entries verified */
	json_int_t last;                     /* the newest entry's seq */
};

static int
admin_audit_visit(const struct audit_entry *e, void *arg)
{
	struct admin_audit *q = arg;
	json_t *o;

	q->count++;
	q->last = (json_int_t)e->seq;
	if ((json_int_t)e->seq <= q->after || e->time < q->since ||
	    (q->record != NULL && strcmp(q->record, e->record) != 0) ||
	    (q->actor != NULL && strstr(e->actor, q->actor) == NULL) ||
	    (q->action != NULL && strncmp(e->action, q->action,
	    strlen(q->action)) != 0))
		return 0;
	o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
	    "time", (json_int_t)e->time, "actor", e->actor, "action",
	    e->action, "record", e->record, "result", e->result);
	return o != NULL && json_array_append_new(q->entries, o) == 0 ? 0 :
	    CV_E_NOMEM;
}

/*
 * The audit log, every entry's MAC and the chain checked on the way:
 * the entries after seq "after" that match the filters (record exactly;
 * actor contains; action starts with), the last "n" of them, in pages
 * through the agent.  An altered log fails with CV_E_INTEGRITY.
 */
static void
admin_op_audit(struct vault *v, const json_t *args, struct admin_answer *a)
{
	static const char *const allowed[] = { "after", "since", "n",
		"record", "actor", "action", "page_bytes", NULL };
	struct admin_audit q = { json_array(), 0, 0, NULL, NULL, NULL, 0, 0 };
	json_t **items = NULL, *page = NULL;
	json_int_t n, budget;
	size_t i, len, from, used;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_uint(args, "after", 0, INT64_MAX, 0, &q.after, a) != 0 ||
	    admin_uint(args, "since", 0, INT64_MAX, 0, &q.since, a) != 0 ||
	    admin_uint(args, "n", 1, 1 << 30, 0, &n, a) != 0 ||
	    admin_str(args, "record", 0, CV_NAME_MAX, &q.record, a) != 0 ||
	    admin_str(args, "actor", 0, 256, &q.actor, a) != 0 ||
	    admin_str(args, "action", 0, 64, &q.action, a) != 0 ||
	    admin_uint(args, "page_bytes", 1024, 1 << 30, 0, &budget, a) != 0)
		goto out;
	if (q.entries == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "read the audit log");
		goto out;
	}
	if ((rc = vault_audit_verify(v, admin_audit_visit, &q)) != 0) {
		if (rc == CV_E_INTEGRITY)
			admin_fail(a, rc, "the audit log was altered: %s fails "
			    "verification", vault_subject(v));
		else
			admin_fail_vault(a, v, rc, "read the audit log");
		goto out;
	}
	len = json_array_size(q.entries);
	from = n > 0 && (size_t)n < len ? len - (size_t)n : 0;
	if ((items = calloc(len - from + 1, sizeof(json_t *))) == NULL ||
	    (page = json_array()) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "read the audit log");
		goto out;
	}
	for (i = from; i < len; i++)
		items[i - from] = json_array_get(q.entries, i);
	used = admin_page_fill(page, items, len - from, (size_t)budget);
	a->result = json_pack("{s:o,s:I,s:I}", "entries", page, "verified",
	    q.count, "last", q.last);
	page = NULL;
	if (a->result != NULL && used < len - from)
		(void)json_object_set(a->result, "next", json_object_get(
		    items[used - 1], "seq"));
out:
	free(items);
	json_decref(page);
	json_decref(q.entries);
}

/* ---- rotation --------------------------------------------------------- */

/* A generation activated this recently was almost surely made by a
 * concurrent rotation (the agent's, after an invalid_client): rotating it
 * again needs "force". */
#define ADMIN_ROTATE_RECENT_S 60

/* A failed rotation: what failed and, if the provider did, that nothing
 * is lost. */
static void
admin_rotate_fail(struct admin_answer *a, struct vault *v, const char *name,
    int rc, const struct rotate_result *res, const char *doing)
{
	if (res->err[0] == '\0') {
		admin_fail_vault(a, v, rc, doing);
		return;
	}
	admin_fail(a, rc, "cannot %s '%s': %s%s%s%s", doing, name, res->err,
	    rc == CV_E_UPSTREAM ? "; the working secret is unchanged or "
	    "already replaced; nothing is lost: run 'credvault rotate " : "",
	    rc == CV_E_UPSTREAM ? name : "", rc == CV_E_UPSTREAM ?
	    "' again to continue" : "");
}

/*
 * The generation this rotation means to replace: the active one now, so
 * that if the agent rotates it first (after an invalid_client), this one
 * does not create a second new client; its age when it was made by a
 * rotation that is over (-1 else).  A rotation under way is finished
 * instead (it replaces the same generation).
 */
static int
admin_rotate_seen(struct vault *v, const char *name, uint32_t *from,
    int64_t *age)
{
	struct secbuf *plain = secbuf_new(CV_RECORD_MAX);
	const struct generation *g;
	struct record r;
	int rc;

	*from = 0;
	*age = -1;
	if (plain == NULL)
		return CV_E_NOMEM;
	if ((rc = vault_record_get(v, name, plain, &r)) == 0 &&
	    (g = record_active(&r)) != NULL) {
		*from = g->number;
		if (g->number > 1 && r.rot.step == ROT_NONE)
			*age = vault_now() - g->activated_at;
	}
	secbuf_free(&plain);
	return rc;
}

/* By hand: the secret (and client id) a human made at the provider. */
static void
admin_rotate_manual(struct vault *v, const char *name, const char *secret,
    const char *client_id, struct admin_answer *a)
{
	struct rotate_result res;
	struct secbuf *s;
	int rc;

	if (!record_secret_is_valid(secret, strlen(secret))) {
		admin_fail(a, CV_E_INVALID, "the new secret must be 1-%d "
		    "printable ASCII characters without spaces", CV_SECRET_MAX);
		return;
	}
	if ((s = secbuf_new(strlen(secret))) == NULL) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "rotate");
		return;
	}
	memcpy(s->data, secret, strlen(secret));
	s->len = strlen(secret);
	rc = rotate_manual(v, name, client_id, s, &res);
	secbuf_free(&s);
	if (rc != 0)
		admin_rotate_fail(a, v, name, rc, &res, "rotate");
	else
		a->result = json_pack("{s:s,s:s,s:I,s:I}", "name", name,
		    "outcome", "manual", "from", (json_int_t)res.from, "to",
		    (json_int_t)res.to);
}

/* Through the record's stacks: rotate, resume, or abort. */
static void
admin_rotate_hooks(struct vault *v, const char *name, int abort, int force,
    struct admin_answer *a)
{
	struct rotate_result res = { 0 }; /* unset if seen() fails */
	struct rotator *h = NULL;
	const char *outcome;
	char why[256] = "";
	uint32_t from = 0;
	int64_t age = -1;
	int rc;

	if ((rc = rotator_new(v, NULL, name, &h, why, sizeof(why))) != 0) {
		admin_fail(a, rc, "cannot rotate '%s': %s", name, why[0] ? why :
		    cv_strerror(rc));
		return;
	}
	if (abort)
		rc = rotate_abort(v, name, rotator_ops(h), &res);
	else if ((rc = admin_rotate_seen(v, name, &from, &age)) == 0 &&
	    (force || age < 0 || age >= ADMIN_ROTATE_RECENT_S))
		rc = rotate_run(v, name, from, rotator_ops(h), &res);
	rotator_free(&h);
	if (rc != 0) {
		admin_rotate_fail(a, v, name, rc, &res, abort ?
		    "abort the rotation of" : "rotate");
		return;
	}
	if (abort)
		outcome = res.deleted ? "aborted, deleted" : "aborted";
	else if (!force && age >= 0 && age < ADMIN_ROTATE_RECENT_S) {
		outcome = "recent";
		res.from = res.to = from;
	} else
		outcome = res.already ? "already" : res.resumed ? "resumed" :
		    "rotated";
	a->result = json_pack("{s:s,s:s,s:I,s:I,s:I}", "name", name,
	    "outcome", outcome, "from", (json_int_t)res.from, "to",
	    (json_int_t)res.to, "age", (json_int_t)age);
}

static void
admin_op_rotate(struct vault *v, const json_t *args, struct admin_answer *a)
{
	static const char *const allowed[] = { "name", "secret", "client_id",
		"abort", "force", NULL };
	const char *name, *secret, *client_id;
	int abort = 0, force = 0;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_name(args, &name, a) != 0 ||
	    admin_str(args, "secret", 0, CV_SECRET_MAX, &secret, a) != 0 ||
	    admin_str(args, "client_id", 0, CV_CLIENT_ID_MAX, &client_id,
	    a) != 0 ||
	    admin_bool(args, "abort", &abort, a) != 0 ||
	    admin_bool(args, "force", &force, a) != 0)
		return;
	if ((secret != NULL && abort) || (client_id != NULL &&
	    secret == NULL)) {
		admin_fail(a, CV_E_INVALID, "a secret by hand (and its client "
		    "id) cannot go with an abort");
		return;
	}
	if (client_id != NULL && client_id[0] == '\0') {
		admin_fail(a, CV_E_INVALID, "invalid --client-id");
		return;
	}
	if (secret != NULL)
		admin_rotate_manual(v, name, secret, client_id, a);
	else
		admin_rotate_hooks(v, name, abort, force, a);
}

/* ---- keyslots, rekey, check, backup ----------------------------------- */

static void
admin_op_keyslot_add(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "label", "kind", "secret",
		"memory_kib", "iterations", "parallelism", NULL };
	struct kdf_params kdf = { 0, 0, 0 };
	const char *label, *kind, *secret;
	json_int_t mem, it, par;
	struct secbuf *bin = NULL;
	size_t binlen;
	int keyfile, rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_str(args, "label", 1, CV_LABEL_MAX, &label, a) != 0 ||
	    admin_str(args, "kind", 1, 16, &kind, a) != 0 ||
	    admin_str(args, "secret", 1, 2 * CV_KEYFILE_MAX, &secret, a) != 0 ||
	    admin_uint(args, "memory_kib", 0, CV_KDF_MEMORY_MAX_KIB, 0, &mem,
	    a) != 0 ||
	    admin_uint(args, "iterations", 0, CV_KDF_ITERATIONS_MAX, 0, &it,
	    a) != 0 ||
	    admin_uint(args, "parallelism", 0, CV_KDF_PARALLELISM_MAX, 0, &par,
	    a) != 0)
		return;
	if (!keyslot_label_is_valid(label)) {
		admin_fail(a, CV_E_INVALID, "invalid label '%s': use 1-%d of "
		    "A-Z a-z 0-9 . _ @ -", label, CV_LABEL_MAX);
		return;
	}
	keyfile = strcmp(kind, "keyfile") == 0;
	if (!keyfile && strcmp(kind, "passphrase") != 0) {
		admin_fail(a, CV_E_INVALID, "a keyslot is of kind passphrase "
		    "or keyfile");
		return;
	}
	kdf.memory_kib = (uint32_t)mem;
	kdf.iterations = (uint32_t)it;
	kdf.parallelism = (uint32_t)par;
	if (!keyfile && kdf_params_check(&kdf) != 0) {
		admin_fail(a, CV_E_INVALID, "invalid Argon2id costs");
		return;
	}
	if (keyfile) {
		/* A key file's bytes travel as hex. */
		if ((bin = secbuf_new(CV_KEYFILE_MAX)) == NULL) {
			admin_fail_vault(a, NULL, CV_E_NOMEM, "add the keyslot");
			return;
		}
		if (sodium_hex2bin(bin->data, CV_KEYFILE_MAX, secret,
		    strlen(secret), NULL, &binlen, NULL) != 0 ||
		    binlen < CV_KEYFILE_MIN) {
			secbuf_free(&bin);
			admin_fail(a, CV_E_INVALID, "a key file has %d to %d "
			    "bytes", CV_KEYFILE_MIN, CV_KEYFILE_MAX);
			return;
		}
		bin->len = binlen;
	} else if (secret[0] == '\0' || strlen(secret) > CV_PASSPHRASE_MAX) {
		admin_fail(a, CV_E_INVALID, "the new passphrase is empty or "
		    "longer than %d bytes", CV_PASSPHRASE_MAX);
		return;
	}
	rc = vault_keyslot_add(v, keyfile ? KEYSLOT_KEYFILE :
	    KEYSLOT_PASSPHRASE, label, &kdf, keyfile ? (const void *)bin->data :
	    secret, keyfile ? bin->len : strlen(secret));
	secbuf_free(&bin);
	if (rc == CV_E_EXISTS)
		admin_fail(a, rc, "keyslot '%s' already exists; remove it first "
		    "or pick another label", label);
	else if (rc != 0)
		admin_fail_vault(a, v, rc, "add the keyslot");
	else
		a->result = json_pack("{s:s}", "label", label);
}

static void
admin_op_keyslot_remove(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { "label", NULL };
	const char *label;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_str(args, "label", 1, CV_LABEL_MAX, &label, a) != 0)
		return;
	if ((rc = vault_keyslot_remove(v, label)) != 0)
		admin_fail_vault(a, v, rc, "remove the keyslot");
	else
		a->result = json_pack("{s:s}", "label", label);
}

static void
admin_op_rekey(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { NULL };
	int rc;

	if (admin_args_only(args, allowed, a) != 0)
		return;
	if ((rc = vault_rekey(v)) != 0)
		admin_fail_vault(a, v, rc, "rekey");
	else
		a->result = json_pack("{s:s}", "path", vault_path(v));
}

static void
admin_check_report(const char *what, const char *subject, int err,
    void *arg)
{
	char msg[ADMIN_DETAIL_MAX];

	if (what[0] == 'r')
		(void)snprintf(msg, sizeof(msg), "record with storage id "
		    "%.16s... fails authentication: %s", subject,
		    cv_strerror(err));
	else if (what[0] == 'k')
		(void)snprintf(msg, sizeof(msg), "keyslot '%s' fails "
		    "authentication: %s; remove it with 'credvault keyslot "
		    "remove %s'", subject, cv_strerror(err), subject);
	else
		(void)snprintf(msg, sizeof(msg), "%s: %s", subject,
		    cv_strerror(err));
	(void)json_array_append_new(arg, json_string(msg));
}

/* The lint's view of the vault (hooks/lint.h). */
struct admin_lint {
	struct vault *v;
	struct secbuf *plain;
	json_t *lint;
};

static void
admin_lint_problem(void *arg, const char *msg)
{
	struct admin_lint *l = arg;

	(void)json_array_append_new(l->lint, json_string(msg));
}

static int
admin_lint_has_record(void *arg, const char *name)
{
	struct admin_lint *l = arg;
	struct record r;
	int rc;

	/* A record that cannot be read is still there (check reports it). */
	rc = vault_record_get(l->v, name, l->plain, &r);
	secbuf_reset(l->plain);
	return rc != CV_E_NOTFOUND;
}

static void
admin_op_check(struct vault *v, const json_t *args,
    struct admin_answer *a)
{
	static const char *const allowed[] = { NULL };
	struct admin_lint l;
	struct lint_ops ops;
	json_t *problems;
	size_t nlint;
	int rc;

	if (admin_args_only(args, allowed, a) != 0)
		return;
	memset(&l, 0, sizeof(l));
	l.v = v;
	if ((problems = json_array()) == NULL ||
	    (l.lint = json_array()) == NULL ||
	    (l.plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
		json_decref(problems);
		json_decref(l.lint);
		admin_fail_vault(a, NULL, CV_E_NOMEM, "check the vault");
		return;
	}
	rc = vault_check(v, admin_check_report, problems);
	if (rc != 0 && rc != CV_E_INTEGRITY) {
		json_decref(problems);
		json_decref(l.lint);
		secbuf_free(&l.plain);
		admin_fail_vault(a, v, rc, "check the vault");
		return;
	}
	if (rc == CV_E_INTEGRITY && json_array_size(problems) == 0)
		(void)json_array_append_new(problems, json_string(
		    vault_subject(v)[0] != '\0' ? vault_subject(v) :
		    "the vault is inconsistent"));
	/* The stack files and their hooks, as the agent would load them. */
	ops.problem = admin_lint_problem;
	ops.has_record = admin_lint_has_record;
	ops.arg = &l;
	rc = lint_hooks(vault_path(v), vault_owner(v), &ops, &nlint);
	secbuf_free(&l.plain);
	if (rc != 0) {
		json_decref(problems);
		json_decref(l.lint);
		admin_fail_vault(a, NULL, rc, "lint the stack files");
		return;
	}
	a->result = json_pack("{s:s,s:o,s:o}", "path", vault_path(v),
	    "problems", problems, "lint", l.lint);
}

/* Not wherever the member says, as the agent's user: a file name in the
 * vault's backups/ directory. */
static int
admin_confine_backup(struct vault *v, const json_t *args, json_t **out,
    struct admin_answer *a)
{
	const char *file = json_string_value(json_object_get(args, "file"));
	char path[CV_PATH_MAX];

	if (file == NULL)
		return 0; /* the operation reports it */
	if (file[0] == '\0' || file[0] == '.' || strchr(file, '/') != NULL ||
	    strlen(file) > 128) {
		admin_fail(a, CV_E_INVALID, "through the agent, a backup is "
		    "named, not placed: give a file name (no '/'); it goes to "
		    "the vault's backups/ directory");
		return CV_E_INVALID;
	}
	(void)snprintf(path, sizeof(path), "%s/backups", vault_path(v));
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		admin_fail(a, CV_E_IO, "cannot create '%s': %s", path,
		    strerror(errno));
		return CV_E_IO;
	}
	(void)snprintf(path, sizeof(path), "%s/backups/%s", vault_path(v),
	    file);
	if ((*out = json_deep_copy(args)) == NULL ||
	    json_object_set_new(*out, "file", json_string(path)) != 0) {
		admin_fail_vault(a, NULL, CV_E_NOMEM, "back up");
		return CV_E_NOMEM;
	}
	return 0;
}

static void
admin_op_backup(struct vault *v, const json_t *args, struct admin_answer *a)
{
	static const char *const allowed[] = { "file", NULL };
	char why[ADMIN_DETAIL_MAX - 64];
	const char *file;
	int rc;

	if (admin_args_only(args, allowed, a) != 0 ||
	    admin_str(args, "file", 1, CV_PATH_MAX - 1, &file, a) != 0)
		return;
	if ((rc = vault_backup(v, file, why, sizeof(why))) != 0)
		admin_fail(a, rc, "cannot back up '%s': %s", vault_path(v), why);
	else
		a->result = json_pack("{s:s,s:s}", "path", vault_path(v),
		    "file", file);
}

/* ---- the table -------------------------------------------------------- */

static const struct admin_op {
	const char *cmd;
	const char *op;  /* for the admin stack; NULL: anyone may ask */
	int on_record;   /* args' "name" is the record it is on */
	void (*fn)(struct vault *v, const json_t *args,
	    struct admin_answer *a);
	/* Through the agent: args made safe for the agent's user to act
	 * on (a new object into *out), or NULL when they are as given; args
	 * may be NULL. */
	int (*confine)(struct vault *v, const json_t *args, json_t **out,
	    struct admin_answer *a);
	/* Instead of fn, for operations that need where they run. */
	void (*fn_env)(struct vault *v, const json_t *args,
	    const struct admin_ops_env *env, unsigned flags,
	    struct admin_answer *a);
} admin_ops[] = {
	{ "vault", NULL, 0, admin_op_vault, NULL, NULL },
	{ "show", "show", 1, admin_op_show, NULL, NULL },
	{ "list", "list", 0, admin_op_list, admin_confine_page, NULL },
	{ "reveal", "reveal", 1, admin_op_reveal, NULL, NULL },
	{ "rm", "rm", 1, admin_op_rm, NULL, NULL },
	{ "add", "add", 1, admin_op_add, NULL, NULL },
	{ "import", "import", 0, admin_op_import, NULL, NULL },
	{ "rotate", "rotate", 1, admin_op_rotate, NULL, NULL },
	{ "audit", "audit", 0, admin_op_audit, admin_confine_page, NULL },
	{ "policy", "policy", 1, admin_op_policy, NULL, NULL },
	{ "keyslot_list", "keyslot_list", 0, admin_op_keyslot_list, NULL,
	    NULL },
	{ "keyslot_add", "keyslot_add", 0, admin_op_keyslot_add, NULL, NULL },
	{ "keyslot_remove", "keyslot_remove", 0, admin_op_keyslot_remove,
	    NULL, NULL },
	{ "rekey", "rekey", 0, admin_op_rekey, NULL, NULL },
	{ "check", "check", 0, admin_op_check, NULL, NULL },
	{ "backup", "backup", 0, admin_op_backup, admin_confine_backup, NULL },
	{ "explain", "explain", 1, NULL, NULL, admin_explain },
};

static const struct admin_op *
admin_ops_find(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(admin_ops) / sizeof(admin_ops[0]); i++)
		if (strcmp(admin_ops[i].cmd, cmd) == 0)
			return &admin_ops[i];
	return NULL;
}

int
admin_ops_lookup(const char *cmd, const json_t *args, const char **op,
    char *record, size_t recordlen)
{
	const struct admin_op *o = admin_ops_find(cmd);
	json_t *name;

	*op = NULL;
	if (recordlen > 0)
		record[0] = '\0';
	if (o == NULL)
		return CV_E_NOTFOUND;
	*op = o->op != NULL ? proto_admin_op_parse(o->op, strlen(o->op)) :
	    NULL;
	if (!o->on_record)
		return 0;
	name = args != NULL ? json_object_get(args, "name") : NULL;
	if (!json_is_string(name) || !record_name_is_valid(
	    json_string_value(name)) || strlen(json_string_value(name)) >=
	    recordlen)
		return CV_E_INVALID;
	memcpy(record, json_string_value(name),
	    strlen(json_string_value(name)) + 1);
	return 0;
}

void
admin_ops_run(struct vault *v, const char *cmd, const json_t *args,
    unsigned flags, struct admin_answer *a)
{
	admin_ops_run_env(v, cmd, args, flags, NULL, a);
}

void
admin_ops_run_env(struct vault *v, const char *cmd, const json_t *args,
    unsigned flags, const struct admin_ops_env *env, struct admin_answer *a)
{
	static const struct admin_ops_env none = { NULL, 0 };
	const struct admin_op *o = admin_ops_find(cmd);
	json_t *confined = NULL;

	memset(a, 0, sizeof(*a));
	if (o == NULL) {
		admin_fail(a, CV_E_INVALID, "unknown command '%.32s'", cmd);
		return;
	}
	if (args != NULL && !json_is_object(args)) {
		admin_fail(a, CV_E_INVALID, "the arguments are not an object");
		return;
	}
	if ((flags & ADMIN_OPS_REMOTE) != 0 && o->confine != NULL &&
	    o->confine(v, args, &confined, a) != 0)
		return;
	if (o->fn_env != NULL)
		o->fn_env(v, confined != NULL ? confined : args,
		    env != NULL ? env : &none, flags, a);
	else
		o->fn(v, confined != NULL ? confined : args, a);
	json_decref(confined);
	if (a->err == 0 && a->result == NULL)
		admin_fail_vault(a, NULL, CV_E_NOMEM, cmd);
	if (a->err != 0) {
		json_decref(a->result);
		a->result = NULL;
	}
}

void
admin_answer_clear(struct admin_answer *a)
{
	if (a == NULL)
		return;
	json_decref(a->result);
	memset(a, 0, sizeof(*a));
}
