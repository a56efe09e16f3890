/* SPDX-License-Identifier: MIT */
/* Fuzzes the token endpoint answer parser and the hook request decoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/hookio.h"
#include "hookkit/oauth.h"
#include "base/wipealloc.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The client secret the parser must keep out of every error text. */
#define FUZZ_SECRET "fuzz-Secret-42"

static const long fuzz_statuses[] = { 200, 201, 400, 401, 403, 302, 500,
	429 };

static int
fuzz_has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

/* Printable ASCII only, and NUL-terminated within n bytes. */
static int
fuzz_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return i < n;
}

/* No control characters (UTF-8 is fine), NUL-terminated within n. */
static int
fuzz_no_controls(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return i < n;
}

static int
fuzz_is_code(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CV_OAUTH_ERROR_MAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789-._") == n;
}

/* Input: one byte choosing the HTTP status, then the body. */
static void
fuzz_reply(const uint8_t *data, size_t size, const struct secbuf *secret)
{
	struct oauth_result res;
	char norm[CV_SCOPE_MAX + 1];
	long status;
	size_t i;

	if (size == 0)
		return;
	status = fuzz_statuses[data[0] % (sizeof(fuzz_statuses) /
	    sizeof(fuzz_statuses[0]))];
	res.access_token = NULL;
	if (oauth_reply_parse(status, data + 1, size - 1,
	        "view_products:demo manage_orders:demo", secret, &res) != 0)
		__builtin_trap();
	if (res.outcome == OAUTH_TOKEN) {
		/* What oauth2-mint relies on before printing a token. */
		if (status < 200 || status > 299 || res.access_token == NULL ||
		    res.access_token->len == 0 ||
		    res.access_token->len > CV_TOKEN_MAX ||
		    strlen((const char *)res.access_token->data) !=
		        res.access_token->len ||
		    res.expires_in < 1 || res.expires_in > CV_EXPIRES_IN_MAX ||
		    !fuzz_is_code(res.token_type) ||
		    oauth_scope_normalize(res.scope, norm, sizeof(norm)) != 0 ||
		    strcmp(norm, res.scope) != 0)
			__builtin_trap();
		for (i = 0; i < res.access_token->len; i++)
			if (res.access_token->data[i] < 0x21 ||
			    res.access_token->data[i] > 0x7e)
				__builtin_trap();
	} else {
		/* Errors are logged and passed on: a code, printable text,
		 * and never the secret. */
		if (res.access_token != NULL || !fuzz_is_code(res.error) ||
		    !fuzz_printable(res.error_description,
		        sizeof(res.error_description)) ||
		    res.error_description[0] == '\0' ||
		    fuzz_has(res.error, FUZZ_SECRET) ||
		    fuzz_has(res.error_description, FUZZ_SECRET))
			__builtin_trap();
	}
	oauth_result_clear(&res);
	if (res.access_token != NULL)
		__builtin_trap();
}

/* Input: a whole hook request. */
static void
fuzz_request(const uint8_t *data, size_t size)
{
	struct hookio_request req;
	char why[CV_HOOK_REASON_MAX];
	size_t i;

	hookio_request_init(&req);
	why[0] = '\0';
	if (hookio_request_decode(data, size, &req, why, sizeof(why)) == 0) {
		/* Text members: bounded, no controls (UTF-8 allowed). */
		if (req.version != 1 || req.generation < -1 ||
		    req.rotation_generation < -1 ||
		    !fuzz_no_controls(req.phase, sizeof(req.phase)) ||
		    !fuzz_no_controls(req.name, sizeof(req.name)) ||
		    !fuzz_no_controls(req.provider, sizeof(req.provider)) ||
		    !fuzz_no_controls(req.project_key,
		        sizeof(req.project_key)) ||
		    !fuzz_no_controls(req.client_id, sizeof(req.client_id)) ||
		    !fuzz_no_controls(req.record_scope,
		        sizeof(req.record_scope)) ||
		    !fuzz_no_controls(req.api_url, sizeof(req.api_url)) ||
		    !fuzz_no_controls(req.auth_url, sizeof(req.auth_url)) ||
		    !fuzz_no_controls(req.scope, sizeof(req.scope)) ||
		    !fuzz_no_controls(req.rotation_client_name,
		        sizeof(req.rotation_client_name)) ||
		    !fuzz_no_controls(req.retire_client_id,
		        sizeof(req.retire_client_id)))
			__builtin_trap();
		if (req.secret != NULL &&
		    (req.secret->len == 0 || req.secret->len > CV_SECRET_MAX))
			__builtin_trap();
		if (req.admin_token != NULL) {
			if (req.admin_token->len == 0 ||
			    req.admin_token->len > CV_TOKEN_MAX)
				__builtin_trap();
			for (i = 0; i < req.admin_token->len; i++)
				if (req.admin_token->data[i] < 0x21 ||
				    req.admin_token->data[i] > 0x7e)
					__builtin_trap();
		}
		if (req.admin_token_type[0] != '\0' &&
		    !fuzz_is_code(req.admin_token_type))
			__builtin_trap();
	} else if (why[0] == '\0' ||
	    !fuzz_printable(why, sizeof(why))) {
		__builtin_trap();
	}
	hookio_request_clear(&req);
	if (req.secret != NULL || req.admin_token != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secbuf *secret;

	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (secret == NULL &&
	    (secret = secbuf_dup(FUZZ_SECRET, strlen(FUZZ_SECRET))) == NULL)
		__builtin_trap();
	fuzz_reply(data, size, secret);
	fuzz_request(data, size);
	return 0;
}
