/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/bin/oauth: scopes, endpoints and token answers. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/http.h"
#include "hookkit/oauth.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

static char scope_out[CV_SCOPE_MAX + 1];

static int
norm(const char *in)
{
	return oauth_scope_normalize(in, scope_out, sizeof(scope_out));
}

static void
test_scope_normalize(void)
{
	char big[CV_SCOPE_MAX + 8], small[8];
	size_t i, o;

	ASSERT_INT_EQ(norm("  view_products:demo   manage_orders:demo "), 0);
	ASSERT_STR_EQ(scope_out, "view_products:demo manage_orders:demo");
	ASSERT_INT_EQ(norm(""), 0);
	ASSERT_STR_EQ(scope_out, "");
	ASSERT_INT_EQ(norm("   "), 0);
	ASSERT_STR_EQ(scope_out, "");
	ASSERT_INT_EQ(norm("market:id:xYZkjABcde"), 0);
	ASSERT_STR_EQ(scope_out, "market:id:xYZkjABcde");
	/* RFC 6749 section 3.3: no '"', no '\', no controls, no tabs. */
	ASSERT_INT_EQ(norm("a\"b"), CV_E_INVALID);
	ASSERT_INT_EQ(norm("a\\b"), CV_E_INVALID);
	ASSERT_INT_EQ(norm("a\tb"), CV_E_INVALID);
	ASSERT_INT_EQ(norm("a\nb"), CV_E_INVALID);
	ASSERT_INT_EQ(norm("caf\xc3\xa9"), CV_E_INVALID);
	ASSERT_INT_EQ(norm("!#[]~"), 0);

	/* At most CV_SCOPES_MAX tokens. */
	for (i = 0, o = 0; i < CV_SCOPES_MAX; i++) {
		big[o++] = 'a';
		big[o++] = ' ';
	}
	big[o] = '\0';
	ASSERT_INT_EQ(norm(big), 0);
	big[o++] = 'b';
	big[o] = '\0';
	ASSERT_INT_EQ(norm(big), CV_E_INVALID);

	/* At most CV_SCOPE_MAX bytes, and never past outsz. */
	memset(big, 'x', CV_SCOPE_MAX);
	big[CV_SCOPE_MAX] = '\0';
	ASSERT_INT_EQ(norm(big), 0);
	ASSERT_INT_EQ(strlen(scope_out), CV_SCOPE_MAX);
	big[CV_SCOPE_MAX] = 'x';
	big[CV_SCOPE_MAX + 1] = '\0';
	ASSERT_INT_EQ(norm(big), CV_E_TOOBIG);
	ASSERT_INT_EQ(oauth_scope_normalize("abcdefgh", small, sizeof(small)),
	    CV_E_TOOBIG);
	ASSERT_INT_EQ(oauth_scope_normalize("abc  def", small, sizeof(small)),
	    0);
	ASSERT_STR_EQ(small, "abc def");
	ASSERT_INT_EQ(oauth_scope_normalize("a", small, 0), CV_E_INVALID);
}

static void
test_scope_sets(void)
{
	ASSERT_TRUE(oauth_scope_same_set("a b", "b a"));
	ASSERT_TRUE(oauth_scope_same_set("", ""));
	ASSERT_TRUE(!oauth_scope_same_set("a", "a b"));
	ASSERT_TRUE(!oauth_scope_same_set("a b", "a"));
	ASSERT_TRUE(!oauth_scope_same_set("ab", "a"));
	ASSERT_TRUE(oauth_scope_same_set("a a b", "b a"));

	ASSERT_TRUE(oauth_scope_is_subset("a", "a b"));
	ASSERT_TRUE(oauth_scope_is_subset("", "a"));
	ASSERT_TRUE(oauth_scope_is_subset("b a", "a b c"));
	ASSERT_TRUE(!oauth_scope_is_subset("a c", "a b"));
	ASSERT_TRUE(!oauth_scope_is_subset("a", ""));
	ASSERT_TRUE(!oauth_scope_is_subset("view_products:demo",
	    "view_products:demo2"));
	ASSERT_TRUE(!oauth_scope_is_subset("view_products:demo2",
	    "view_products:demo"));

	ASSERT_TRUE(oauth_scope_has("manage_project:demo view",
	    "manage_project:"));
	ASSERT_TRUE(oauth_scope_has("manage_project:demo view", "view"));
	ASSERT_TRUE(!oauth_scope_has("manage_project:demo view", "vie"));
	ASSERT_TRUE(!oauth_scope_has("manage_project:demo view", "manage"));
	ASSERT_TRUE(!oauth_scope_has("view", ""));
	ASSERT_TRUE(!oauth_scope_has("", "view"));
}

static void
test_endpoint(void)
{
	char out[CV_URL_MAX + 1], why[CV_HOOK_REASON_MAX];

#define EP(style, in) oauth_endpoint((style), (in), out, sizeof(out), why, \
    sizeof(why))
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS,
	    "https://auth.europe-west1.gcp.commercetools.com"), 0);
	ASSERT_STR_EQ(out,
	    "https://auth.europe-west1.gcp.commercetools.com/oauth/token");
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS, "https://auth.example/"), 0);
	ASSERT_STR_EQ(out, "https://auth.example/oauth/token");
	ASSERT_INT_EQ(EP(OAUTH_COMMERCELAYER, "https://x.example/base/"), 0);
	ASSERT_STR_EQ(out, "https://x.example/base/oauth/token");
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS, "http://127.0.0.1:8080"), 0);
	ASSERT_STR_EQ(out, "http://127.0.0.1:8080/oauth/token");
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS, "https://auth.example/?a=b"),
	    CV_E_INVALID);
	ASSERT_STR_EQ(out, "");
	ASSERT_TRUE(strstr(why, "query") != NULL);
	/* Generic: auth_url is the endpoint, query and all. */
	ASSERT_INT_EQ(EP(OAUTH_GENERIC, "https://idp.example/token?tenant=t1"),
	    0);
	ASSERT_STR_EQ(out, "https://idp.example/token?tenant=t1");
	/* The transport policy applies. */
	ASSERT_INT_EQ(EP(OAUTH_GENERIC, "http://example.com/token"),
	    CV_E_INVALID);
	ASSERT_TRUE(strstr(why, "loopback") != NULL);
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS, "https://u:p@auth.example"),
	    CV_E_INVALID);
	ASSERT_TRUE(strstr(why, "p@") == NULL);
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS, "ftp://auth.example"),
	    CV_E_INVALID);
	ASSERT_INT_EQ(EP(OAUTH_COMMERCETOOLS, "not a url"), CV_E_INVALID);
	ASSERT_INT_EQ(oauth_endpoint(OAUTH_GENERIC, "https://a.example/t",
	    out, 8, why, sizeof(why)), CV_E_INVALID);
#undef EP
}

/* Parse a C string body for status with secret "s3cret-Value". */
static struct secbuf *test_secret;

static void
parse(long status, const char *body, const char *requested,
    struct oauth_result *res)
{
	ASSERT_INT_EQ(oauth_reply_parse(status, (const unsigned char *)body,
	    strlen(body), requested, test_secret, res), 0);
}

static void
test_reply_token(void)
{
	struct oauth_result res;

	res.access_token = NULL;
	oauth_result_clear(&res);
	parse(200, "{\"access_token\":\"tok-1.2_3~\",\"token_type\":\"bearer\","
	    "\"expires_in\":172800,\"scope\":\"view_products:demo\"}",
	    "view_products:demo manage_orders:demo", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_TOKEN);
	ASSERT_STR_EQ((const char *)res.access_token->data, "tok-1.2_3~");
	ASSERT_STR_EQ(res.token_type, "Bearer");
	ASSERT_INT_EQ(res.expires_in, 172800);
	ASSERT_STR_EQ(res.scope, "view_products:demo");
	ASSERT_INT_EQ(res.http_status, 200);
	oauth_result_clear(&res);
	ASSERT_TRUE(res.access_token == NULL);

	/* No scope echoed: the requested one; other token types as sent. */
	parse(200, "{\"access_token\":\"t\",\"token_type\":\"MAC\","
	    "\"expires_in\":\"3600\"}", "read  write", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_TOKEN);
	ASSERT_STR_EQ(res.token_type, "MAC");
	ASSERT_INT_EQ(res.expires_in, 3600);
	ASSERT_STR_EQ(res.scope, "read write");
	oauth_result_clear(&res);
	parse(200, "{\"access_token\":\"t\",\"token_type\":\"Bearer\","
	    "\"expires_in\":1,\"scope\":\"  \"}", "r", &res);
	ASSERT_STR_EQ(res.scope, "r");
	oauth_result_clear(&res);
}

/* Bodies a 200 must not be accepted with. */
static void
test_reply_bad(void)
{
	static const char *bad[] = {
		"",
		"null",
		"[]",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\"",
		"{\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"\",\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"a b\",\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"a\\r\\nX: 1\",\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"a\\u0000b\",\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"\\u00e9\",\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":7,\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"t\",\"expires_in\":1}",
		"{\"access_token\":\"t\",\"token_type\":\"Bea rer\",\"expires_in\":1}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\"}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":0}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":-5}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":1.5}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":\"1h\"}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":\"\"}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":99999999999}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":1,\"scope\":\"a\\\"b\"}",
		"{\"access_token\":\"t\",\"access_token\":\"u\",\"token_type\":\"Bearer\",\"expires_in\":1}",
		"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":1} x",
	};
	static char body[CV_TOKEN_MAX + 128];
	struct oauth_result res;
	size_t i, n, len;

	res.access_token = NULL;
	oauth_result_clear(&res);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(200, bad[i], "", &res);
		if (res.outcome != OAUTH_BAD_REPLY || res.access_token != NULL ||
		    strcmp(res.error, "invalid_response") != 0)
			TEST_FAIL_AT("bad[%zu] accepted (outcome %d, error %s)",
			    i, (int)res.outcome, res.error);
		oauth_result_clear(&res);
	}

	/* Tokens of CV_TOKEN_MAX bytes pass, one more does not. */
	for (len = CV_TOKEN_MAX; len <= CV_TOKEN_MAX + 1; len++) {
		n = (size_t)snprintf(body, sizeof(body), "{\"access_token\":\"");
		memset(body + n, 'A', len);
		(void)snprintf(body + n + len, sizeof(body) - n - len,
		    "\",\"token_type\":\"Bearer\",\"expires_in\":1}");
		parse(200, body, "", &res);
		ASSERT_INT_EQ(res.outcome, len == CV_TOKEN_MAX ? OAUTH_TOKEN :
		                                                 OAUTH_BAD_REPLY);
		oauth_result_clear(&res);
	}

	/* A syntax error is reported by position, never by quoting. */
	parse(200, "{\"access_token\":\"SeCrEtToKeN\" \"x\"}", "", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_BAD_REPLY);
	ASSERT_TRUE(strstr(res.error_description, "line 1") != NULL);
	ASSERT_TRUE(strstr(res.error_description, "SeCrEt") == NULL);
	oauth_result_clear(&res);
}

static void
test_reply_errors(void)
{
	struct oauth_result res;

	res.access_token = NULL;
	oauth_result_clear(&res);
	parse(401, "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"bad\\u0007 creds\"}", "", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_REJECTED);
	ASSERT_STR_EQ(res.error, "invalid_client");
	ASSERT_STR_EQ(res.error_description, "bad? creds");
	ASSERT_INT_EQ(res.http_status, 401);
	oauth_result_clear(&res);

	/* commercetools-mock: only an errors[] array. */
	parse(400, "{\"statusCode\":400,\"message\":\"m\",\"errors\":"
	    "[{\"code\":\"invalid_scope\",\"message\":\"nope\"}]}", "", &res);
	ASSERT_STR_EQ(res.error, "invalid_scope");
	ASSERT_STR_EQ(res.error_description, "nope");
	oauth_result_clear(&res);
	parse(400, "{\"errors\":[{\"code\":\"invalid_request\"}],"
	    "\"message\":\"top\"}", "", &res);
	ASSERT_STR_EQ(res.error, "invalid_request");
	ASSERT_STR_EQ(res.error_description, "top");
	oauth_result_clear(&res);

	/* An error inside a 200 is still an error. */
	parse(200, "{\"error\":\"unauthorized_client\"}", "", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_REJECTED);
	ASSERT_STR_EQ(res.error, "unauthorized_client");
	ASSERT_TRUE(res.error_description[0] != '\0');
	oauth_result_clear(&res);

	/* No usable code: derived from the status. */
	parse(401, "", "", &res);
	ASSERT_STR_EQ(res.error, "invalid_client");
	oauth_result_clear(&res);
	parse(400, "<html>", "", &res);
	ASSERT_STR_EQ(res.error, "invalid_request");
	oauth_result_clear(&res);
	parse(401, "{\"error\":\"not a code!\"}", "", &res);
	ASSERT_STR_EQ(res.error, "invalid_client");
	oauth_result_clear(&res);
	parse(302, "", "", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_BAD_REPLY);
	ASSERT_STR_EQ(res.error, "invalid_response");
	ASSERT_TRUE(strstr(res.error_description, "redirect") != NULL);
	oauth_result_clear(&res);
	parse(500, "{\"statusCode\":500}", "", &res);
	ASSERT_INT_EQ(res.outcome, OAUTH_BAD_REPLY);
	oauth_result_clear(&res);

	/* A description that echoes the secret is withheld. */
	parse(401, "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"secret xs3cret-Valuex is wrong\"}", "", &res);
	ASSERT_STR_EQ(res.error, "invalid_client");
	ASSERT_TRUE(strstr(res.error_description, "s3cret") == NULL);
	ASSERT_TRUE(strstr(res.error_description, "withheld") != NULL);
	oauth_result_clear(&res);
}

/* Client settings refused before any network access. */
static void
test_mint_refused(void)
{
	struct oauth_client c;
	struct oauth_result res;

	memset(&c, 0, sizeof(c));
	c.style = OAUTH_GENERIC;
	c.auth = OAUTH_AUTH_BASIC_RAW;
	c.client_id = "gen:basic";
	c.secret = test_secret;
	c.endpoint = "http://127.0.0.1:9/token";
	c.deadline_ms = 1000;
	res.access_token = NULL;
	ASSERT_INT_EQ(oauth_mint(&c, "read", &res), CV_E_INVALID);
	ASSERT_TRUE(strstr(res.error_description, "':'") != NULL);
	ASSERT_TRUE(res.access_token == NULL);
	oauth_result_clear(&res);
}

int
main(void)
{
	if (secmem_init() != 0 || http_init() != 0) {
		fprintf(stderr, "test_oauth: cannot initialise libraries\n");
		return 1;
	}
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_secret = secbuf_dup("s3cret-Value", 12);
	test_scope_normalize();
	test_scope_sets();
	test_endpoint();
	test_reply_token();
	test_reply_bad();
	test_reply_errors();
	test_mint_refused();
	secbuf_free(&test_secret);
	http_cleanup();
	return test_done("test_oauth");
}
