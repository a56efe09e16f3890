/* SPDX-License-Identifier: MIT */
/* The commercetools API Clients API: find, create and delete API clients. */
#ifndef CV_HOOKKIT_CTAPI_H
#define CV_HOOKKIT_CTAPI_H

#include <stddef.h>

#include "crypto/secmem.h"
#include "hookkit/ctjson.h"
#include "base/limits.h"

/*
 * https://docs.commercetools.com/api/projects/api-clients:
 *   GET    {api_url}/{projectKey}/api-clients?where=...&limit=&offset=
 *   POST   {api_url}/{projectKey}/api-clients      APIClientDraft -> 201
 *   DELETE {api_url}/{projectKey}/api-clients/{id}                -> 200
 * authorised by a Bearer token with manage_api_clients:{projectKey}.  An
 * API client's id is its OAuth2 client_id; its secret is in the create
 * response only.  Names are unique per project.
 *
 * Answers are checked by ctjson.h.  Every function here needs jansson on
 * the wiping allocator, secmem_init() and http_init() first.  Pointer
 * arguments are borrowed for the call only; results go into the caller's
 * structs.  No error_description ever holds a secret or a token.
 */

/* How to reach the API.  Everything is borrowed for each call. */
struct ctapi {
	const char *base;           /* from ctapi_base_url() */
	const struct secbuf *admin; /* Bearer token: manage_api_clients */
	const char *cafile;         /* NULL: the system CA store */
	long deadline_at;           /* from http_deadline(): all calls */
	unsigned retries;           /* per call, as http_request.retries */
};

enum ctapi_outcome {
	CTAPI_OK,
	CTAPI_NOT_FOUND,   /* delete: 404, the client is gone */
	CTAPI_CONFLICT,    /* create: DuplicateField, the name is taken */
	CTAPI_REJECTED,    /* the API said no: error holds its code */
	CTAPI_UNAVAILABLE, /* "temporarily_unavailable": retries exhausted */
	CTAPI_BAD_REPLY,   /* "invalid_response": unusable answer */
	CTAPI_TRANSPORT,   /* "transport_error": TLS or connection policy */
};

/* What one call came to.  error is [A-Za-z0-9._-]{1,64} unless CTAPI_OK
 * or CTAPI_NOT_FOUND; error_description is printable and secret-free. */
struct ctapi_status {
	enum ctapi_outcome outcome;
	long http_status; /* last status seen; 0 when none */
	char error[CV_OAUTH_ERROR_MAX + 1];
	char error_description[CV_OAUTH_ERROR_DESC_MAX];
};

/*
 * "{api_url}/{project_key}/api-clients" into out (outsz bytes), with one
 * trailing slash of api_url's path dropped.  api_url must pass
 * http_url_check() and carry no query; project_key is [A-Za-z0-9_-]+.
 * CV_E_INVALID with a reason in why otherwise.
 */
int ctapi_base_url(const char *api_url, const char *project_key, char *out,
    size_t outsz, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/*
 * The ids of every API client named exactly name, read page by page
 * (CV_CT_PAGE_LIMIT per page, at most CV_CT_PAGES_MAX pages) with a
 * where=name="..." predicate; when the API refuses the predicate (400),
 * by reading all clients instead.  The names are compared here either
 * way.  m and st are cleared on entry.  Returns 0 with st->outcome set
 * (more than CV_CT_ORPHANS_MAX matches, or more pages than allowed, are
 * CTAPI_BAD_REPLY), or CV_E_INVALID/CV_E_NOMEM/CV_E_INTERNAL.
 */
int ctapi_find(const struct ctapi *api, const char *name,
    struct ctjson_matches *m, struct ctapi_status *st)
    __attribute__((warn_unused_result));

/*
 * Create an API client {name, scope} (scope normalised, not empty).  The
 * POST is sent again only when the server cannot have acted on it (no
 * connection, 429, 503); other 5xx answers are CTAPI_UNAVAILABLE at once.  On CTAPI_OK c holds the new client, which the
 * caller owns (ctjson_client_clear); otherwise c is cleared.  c and st are
 * cleared on entry.  Returns 0 with st->outcome set, or CV_E_* as above.
 */
int ctapi_create(const struct ctapi *api, const char *name,
    const char *scope, struct ctjson_client *c, struct ctapi_status *st)
    __attribute__((warn_unused_result));

/*
 * Delete API client id (ctjson_is_id).  CTAPI_OK when deleted,
 * CTAPI_NOT_FOUND when it is already gone: a 404, confirmed by a query
 * of the API Clients endpoint (so that a wrong api_url or project key,
 * which 404 as well, is CTAPI_BAD_REPLY instead).  st is cleared on
 * entry.  Returns 0 with st->outcome set, or CV_E_* as above.
 */
int ctapi_delete(const struct ctapi *api, const char *id,
    struct ctapi_status *st) __attribute__((warn_unused_result));

/* Reset st to CTAPI_OK with no error. */
void ctapi_status_clear(struct ctapi_status *st);

#endif
