/* SPDX-License-Identifier: MIT */
/* Fuzzes ct-rotate's API Clients answer parsers and the reply it prints. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/ctjson.h"
#include "hookkit/oauth.h"
#include "hooks/proto.h"
#include "base/wipealloc.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The admin token the error parser must keep out of every error text. */
#define FUZZ_TOKEN "fuzz-Admin-Token-7"
#define FUZZ_NAME "credvault-shop-g4"

static const long fuzz_statuses[] = { 400, 401, 403, 404, 409, 302, 500,
	418 };

static int
fuzz_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
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

/* A create answer: anything accepted must make a reply the vault takes
 * (hooks/proto.c), with the same client id and secret. */
static void
fuzz_client(const uint8_t *data, size_t size)
{
	struct ctjson_client c;
	struct ctjson_matches none = { 0 };
	struct proto_rotate_reply pr;
	char why[CV_HOOK_REASON_MAX], norm[CV_SCOPE_MAX + 1];
	char *text;
	json_t *o;
	size_t i;

	c.secret = NULL;
	why[0] = '\0';
	if (ctjson_client_parse(data, size, &c, why, sizeof(why)) != 0) {
		if (c.secret != NULL || c.id[0] != '\0' || why[0] == '\0' ||
		    !fuzz_printable(why, sizeof(why)))
			__builtin_trap();
		return;
	}
	if (c.secret == NULL || c.secret->len == 0 ||
	    c.secret->len > CV_SECRET_MAX || !ctjson_is_id(c.id) ||
	    !fuzz_printable(c.name, sizeof(c.name)) || c.scope[0] == '\0' ||
	    oauth_scope_normalize(c.scope, norm, sizeof(norm)) != 0 ||
	    strcmp(norm, c.scope) != 0)
		__builtin_trap();
	for (i = 0; i < c.secret->len; i++)
		if (c.secret->data[i] < 0x21 || c.secret->data[i] > 0x7e)
			__builtin_trap();

	if ((o = ctjson_reply_new(&c, &none)) == NULL ||
	    (text = json_dumps(o, JSON_COMPACT)) == NULL)
		__builtin_trap();
	if (proto_rotate_decode(text, strlen(text), &pr, why,
	        sizeof(why)) != 0 ||
	    strcmp(pr.client_id, c.id) != 0 || pr.secret == NULL ||
	    pr.secret->len != c.secret->len ||
	    memcmp(pr.secret->data, c.secret->data, c.secret->len) != 0)
		__builtin_trap();
	proto_rotate_reply_clear(&pr);
	wipealloc_free(text);
	json_decref(o);
	ctjson_client_clear(&c);
}

/* A query page: only exact name matches, only valid ids, bounded. */
static void
fuzz_page(const uint8_t *data, size_t size)
{
	struct ctjson_matches m = { 0 };
	char why[CV_HOOK_REASON_MAX];
	size_t count = 0;
	unsigned i;
	int r;

	r = ctjson_page_parse(data, size, FUZZ_NAME, &m, &count, why,
	    sizeof(why));
	if (m.n > CV_CT_ORPHANS_MAX || (r == 0 && count < m.n))
		__builtin_trap();
	for (i = 0; i < m.n; i++)
		if (!ctjson_is_id(m.id[i]))
			__builtin_trap();
}

/* An error answer: a code, printable text, never the admin token. */
static void
fuzz_error(const uint8_t *data, size_t size, const struct secbuf *token)
{
	struct ctjson_error e;
	long status;

	if (size == 0)
		return;
	status = fuzz_statuses[data[0] % (sizeof(fuzz_statuses) /
	    sizeof(fuzz_statuses[0]))];
	ctjson_error_parse(status, data + 1, size - 1, token, &e);
	if (!fuzz_is_code(e.code) || e.description[0] == '\0' ||
	    !fuzz_printable(e.description, sizeof(e.description)) ||
	    strstr(e.code, FUZZ_TOKEN) != NULL ||
	    strstr(e.description, FUZZ_TOKEN) != NULL ||
	    (e.kind == CTJSON_CONFLICT &&
	        strcmp(e.code, "DuplicateField") != 0) ||
	    (e.kind == CTJSON_UNUSABLE &&
	        strcmp(e.code, "invalid_response") != 0))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secbuf *token;

	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (token == NULL &&
	    (token = secbuf_dup(FUZZ_TOKEN, strlen(FUZZ_TOKEN))) == NULL)
		__builtin_trap();
	fuzz_client(data, size);
	fuzz_page(data, size);
	fuzz_error(data, size, token);
	return 0;
}
