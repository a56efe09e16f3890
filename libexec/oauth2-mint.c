/* SPDX-License-Identifier: MIT */
/* oauth2-mint: the shipped mint hook; a client credentials token per request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/http.h"
#include "hookkit/hookio.h"
#include "base/log.h"
#include "hookkit/oauth.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "base/limits.h"
#include "base/banned.h"

/*
 * Exit codes (docs/oauth2-mint.md).  0 and 1 are the hook protocol's
 * success and failure; a failure always comes with an error object on
 * stdout.  3 and 4 say the hook could not do its job at all; the agent
 * treats them as errors, and stdout stays empty.
 */
#define CV_STR_(x) #x
#define CV_STR(x) CV_STR_(x)

enum mint_exit {
	MINT_EXIT_OK = 0,
	MINT_EXIT_FAILED = 1,
	MINT_EXIT_USAGE = 3,    /* arguments, request or configuration */
	MINT_EXIT_INTERNAL = 4, /* out of memory, I/O on stdin/stdout */
};

struct mint_args {
	int auth_set;
	enum oauth_auth auth;
	long timeout_ms;
	unsigned retries;
	const char *cafile;
};

static int
mint_parse_args(int argc, char **argv, struct mint_args *a)
{
	int seen_timeout = 0, seen_retries = 0, seen_cafile = 0, i;
	unsigned long v;
	const char *arg, *val;
	size_t keylen;

	a->auth_set = 0;
	a->auth = OAUTH_AUTH_BASIC;
	a->timeout_ms = CV_HTTP_TIMEOUT_DEFAULT_MS;
	a->retries = CV_HTTP_RETRIES_DEFAULT;
	a->cafile = NULL;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		val = strchr(arg, '=');
		keylen = val != NULL ? (size_t)(val - arg) : strlen(arg);
		if (val != NULL)
			val++;
		if (val != NULL && keylen == 4 && strncmp(arg, "auth", 4) == 0 &&
		    !a->auth_set) {
			if (strcmp(val, "basic") == 0)
				a->auth = OAUTH_AUTH_BASIC;
			else if (strcmp(val, "basic-raw") == 0)
				a->auth = OAUTH_AUTH_BASIC_RAW;
			else if (strcmp(val, "post") == 0)
				a->auth = OAUTH_AUTH_POST;
			else
				goto bad;
			a->auth_set = 1;
		} else if (val != NULL && keylen == 7 &&
		    strncmp(arg, "timeout", 7) == 0 && !seen_timeout) {
			if (hookio_parse_ulong(val, 1,
			        CV_HTTP_TIMEOUT_MAX_MS / 1000, &v) != 0)
				goto bad;
			a->timeout_ms = (long)v * 1000L;
			seen_timeout = 1;
		} else if (val != NULL && keylen == 7 &&
		    strncmp(arg, "retries", 7) == 0 && !seen_retries) {
			if (hookio_parse_ulong(val, 0, CV_HTTP_RETRIES_MAX, &v) != 0)
				goto bad;
			a->retries = (unsigned)v;
			seen_retries = 1;
		} else if (val != NULL && keylen == 6 &&
		    strncmp(arg, "cafile", 6) == 0 && !seen_cafile) {
			if (val[0] != '/' || strlen(val) >= CV_PATH_MAX)
				goto bad;
			a->cafile = val;
			seen_cafile = 1;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	/* Arguments come from the stack file, never secrets: quote them. */
	{
		char shown[128];

		log_clean(shown, sizeof(shown), argv[i], strlen(argv[i]));
		log_put(LOG_ERR, "main", "bad or repeated argument \"%s\"; expected "
		    "auth=basic|basic-raw|post, timeout=1..%d, retries=0..%d, "
		    "cafile=/ABSOLUTE/PATH (each at most once)", shown,
		    CV_HTTP_TIMEOUT_MAX_MS / 1000, CV_HTTP_RETRIES_MAX);
	}
	return CV_E_USAGE;
}

static int
mint_style(const char *provider, enum oauth_style *style)
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

static int
mint_write_token(const struct oauth_result *res)
{
	json_t *o;
	int r;

	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "access_token",
	        json_stringn((const char *)res->access_token->data,
	            res->access_token->len)) != 0 ||
	    json_object_set_new(o, "token_type",
	        json_string(res->token_type)) != 0 ||
	    json_object_set_new(o, "expires_in",
	        json_integer(res->expires_in)) != 0 ||
	    json_object_set_new(o, "scope", json_string(res->scope)) != 0) {
		json_decref(o);
		return CV_E_NOMEM;
	}
	r = hookio_reply_write(STDOUT_FILENO, o);
	json_decref(o); /* the wiping allocator wipes the token copy */
	return r;
}

static int
mint_write_error(const char *error, const char *description)
{
	json_t *o;
	int r;

	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "error", json_string(error)) != 0 ||
	    json_object_set_new(o, "error_description",
	        json_string(description)) != 0) {
		json_decref(o);
		return CV_E_NOMEM;
	}
	r = hookio_reply_write(STDOUT_FILENO, o);
	json_decref(o);
	return r;
}

/*
 * commercetools: "An API Client using [manage_project] cannot request a
 * token with lesser scopes."  Say so instead of a bare invalid_scope.
 */
static void
mint_explain_scope(const struct hookio_request *req, const char *scope,
    enum oauth_style style, struct oauth_result *res)
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

static void
mint_harden(void)
{
	struct rlimit rl = { 0, 0 };
	struct sigaction sa;

	/* The secret is in this process: no core files. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		log_put(LOG_ERR, "mint_harden", "cannot disable core files: %s",
		    strerror(errno));
	/* A reader that went away must not kill us mid-wipe. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	struct mint_args args;
	struct hookio_request req;
	struct oauth_client client;
	struct oauth_result res;
	struct secbuf *in = NULL;
	enum oauth_style style = OAUTH_GENERIC;
	char why[CV_HOOK_REASON_MAX];
	char endpoint[CV_URL_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	char name[CV_NAME_MAX + 3];
	int r, code = MINT_EXIT_INTERNAL;

	log_set_ident("oauth2-mint", LOG_STYLE_PLAIN);
	hookio_request_init(&req);
	res.access_token = NULL;
	oauth_result_clear(&res);
	why[0] = '\0';
	mint_harden();
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (secmem_init() != 0 || http_init() != 0) {
		log_put(LOG_ERR, "main", "cannot initialise libsodium or libcurl");
		goto out;
	}
	if (mint_parse_args(argc, argv, &args) != 0) {
		code = MINT_EXIT_USAGE;
		goto out;
	}

	if ((r = hookio_read(STDIN_FILENO, &in)) != 0) {
		log_put(LOG_ERR, "main", "cannot read the request on stdin: %s%s",
		    cv_strerror(r), r == CV_E_TOOBIG ?
		        " (the limit is " CV_STR(CV_HOOK_INPUT_MAX) " bytes)" : "");
		code = r == CV_E_TOOBIG ? MINT_EXIT_USAGE : MINT_EXIT_INTERNAL;
		goto out;
	}
	r = hookio_request_decode(in->data, in->len, &req, why, sizeof(why));
	secbuf_free(&in);
	if (r != 0) {
		log_put(LOG_ERR, "main", "cannot decode the request: %s", why);
		code = r == CV_E_NOMEM ? MINT_EXIT_INTERNAL : MINT_EXIT_USAGE;
		goto out;
	}
	(void)snprintf(name, sizeof(name), "\"%s\"",
	    req.name[0] != '\0' ? req.name : "?");

	code = MINT_EXIT_USAGE;
	if (strcmp(req.phase, "mint") != 0) {
		log_put(LOG_ERR, "main", "record %s: oauth2-mint runs in the mint phase "
		    "only; move it to a mint line in the stack file", name);
		goto out;
	}
	if (mint_style(req.provider, &style) != 0) {
		log_put(LOG_ERR, "main", "record %s: unknown provider; expected "
		    "commercetools, commercelayer or oauth2", name);
		goto out;
	}
	if (args.auth_set && style != OAUTH_GENERIC) {
		log_put(LOG_ERR, "main", "record %s: auth= applies to provider oauth2 "
		    "only; remove it from the stack line", name);
		goto out;
	}
	if (req.client_id[0] == '\0' || req.auth_url[0] == '\0' ||
	    req.secret == NULL) {
		log_put(LOG_ERR, "main", "record %s: the request lacks %s", name,
		    req.client_id[0] == '\0' ? "record.client_id" :
		    req.auth_url[0] == '\0' ? "record.auth_url" : "the secret");
		goto out;
	}
	if (oauth_endpoint(style, req.auth_url, endpoint, sizeof(endpoint),
	        why, sizeof(why)) != 0) {
		log_put(LOG_ERR, "main", "record %s: bad auth_url: %s", name, why);
		goto out;
	}
	/* The requested scope when there is one, else the record's. */
	if (oauth_scope_normalize(req.scope[0] != '\0' ? req.scope :
	                              req.record_scope,
	        scope, sizeof(scope)) != 0) {
		log_put(LOG_ERR, "main", "record %s: the scope is not a valid RFC 6749 "
		    "scope list", name);
		goto out;
	}

	client.style = style;
	client.auth = style == OAUTH_COMMERCETOOLS ? OAUTH_AUTH_BASIC_RAW :
	    style == OAUTH_COMMERCELAYER ? OAUTH_AUTH_JSON : args.auth;
	client.client_id = req.client_id;
	client.secret = req.secret;
	client.endpoint = endpoint;
	client.cafile = args.cafile;
	client.deadline_ms = args.timeout_ms;
	client.retries = args.retries;

	if ((r = oauth_mint(&client, scope, &res)) != 0) {
		log_put(LOG_ERR, "main", "record %s: %s", name,
		    res.error_description[0] != '\0' ? res.error_description :
		                                       cv_strerror(r));
		code = r == CV_E_NOMEM || r == CV_E_INTERNAL ?
		    MINT_EXIT_INTERNAL : MINT_EXIT_USAGE;
		goto out;
	}

	if (res.outcome == OAUTH_TOKEN) {
		if ((r = mint_write_token(&res)) != 0) {
			log_put(LOG_ERR, "main", "record %s: cannot write the reply: %s",
			    name, cv_strerror(r));
			code = MINT_EXIT_INTERNAL;
			goto out;
		}
		code = MINT_EXIT_OK;
		goto out;
	}

	mint_explain_scope(&req, scope, style, &res);
	log_put(LOG_ERR, "main", "record %s: no token: %s: %s", name, res.error,
	    res.error_description);
	if ((r = mint_write_error(res.error, res.error_description)) != 0) {
		log_put(LOG_ERR, "main", "record %s: cannot write the reply: %s", name,
		    cv_strerror(r));
		code = MINT_EXIT_INTERNAL;
		goto out;
	}
	code = MINT_EXIT_FAILED;
out:
	secbuf_free(&in);
	oauth_result_clear(&res);
	hookio_request_clear(&req);
	http_cleanup();
	return code;
}
