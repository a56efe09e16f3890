/* SPDX-License-Identifier: MIT */
/* oauth2-mint: the shipped mint hook, a client credentials token a request. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "hookkit/hookmain.h"
#include "hookkit/oauth.h"
#include "base/banned.h"

/* Exit codes and output: docs/oauth2-mint.md. */

struct oauth2_mint_args {
	int auth_set;
	enum oauth_auth auth;
};

static int
oauth2_mint_set_auth(void *ctx, const char *value)
{
	struct oauth2_mint_args *a = ctx;

	if (strcmp(value, "basic") == 0)
		a->auth = OAUTH_AUTH_BASIC;
	else if (strcmp(value, "basic-raw") == 0)
		a->auth = OAUTH_AUTH_BASIC_RAW;
	else if (strcmp(value, "post") == 0)
		a->auth = OAUTH_AUTH_POST;
	else
		return CV_E_INVALID;
	a->auth_set = 1;
	return 0;
}

static const struct hookmain_key oauth2_mint_keys[] = {
	{ "auth", "auth=basic|basic-raw|post", 0, oauth2_mint_set_auth },
};

static int
oauth2_mint_style(const char *provider, enum oauth_style *style)
{
	if (strcmp(provider, "commercetools") == 0)
		*style = OAUTH_COMMERCETOOLS;
	else if (strcmp(provider, "commercelayer") == 0)
		*style = OAUTH_COMMERCELAYER;
	else if (strcmp(provider, "oauth2") == 0)
		*style = OAUTH_GENERIC;
	else
		return CV_E_INVALID;
	return 0;
}

/* The token reply, a new reference; NULL when out of memory. */
static json_t *
oauth2_mint_reply_new(const struct oauth_result *res)
{
	json_t *o = json_object();

	if (o == NULL ||
	    json_object_set_new(o, "access_token",
	        json_stringn((const char *)res->access_token->data,
	            res->access_token->len)) != 0 ||
	    json_object_set_new(o, "token_type",
	        json_string(res->token_type)) != 0 ||
	    json_object_set_new(o, "expires_in",
	        json_integer(res->expires_in)) != 0 ||
	    json_object_set_new(o, "scope", json_string(res->scope)) != 0) {
		json_decref(o); /* the wiping allocator wipes the token copy */
		return NULL;
	}
	return o;
}

/*
 * commercetools: "An API Client using [manage_project] cannot request a
 * token with lesser scopes."  Say so instead of a bare invalid_scope.
 */
static void
oauth2_mint_explain_scope(const struct hookio_request *req,
    const char *scope, enum oauth_style style, struct oauth_result *res)
{
	if (style != OAUTH_COMMERCETOOLS ||
	    strcmp(res->error, "invalid_scope") != 0 ||
	    !oauth_scope_has(req->record_scope, "manage_project:") ||
	    scope[0] == '\0' || oauth_scope_same_set(scope, req->record_scope))
		return;
	(void)snprintf(res->error_description, sizeof(res->error_description),
	    "commercetools refuses narrowed scopes for an API client with "
	    "manage_project: request its full scope, or create an API client "
	    "with only the scopes needed");
}

static int
oauth2_mint_handle(void *ctx, const struct hookmain_args *args,
    const struct hookio_request *req, const char *name)
{
	const struct oauth2_mint_args *a = ctx;
	struct oauth_client client;
	struct oauth_result res;
	enum oauth_style style = OAUTH_GENERIC;
	char why[CV_HOOK_REASON_MAX];
	char endpoint[CV_URL_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	int r, code;

	if (strcmp(req->phase, "mint") != 0) {
		log_put(LOG_ERR, "main", "record %s: oauth2-mint runs in the "
		    "mint phase only; move it to a mint line in the stack file",
		    name);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (oauth2_mint_style(req->provider, &style) != 0) {
		log_put(LOG_ERR, "main", "record %s: unknown provider; "
		    "expected commercetools, commercelayer or oauth2", name);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (a->auth_set && style != OAUTH_GENERIC) {
		log_put(LOG_ERR, "main", "record %s: auth= applies to provider "
		    "oauth2 only; remove it from the stack line", name);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (req->client_id[0] == '\0' || req->auth_url[0] == '\0' ||
	    req->secret == NULL) {
		log_put(LOG_ERR, "main", "record %s: the request lacks %s",
		    name, req->client_id[0] == '\0' ? "record.client_id" :
		    req->auth_url[0] == '\0' ? "record.auth_url" :
		                                "the secret");
		return HOOKMAIN_EXIT_USAGE;
	}
	if (oauth_endpoint(style, req->auth_url, endpoint, sizeof(endpoint),
	        why, sizeof(why)) != 0) {
		log_put(LOG_ERR, "main", "record %s: bad auth_url: %s", name,
		    why);
		return HOOKMAIN_EXIT_USAGE;
	}
	/* The requested scope when there is one, else the record's. */
	if (oauth_scope_normalize(req->scope[0] != '\0' ? req->scope :
	                                                  req->record_scope,
	        scope, sizeof(scope)) != 0) {
		log_put(LOG_ERR, "main", "record %s: the scope is not a valid "
		    "RFC 6749 scope list", name);
		return HOOKMAIN_EXIT_USAGE;
	}

	client.style = style;
	client.auth = style == OAUTH_COMMERCETOOLS ? OAUTH_AUTH_BASIC_RAW :
	    style == OAUTH_COMMERCELAYER ? OAUTH_AUTH_JSON : a->auth;
	client.client_id = req->client_id;
	client.secret = req->secret;
	client.endpoint = endpoint;
	client.cafile = args->cafile;
	client.deadline_ms = args->timeout_ms;
	client.retries = args->retries;

	if ((r = oauth_mint(&client, scope, &res)) != 0) {
		code = hookmain_error(name, r, res.error_description);
	} else if (res.outcome == OAUTH_TOKEN) {
		code = hookmain_reply(name, oauth2_mint_reply_new(&res));
	} else {
		oauth2_mint_explain_scope(req, scope, style, &res);
		code = hookmain_fail(name, "no token", res.error,
		    res.error_description);
	}
	oauth_result_clear(&res);
	return code;
}

int
main(int argc, char **argv)
{
	struct oauth2_mint_args a = { 0, OAUTH_AUTH_BASIC };
	const struct hookmain hook = { "oauth2-mint", oauth2_mint_keys,
		sizeof(oauth2_mint_keys) / sizeof(oauth2_mint_keys[0]), &a,
		oauth2_mint_handle };

	return hookmain_run(&hook, argc, argv);
}
