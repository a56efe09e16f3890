/* SPDX-License-Identifier: MIT */
/* OAuth2 token requests and the parsing of token endpoint answers. */
#include "hookkit/oauth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "hookkit/form.h"
#include "hookkit/http.h"
#include "base/log.h"
#include "base/err.h"
#include "base/banned.h"

/* RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
static int
oauth_is_scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/* RFC 6749 section 7.1 / appendix A.13 type-name characters. */
static int
oauth_is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* An access token goes into HTTP headers and environment variables later:
 * printable ASCII without spaces (RFC 6749 VSCHAR minus %x20). */
static int
oauth_is_token_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

int
oauth_scope_normalize(const char *in, char *out, size_t outsz)
{
	size_t i = 0, o = 0, count = 0;

	if (outsz == 0)
		return CV_E_INVALID;
	out[0] = '\0';
	for (;;) {
		while (in[i] == ' ')
			i++;
		if (in[i] == '\0')
			break;
		if (++count > CV_SCOPES_MAX)
			return CV_E_INVALID;
		if (o > 0) {
			if (o + 1 >= outsz || o + 1 > CV_SCOPE_MAX)
				return CV_E_TOOBIG;
			out[o++] = ' ';
		}
		for (; in[i] != ' ' && in[i] != '\0'; i++) {
			if (!oauth_is_scope_char((unsigned char)in[i]))
				return CV_E_INVALID;
			if (o + 1 >= outsz || o + 1 > CV_SCOPE_MAX)
				return CV_E_TOOBIG;
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return 0;
}

/* Is the token t[0..n) one of the space-separated tokens of list? */
static int
oauth_scope_list_has(const char *list, const char *t, size_t n, int prefix)
{
	const char *p = list;
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, " ");
		if ((prefix ? len >= n : len == n) && memcmp(p, t, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static int
oauth_scope_subset(const char *a, const char *b)
{
	const char *p = a;
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, " ");
		if (!oauth_scope_list_has(b, p, len, 0))
			return 0;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 1;
}

int
oauth_scope_is_subset(const char *a, const char *b)
{
	return oauth_scope_subset(a, b);
}

int
oauth_scope_same_set(const char *a, const char *b)
{
	return oauth_scope_subset(a, b) && oauth_scope_subset(b, a);
}

int
oauth_scope_has(const char *a, const char *t)
{
	size_t n = strlen(t);

	return n > 0 && oauth_scope_list_has(a, t, n, t[n - 1] == ':');
}

int
oauth_endpoint(enum oauth_style style, const char *auth_url, char *out,
    size_t outsz, char *why, size_t whysz)
{
	int r;

	out[0] = '\0';
	if (style != OAUTH_GENERIC)
		return http_url_append(auth_url, "/oauth/token", "auth_url",
		    "the authorization server's base URL", out, outsz, why,
		    whysz);
	if ((r = http_url_check(auth_url, NULL, why, whysz)) != 0)
		return r;
	if (strlen(auth_url) >= outsz) {
		(void)snprintf(why, whysz, "auth_url too long");
		return CV_E_INVALID;
	}
	memcpy(out, auth_url, strlen(auth_url) + 1);
	return 0;
}

void
oauth_result_clear(struct oauth_result *res)
{
	secbuf_free(&res->access_token);
	res->outcome = OAUTH_BAD_REPLY;
	res->token_type[0] = '\0';
	res->expires_in = 0;
	res->scope[0] = '\0';
	res->error[0] = '\0';
	res->error_description[0] = '\0';
	res->http_status = 0;
	res->attempts = 0;
}

static void
oauth_fail(struct oauth_result *res, enum oauth_outcome outcome,
    const char *error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
oauth_fail(struct oauth_result *res, enum oauth_outcome outcome,
    const char *error, const char *fmt, ...)
{
	va_list ap;

	secbuf_free(&res->access_token);
	res->outcome = outcome;
	(void)snprintf(res->error, sizeof(res->error), "%s", error);
	va_start(ap, fmt);
	(void)vsnprintf(res->error_description, sizeof(res->error_description),
	    fmt, ap);
	va_end(ap);
}

/* Does s[0..n) contain the secret?  Constant time per comparison. */
static int
oauth_mentions_secret(const char *s, size_t n, const struct secbuf *secret)
{
	size_t i;

	if (secret == NULL || secret->len == 0 || secret->len > n)
		return 0;
	for (i = 0; i + secret->len <= n; i++)
		if (secmem_equal(s + i, secret->data, secret->len))
			return 1;
	return 0;
}

static int
oauth_is_error_code(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > CV_OAUTH_ERROR_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!oauth_is_name_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *
oauth_json_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void
oauth_error_read(json_t *root, const struct secbuf *secret,
    const char *withheld, struct oauth_error *e)
{
	const char *code = NULL, *desc = NULL;
	json_t *first;

	e->code[0] = '\0';
	e->description[0] = '\0';
	if (!json_is_object(root))
		return;
	code = oauth_json_str(root, "error");
	desc = oauth_json_str(root, "error_description");
	first = json_array_get(json_object_get(root, "errors"), 0);
	if (json_is_object(first)) {
		if (code == NULL)
			code = oauth_json_str(first, "code");
		if (desc == NULL)
			desc = oauth_json_str(first, "message");
	}
	if (desc == NULL)
		desc = oauth_json_str(root, "message");

	/* A code is logged and passed on like the description: one that
	 * echoes the secret is no code. */
	if (code != NULL && oauth_is_error_code(code) &&
	    !oauth_mentions_secret(code, strlen(code), secret))
		(void)snprintf(e->code, sizeof(e->code), "%s", code);
	if (desc == NULL)
		return;
	if (oauth_mentions_secret(desc, strlen(desc), secret))
		(void)snprintf(e->description, sizeof(e->description), "%s",
		    withheld);
	else
		log_clean(e->description, sizeof(e->description), desc,
		    strlen(desc));
}

static void
oauth_parse_error(long status, json_t *root, const struct secbuf *secret,
    struct oauth_result *res)
{
	struct oauth_error e;

	oauth_error_read(root, secret, "(the provider's description was "
	    "withheld: it contained the client secret)", &e);
	if (e.code[0] != '\0') {
		if (e.description[0] != '\0')
			oauth_fail(res, OAUTH_REJECTED, e.code, "%s",
			    e.description);
		else
			oauth_fail(res, OAUTH_REJECTED, e.code, "token endpoint "
			    "answered HTTP %ld with error %s", status, e.code);
		return;
	}
	if (status == 401)
		oauth_fail(res, OAUTH_REJECTED, "invalid_client",
		    "token endpoint answered HTTP 401 without an OAuth2 error; "
		    "the client id or secret was not accepted");
	else if (status == 400)
		oauth_fail(res, OAUTH_REJECTED, "invalid_request",
		    "token endpoint answered HTTP 400 without an OAuth2 error");
	else if (status >= 300 && status < 400)
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answered HTTP %ld (a redirect); redirects "
		    "are not followed: set auth_url to the final address",
		    status);
	else
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answered HTTP %ld; check auth_url", status);
}

/* expires_in: a JSON integer, or (leniently, as some servers send it) a
 * string of at most ten digits. */
static int
oauth_expires_in(json_t *v, long long *out)
{
	const char *s;
	char *end;
	long long n;
	size_t len;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		len = strlen(s);
		if (len == 0 || len > 10 || strspn(s, "0123456789") != len)
			return CV_E_INVALID;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0')
			return CV_E_INVALID;
	} else {
		return CV_E_INVALID;
	}
	if (n < 1 || n > CV_EXPIRES_IN_MAX)
		return CV_E_INVALID;
	*out = n;
	return 0;
}

static void
oauth_parse_token(json_t *root, const char *requested_scope,
    const struct secbuf *secret, struct oauth_result *res)
{
	const char *tok, *type, *scope;
	json_t *v;
	size_t n, i;

	if (!json_is_object(root)) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answered with JSON that is not an object");
		return;
	}
	if (oauth_json_str(root, "error") != NULL) {
		oauth_parse_error(400, root, secret, res);
		return;
	}
	v = json_object_get(root, "access_token");
	if (!json_is_string(v)) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answer has no access_token string");
		return;
	}
	tok = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > CV_TOKEN_MAX) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "access_token is empty or longer than %d bytes",
		    CV_TOKEN_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!oauth_is_token_char((unsigned char)tok[i])) {
			oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
			    "access_token has characters outside printable "
			    "ASCII");
			return;
		}
	}

	type = oauth_json_str(root, "token_type");
	n = type != NULL ? strlen(type) : 0;
	for (i = 0; i < n && oauth_is_name_char((unsigned char)type[i]); i++)
		;
	if (type == NULL || n == 0 || n > CV_TOKEN_TYPE_MAX || i != n) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answer has no valid token_type");
		return;
	}
	/* Case-insensitive (RFC 6749 section 5.1); Commerce Layer says
	 * "bearer".  Hand out the RFC 6750 spelling. */
	(void)snprintf(res->token_type, sizeof(res->token_type), "%s",
	    strcasecmp(type, "bearer") == 0 ? "Bearer" : type);

	if (oauth_expires_in(json_object_get(root, "expires_in"),
	        &res->expires_in) != 0) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answer has no expires_in between 1 and %d "
		    "seconds", CV_EXPIRES_IN_MAX);
		return;
	}

	scope = oauth_json_str(root, "scope");
	if (scope == NULL || scope[strspn(scope, " ")] == '\0')
		scope = requested_scope;
	if (oauth_scope_normalize(scope, res->scope, sizeof(res->scope)) != 0) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "token endpoint answer has an invalid scope");
		return;
	}

	if ((res->access_token = secbuf_dup(tok, strlen(tok))) == NULL) {
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
		    "out of memory");
		return;
	}
	res->outcome = OAUTH_TOKEN;
}

int
oauth_reply_parse(long status, const unsigned char *p, size_t n,
    const char *requested_scope, const struct secbuf *secret,
    struct oauth_result *res)
{
	json_error_t jerr;
	json_t *root;

	res->access_token = NULL;
	oauth_result_clear(res);
	res->http_status = status;
	/* No JSON_ALLOW_NUL: an embedded NUL fails the parse. */
	root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (status >= 200 && status < 300) {
		if (root == NULL)
			/* jerr.text may quote the input, which may be a
			 * token: give the position only. */
			oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response",
			    "token endpoint answered HTTP %ld with malformed "
			    "JSON (line %d, column %d)", status, jerr.line,
			    jerr.column);
		else
			oauth_parse_token(root, requested_scope, secret, res);
	} else {
		oauth_parse_error(status, root, secret, res);
	}
	json_decref(root);
	secmem_wipe(&jerr, sizeof(jerr));
	return 0;
}

/* Body and Content-Type of the token request into body. */
static int
oauth_build_body(const struct oauth_client *c, const char *scope,
    struct secbuf *body, const char **ctype)
{
	json_t *o = NULL;
	size_t need;
	int r;

	if (c->auth == OAUTH_AUTH_JSON) {
		*ctype = "application/json";
		o = json_object();
		if (o == NULL ||
		    json_object_set_new(o, "grant_type",
		        json_string("client_credentials")) != 0 ||
		    json_object_set_new(o, "client_id",
		        json_string(c->client_id)) != 0 ||
		    json_object_set_new(o, "client_secret",
		        json_stringn((const char *)c->secret->data,
		            c->secret->len)) != 0 ||
		    (scope[0] != '\0' &&
		        json_object_set_new(o, "scope", json_string(scope)) != 0)) {
			r = CV_E_NOMEM;
			goto out;
		}
		need = json_dumpb(o, NULL, 0, JSON_COMPACT);
		if (need == 0 || need > body->cap) {
			r = CV_E_TOOBIG;
			goto out;
		}
		secbuf_reset(body);
		/* json_dumpb writes straight into the locked buffer. */
		if (json_dumpb(o, (char *)body->data, body->cap,
		        JSON_COMPACT) != need) {
			r = CV_E_INTERNAL;
			goto out;
		}
		body->len = need;
		body->data[need] = '\0';
		r = 0;
		goto out;
	}

	*ctype = "application/x-www-form-urlencoded";
	secbuf_reset(body);
	if ((r = form_append(body, "grant_type", "client_credentials",
	         strlen("client_credentials"))) != 0)
		goto out;
	if (c->auth == OAUTH_AUTH_POST &&
	    ((r = form_append(body, "client_id", c->client_id,
	          strlen(c->client_id))) != 0 ||
	        (r = form_append(body, "client_secret", c->secret->data,
	             c->secret->len)) != 0))
		goto out;
	if (scope[0] != '\0')
		r = form_append(body, "scope", scope, strlen(scope));
out:
	json_decref(o);
	return r;
}

int
oauth_mint(const struct oauth_client *c, const char *scope,
    struct oauth_result *res)
{
	struct http_request req = { 0 };
	struct http_response resp = { 0 };
	struct secbuf *body = NULL, *user = NULL, *pass = NULL;
	const char *ctype = NULL;
	int r;

	res->access_token = NULL;
	oauth_result_clear(res);
	if ((body = secbuf_new(CV_HTTP_BODY_MAX)) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	if ((r = oauth_build_body(c, scope, body, &ctype)) != 0) {
		(void)snprintf(res->error_description,
		    sizeof(res->error_description),
		    "cannot build the token request: %s", cv_strerror(r));
		goto out;
	}

	req.method = HTTP_POST;
	req.url = c->endpoint;
	req.content_type = ctype;
	req.body = body;
	req.cafile = c->cafile;
	req.idempotent = 1; /* a second token request does no harm */
	req.deadline_ms = c->deadline_ms;
	req.retries = c->retries;

	switch (c->auth) {
	case OAUTH_AUTH_BASIC_RAW:
		/* RFC 7617: the user-id of Basic cannot hold a colon. */
		if (strchr(c->client_id, ':') != NULL) {
			r = CV_E_INVALID;
			(void)snprintf(res->error_description,
			    sizeof(res->error_description),
			    "client id contains ':', which HTTP Basic cannot "
			    "carry unencoded");
			goto out;
		}
		req.basic_user = c->client_id;
		req.basic_password = c->secret;
		break;
	case OAUTH_AUTH_BASIC:
		/* RFC 6749 section 2.3.1: form-encode both, then Basic. */
		user = secbuf_new(form_encoded_len(c->client_id,
		    strlen(c->client_id)));
		pass = secbuf_new(form_encoded_len(c->secret->data,
		    c->secret->len));
		if (user == NULL || pass == NULL) {
			r = CV_E_NOMEM;
			goto out;
		}
		if ((r = form_encode(user, c->client_id,
		         strlen(c->client_id))) != 0 ||
		    (r = form_encode(pass, c->secret->data, c->secret->len)) != 0)
			goto out;
		req.basic_user = (const char *)user->data;
		req.basic_password = pass;
		break;
	case OAUTH_AUTH_POST:
	case OAUTH_AUTH_JSON:
		break;
	}

	if ((r = http_perform(&req, &resp)) != 0) {
		(void)snprintf(res->error_description,
		    sizeof(res->error_description), "%s", resp.detail);
		goto out;
	}
	res->attempts = resp.attempts;
	switch (resp.outcome) {
	case HTTP_ANSWERED:
		r = oauth_reply_parse(resp.status, resp.body->data,
		    resp.body->len, scope, c->secret, res);
		res->attempts = resp.attempts;
		break;
	case HTTP_UNAVAILABLE:
		oauth_fail(res, OAUTH_UNAVAILABLE, "temporarily_unavailable",
		    "%s", resp.detail);
		res->http_status = resp.status;
		break;
	case HTTP_TRANSPORT:
		oauth_fail(res, OAUTH_TRANSPORT, "transport_error", "%s",
		    resp.detail);
		break;
	case HTTP_TOOBIG:
		oauth_fail(res, OAUTH_BAD_REPLY, "invalid_response", "%s",
		    resp.detail);
		break;
	}
out:
	http_response_clear(&resp);
	secbuf_free(&pass);
	secbuf_free(&user);
	secbuf_free(&body);
	return r;
}
