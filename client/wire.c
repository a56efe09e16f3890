/* SPDX-License-Identifier: MIT */
/* Agent frames: u32 length headers and schema-checked JSON bodies. */
#include "client/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/banned.h"

static const char *const wire_ops[WIRE_OPS + 1] = {
	[WIRE_OP_TOKEN] = "token",
	[WIRE_OP_LOCK] = "lock",
	[WIRE_OP_ADMIN] = "admin",
	[WIRE_OP_STATUS] = "status",
};

static const char *const wire_statuses[] = {
	[WIRE_OK] = "ok",
	[WIRE_DENIED] = "denied",
	[WIRE_LOCKED] = "locked",
	[WIRE_FAILED] = "failed",
};
#define WIRE_STATUSES (sizeof(wire_statuses) / sizeof(wire_statuses[0]))

/* Failure classes (docs/protocol.md): what they mean and how they exit. */
static const struct {
	const char *cls;
	int err;
	const char *text;
} wire_classes[] = {
	{ "bad_request", CV_E_PROTO, "the agent could not parse the request" },
	{ "too_large", CV_E_TOOBIG, "the request is larger than the agent "
	    "accepts" },
	{ "unsupported", CV_E_PROTO, "the agent does not support this "
	    "request" },
	{ "truncated", CV_E_PROTO, "the request ended early" },
	{ "timeout", CV_E_IO, "the request was not finished in time" },
	{ "busy", CV_E_BUSY, "the agent is busy (too many clients or hook "
	    "runs)" },
	{ "internal", CV_E_INTERNAL, "the agent failed" },
	{ "no_such_record", CV_E_NOTFOUND, "there is no such record" },
	{ "exists", CV_E_EXISTS, "it already exists" },
	{ "refused", CV_E_REFUSED, "the vault refused it" },
	{ "invalid", CV_E_INVALID, "an argument is invalid" },
	{ "no_space", CV_E_NOSPACE, "the agent's disk is full" },
	{ "bad_passphrase", CV_E_AUTH, "the passphrase does not open your "
	    "keyslot" },
	{ "passphrase_required", CV_E_AUTH, "the agent asks for the "
	    "passphrase of your keyslot" },
	{ "vault_damaged", CV_E_INTEGRITY, "the agent's vault is damaged or "
	    "was put back from an older copy (see the agent's log; run "
	    "'credvault check')" },
	{ "no_active_secret", CV_E_NOTFOUND, "the record has no active "
	    "secret" },
	{ "ttl_unavailable", CV_E_INVALID, "tokens of this record do not "
	    "live as long as the requested minimum lifetime" },
	{ "policy_error", CV_E_UPSTREAM, "the agent could not use the "
	    "record's stack file" },
	{ "hook_refused", CV_E_UPSTREAM, "the agent refused to run a hook "
	    "(unsafe path or permissions)" },
	{ "hook_timeout", CV_E_UPSTREAM, "the hook timed out and was killed" },
	{ "hook_error", CV_E_UPSTREAM, "the hook failed (it crashed, exited "
	    "with an error or printed a bad reply)" },
	{ "mint_failed", CV_E_UPSTREAM, "the mint hook failed without saying "
	    "why" },
	{ "invalid_client", CV_E_UPSTREAM, "upstream rejected the client "
	    "secret" },
	{ "scope_required", CV_E_DENIED, "the record's rules allow this "
	    "process only some of its scopes; ask for them with --scope" },
	{ "invalid_scope", CV_E_UPSTREAM, "upstream rejected the requested "
	    "scope" },
	{ "invalid_request", CV_E_UPSTREAM, "upstream rejected the token "
	    "request as malformed" },
	{ "invalid_grant", CV_E_UPSTREAM, "upstream rejected the grant" },
	{ "unauthorized_client", CV_E_UPSTREAM, "upstream does not allow "
	    "this client the client_credentials grant" },
	{ "unsupported_grant_type", CV_E_UPSTREAM, "upstream does not "
	    "support the client_credentials grant" },
	{ "temporarily_unavailable", CV_E_UPSTREAM, "upstream is temporarily "
	    "unavailable" },
	{ "server_error", CV_E_UPSTREAM, "upstream failed" },
};

const char *
wire_op_name(enum wire_op op)
{
	if ((unsigned)op < 1 || (unsigned)op > WIRE_OPS)
		return NULL;
	return wire_ops[op];
}

const char *
wire_status_name(enum wire_status s)
{
	if ((unsigned)s >= WIRE_STATUSES)
		return NULL;
	return wire_statuses[s];
}

void
wire_header_put(unsigned char hdr[WIRE_HEADER_BYTES], uint32_t len)
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
}

int
wire_header_get(const unsigned char hdr[WIRE_HEADER_BYTES], uint32_t max,
    uint32_t *len)
{
	uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3];

	*len = n;
	if (n == 0)
		return CV_E_PROTO;
	if (n > max)
		return CV_E_TOOBIG;
	return 0;
}

int
wire_class_err(const char *cls)
{
	size_t i;

	for (i = 0; i < sizeof(wire_classes) / sizeof(wire_classes[0]); i++)
		if (strcmp(cls, wire_classes[i].cls) == 0)
			return wire_classes[i].err;
	return CV_E_UPSTREAM;
}

const char *
wire_class_text(const char *cls)
{
	size_t i;

	for (i = 0; i < sizeof(wire_classes) / sizeof(wire_classes[0]); i++)
		if (strcmp(cls, wire_classes[i].cls) == 0)
			return wire_classes[i].text;
	return "upstream refused";
}

/* Printable ASCII (space included when spaces is set), at most max bytes. */
static int
wire_text_is_valid(const char *s, size_t len, size_t max, int spaces)
{
	size_t i;

	if (len > max)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == ' ' && spaces)
			continue;
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	}
	return 1;
}

/* Copy a string member into dst (dstlen > max) after the checks above. */
static int
wire_get_text(json_t *v, const char *key, char *dst, size_t max, int spaces,
    int empty_ok, char *why, size_t whylen)
{
	const char *s;
	size_t n;

	if (!json_is_string(v)) {
		cv_why(why, whylen, "\"%s\" is not a string", key);
		return CV_E_PROTO;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if ((n == 0 && !empty_ok) || !wire_text_is_valid(s, n, max, spaces)) {
		cv_why(why, whylen, "\"%s\" is empty, too long or not "
		    "printable ASCII", key);
		return CV_E_PROTO;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int
wire_get_uint(json_t *v, const char *key, json_int_t max, json_int_t *out,
    char *why, size_t whylen)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		cv_why(why, whylen, "\"%s\" is not an integer in 0..%lld",
		    key, (long long)max);
		return CV_E_PROTO;
	}
	*out = json_integer_value(v);
	return 0;
}

/* An admin command name: [a-z_]{1,WIRE_CMD_MAX}. */
static int
wire_get_cmd(json_t *v, char *out, char *why, size_t whylen)
{
	const char *s = json_string_value(v);
	size_t i, n;

	n = s != NULL ? json_string_length(v) : 0;
	for (i = 0; i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_');
	    i++)
		;
	if (s == NULL || n == 0 || n > WIRE_CMD_MAX || i != n) {
		cv_why(why, whylen, "\"cmd\" is not a command name");
		return CV_E_PROTO;
	}
	memcpy(out, s, n + 1);
	return 0;
}

/* Parse one JSON object from (p, len); why never quotes the input. */
static int
wire_parse_object(const void *p, size_t len, json_t **out, char *why,
    size_t whylen)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	j = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		cv_why(why, whylen, "not one JSON value (error at byte %d)",
		    jerr.position);
		return CV_E_PROTO;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		cv_why(why, whylen, "not a JSON object");
		return CV_E_PROTO;
	}
	*out = j;
	return 0;
}

static int
wire_check_version(json_t *j, char *why, size_t whylen)
{
	json_t *v = json_object_get(j, "v");

	if (!json_is_integer(v)) {
		cv_why(why, whylen, "\"v\" is missing or not an integer");
		return CV_E_PROTO;
	}
	if (json_integer_value(v) != WIRE_VERSION) {
		cv_why(why, whylen, "protocol version %lld is not %d",
		    (long long)json_integer_value(v), WIRE_VERSION);
		return CV_E_VERSION;
	}
	return 0;
}

int
wire_request_decode(const void *p, size_t len, struct wire_request *out,
    char *why, size_t whylen)
{
	json_t *j = NULL, *v;
	const char *key, *op;
	json_int_t ttl;
	unsigned i;
	int r;

	memset(out, 0, sizeof(*out));
	cv_why(why, whylen, "%s", "");
	if (len > CV_REQUEST_MAX) {
		cv_why(why, whylen, "request over %u bytes",
		    (unsigned)CV_REQUEST_MAX);
		return CV_E_TOOBIG;
	}
	if ((r = wire_parse_object(p, len, &j, why, whylen)) != 0 ||
	    (r = wire_check_version(j, why, whylen)) != 0)
		goto out;
	r = CV_E_PROTO;
	v = json_object_get(j, "op");
	if (!json_is_string(v)) {
		cv_why(why, whylen, "\"op\" is missing or not a string");
		goto out;
	}
	op = json_string_value(v);
	for (i = 1; i <= WIRE_OPS; i++)
		if (strcmp(op, wire_ops[i]) == 0)
			break;
	if (i > WIRE_OPS) {
		cv_why(why, whylen, "unknown op");
		r = CV_E_VERSION;
		goto out;
	}
	out->op = (enum wire_op)i;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "v") == 0 || strcmp(key, "op") == 0)
			continue;
		if (out->op == WIRE_OP_ADMIN) {
			/* The admin operations check their own arguments. */
			if (strcmp(key, "cmd") == 0) {
				if ((r = wire_get_cmd(v, out->cmd, why,
				    whylen)) != 0)
					goto out;
			} else if ((strcmp(key, "args") != 0 &&
			    strcmp(key, "proof") != 0) || !json_is_object(v)) {
				cv_why(why, whylen, "unexpected member for op "
				    "admin");
				r = CV_E_PROTO;
				goto out;
			}
			continue;
		}
		if (out->op != WIRE_OP_TOKEN) {
			cv_why(why, whylen, "unexpected member for op %s",
			    wire_ops[out->op]);
			goto out;
		}
		if (strcmp(key, "name") == 0) {
			if ((r = wire_get_text(v, key, out->name, CV_NAME_MAX,
			    0, 0, why, whylen)) != 0)
				goto out;
		} else if (strcmp(key, "scope") == 0) {
			if ((r = wire_get_text(v, key, out->scope,
			    CV_SCOPE_MAX, 1, 1, why, whylen)) != 0)
				goto out;
		} else if (strcmp(key, "min_ttl") == 0) {
			if ((r = wire_get_uint(v, key, CV_EXPIRES_IN_MAX, &ttl,
			    why, whylen)) != 0)
				goto out;
			out->min_ttl = (uint32_t)ttl;
		} else {
			cv_why(why, whylen, "unknown member");
			r = CV_E_PROTO;
			goto out;
		}
	}
	r = CV_E_PROTO;
	if (out->op == WIRE_OP_TOKEN && out->name[0] == '\0') {
		cv_why(why, whylen, "\"name\" is missing");
		goto out;
	}
	if (out->op == WIRE_OP_ADMIN && out->cmd[0] == '\0') {
		cv_why(why, whylen, "\"cmd\" is missing");
		goto out;
	}
	r = 0;
out:
	json_decref(j);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* Dump j compactly after a header into buf; *len is the frame length. */
static int
wire_dump_frame(json_t *j, unsigned char *buf, size_t cap, size_t max,
    size_t *len)
{
	size_t n;

	if (cap < WIRE_HEADER_BYTES)
		return CV_E_TOOBIG;
	n = json_dumpb(j, (char *)buf + WIRE_HEADER_BYTES,
	    cap - WIRE_HEADER_BYTES, JSON_COMPACT);
	if (n == 0)
		return CV_E_NOMEM;
	if (n > max || n > cap - WIRE_HEADER_BYTES)
		return CV_E_TOOBIG;
	wire_header_put(buf, (uint32_t)n);
	*len = WIRE_HEADER_BYTES + n;
	return 0;
}

int
wire_request_encode(const struct wire_request *req, unsigned char *buf,
    size_t cap, size_t *len)
{
	json_t *j = NULL;
	const char *op = wire_op_name(req->op);
	int r = CV_E_INVALID;

	*len = 0;
	if (op == NULL)
		return CV_E_INVALID;
	if (req->op == WIRE_OP_TOKEN &&
	    (req->name[0] == '\0' ||
	    !wire_text_is_valid(req->name, strlen(req->name), CV_NAME_MAX, 0) ||
	    !wire_text_is_valid(req->scope, strlen(req->scope), CV_SCOPE_MAX,
	    1) || req->min_ttl > CV_EXPIRES_IN_MAX))
		return CV_E_INVALID;
	r = CV_E_NOMEM;
	if ((j = json_object()) == NULL ||
	    json_object_set_new(j, "v", json_integer(WIRE_VERSION)) != 0 ||
	    json_object_set_new(j, "op", json_string(op)) != 0)
		goto out;
	if (req->op == WIRE_OP_TOKEN &&
	    (json_object_set_new(j, "name", json_string(req->name)) != 0 ||
	    (req->scope[0] != '\0' &&
	    json_object_set_new(j, "scope", json_string(req->scope)) != 0) ||
	    (req->min_ttl != 0 && json_object_set_new(j, "min_ttl",
	    json_integer(req->min_ttl)) != 0)))
		goto out;
	r = wire_dump_frame(j, buf, cap, CV_REQUEST_MAX, len);
out:
	json_decref(j);
	return r;
}

void
wire_reply_clear(struct wire_reply *r)
{
	if (r == NULL)
		return;
	secbuf_free(&r->token);
	memset(r, 0, sizeof(*r));
}

int
wire_reply_encode(enum wire_status status, const char *error,
    const unsigned char *token, size_t toklen, const char *token_type,
    uint32_t expires_in, int64_t expires_at, const char *scope,
    struct secbuf *out)
{
	const char *st = wire_status_name(status);
	json_t *j = NULL;
	size_t len = 0;
	int r = CV_E_INVALID;

	/* Wipe what the last reply left (not all of the buffer: hot path). */
	secbuf_reset(out);
	if (st == NULL || (status == WIRE_FAILED && !cv_class_is_valid(error)))
		return CV_E_INVALID;
	if (token != NULL && (status != WIRE_OK || toklen == 0 ||
	    !wire_text_is_valid((const char *)token, toklen, CV_TOKEN_MAX, 0) ||
	    token_type == NULL || scope == NULL))
		return CV_E_INVALID;
	r = CV_E_NOMEM;
	if ((j = json_object()) == NULL ||
	    json_object_set_new(j, "v", json_integer(WIRE_VERSION)) != 0 ||
	    json_object_set_new(j, "status", json_string(st)) != 0)
		goto out;
	if (status == WIRE_FAILED &&
	    json_object_set_new(j, "error", json_string(error)) != 0)
		goto out;
	if (token != NULL &&
	    (json_object_set_new(j, "access_token",
	    json_stringn((const char *)token, toklen)) != 0 ||
	    json_object_set_new(j, "token_type", json_string(token_type)) != 0 ||
	    json_object_set_new(j, "expires_in", json_integer(expires_in)) != 0 ||
	    json_object_set_new(j, "expires_at", json_integer(expires_at)) != 0 ||
	    json_object_set_new(j, "scope", json_string(scope)) != 0))
		goto out;
	r = wire_dump_frame(j, out->data, out->cap, CV_FRAME_MAX, &len);
	if (r == 0)
		out->len = len;
out:
	json_decref(j);
	if (r != 0)
		secmem_wipe(out->data, out->cap); /* a partial dump */
	return r;
}

/* The token members of an "ok" reply to a token request. */
static int
wire_reply_token(json_t *j, struct wire_reply *out, char *why, size_t whylen)
{
	json_t *v = json_object_get(j, "access_token");
	json_int_t n;
	const char *s;
	size_t len;
	int r;

	if (!json_is_string(v)) {
		cv_why(why, whylen, "\"access_token\" is missing");
		return CV_E_PROTO;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || !wire_text_is_valid(s, len, CV_TOKEN_MAX, 0)) {
		cv_why(why, whylen, "\"access_token\" is empty, too long or "
		    "not visible ASCII");
		return CV_E_PROTO;
	}
	if ((out->token = secbuf_dup(s, len)) == NULL)
		return CV_E_NOMEM;
	if ((r = wire_get_text(json_object_get(j, "token_type"), "token_type",
	    out->token_type, CV_TOKEN_TYPE_MAX, 0, 0, why, whylen)) != 0 ||
	    (r = wire_get_text(json_object_get(j, "scope"), "scope", out->scope,
	    CV_SCOPE_MAX, 1, 1, why, whylen)) != 0 ||
	    (r = wire_get_uint(json_object_get(j, "expires_in"), "expires_in",
	    CV_EXPIRES_IN_MAX, &n, why, whylen)) != 0)
		return r;
	out->expires_in = (uint32_t)n;
	v = json_object_get(j, "expires_at");
	if (!json_is_integer(v)) {
		cv_why(why, whylen, "\"expires_at\" is not an integer");
		return CV_E_PROTO;
	}
	out->expires_at = (int64_t)json_integer_value(v);
	return 0;
}

int
wire_reply_decode(const void *p, size_t len, enum wire_op op,
    struct wire_reply *out, char *why, size_t whylen)
{
	json_t *j = NULL, *v;
	const char *s;
	unsigned i;
	int r;

	memset(out, 0, sizeof(*out));
	cv_why(why, whylen, "%s", "");
	if (len > CV_FRAME_MAX) {
		cv_why(why, whylen, "reply over %u bytes",
		    (unsigned)CV_FRAME_MAX);
		return CV_E_TOOBIG;
	}
	if ((r = wire_parse_object(p, len, &j, why, whylen)) != 0 ||
	    (r = wire_check_version(j, why, whylen)) != 0)
		goto out;
	r = CV_E_PROTO;
	v = json_object_get(j, "status");
	s = json_is_string(v) ? json_string_value(v) : "";
	for (i = 0; i < WIRE_STATUSES; i++)
		if (strcmp(s, wire_statuses[i]) == 0)
			break;
	if (i == WIRE_STATUSES) {
		cv_why(why, whylen, "\"status\" is missing or unknown");
		goto out;
	}
	out->status = (enum wire_status)i;
	if (out->status == WIRE_FAILED) {
		v = json_object_get(j, "error");
		if (!json_is_string(v) ||
		    !cv_class_is_valid(json_string_value(v))) {
			cv_why(why, whylen, "\"error\" is missing or not a "
			    "failure class");
			goto out;
		}
		memcpy(out->error, json_string_value(v),
		    json_string_length(v) + 1);
	}
	r = 0;
	if (out->status == WIRE_OK && op == WIRE_OP_TOKEN)
		r = wire_reply_token(j, out, why, whylen);
out:
	json_decref(j);
	if (r != 0)
		wire_reply_clear(out);
	return r;
}
