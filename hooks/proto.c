/* SPDX-License-Identifier: MIT */
/* The hook protocol: JSON request encoder and reply decoders (jansson). */
#include "hooks/proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "hooks/peer_ident.h"
#include "vault/record.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "base/banned.h"

static const char *const proto_phase_names[PROTO_PHASES] = {
	[PROTO_AUTHORIZE] = "authorize",
	[PROTO_MINT] = "mint",
	[PROTO_ROTATE] = "rotate",
	[PROTO_RETIRE] = "retire",
	[PROTO_NOTIFY] = "notify",
	[PROTO_ADMIN] = "admin",
};

static const char *const proto_admin_ops[] = {
	"list", "show", "add", "import", "rm", "reveal", "rotate", "policy",
	"keyslot_add", "keyslot_remove", "keyslot_list", "rekey", "audit",
	"check", "backup", "explain",
};

const char *
proto_admin_op_parse(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(proto_admin_ops) / sizeof(proto_admin_ops[0]);
	    i++)
		if (strlen(proto_admin_ops[i]) == n &&
		    memcmp(proto_admin_ops[i], s, n) == 0)
			return proto_admin_ops[i];
	return NULL;
}

static const struct {
	const char *name;
	enum proto_oauth_error code;
} proto_oauth_errors[] = {
	{ "invalid_request", PROTO_OAUTH_INVALID_REQUEST },
	{ "invalid_client", PROTO_OAUTH_INVALID_CLIENT },
	{ "invalid_grant", PROTO_OAUTH_INVALID_GRANT },
	{ "unauthorized_client", PROTO_OAUTH_UNAUTHORIZED_CLIENT },
	{ "unsupported_grant_type", PROTO_OAUTH_UNSUPPORTED_GRANT_TYPE },
	{ "invalid_scope", PROTO_OAUTH_INVALID_SCOPE },
};

/*
 * jansson copies every string it parses or is given; without the wiping
 * allocator those copies (secrets, tokens) would stay in freed heap
 * memory.  Forgetting to install it is a programmer error: fail loudly.
 */
static void
proto_require_wipealloc(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;

	json_get_alloc_funcs(&m, &f);
	if (f != wipealloc_free) {
		(void)fputs("proto: jansson does not use wipealloc_free\n",
		    stderr);
		abort();
	}
}

const char *
proto_phase_name(enum proto_phase phase)
{
	if ((unsigned)phase >= PROTO_PHASES)
		return NULL;
	return proto_phase_names[phase];
}

int
proto_phase_parse(const char *s, size_t n, enum proto_phase *out)
{
	unsigned i;

	*out = PROTO_AUTHORIZE;
	for (i = 0; i < PROTO_PHASES; i++) {
		if (strlen(proto_phase_names[i]) == n &&
		    memcmp(proto_phase_names[i], s, n) == 0) {
			*out = (enum proto_phase)i;
			return 0;
		}
	}
	return CV_E_INVALID;
}

int
proto_phase_has_reply(enum proto_phase phase)
{
	return phase == PROTO_MINT || phase == PROTO_ROTATE;
}

const char *
proto_result_name(enum proto_result r)
{
	switch (r) {
	case PROTO_SUCCESS:
		return "success";
	case PROTO_FAIL:
		return "fail";
	case PROTO_IGNORE:
		return "ignore";
	case PROTO_ERROR:
		break;
	}
	return "error";
}

enum proto_result
proto_result_from_wait(int wstatus)
{
	if (!WIFEXITED(wstatus))
		return PROTO_ERROR;
	switch (WEXITSTATUS(wstatus)) {
	case 0:
		return PROTO_SUCCESS;
	case 1:
		return PROTO_FAIL;
	case 2:
		return PROTO_IGNORE;
	default:
		return PROTO_ERROR;
	}
}

/* ---- request ---------------------------------------------------------- */

/* Set key to a copy of the C string s (omitted when s is NULL). */
static int
proto_set_str(json_t *obj, const char *key, const char *s)
{
	json_t *v;

	if (s == NULL)
		return 0;
	if ((v = json_string(s)) == NULL)
		return CV_E_INVALID; /* not UTF-8 (or out of memory) */
	return json_object_set_new(obj, key, v) == 0 ? 0 : CV_E_NOMEM;
}

static int
proto_set_int(json_t *obj, const char *key, json_int_t n)
{
	json_t *v = json_integer(n);

	if (v == NULL)
		return CV_E_NOMEM;
	return json_object_set_new(obj, key, v) == 0 ? 0 : CV_E_NOMEM;
}

static int
proto_add_record(json_t *req, const struct proto_record *rec)
{
	json_t *o = json_object();
	int r = CV_E_NOMEM;

	if (o == NULL)
		goto out;
	if (rec->generation > (uint64_t)INT64_MAX) {
		r = CV_E_INVALID;
		goto out;
	}
	if ((r = proto_set_str(o, "name", rec->name)) != 0 ||
	    (r = proto_set_str(o, "provider", rec->provider)) != 0 ||
	    (r = proto_set_str(o, "project_key", rec->project_key)) != 0 ||
	    (r = proto_set_str(o, "client_id", rec->client_id)) != 0 ||
	    (r = proto_set_str(o, "scope", rec->scope)) != 0 ||
	    (r = proto_set_str(o, "api_url", rec->api_url)) != 0 ||
	    (r = proto_set_str(o, "auth_url", rec->auth_url)) != 0 ||
	    (r = proto_set_int(o, "generation", (json_int_t)rec->generation)) != 0)
		goto out;
	r = json_object_set_new(req, "record", o) == 0 ? 0 : CV_E_NOMEM;
	o = NULL; /* transferred (set_new steals it even on failure) */
out:
	json_decref(o);
	return r;
}

static int
proto_add_peer(json_t *req, const struct peer_ident *peer)
{
	json_t *o = json_object(), *groups = json_array();
	size_t i;
	int r = CV_E_NOMEM;

	if (o == NULL || groups == NULL)
		goto out;
	if (peer->ngroups > CV_PEER_GROUPS_MAX) {
		r = CV_E_INVALID;
		goto out;
	}
	for (i = 0; i < peer->ngroups; i++)
		if (json_array_append_new(groups,
		    json_integer((json_int_t)peer->groups[i])) != 0)
			goto out;
	if ((r = proto_set_int(o, "uid", (json_int_t)peer->uid)) != 0 ||
	    (r = proto_set_int(o, "gid", (json_int_t)peer->gid)) != 0 ||
	    (r = proto_set_int(o, "pid", (json_int_t)peer->pid)) != 0)
		goto out;
	r = json_object_set_new(o, "groups", groups) == 0 ? 0 : CV_E_NOMEM;
	groups = NULL; /* transferred (set_new steals it even on failure) */
	if (r != 0)
		goto out;
	r = CV_E_INVALID;
	if (memchr(peer->exe, '\0', sizeof(peer->exe)) == NULL)
		goto out;
	if (peer->exe[0] != '\0' &&
	    (r = proto_set_str(o, "exe", peer->exe)) != 0)
		goto out;
	r = json_object_set_new(req, "peer", o) == 0 ? 0 : CV_E_NOMEM;
	o = NULL; /* transferred */
out:
	json_decref(groups);
	json_decref(o);
	return r;
}

/* json_dump_callback() sink: append to the secbuf, fail when full. */
static int
proto_dump_cb(const char *buffer, size_t size, void *data)
{
	struct secbuf *sb = data;

	return secbuf_append(sb, buffer, size) == 0 ? 0 : -1;
}

/* "admin", "rotation" and "retire": what rotate and retire hooks need. */
static int
proto_add_rotation(json_t *o, const struct proto_request *req)
{
	json_t *sub, *v;
	int r;

	if (req->admin_token != NULL) {
		if ((sub = json_object()) == NULL ||
		    json_object_set_new(o, "admin", sub) != 0)
			return CV_E_NOMEM;
		/* jansson copies the token; the wiping allocator wipes that copy on free. */
		v = json_stringn((const char *)req->admin_token->data,
		    req->admin_token->len);
		if (v == NULL)
			return CV_E_INVALID;
		if (json_object_set_new(sub, "access_token", v) != 0)
			return CV_E_NOMEM;
		if ((r = proto_set_str(sub, "token_type", "Bearer")) != 0)
			return r;
	}
	if (req->client_name != NULL) {
		if ((sub = json_object()) == NULL ||
		    json_object_set_new(o, "rotation", sub) != 0)
			return CV_E_NOMEM;
		if ((r = proto_set_str(sub, "client_name",
		    req->client_name)) != 0 ||
		    (r = proto_set_int(sub, "generation",
		    (json_int_t)req->new_generation)) != 0)
			return r;
	}
	if (req->retire_client_id != NULL) {
		if ((sub = json_object()) == NULL ||
		    json_object_set_new(o, "retire", sub) != 0)
			return CV_E_NOMEM;
		if ((r = proto_set_str(sub, "client_id",
		    req->retire_client_id)) != 0)
			return r;
	}
	return 0;
}

int
proto_request_encode(const struct proto_request *req, struct secbuf **out)
{
	json_t *o = NULL, *v;
	struct secbuf *sb = NULL;
	int r = CV_E_INVALID;

	*out = NULL;
	proto_require_wipealloc();
	if (proto_phase_name(req->phase) == NULL || req->record == NULL)
		goto out;
	if (req->secret != NULL && !proto_phase_has_reply(req->phase))
		goto out;
	if (req->scope != NULL && req->phase != PROTO_AUTHORIZE &&
	    req->phase != PROTO_MINT)
		goto out;
	if (req->admin_token != NULL && req->phase != PROTO_ROTATE &&
	    req->phase != PROTO_RETIRE)
		goto out;
	if ((req->client_name != NULL) && req->phase != PROTO_ROTATE)
		goto out;
	if ((req->retire_client_id != NULL) && req->phase != PROTO_RETIRE)
		goto out;
	if ((req->admin_op != NULL) != (req->phase == PROTO_ADMIN) ||
	    (req->admin_op != NULL && proto_admin_op_parse(req->admin_op,
	    strlen(req->admin_op)) == NULL))
		goto out;
	if ((req->event != NULL) != (req->phase == PROTO_NOTIFY) ||
	    (req->event != NULL && strnlen(req->event, CV_EVENT_MAX + 1) >
	    CV_EVENT_MAX))
		goto out;

	r = CV_E_NOMEM;
	if ((o = json_object()) == NULL ||
	    (sb = secbuf_new(CV_HOOK_INPUT_MAX)) == NULL)
		goto out;
	if ((r = proto_set_int(o, "version", 1)) != 0 ||
	    (r = proto_set_str(o, "phase", proto_phase_name(req->phase))) != 0 ||
	    (r = proto_add_record(o, req->record)) != 0)
		goto out;
	if (req->secret != NULL) {
		/* jansson copies the secret; the wiping allocator wipes that copy on free. */
		v = json_stringn((const char *)req->secret->data,
		    req->secret->len);
		if (v == NULL) {
			r = CV_E_INVALID;
			goto out;
		}
		if (json_object_set_new(o, "secret", v) != 0) {
			r = CV_E_NOMEM;
			goto out;
		}
	}
	if ((r = proto_set_str(o, "scope", req->scope)) != 0 ||
	    (req->peer != NULL && (r = proto_add_peer(o, req->peer)) != 0) ||
	    (r = proto_set_str(o, "event", req->event)) != 0 ||
	    (r = proto_set_str(o, "operation", req->admin_op)) != 0 ||
	    (r = proto_add_rotation(o, req)) != 0)
		goto out;
	if (json_dump_callback(o, proto_dump_cb, sb, JSON_COMPACT) != 0 ||
	    secbuf_append(sb, "\n", 1) != 0) {
		r = CV_E_TOOBIG;
		goto out;
	}
	*out = sb;
	sb = NULL; /* transferred */
	r = 0;
out:
	secbuf_free(&sb);
	json_decref(o);
	return r;
}

/* ---- replies ---------------------------------------------------------- */

/* Parse exactly one JSON object; the caller json_decref()s *root. */
static int
proto_load_object(const void *p, size_t len, json_t **root, char *why,
    size_t whylen)
{
	json_error_t jerr;

	*root = NULL;
	proto_require_wipealloc();
	if (len > CV_HOOK_OUTPUT_MAX) {
		cv_why(why, whylen, "reply is longer than %u bytes",
		    (unsigned)CV_HOOK_OUTPUT_MAX);
		return CV_E_TOOBIG;
	}
	if (len == 0) {
		cv_why(why, whylen, "reply is empty");
		return CV_E_PROTO;
	}
	/* jerr.text may quote the input near the error: never report it. */
	*root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*root == NULL) {
		cv_why(why, whylen, "reply is not one JSON value (line %d, "
		    "column %d)", jerr.line, jerr.column);
		secmem_wipe(&jerr, sizeof(jerr));
		return CV_E_PROTO;
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		cv_why(why, whylen, "reply is not a JSON object");
		return CV_E_PROTO;
	}
	return 0;
}

/* Only bytes in [lo, 0x7e] (so no control bytes, no DEL, ASCII only). */
static int
proto_is_ascii(const char *s, size_t n, unsigned char lo)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < lo || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * The string member key of o in (*s, *n): 0 when present and valid,
 * 1 when absent and optional, CV_E_PROTO otherwise.  lo is the lowest
 * byte allowed (0x21 forbids spaces, 0x20 allows them).
 */
static int
proto_get_str(const json_t *o, const char *key, int required, size_t max,
    unsigned char lo, const char **s, size_t *n, char *why, size_t whylen)
{
	const json_t *v = json_object_get(o, key);

	*s = NULL;
	*n = 0;
	if (v == NULL && !required)
		return 1;
	if (v == NULL) {
		cv_why(why, whylen, "reply has no member '%s'", key);
		return CV_E_PROTO;
	}
	if (!json_is_string(v)) {
		cv_why(why, whylen, "member '%s' is not a string", key);
		return CV_E_PROTO;
	}
	*s = json_string_value(v);
	*n = json_string_length(v);
	if (*n == 0 || *n > max || !proto_is_ascii(*s, *n, lo)) {
		cv_why(why, whylen, "member '%s' must be 1 to %zu printable "
		    "ASCII characters", key, max);
		*s = NULL;
		*n = 0;
		return CV_E_PROTO;
	}
	return 0;
}

void
proto_mint_reply_clear(struct proto_mint_reply *r)
{
	if (r == NULL)
		return;
	secbuf_free(&r->access_token);
	secmem_wipe(r, sizeof(*r));
}

void
proto_rotate_reply_clear(struct proto_rotate_reply *r)
{
	if (r == NULL)
		return;
	secbuf_free(&r->secret);
	secmem_wipe(r, sizeof(*r));
}

int
proto_mint_decode(const void *p, size_t len, struct proto_mint_reply *out,
    char *why, size_t whylen)
{
	json_t *root = NULL;
	const json_t *v;
	const char *s;
	size_t n;
	json_int_t ttl;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = proto_load_object(p, len, &root, why, whylen)) != 0)
		goto out;
	/* Tokens end up in HTTP headers: visible ASCII only, no CR/LF. */
	if ((r = proto_get_str(root, "access_token", 1, CV_TOKEN_MAX, 0x21,
	    &s, &n, why, whylen)) != 0)
		goto out;
	if ((out->access_token = secbuf_dup(s, n)) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	v = json_object_get(root, "expires_in");
	if (!json_is_integer(v) || (ttl = json_integer_value(v)) < 1 ||
	    ttl > CV_EXPIRES_IN_MAX) {
		cv_why(why, whylen, "member 'expires_in' must be an integer "
		    "from 1 to %u", (unsigned)CV_EXPIRES_IN_MAX);
		r = CV_E_PROTO;
		goto out;
	}
	out->expires_in = (uint32_t)ttl;
	r = proto_get_str(root, "token_type", 0, CV_TOKEN_TYPE_MAX, 0x21, &s,
	    &n, why, whylen);
	if (r < 0)
		goto out;
	if (r == 1) {
		s = "Bearer";
		n = strlen(s);
	}
	memcpy(out->token_type, s, n);
	r = proto_get_str(root, "scope", 0, CV_SCOPE_MAX, 0x20, &s, &n, why,
	    whylen);
	if (r < 0)
		goto out;
	if (r == 0)
		memcpy(out->scope, s, n);
	r = 0;
out:
	json_decref(root);
	if (r != 0)
		proto_mint_reply_clear(out);
	return r;
}

int
proto_rotate_decode(const void *p, size_t len, struct proto_rotate_reply *out,
    char *why, size_t whylen)
{
	json_t *root = NULL;
	const json_t *v;
	const char *s;
	size_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = proto_load_object(p, len, &root, why, whylen)) != 0)
		goto out;
	if ((r = proto_get_str(root, "client_id", 1, CV_CLIENT_ID_MAX, 0x21,
	    &s, &n, why, whylen)) != 0)
		goto out;
	memcpy(out->client_id, s, n);
	/* A secret is opaque bytes to us, but never empty, NUL-free (jansson
	 * rejects \u0000) and bounded. */
	v = json_object_get(root, "secret");
	if (!json_is_string(v) || (n = json_string_length(v)) == 0 ||
	    n > CV_SECRET_MAX) {
		cv_why(why, whylen, "member 'secret' must be a string of 1 "
		    "to %u bytes", (unsigned)CV_SECRET_MAX);
		r = CV_E_PROTO;
		goto out;
	}
	if ((out->secret = secbuf_dup(json_string_value(v), n)) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	r = 0;
out:
	json_decref(root);
	if (r != 0)
		proto_rotate_reply_clear(out);
	return r;
}

int
proto_error_decode(const void *p, size_t len, struct proto_error_reply *out,
    char *why, size_t whylen)
{
	json_t *root = NULL;
	const char *s;
	size_t n, i;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = proto_load_object(p, len, &root, why, whylen)) != 0)
		goto out;
	/* RFC 6749 5.2: error is %x20-21 / %x23-5B / %x5D-7E; we also keep
	 * spaces out.  The description only needs to be printable. */
	if ((r = proto_get_str(root, "error", 1, CV_OAUTH_ERROR_MAX, 0x21, &s,
	    &n, why, whylen)) != 0)
		goto out;
	if (memchr(s, '"', n) != NULL || memchr(s, '\\', n) != NULL) {
		cv_why(why, whylen, "member 'error' has a character RFC "
		    "6749 does not allow");
		r = CV_E_PROTO;
		goto out;
	}
	memcpy(out->error, s, n);
	for (i = 0; i < sizeof(proto_oauth_errors) /
	    sizeof(proto_oauth_errors[0]); i++)
		if (strcmp(out->error, proto_oauth_errors[i].name) == 0)
			out->code = proto_oauth_errors[i].code;
	r = proto_get_str(root, "error_description", 0,
	    CV_OAUTH_ERROR_DESC_MAX, 0x20, &s, &n, why, whylen);
	if (r < 0)
		goto out;
	if (r == 0)
		memcpy(out->description, s, n);
	r = 0;
out:
	json_decref(root);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

void
proto_record_of(struct proto_record *pr, const struct record *r,
    const struct generation *g)
{
	memset(pr, 0, sizeof(*pr));
	pr->name = r->name;
	pr->provider = r->provider;
	pr->project_key = r->project_key;
	pr->client_id = g != NULL ? g->client_id : NULL;
	pr->scope = r->scope;
	pr->api_url = r->api_url;
	pr->auth_url = r->auth_url;
	pr->generation = g != NULL ? g->number : 0;
}
