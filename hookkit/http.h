/* SPDX-License-Identifier: MIT */
/* One bounded HTTP(S) exchange with retries, for the shipped hooks. */
#ifndef CV_HOOKKIT_HTTP_H
#define CV_HOOKKIT_HTTP_H

#include <stddef.h>

#include "crypto/secmem.h"

/*
 * Transport policy, enforced in http_perform() itself so no caller can skip
 * it: https:// with certificate and host name verification (never turned
 * off), or http:// only when the host is loopback (an IPv4 literal in
 * 127.0.0.0/8, [::1] or "localhost") and every address actually connected
 * to is loopback too.  No user info or fragment in URLs, no redirects, no
 * proxies, no cookies, no compression, TLS 1.2 or later.
 *
 * Requires http_init() first.  Every pointer argument is borrowed for the
 * call only; nothing here keeps one.  Reasons and details are written into
 * the caller's buffers, NUL-terminated.
 */

/*
 * Initialise libcurl with the wiping allocator (base/wipealloc.h): libcurl
 * keeps its own copies of the user name and password, the Authorization
 * header it builds, bearer tokens and received bytes, and those are zeroed
 * before they go back to the C library (the TLS library's own buffers are
 * not covered).  Call once, before any other libcurl function;
 * CV_E_INTERNAL on failure.  http_cleanup() undoes it; both idempotent.
 */
int http_init(void) __attribute__((warn_unused_result));
void http_cleanup(void);

/*
 * Check url against the policy above.  0 and *plain (1 for http://, 0 for
 * https://) when accepted, else CV_E_INVALID with a reason in why.  plain
 * and why may be NULL.  why never contains more of url than its host.
 */
int http_url_check(const char *url, int *plain, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/*
 * base with path appended to its path, after one trailing slash of that
 * path is dropped, into out (outsz bytes): "https://h/v1/" and
 * "/oauth/token" give "https://h/v1/oauth/token".  base must pass
 * http_url_check() and carry no query; so must the result.  Reasons name
 * base as what ("auth_url") and say what it is as role ("the
 * authorization server's base URL").  0, else CV_E_INVALID or CV_E_NOMEM
 * with a reason in why (whysz bytes) and out "".
 */
int http_url_append(const char *base, const char *path, const char *what,
    const char *role, char *out, size_t outsz, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/*
 * Deadlines on the monotonic clock, in milliseconds: http_deadline() is
 * the point timeout_ms from now, http_remaining() what is left of one
 * (0 once it has passed).
 */
long http_deadline(long timeout_ms);
long http_remaining(long deadline_at);

enum http_method {
	HTTP_GET,
	HTTP_POST,
	HTTP_DELETE,
};

/* All pointers are borrowed for the duration of http_perform(). */
struct http_request {
	enum http_method method;
	const char *url;
	const char *content_type;            /* of body; NULL when no body */
	const struct secbuf *body;           /* NULL: empty body */
	const char *basic_user;              /* HTTP Basic; NULL: none */
	const struct secbuf *basic_password; /* with basic_user */
	const struct secbuf *bearer;         /* RFC 6750; NULL: none */
	const char *cafile;                  /* NULL: the system CA store */
	/*
	 * Nonzero when sending the request twice is harmless (a token
	 * request).  Otherwise only failures where the server cannot have
	 * acted are retried: no connection, 429, 503.
	 */
	int idempotent;
	long deadline_ms; /* whole exchange, all attempts and pauses */
	unsigned retries; /* attempts after the first */
};

enum http_outcome {
	HTTP_ANSWERED,    /* a final status: 2xx, 3xx, or a 4xx but 429 */
	HTTP_UNAVAILABLE, /* 429, 5xx, no connection or timeouts, every try */
	HTTP_TRANSPORT,   /* a failure retrying cannot fix: TLS, policy */
	HTTP_TOOBIG,      /* response body over CV_HTTP_RESPONSE_MAX */
};

struct http_response {
	enum http_outcome outcome;
	long status;          /* last HTTP status seen; 0 when none */
	struct secbuf *body;  /* last response body; owned, see _clear */
	unsigned attempts;
	char detail[384];     /* what went wrong, for humans; no secrets */
};

/*
 * Run req, retrying with exponential backoff plus jitter on 429, 5xx (but
 * 501 and 505), connection failures and timeouts, honouring Retry-After up
 * to CV_HTTP_RETRY_AFTER_MAX_S, never past req->deadline_ms.  resp is
 * cleared on entry; the caller releases it with http_response_clear() even
 * on failure.  Returns 0 with resp->outcome set, CV_E_INVALID when the URL
 * is refused by the policy (detail says why), or CV_E_NOMEM/CV_E_INTERNAL.
 */
int http_perform(const struct http_request *req, struct http_response *resp)
    __attribute__((warn_unused_result));

/* Wipe and free resp->body; resp may be reused afterwards. */
void http_response_clear(struct http_response *resp);

#endif
