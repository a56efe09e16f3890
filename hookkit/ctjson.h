/* SPDX-License-Identifier: MIT */
/* JSON of the commercetools API Clients API, and ct-rotate's reply. */
#ifndef CV_HOOKKIT_CTJSON_H
#define CV_HOOKKIT_CTJSON_H

#include <stddef.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "base/limits.h"

/*
 * Shapes from https://docs.commercetools.com/api/projects/api-clients:
 * APIClientDraft {name, scope}, APIClient {id, name, scope, secret (in the
 * create response only), createdAt, ...} and the PagedQueryResult
 * {limit, offset, count, total, results}.  Every answer is untrusted: the
 * parsers check types and sizes, and their reasons ("why") never quote a
 * secret, a token, or the text near a JSON syntax error.  All functions
 * need jansson on the wiping allocator.  No I/O here (see ctapi.h), so all of it is
 * fuzzed (fuzz/fuzz_rotate_reply.c).  Input pointers are borrowed for the
 * call only; what is returned is said per function.
 */

/* An APIClient as the create call returns it.  Release with
 * ctjson_client_clear(). */
struct ctjson_client {
	char id[CV_CLIENT_ID_MAX + 1];        /* ctjson_is_id() */
	char name[CV_CT_CLIENT_NAME_MAX + 1]; /* printable ASCII */
	char scope[CV_SCOPE_MAX + 1];         /* normalised, never "" */
	struct secbuf *secret;                /* owned; visible ASCII */
};

/* Ids of the API clients that carry one name, in the order found. */
struct ctjson_matches {
	unsigned n;
	char id[CV_CT_ORPHANS_MAX][CV_CLIENT_ID_MAX + 1];
};

/* What an error answer says, for the hook's error object. */
enum ctjson_error_kind {
	CTJSON_REJECTED, /* the API refused: code is its error code */
	CTJSON_CONFLICT, /* DuplicateField: a unique value is taken */
	CTJSON_UNUSABLE, /* no error code: "invalid_response" */
};

struct ctjson_error {
	enum ctjson_error_kind kind;
	char code[CV_OAUTH_ERROR_MAX + 1];            /* [A-Za-z0-9._-]+ */
	char description[CV_OAUTH_ERROR_DESC_MAX];   /* printable, never "" */
};

/* RFC 3986 unreserved characters: an API client id is made of them, so
 * it goes into a URL path as it is. */
#define CTJSON_UNRESERVED \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

/* Is s an API client id we put into a URL: 1..CV_CLIENT_ID_MAX bytes of
 * [A-Za-z0-9._~-] (CTJSON_UNRESERVED)? */
int ctjson_is_id(const char *s);

/* Is s a name we can create and look up: 1..CV_CT_CLIENT_NAME_MAX bytes
 * of printable ASCII without '"' or '\' (it goes into a query predicate)? */
int ctjson_is_name(const char *s);

/*
 * Parse a create response body p[0..n): one JSON object with "id"
 * (ctjson_is_id), "name" (printable, at most CV_CT_CLIENT_NAME_MAX),
 * "scope" (a valid, non-empty scope list) and "secret" (1..CV_SECRET_MAX
 * bytes of visible ASCII).  Other members are ignored.  c is cleared on
 * entry and left cleared on failure.  0, CV_E_PROTO with a reason in why,
 * or CV_E_NOMEM.
 */
int ctjson_client_parse(const unsigned char *p, size_t n,
    struct ctjson_client *c, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/* Wipe and free the secret, reset every field. */
void ctjson_client_clear(struct ctjson_client *c);

/*
 * Parse one page of a query response body p[0..n): a JSON object whose
 * "results" is an array of objects, each with an "id" (ctjson_is_id) and
 * a string "name".  The ids of results named exactly name (byte for byte)
 * are appended to m; CV_E_TOOBIG when they would be more than
 * CV_CT_ORPHANS_MAX.  *count is the number of results on the page.  0,
 * CV_E_PROTO with a reason in why, or CV_E_TOOBIG.
 */
int ctjson_page_parse(const unsigned char *p, size_t n, const char *name,
    struct ctjson_matches *m, size_t *count, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/*
 * Read a non-2xx answer p[0..n) with HTTP status into e, as
 * oauth_error_read() does with token as the secret (token may be NULL):
 * the body's error code, else one derived from the status (400
 * invalid_request, 401 invalid_token, 403 insufficient_scope, otherwise
 * invalid_response and CTJSON_UNUSABLE, ignoring the body's description);
 * the body's description, printable and never holding token, else one
 * made up from the status.
 */
void ctjson_error_parse(long status, const unsigned char *p, size_t n,
    const struct secbuf *token, struct ctjson_error *e);

/*
 * The APIClientDraft {"name", "scope"} as compact JSON in a new secbuf
 * (*out, the caller's; NULL on failure).  0, CV_E_TOOBIG over
 * CV_HTTP_BODY_MAX, CV_E_NOMEM or CV_E_INTERNAL.
 */
int ctjson_draft(const char *name, const char *scope, struct secbuf **out)
    __attribute__((warn_unused_result));

/*
 * The rotate hook's reply for new client c (docs/ct-rotate.md):
 * {"client_id", "secret", "scope", "client_name"} and, when replaced is
 * not NULL and replaced->n > 0, "replaced_orphan" (the first id) and
 * "replaced_orphans" (all of them).  A new reference the caller releases
 * with json_decref() (the wiping allocator wipes the secret's copy), or NULL when out
 * of memory.
 */
json_t *ctjson_reply_new(const struct ctjson_client *c,
    const struct ctjson_matches *replaced);

#endif
