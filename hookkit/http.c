/* SPDX-License-Identifier: MIT */
/* libcurl wrapper: TLS verified, loopback-only plain HTTP, bounded, retried. */
#include "hookkit/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "base/log.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/wipealloc.h"
#include "base/banned.h"

#ifndef CV_VERSION
#define CV_VERSION "0"
#endif

struct http_ctx {
	struct secbuf *body;
	int toobig;  /* the write callback hit CV_HTTP_RESPONSE_MAX */
	int plain;   /* http://: connect to loopback addresses only */
	int refused; /* the socket callback refused an address */
};

static long
http_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* cannot fail for CLOCK_MONOTONIC on Linux */
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

long
http_deadline(long timeout_ms)
{
	return http_now_ms() + timeout_ms;
}

long
http_remaining(long deadline_at)
{
	long left = deadline_at - http_now_ms();

	return left > 0 ? left : 0;
}

static void
http_sleep_ms(long ms)
{
	struct timespec ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

static int
http_v4_is_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

static int
http_v6_is_loopback(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a))
		return 1;
	/* ::ffff:127.x.y.z is IPv4 loopback reached through a v6 socket. */
	return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

/* Is the URL host (as curl's URL parser prints it) loopback? */
static int
http_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char v6[INET6_ADDRSTRLEN + 1];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1; /* libcurl resolves it locally; the socket check backs it */
	if (inet_pton(AF_INET, host, &a4) == 1)
		return http_v4_is_loopback(&a4);
	if (n >= 2 && n - 2 < sizeof(v6) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) == 1)
			return http_v6_is_loopback(&a6);
	}
	return 0;
}

static int
http_sockaddr_is_loopback(const struct curl_sockaddr *sa)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	if (sa->family == AF_INET && sa->addrlen >= sizeof(in4)) {
		memcpy(&in4, &sa->addr, sizeof(in4));
		return http_v4_is_loopback(&in4.sin_addr);
	}
	if (sa->family == AF_INET6 && sa->addrlen >= sizeof(in6)) {
		memcpy(&in6, &sa->addr, sizeof(in6));
		return http_v6_is_loopback(&in6.sin6_addr);
	}
	return 0;
}

/* Does the parsed URL lack this part?  (absent is the answer we want) */
static int
http_url_lacks(CURLU *u, CURLUPart what, CURLUcode absent)
{
	char *part = NULL;
	CURLUcode rc = curl_url_get(u, what, &part, 0);

	curl_free(part);
	return rc == absent;
}

/* Parse and check url; on success *out is the caller's (curl_url_cleanup). */
static int
http_url_parse(const char *url, CURLU **out, int *plain, char *why,
    size_t whysz)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;
	char shown[128];
	int r = CV_E_INVALID;

	*out = NULL;
	*plain = 0;
	if (strlen(url) > CV_URL_MAX) {
		(void)snprintf(why, whysz, "URL longer than %d bytes", CV_URL_MAX);
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0') {
		(void)snprintf(why, whysz,
		    "not an absolute http(s) URL with a host");
		goto out;
	}
	log_clean(shown, sizeof(shown), host, strlen(host));
	if (!http_url_lacks(u, CURLUPART_USER, CURLUE_NO_USER) ||
	    !http_url_lacks(u, CURLUPART_PASSWORD, CURLUE_NO_PASSWORD) ||
	    !http_url_lacks(u, CURLUPART_OPTIONS, CURLUE_NO_OPTIONS)) {
		(void)snprintf(why, whysz,
		    "URL for \"%s\" carries credentials; remove the user info",
		    shown);
		goto out;
	}
	if (!http_url_lacks(u, CURLUPART_ZONEID, CURLUE_NO_ZONEID)) {
		(void)snprintf(why, whysz, "URL for \"%s\" has a zone id",
		    shown);
		goto out;
	}
	if (!http_url_lacks(u, CURLUPART_FRAGMENT, CURLUE_NO_FRAGMENT)) {
		(void)snprintf(why, whysz, "URL for \"%s\" has a fragment", shown);
		goto out;
	}
	if (strcmp(scheme, "https") == 0) {
		*plain = 0;
	} else if (strcmp(scheme, "http") == 0) {
		if (!http_host_is_loopback(host)) {
			(void)snprintf(why, whysz,
			    "refusing plain http:// to \"%s\": http is allowed "
			    "only for loopback hosts (127.0.0.0/8, [::1], "
			    "localhost); use https://", shown);
			goto out;
		}
		*plain = 1;
	} else {
		(void)snprintf(why, whysz,
		    "unsupported URL scheme for \"%s\"; use https://", shown);
		goto out;
	}
	*out = u;
	u = NULL; /* transferred */
	r = 0;
out:
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	if (r == CV_E_NOMEM)
		(void)snprintf(why, whysz, "out of memory");
	return r;
}

int
http_url_check(const char *url, int *plain, char *why, size_t whysz)
{
	char dummy[1];
	CURLU *u;
	int p, r;

	if (why == NULL) {
		why = dummy;
		whysz = sizeof(dummy);
	}
	r = http_url_parse(url, &u, &p, why, whysz);
	curl_url_cleanup(u);
	if (r == 0 && plain != NULL)
		*plain = p;
	return r;
}

int
http_url_append(const char *base, const char *path, const char *what,
    const char *role, char *out, size_t outsz, char *why, size_t whysz)
{
	CURLU *u = NULL;
	char *oldpath = NULL, *query = NULL, *url = NULL;
	char newpath[CV_URL_MAX + 1];
	size_t n;
	int plain, r;

	out[0] = '\0';
	if ((r = http_url_parse(base, &u, &plain, why, whysz)) != 0)
		goto out;
	r = CV_E_INVALID;
	if (curl_url_get(u, CURLUPART_PATH, &oldpath, 0) != CURLUE_OK) {
		(void)snprintf(why, whysz, "%s is not a valid URL", what);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_NO_QUERY) {
		(void)snprintf(why, whysz, "%s must not have a query: it is %s",
		    what, role);
		goto out;
	}
	n = strlen(oldpath);
	if (n > 0 && oldpath[n - 1] == '/')
		n--;
	if (snprintf(newpath, sizeof(newpath), "%.*s%s", (int)n, oldpath,
	        path) >= (int)sizeof(newpath)) {
		(void)snprintf(why, whysz, "%s too long", what);
		goto out;
	}
	if (curl_url_set(u, CURLUPART_PATH, newpath, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		(void)snprintf(why, whysz, "%s is not a valid URL", what);
		goto out;
	}
	if (strlen(url) >= outsz) {
		(void)snprintf(why, whysz, "%s too long", what);
		goto out;
	}
	memcpy(out, url, strlen(url) + 1);
	if ((r = http_url_check(out, NULL, why, whysz)) != 0)
		out[0] = '\0';
out:
	curl_free(url);
	curl_free(query);
	curl_free(oldpath);
	curl_url_cleanup(u);
	return r;
}

static size_t
http_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_ctx *ctx = arg;
	size_t n = size * nmemb; /* size is always 1 */

	if (secbuf_append(ctx->body, p, n) != 0) {
		ctx->toobig = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

/*
 * For plain http the URL check alone is not enough: "localhost" is a name,
 * and a name is only as good as its resolver.  Check what we connect to.
 */
static curl_socket_t
http_opensocket_cb(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct http_ctx *ctx = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    (ctx->plain && !http_sockaddr_is_loopback(sa))) {
		ctx->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

static int
http_status_is_retryable(long status)
{
	return status == 429 ||
	    (status >= 500 && status <= 599 && status != 501 && status != 505);
}

/* Failures before the request could have reached the server. */
static int
http_code_is_unsent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
}

static int
http_code_is_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Backoff before retry number attempt + 1: base * 2^attempt, capped, with
 * the upper half jittered so that a fleet of hooks does not retry in step. */
static long
http_backoff_ms(unsigned attempt)
{
	long d = CV_HTTP_BACKOFF_BASE_MS;
	unsigned i;

	for (i = 0; i < attempt && d < CV_HTTP_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > CV_HTTP_BACKOFF_MAX_MS)
		d = CV_HTTP_BACKOFF_MAX_MS;
	return d / 2 + (long)randombytes_uniform((uint32_t)(d / 2 + 1));
}

static const char *
http_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET:
		return "GET";
	case HTTP_POST:
		return "POST";
	case HTTP_DELETE:
		return "DELETE";
	}
	return "?";
}

/* The URL without its query, for diagnostics. */
static void
http_url_shown(char *dst, size_t dstsz, const char *url)
{
	size_t n = strcspn(url, "?#");

	log_clean(dst, dstsz, url, n);
}

#define HTTP_SET(h, opt, val) (curl_easy_setopt((h), (opt), (val)) == CURLE_OK)

/* Options that stay the same across attempts. */
static int
http_setup(CURL *h, const struct http_request *req, CURLU *u,
    struct curl_slist *headers, struct http_ctx *ctx, char *errbuf)
{
	int ok;

	ok = HTTP_SET(h, CURLOPT_CURLU, u) &&
	    HTTP_SET(h, CURLOPT_PROTOCOLS_STR, ctx->plain ? "http" : "https") &&
	    HTTP_SET(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") &&
	    HTTP_SET(h, CURLOPT_FOLLOWLOCATION, 0L) &&
	    HTTP_SET(h, CURLOPT_SSL_VERIFYPEER, 1L) &&
	    HTTP_SET(h, CURLOPT_SSL_VERIFYHOST, 2L) &&
	    HTTP_SET(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) &&
	    HTTP_SET(h, CURLOPT_PROXY, "") &&
	    HTTP_SET(h, CURLOPT_NOPROXY, "*") &&
	    HTTP_SET(h, CURLOPT_NOSIGNAL, 1L) &&
	    HTTP_SET(h, CURLOPT_ERRORBUFFER, errbuf) &&
	    HTTP_SET(h, CURLOPT_USERAGENT, "credvault-hook/" CV_VERSION) &&
	    HTTP_SET(h, CURLOPT_HTTPHEADER, headers) &&
	    HTTP_SET(h, CURLOPT_WRITEFUNCTION, http_write_cb) &&
	    HTTP_SET(h, CURLOPT_WRITEDATA, ctx) &&
	    HTTP_SET(h, CURLOPT_OPENSOCKETFUNCTION, http_opensocket_cb) &&
	    HTTP_SET(h, CURLOPT_OPENSOCKETDATA, ctx) &&
	    HTTP_SET(h, CURLOPT_MAXFILESIZE_LARGE,
	        (curl_off_t)CV_HTTP_RESPONSE_MAX);
	if (ok && req->cafile != NULL)
		ok = HTTP_SET(h, CURLOPT_CAINFO, req->cafile);

	switch (req->method) {
	case HTTP_POST:
		ok = ok && HTTP_SET(h, CURLOPT_POST, 1L) &&
		    HTTP_SET(h, CURLOPT_POSTFIELDS,
		        req->body != NULL ? (const char *)req->body->data : "") &&
		    HTTP_SET(h, CURLOPT_POSTFIELDSIZE_LARGE,
		        (curl_off_t)(req->body != NULL ? req->body->len : 0));
		break;
	case HTTP_DELETE:
		ok = ok && HTTP_SET(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case HTTP_GET:
		ok = ok && HTTP_SET(h, CURLOPT_HTTPGET, 1L);
		break;
	}

	/* The user name and password go in separately so either may hold a
	 * colon; libcurl's copies live in the wiping heap (http_init). */
	if (req->basic_user != NULL) {
		ok = ok && req->basic_password != NULL &&
		    HTTP_SET(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) &&
		    HTTP_SET(h, CURLOPT_USERNAME, req->basic_user) &&
		    HTTP_SET(h, CURLOPT_PASSWORD,
		        (const char *)req->basic_password->data);
	} else if (req->bearer != NULL) {
		ok = ok && HTTP_SET(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) &&
		    HTTP_SET(h, CURLOPT_XOAUTH2_BEARER,
		        (const char *)req->bearer->data);
	}
	return ok ? 0 : CV_E_INTERNAL;
}

static int
http_headers(const struct http_request *req, struct curl_slist **out)
{
	char ct[128];
	struct curl_slist *l = NULL, *t;

	*out = NULL;
	/* "Expect:" stops libcurl from waiting for a 100-continue. */
	if ((t = curl_slist_append(l, "Accept: application/json")) == NULL)
		goto fail;
	l = t;
	if ((t = curl_slist_append(l, "Expect:")) == NULL)
		goto fail;
	l = t;
	if (req->content_type != NULL) {
		if (snprintf(ct, sizeof(ct), "Content-Type: %s",
		        req->content_type) >= (int)sizeof(ct) ||
		    strpbrk(req->content_type, "\r\n") != NULL)
			goto fail;
		if ((t = curl_slist_append(l, ct)) == NULL)
			goto fail;
		l = t;
	}
	*out = l;
	return 0;
fail:
	curl_slist_free_all(l);
	return CV_E_INTERNAL;
}

void
http_response_clear(struct http_response *resp)
{
	secbuf_free(&resp->body);
	resp->outcome = HTTP_UNAVAILABLE;
	resp->status = 0;
	resp->attempts = 0;
	resp->detail[0] = '\0';
}

int
http_perform(const struct http_request *req, struct http_response *resp)
{
	char errbuf[CURL_ERROR_SIZE];
	char shown[160], why[64];
	struct http_ctx ctx = { 0 };
	struct curl_slist *headers = NULL;
	CURLU *u = NULL;
	CURL *h = NULL;
	CURLcode rc;
	curl_off_t retry_after;
	long deadline, remaining, delay;
	unsigned attempt;
	int r;

	resp->outcome = HTTP_UNAVAILABLE;
	resp->status = 0;
	resp->body = NULL;
	resp->attempts = 0;
	resp->detail[0] = '\0';
	errbuf[0] = '\0';
	deadline = http_deadline(req->deadline_ms);
	http_url_shown(shown, sizeof(shown), req->url);

	r = http_url_parse(req->url, &u, &ctx.plain, resp->detail,
	    sizeof(resp->detail));
	if (r != 0)
		goto out;
	if ((resp->body = secbuf_new(CV_HTTP_RESPONSE_MAX)) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	ctx.body = resp->body;
	if ((r = http_headers(req, &headers)) != 0)
		goto out;
	if ((h = curl_easy_init()) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	if ((r = http_setup(h, req, u, headers, &ctx, errbuf)) != 0)
		goto out;

	for (attempt = 0;; attempt++) {
		remaining = http_remaining(deadline);
		if (remaining == 0) {
			(void)snprintf(resp->detail, sizeof(resp->detail),
			    "%s %s: no time left after %u attempt(s)",
			    http_method_name(req->method), shown,
			    resp->attempts);
			resp->outcome = HTTP_UNAVAILABLE;
			break;
		}
		if (!HTTP_SET(h, CURLOPT_TIMEOUT_MS, remaining) ||
		    !HTTP_SET(h, CURLOPT_CONNECTTIMEOUT_MS,
		        remaining < CV_HTTP_CONNECT_TIMEOUT_MS ?
		            remaining : (long)CV_HTTP_CONNECT_TIMEOUT_MS)) {
			r = CV_E_INTERNAL;
			goto out;
		}
		secbuf_reset(resp->body);
		ctx.toobig = 0;
		ctx.refused = 0;
		errbuf[0] = '\0';
		resp->status = 0;
		retry_after = 0;

		rc = curl_easy_perform(h);
		resp->attempts++;

		if (ctx.refused) {
			resp->outcome = HTTP_TRANSPORT;
			(void)snprintf(resp->detail, sizeof(resp->detail),
			    "%s %s: refused to connect to a non-loopback "
			    "address over plain http",
			    http_method_name(req->method), shown);
			break;
		}
		if (ctx.toobig || rc == CURLE_FILESIZE_EXCEEDED) {
			resp->outcome = HTTP_TOOBIG;
			(void)snprintf(resp->detail, sizeof(resp->detail),
			    "%s %s: response larger than %d bytes",
			    http_method_name(req->method), shown,
			    CV_HTTP_RESPONSE_MAX);
			break;
		}
		if (rc == CURLE_OK) {
			if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE,
			        &resp->status) != CURLE_OK) {
				r = CV_E_INTERNAL;
				goto out;
			}
			if (!http_status_is_retryable(resp->status) ||
			    (!req->idempotent && resp->status != 429 &&
			        resp->status != 503)) {
				resp->outcome = HTTP_ANSWERED;
				break;
			}
			if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER,
			        &retry_after) != CURLE_OK)
				retry_after = 0;
			(void)snprintf(why, sizeof(why), "HTTP %ld",
			    resp->status);
		} else {
			if (!http_code_is_retryable(rc) ||
			    (!req->idempotent && !http_code_is_unsent(rc))) {
				resp->outcome = HTTP_TRANSPORT;
				(void)snprintf(resp->detail,
				    sizeof(resp->detail), "%s %s: %.200s",
				    http_method_name(req->method), shown,
				    errbuf[0] != '\0' ? errbuf :
				                        curl_easy_strerror(rc));
				break;
			}
			(void)snprintf(why, sizeof(why), "%s",
			    curl_easy_strerror(rc));
		}

		/* A retryable failure. */
		resp->outcome = HTTP_UNAVAILABLE;
		(void)snprintf(resp->detail, sizeof(resp->detail),
		    "%s %s: %s after %u attempt(s)",
		    http_method_name(req->method), shown, why, resp->attempts);
		if (attempt >= req->retries)
			break;
		delay = http_backoff_ms(attempt);
		if (retry_after > 0) {
			/* Retrying sooner than asked helps nobody; waiting
			 * longer than the cap breaks the hook's time limit. */
			if (retry_after > CV_HTTP_RETRY_AFTER_MAX_S) {
				(void)snprintf(resp->detail,
				    sizeof(resp->detail),
				    "%s %s: %s, server asks to retry after %lld s",
				    http_method_name(req->method), shown, why,
				    (long long)retry_after);
				break;
			}
			if (retry_after * 1000 > delay)
				delay = (long)retry_after * 1000L;
		}
		if (delay >= http_remaining(deadline)) {
			(void)snprintf(resp->detail, sizeof(resp->detail),
			    "%s %s: %s after %u attempt(s), no time left to "
			    "retry", http_method_name(req->method), shown, why,
			    resp->attempts);
			break;
		}
		log_put(LOG_ERR, "http_perform", "%s %s: %s, retrying in %ld ms "
		    "(attempt %u of %u)", http_method_name(req->method), shown,
		    why, delay, resp->attempts, req->retries + 1);
		http_sleep_ms(delay);
	}
	r = 0;
out:
	if (r == CV_E_NOMEM || r == CV_E_INTERNAL)
		(void)snprintf(resp->detail, sizeof(resp->detail),
		    "%s %s: %s", http_method_name(req->method), shown,
		    cv_strerror(r));
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	curl_url_cleanup(u);
	secmem_wipe(errbuf, sizeof(errbuf));
	return r;
}

static int http_ready;

int
http_init(void)
{
	if (http_ready)
		return 0;
	if (secmem_init() != 0)
		return CV_E_INTERNAL;
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, wipealloc_malloc,
	    wipealloc_free, wipealloc_realloc, wipealloc_strdup,
	    wipealloc_calloc) != CURLE_OK)
		return CV_E_INTERNAL;
	http_ready = 1;
	return 0;
}

void
http_cleanup(void)
{
	if (!http_ready)
		return;
	curl_global_cleanup();
	http_ready = 0;
}
