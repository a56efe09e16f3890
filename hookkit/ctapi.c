/* SPDX-License-Identifier: MIT */
/* commercetools API Clients: find, create and delete, within one deadline. */
#include "hookkit/ctapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "hookkit/http.h"
#include "base/err.h"
#include "base/banned.h"

/* What a project key may be made of: it goes into the URL path. */
#define CTAPI_KEY_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

static int
ctapi_is_project_key(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CV_PROJECT_KEY_MAX &&
	    strspn(s, CTAPI_KEY_CHARS) == n;
}

int
ctapi_base_url(const char *api_url, const char *project_key, char *out,
    size_t outsz, char *why, size_t whysz)
{
	char path[CV_PROJECT_KEY_MAX + sizeof("//api-clients")];

	out[0] = '\0';
	if (!ctapi_is_project_key(project_key)) {
		(void)snprintf(why, whysz, "project_key must be 1 to %d "
		    "characters from [A-Za-z0-9_-]", CV_PROJECT_KEY_MAX);
		return CV_E_INVALID;
	}
	(void)snprintf(path, sizeof(path), "/%s/api-clients", project_key);
	return http_url_append(api_url, path, "api_url", "the API's base URL",
	    out, outsz, why, whysz);
}

void
ctapi_status_clear(struct ctapi_status *st)
{
	st->outcome = CTAPI_OK;
	st->http_status = 0;
	st->error[0] = '\0';
	st->error_description[0] = '\0';
}

static void
ctapi_fail(struct ctapi_status *st, enum ctapi_outcome outcome,
    const char *error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
ctapi_fail(struct ctapi_status *st, enum ctapi_outcome outcome,
    const char *error, const char *fmt, ...)
{
	va_list ap;

	st->outcome = outcome;
	(void)snprintf(st->error, sizeof(st->error), "%s", error);
	va_start(ap, fmt);
	(void)vsnprintf(st->error_description,
	    sizeof(st->error_description), fmt, ap);
	va_end(ap);
}

/* One HTTP exchange with the API, within api->deadline_at. */
static int
ctapi_perform(const struct ctapi *api, enum http_method method,
    const char *url, const struct secbuf *body, int idempotent,
    struct http_response *resp, struct ctapi_status *st)
{
	struct http_request req = { 0 };
	long left = http_remaining(api->deadline_at);
	int r;

	resp->body = NULL;
	http_response_clear(resp);
	if (left == 0) {
		ctapi_fail(st, CTAPI_UNAVAILABLE, "temporarily_unavailable",
		    "no time left for the next request (timeout=)");
		return 0;
	}
	req.method = method;
	req.url = url;
	req.content_type = body != NULL ? "application/json" : NULL;
	req.body = body;
	req.bearer = api->admin;
	req.cafile = api->cafile;
	req.idempotent = idempotent;
	req.deadline_ms = left;
	req.retries = api->retries;
	if ((r = http_perform(&req, resp)) != 0) {
		ctapi_fail(st, CTAPI_TRANSPORT, "transport_error", "%s",
		    resp->detail);
		return r;
	}
	st->http_status = resp->status;
	switch (resp->outcome) {
	case HTTP_ANSWERED:
		break;
	case HTTP_UNAVAILABLE:
		ctapi_fail(st, CTAPI_UNAVAILABLE, "temporarily_unavailable",
		    "%s", resp->detail);
		break;
	case HTTP_TRANSPORT:
		ctapi_fail(st, CTAPI_TRANSPORT, "transport_error", "%s",
		    resp->detail);
		break;
	case HTTP_TOOBIG:
		ctapi_fail(st, CTAPI_BAD_REPLY, "invalid_response", "%s",
		    resp->detail);
		break;
	}
	return 0;
}

/*
 * After ctapi_perform() brought an answer: 1 when it is 2xx, else 0 with
 * st saying what the API answered (ctjson_error_parse).
 */
static int
ctapi_answer_ok(const struct ctapi *api, const struct http_response *resp,
    struct ctapi_status *st)
{
	struct ctjson_error e;

	if (resp->status >= 200 && resp->status < 300)
		return 1;
	ctjson_error_parse(resp->status, resp->body->data, resp->body->len,
	    api->admin, &e);
	ctapi_fail(st, e.kind == CTJSON_CONFLICT ? CTAPI_CONFLICT :
	    e.kind == CTJSON_UNUSABLE ? CTAPI_BAD_REPLY : CTAPI_REJECTED,
	    e.code, "%s", e.description);
	st->http_status = resp->status;
	return 0;
}

/* Percent-encode s (every byte but RFC 3986 unreserved) into dst. */
static int
ctapi_pct_encode(char *dst, size_t dstsz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (o + 4 > dstsz)
			return CV_E_TOOBIG;
		if (strchr(CTJSON_UNRESERVED, c) != NULL) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0x0f];
		}
	}
	dst[o] = '\0';
	return 0;
}

/* Read pages with or without the where predicate; see ctapi_find(). */
static int
ctapi_find_pages(const struct ctapi *api, const char *name, int use_where,
    struct ctjson_matches *m, struct ctapi_status *st)
{
	char pred[CV_CT_CLIENT_NAME_MAX + 16];
	char where[3 * sizeof(pred) + 8];
	char url[CV_URL_MAX + sizeof(where) + 96];
	char why[CV_HOOK_REASON_MAX];
	struct http_response resp = { 0 };
	size_t offset = 0, count;
	unsigned page;
	int r = 0;

	where[0] = '\0';
	if (use_where) {
		/* ctjson_is_name() keeps '"' and '\' out of the literal. */
		memcpy(where, "where=", sizeof("where="));
		if (snprintf(pred, sizeof(pred), "name = \"%s\"", name) >=
		        (int)sizeof(pred) ||
		    ctapi_pct_encode(where + 6, sizeof(where) - 6, pred) != 0)
			return CV_E_INTERNAL;
	}
	for (page = 0; page < CV_CT_PAGES_MAX; page++) {
		if (snprintf(url, sizeof(url), "%s?%s%slimit=%d&offset=%zu&"
		        "withTotal=false", api->base, where,
		        use_where ? "&" : "", CV_CT_PAGE_LIMIT, offset) >=
		    (int)sizeof(url)) {
			ctapi_fail(st, CTAPI_REJECTED, "invalid_request",
			    "the query URL is too long");
			return CV_E_INVALID;
		}
		r = ctapi_perform(api, HTTP_GET, url, NULL, 1, &resp, st);
		if (r != 0 || st->outcome != CTAPI_OK ||
		    !ctapi_answer_ok(api, &resp, st))
			goto out;
		r = ctjson_page_parse(resp.body->data, resp.body->len, name, m,
		    &count, why, sizeof(why));
		if (r != 0) {
			ctapi_fail(st, CTAPI_BAD_REPLY, "invalid_response",
			    "listing API clients: %s", why);
			r = 0;
			goto out;
		}
		http_response_clear(&resp);
		if (count < CV_CT_PAGE_LIMIT)
			goto out;
		offset += count;
	}
	ctapi_fail(st, CTAPI_BAD_REPLY, "invalid_response",
	    "listing API clients: more than %d pages of %d; the project has "
	    "too many API clients to search", CV_CT_PAGES_MAX,
	    CV_CT_PAGE_LIMIT);
out:
	http_response_clear(&resp);
	return r;
}

int
ctapi_find(const struct ctapi *api, const char *name,
    struct ctjson_matches *m, struct ctapi_status *st)
{
	int r;

	m->n = 0;
	ctapi_status_clear(st);
	if (!ctjson_is_name(name)) {
		ctapi_fail(st, CTAPI_REJECTED, "invalid_request",
		    "the API client name is not printable ASCII without "
		    "quotes or backslashes");
		return CV_E_INVALID;
	}
	r = ctapi_find_pages(api, name, 1, m, st);
	if (r == 0 && st->outcome == CTAPI_REJECTED && st->http_status == 400) {
		/* Not every deployment may take a predicate on name: read
		 * them all, and compare names here. */
		log_put(LOG_ERR, "ctapi_find", "query by name refused (%s): reading "
		    "every API client instead", st->error);
		m->n = 0;
		ctapi_status_clear(st);
		r = ctapi_find_pages(api, name, 0, m, st);
	}
	return r;
}

int
ctapi_create(const struct ctapi *api, const char *name, const char *scope,
    struct ctjson_client *c, struct ctapi_status *st)
{
	struct http_response resp = { 0 };
	struct secbuf *body = NULL;
	char why[CV_HOOK_REASON_MAX];
	int r;

	c->secret = NULL;
	ctjson_client_clear(c);
	ctapi_status_clear(st);
	if (!ctjson_is_name(name) || scope[0] == '\0') {
		ctapi_fail(st, CTAPI_REJECTED, "invalid_request",
		    "bad API client name or empty scope");
		return CV_E_INVALID;
	}
	if ((r = ctjson_draft(name, scope, &body)) != 0) {
		ctapi_fail(st, CTAPI_REJECTED, "invalid_request",
		    "cannot build the APIClientDraft: %s", cv_strerror(r));
		return r;
	}
	/* Not idempotent: a second POST could make a second client. */
	r = ctapi_perform(api, HTTP_POST, api->base, body, 0, &resp, st);
	if (r != 0 || st->outcome != CTAPI_OK)
		goto out;
	if (!ctapi_answer_ok(api, &resp, st)) {
		/* A server error after the POST arrived: whether the client
		 * was made is unknown, and the POST is not sent again. */
		if (resp.status >= 500)
			ctapi_fail(st, CTAPI_UNAVAILABLE,
			    "temporarily_unavailable", "the API answered HTTP "
			    "%ld to the create request, which is not sent "
			    "twice (%.300s)", resp.status,
			    st->error_description);
		goto out;
	}
	r = ctjson_client_parse(resp.body->data, resp.body->len, c, why,
	    sizeof(why));
	if (r == CV_E_PROTO) {
		ctapi_fail(st, CTAPI_BAD_REPLY, "invalid_response",
		    "the API answered HTTP %ld to the create request with an "
		    "unusable API client: %s", resp.status, why);
		r = 0;
	}
out:
	http_response_clear(&resp); /* wipes the secret in the body */
	secbuf_free(&body);
	return r;
}

/*
 * A 404 from DELETE means "gone" only if the API Clients endpoint itself
 * is there: a wrong api_url or project key must not pass for a deleted
 * client.  Ask for one page of one client: CTAPI_NOT_FOUND when that
 * works, the failure otherwise.
 */
static int
ctapi_confirm_gone(const struct ctapi *api, struct ctapi_status *st)
{
	struct http_response resp = { 0 };
	struct ctjson_matches m = { 0 };
	char url[CV_URL_MAX + 64], why[CV_HOOK_REASON_MAX];
	size_t count;
	int r;

	if (snprintf(url, sizeof(url), "%s?limit=1&withTotal=false",
	        api->base) >= (int)sizeof(url))
		return CV_E_INVALID;
	r = ctapi_perform(api, HTTP_GET, url, NULL, 1, &resp, st);
	if (r != 0 || st->outcome != CTAPI_OK)
		goto out;
	if (!ctapi_answer_ok(api, &resp, st)) {
		if (st->outcome == CTAPI_BAD_REPLY || resp.status == 404)
			ctapi_fail(st, CTAPI_BAD_REPLY, "invalid_response",
			    "DELETE answered 404, and so did the API Clients "
			    "endpoint (HTTP %ld); check api_url and "
			    "project_key", resp.status);
		goto out;
	}
	if (ctjson_page_parse(resp.body->data, resp.body->len, "-", &m,
	        &count, why, sizeof(why)) != 0) {
		ctapi_fail(st, CTAPI_BAD_REPLY, "invalid_response",
		    "DELETE answered 404, and the API Clients endpoint "
		    "answered with something else than a page of clients (%s); "
		    "check api_url", why);
		goto out;
	}
	st->outcome = CTAPI_NOT_FOUND;
out:
	http_response_clear(&resp);
	return r;
}

int
ctapi_delete(const struct ctapi *api, const char *id,
    struct ctapi_status *st)
{
	struct http_response resp = { 0 };
	char url[CV_URL_MAX + CV_CLIENT_ID_MAX + 2];
	int r;

	ctapi_status_clear(st);
	if (!ctjson_is_id(id)) {
		ctapi_fail(st, CTAPI_REJECTED, "invalid_request",
		    "the API client id is not 1 to %d characters from "
		    "[A-Za-z0-9._~-]", CV_CLIENT_ID_MAX);
		return CV_E_INVALID;
	}
	if (snprintf(url, sizeof(url), "%s/%s", api->base, id) >=
	    (int)sizeof(url))
		return CV_E_INVALID;
	/* DELETE is idempotent, and a repeat that finds 404 is success. */
	r = ctapi_perform(api, HTTP_DELETE, url, NULL, 1, &resp, st);
	if (r != 0 || st->outcome != CTAPI_OK)
		goto out;
	if (resp.status == 404) {
		http_response_clear(&resp);
		r = ctapi_confirm_gone(api, st);
		goto out;
	}
	(void)ctapi_answer_ok(api, &resp, st);
out:
	http_response_clear(&resp);
	return r;
}
