/* SPDX-License-Identifier: MIT */
/* OAuth2 client credentials grant (RFC 6749 section 4.4) for three providers. */
#ifndef CV_HOOKKIT_OAUTH_H
#define CV_HOOKKIT_OAUTH_H

#include <stddef.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "base/limits.h"

/*
 * Every pointer argument is borrowed for the call only, and nothing here
 * keeps one; the results go into the caller's buffers and structs.
 * Functions that touch JSON need jansson on the wiping allocator.
 */

/* How a provider wants the token request shaped. */
enum oauth_style {
	OAUTH_COMMERCETOOLS, /* {auth_url}/oauth/token, Basic, form */
	OAUTH_COMMERCELAYER, /* {auth_url}/oauth/token, JSON body */
	OAUTH_GENERIC,       /* auth_url is the token endpoint, form */
};

/* Client authentication (RFC 6749 section 2.3.1). */
enum oauth_auth {
	OAUTH_AUTH_BASIC,     /* Basic over form-urlencoded id and secret */
	OAUTH_AUTH_BASIC_RAW, /* Basic over the raw id and secret */
	OAUTH_AUTH_POST,      /* client_id and client_secret in the form */
	OAUTH_AUTH_JSON,      /* client_id and client_secret in a JSON body */
};

/* Borrowed for the duration of oauth_mint(). */
struct oauth_client {
	enum oauth_style style;
	enum oauth_auth auth;
	const char *client_id;
	const struct secbuf *secret;
	const char *endpoint; /* from oauth_endpoint() */
	const char *cafile;   /* NULL: the system CA store */
	long deadline_ms;
	unsigned retries;
};

enum oauth_outcome {
	OAUTH_TOKEN,       /* token is set */
	OAUTH_REJECTED,    /* the provider said no: error holds its code */
	OAUTH_UNAVAILABLE, /* "temporarily_unavailable": retries exhausted */
	OAUTH_BAD_REPLY,   /* "invalid_response": unusable answer */
	OAUTH_TRANSPORT,   /* "transport_error": TLS or connection policy */
};

struct oauth_result {
	enum oauth_outcome outcome;
	struct secbuf *access_token; /* owned; OAUTH_TOKEN only */
	char token_type[CV_TOKEN_TYPE_MAX + 1];
	long long expires_in;
	char scope[CV_SCOPE_MAX + 1];
	/* Otherwise: an RFC 6749 error code (or one of ours, see above) and a
	 * printable, secret-free description. */
	char error[CV_OAUTH_ERROR_MAX + 1];
	char error_description[CV_OAUTH_ERROR_DESC_MAX];
	long http_status;
	unsigned attempts;
};

/*
 * Token endpoint for style and the record's auth_url into out (outsz
 * bytes): commercetools and Commerce Layer get "/oauth/token" appended to
 * the path after one trailing slash is removed (their auth_url may carry
 * no query); generic uses auth_url as it is.  The result passes
 * http_url_check().  CV_E_INVALID with a reason in why otherwise.
 */
int oauth_endpoint(enum oauth_style style, const char *auth_url, char *out,
    size_t outsz, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/*
 * Normalise a space-separated scope list into out (CV_SCOPE_MAX + 1
 * bytes): runs of blanks collapse to one space, no leading or trailing
 * space; every scope-token must be RFC 6749 section 3.3 characters, at
 * most CV_SCOPES_MAX of them.  CV_E_INVALID otherwise.
 */
int oauth_scope_normalize(const char *in, char *out, size_t outsz)
    __attribute__((warn_unused_result));

/* Is every scope of normalised list a also in normalised list b? */
int oauth_scope_is_subset(const char *a, const char *b);

/* Do two normalised scope lists name the same set? */
int oauth_scope_same_set(const char *a, const char *b);

/* Does normalised list a name token t (exactly, or with prefix t when
 * t ends in ':')? */
int oauth_scope_has(const char *a, const char *t);

/*
 * Request a token for scope (normalised; "" sends no scope parameter).
 * res is cleared on entry and released by oauth_result_clear().  Returns 0
 * with res->outcome set, else CV_E_INVALID (bad client settings, reason in
 * res->error_description), CV_E_NOMEM, CV_E_TOOBIG or CV_E_INTERNAL.
 */
int oauth_mint(const struct oauth_client *c, const char *scope,
    struct oauth_result *res) __attribute__((warn_unused_result));

/*
 * Parse a token endpoint's answer: HTTP status, body p[0..n).  A 2xx body
 * must hold access_token (printable ASCII without spaces, at most
 * CV_TOKEN_MAX), token_type, and expires_in (1..CV_EXPIRES_IN_MAX, a
 * number or a string of digits); scope is echoed when present, else
 * requested_scope.  Other statuses give OAUTH_REJECTED from "error" or
 * commercetools' "errors"[0].code.  secret, when not NULL, is kept out of
 * error and error_description.  Exposed for fuzzing.  res is cleared on entry (so it
 * must not hold a token) and released by oauth_result_clear(); returns 0.
 */
int oauth_reply_parse(long status, const unsigned char *p, size_t n,
    const char *requested_scope, const struct secbuf *secret,
    struct oauth_result *res) __attribute__((warn_unused_result));

/* Wipe and free the token, reset every field. */
void oauth_result_clear(struct oauth_result *res);

/* What an error answer says, as oauth_error_read() finds it. */
struct oauth_error {
	char code[CV_OAUTH_ERROR_MAX + 1];         /* "" when none usable */
	char description[CV_OAUTH_ERROR_DESC_MAX]; /* printable; "" when none */
};

/*
 * Read an error answer, parsed into root (which may be NULL or not an
 * object: then e is empty), the way OAuth2 servers and the commercetools
 * APIs write them: the code from "error" (RFC 6749 section 5.2), else
 * "errors"[0].code, when it is 1..CV_OAUTH_ERROR_MAX characters from
 * [A-Za-z0-9._-] (RFC 6749 appendix A.7, narrowed) and free of secret; the
 * description from "error_description", else "errors"[0].message, else
 * "message", made printable and cut to fit, or withheld in its place when
 * it contains secret.  secret may be NULL.
 */
void oauth_error_read(json_t *root, const struct secbuf *secret,
    const char *withheld, struct oauth_error *e);

#endif
