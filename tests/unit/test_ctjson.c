/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/bin/ctjson: API Clients answers and the reply. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/ctjson.h"
#include "hooks/proto.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

static void
test_names(void)
{
	char big[CV_CT_CLIENT_NAME_MAX + 2];

	ASSERT_TRUE(ctjson_is_id("ZW-i2w6tu-61tSlSbie6Z41c"));
	ASSERT_TRUE(ctjson_is_id("a.b~c_d"));
	ASSERT_TRUE(!ctjson_is_id(""));
	ASSERT_TRUE(!ctjson_is_id("a/b"));
	ASSERT_TRUE(!ctjson_is_id("a b"));
	ASSERT_TRUE(!ctjson_is_id("a%2F"));
	ASSERT_TRUE(!ctjson_is_id("a?b"));

	ASSERT_TRUE(ctjson_is_name("credvault-shop/eu-g4"));
	ASSERT_TRUE(ctjson_is_name("My client (new)"));
	ASSERT_TRUE(!ctjson_is_name(""));
	ASSERT_TRUE(!ctjson_is_name("a\"b"));
	ASSERT_TRUE(!ctjson_is_name("a\\b"));
	ASSERT_TRUE(!ctjson_is_name("a\nb"));
	ASSERT_TRUE(!ctjson_is_name("caf\xc3\xa9"));
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ASSERT_TRUE(!ctjson_is_name(big));
	big[sizeof(big) - 2] = '\0';
	ASSERT_TRUE(ctjson_is_name(big));
}

static int
client(const char *body, struct ctjson_client *c, char *why)
{
	return ctjson_client_parse((const unsigned char *)body, strlen(body), c,
	    why, CV_HOOK_REASON_MAX);
}

static void
test_client_parse(void)
{
	static const char *bad[] = {
		"",
		"[]",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\",\"secret\":7}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"a b\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"a\\u0000b\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"\\u00e9\"}",
		"{\"id\":\"a/b\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"x\"}",
		"{\"id\":\"\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"x\"}",
		"{\"name\":\"n\",\"scope\":\"s\",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"scope\":\"s\",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"name\":\"n\\u0001\",\"scope\":\"s\",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"\",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"  \",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"a\\\\b\",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":[\"s\"],\"secret\":\"x\"}",
		"{\"id\":\"a\",\"id\":\"b\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"x\"}",
		"{\"id\":\"a\",\"name\":\"n\",\"scope\":\"s\",\"secret\":\"x\"} {}",
	};
	struct ctjson_client c;
	char why[CV_HOOK_REASON_MAX];
	size_t i;

	c.secret = NULL;
	ctjson_client_clear(&c);
	ASSERT_INT_EQ(client("{\"id\":\"ZW-i2w6tu-61tSlSbie6Z41c\","
	    "\"name\":\"credvault-shop-g4\",\"scope\":\"view_products:demo  "
	    "manage_orders:demo\",\"createdAt\":\"2024-01-01T00:00:00.000Z\","
	    "\"secret\":\"oqFJEK1OhPtLphtgxIZeOjzKs9dxMQv8\"}", &c, why), 0);
	ASSERT_STR_EQ(c.id, "ZW-i2w6tu-61tSlSbie6Z41c");
	ASSERT_STR_EQ(c.name, "credvault-shop-g4");
	ASSERT_STR_EQ(c.scope, "view_products:demo manage_orders:demo");
	ASSERT_STR_EQ((const char *)c.secret->data,
	    "oqFJEK1OhPtLphtgxIZeOjzKs9dxMQv8");
	ctjson_client_clear(&c);
	ASSERT_TRUE(c.secret == NULL);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = client(bad[i], &c, why);
		if (r != CV_E_PROTO || c.secret != NULL || c.id[0] != '\0')
			TEST_FAIL_AT("bad[%zu] gave %d", i, r);
		ctjson_client_clear(&c);
	}

	/* Never quote the body, which holds the secret. */
	ASSERT_INT_EQ(client("{\"secret\":\"SeCrEt\" \"id\"}", &c, why),
	    CV_E_PROTO);
	ASSERT_TRUE(strstr(why, "SeCrEt") == NULL);
	ASSERT_TRUE(strstr(why, "line 1") != NULL);
}

static int
page(const char *body, const char *name, struct ctjson_matches *m,
    size_t *count, char *why)
{
	return ctjson_page_parse((const unsigned char *)body, strlen(body),
	    name, m, count, why, CV_HOOK_REASON_MAX);
}

static void
test_page_parse(void)
{
	struct ctjson_matches m = { 0 };
	char why[CV_HOOK_REASON_MAX], body[4096];
	size_t count, o;
	unsigned i;

	ASSERT_INT_EQ(page("{\"limit\":20,\"offset\":0,\"count\":4,\"results\":["
	    "{\"id\":\"a1\",\"name\":\"credvault-shop-g4\",\"scope\":\"s\"},"
	    "{\"id\":\"a2\",\"name\":\"credvault-shop-g4x\"},"
	    "{\"id\":\"a3\",\"name\":\"Credvault-shop-g4\"},"
	    "{\"id\":\"a4\",\"name\":\"credvault-shop-g4\"}]}",
	    "credvault-shop-g4", &m, &count, why), 0);
	ASSERT_INT_EQ(count, 4);
	ASSERT_INT_EQ(m.n, 2);
	ASSERT_STR_EQ(m.id[0], "a1");
	ASSERT_STR_EQ(m.id[1], "a4");

	/* Pages add up. */
	ASSERT_INT_EQ(page("{\"results\":[{\"id\":\"a5\",\"name\":"
	    "\"credvault-shop-g4\"}]}", "credvault-shop-g4", &m, &count, why),
	    0);
	ASSERT_INT_EQ(count, 1);
	ASSERT_INT_EQ(m.n, 3);
	ASSERT_STR_EQ(m.id[2], "a5");

	m.n = 0;
	ASSERT_INT_EQ(page("{\"results\":[]}", "x", &m, &count, why), 0);
	ASSERT_INT_EQ(count, 0);
	ASSERT_INT_EQ(m.n, 0);

	/* Names compare whole: an embedded NUL cannot shorten one. */
	ASSERT_INT_EQ(page("{\"results\":[{\"id\":\"a\",\"name\":\"x\\u0000y\"}]}",
	    "x", &m, &count, why), CV_E_PROTO);

	ASSERT_INT_EQ(page("{}", "x", &m, &count, why), CV_E_PROTO);
	ASSERT_INT_EQ(page("[]", "x", &m, &count, why), CV_E_PROTO);
	ASSERT_INT_EQ(page("{\"results\":{}}", "x", &m, &count, why),
	    CV_E_PROTO);
	ASSERT_INT_EQ(page("{\"results\":[1]}", "x", &m, &count, why),
	    CV_E_PROTO);
	ASSERT_INT_EQ(page("{\"results\":[{\"name\":\"x\"}]}", "x", &m, &count,
	    why), CV_E_PROTO);
	ASSERT_INT_EQ(page("{\"results\":[{\"id\":\"a/b\",\"name\":\"x\"}]}",
	    "x", &m, &count, why), CV_E_PROTO);
	ASSERT_INT_EQ(page("{\"results\":[{\"id\":\"a\"}]}", "x", &m, &count,
	    why), CV_E_PROTO);
	ASSERT_INT_EQ(page("{\"results\":[{\"id\":\"a\",\"name\":5}]}", "x",
	    &m, &count, why), CV_E_PROTO);
	ASSERT_INT_EQ(m.n, 0);

	/* More same-named clients than CV_CT_ORPHANS_MAX. */
	o = (size_t)snprintf(body, sizeof(body), "{\"results\":[");
	for (i = 0; i <= CV_CT_ORPHANS_MAX; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		    "%s{\"id\":\"id%u\",\"name\":\"dup\"}", i ? "," : "", i);
	(void)snprintf(body + o, sizeof(body) - o, "]}");
	m.n = 0;
	ASSERT_INT_EQ(page(body, "dup", &m, &count, why), CV_E_TOOBIG);
	ASSERT_INT_EQ(m.n, CV_CT_ORPHANS_MAX);
}

static void
err(long status, const char *body, const struct secbuf *tok,
    struct ctjson_error *e)
{
	ctjson_error_parse(status, (const unsigned char *)body, strlen(body),
	    tok, e);
}

static void
test_error_parse(void)
{
	struct secbuf *tok = secbuf_dup("AdminT0ken", 10);
	struct ctjson_error e;

	err(401, "{\"statusCode\":401,\"message\":\"invalid_token\",\"errors\":"
	    "[{\"code\":\"invalid_token\",\"message\":\"invalid_token\"}],"
	    "\"error\":\"invalid_token\",\"error_description\":\"expired\"}",
	    tok, &e);
	ASSERT_INT_EQ(e.kind, CTJSON_REJECTED);
	ASSERT_STR_EQ(e.code, "invalid_token");
	ASSERT_STR_EQ(e.description, "expired");

	err(400, "{\"statusCode\":400,\"message\":\"A duplicate value\","
	    "\"errors\":[{\"code\":\"DuplicateField\",\"field\":\"name\"}]}",
	    tok, &e);
	ASSERT_INT_EQ(e.kind, CTJSON_CONFLICT);
	ASSERT_STR_EQ(e.code, "DuplicateField");
	ASSERT_STR_EQ(e.description, "A duplicate value");

	err(403, "", tok, &e);
	ASSERT_STR_EQ(e.code, "insufficient_scope");
	ASSERT_TRUE(e.description[0] != '\0');
	err(401, "<html>", tok, &e);
	ASSERT_STR_EQ(e.code, "invalid_token");
	err(400, "{\"error\":\"bad code\"}", NULL, &e);
	ASSERT_STR_EQ(e.code, "invalid_request");
	err(404, "", tok, &e);
	ASSERT_INT_EQ(e.kind, CTJSON_UNUSABLE);
	ASSERT_STR_EQ(e.code, "invalid_response");
	ASSERT_TRUE(strstr(e.description, "api_url") != NULL);
	err(302, "{\"error\":\"x\"}", tok, &e);
	ASSERT_INT_EQ(e.kind, CTJSON_REJECTED); /* the body said so */
	err(302, "", tok, &e);
	ASSERT_INT_EQ(e.kind, CTJSON_UNUSABLE);
	ASSERT_TRUE(strstr(e.description, "redirect") != NULL);

	/* Codes and descriptions: printable, and never the admin token. */
	err(401, "{\"error\":\"invalid_token\",\"message\":\"token "
	    "AdminT0ken\\n is bad\"}", tok, &e);
	ASSERT_TRUE(strstr(e.description, "AdminT0ken") == NULL);
	ASSERT_TRUE(strstr(e.description, "withheld") != NULL);
	err(401, "{\"error\":\"xAdminT0kenx\"}", tok, &e);
	ASSERT_STR_EQ(e.code, "invalid_token");
	ASSERT_TRUE(strstr(e.description, "AdminT0ken") == NULL);
	err(400, "{\"errors\":[{\"code\":\"InvalidInput\",\"message\":"
	    "\"a\\u0007b\"}]}", tok, &e);
	ASSERT_STR_EQ(e.description, "a?b");
	secbuf_free(&tok);
}

static void
test_draft(void)
{
	struct secbuf *sb = NULL;

	ASSERT_INT_EQ(ctjson_draft("credvault-shop-g4", "a:demo b:demo", &sb),
	    0);
	ASSERT_STR_EQ((const char *)sb->data,
	    "{\"name\":\"credvault-shop-g4\",\"scope\":\"a:demo b:demo\"}");
	secbuf_free(&sb);
}

/* What ct-rotate prints is what the vault accepts (hooks/proto.c). */
static void
test_reply(void)
{
	struct ctjson_client c;
	struct ctjson_matches rep = { 0 };
	struct proto_rotate_reply pr;
	char why[CV_HOOK_REASON_MAX];
	json_t *o;
	char *text;

	c.secret = NULL;
	ctjson_client_clear(&c);
	ASSERT_INT_EQ(client("{\"id\":\"new-1\",\"name\":\"n\",\"scope\":"
	    "\"a:demo b:demo\",\"secret\":\"S3cr3t~\"}", &c, why), 0);
	o = ctjson_reply_new(&c, &rep);
	ASSERT_TRUE(o != NULL);
	ASSERT_TRUE(json_object_get(o, "replaced_orphan") == NULL);
	text = json_dumps(o, JSON_COMPACT);
	ASSERT_INT_EQ(proto_rotate_decode(text, strlen(text), &pr, why,
	    sizeof(why)), 0);
	ASSERT_STR_EQ(pr.client_id, "new-1");
	ASSERT_STR_EQ((const char *)pr.secret->data, "S3cr3t~");
	proto_rotate_reply_clear(&pr);
	wipealloc_free(text);
	json_decref(o);

	rep.n = 2;
	memcpy(rep.id[0], "old-1", 6);
	memcpy(rep.id[1], "old-2", 6);
	o = ctjson_reply_new(&c, &rep);
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "replaced_orphan")),
	    "old-1");
	ASSERT_INT_EQ(json_array_size(json_object_get(o, "replaced_orphans")),
	    2);
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "client_name")),
	    "n");
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "scope")),
	    "a:demo b:demo");
	json_decref(o);
	ctjson_client_clear(&c);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fprintf(stderr, "test_ctjson: cannot initialise libsodium\n");
		return 1;
	}
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_names();
	test_client_parse();
	test_page_parse();
	test_error_parse();
	test_draft();
	test_reply();
	return test_done("test_ctjson");
}
