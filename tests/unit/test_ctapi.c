/* SPDX-License-Identifier: MIT */
/* Unit tests for hookkit/ctapi: URLs, deadlines, refused calls. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/http.h"
#include "hookkit/ctapi.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

static void
test_base_url(void)
{
	char out[CV_URL_MAX + 1], why[CV_HOOK_REASON_MAX];

#define BU(url, key) ctapi_base_url((url), (key), out, sizeof(out), why, \
    sizeof(why))
	ASSERT_INT_EQ(BU("https://api.europe-west1.gcp.commercetools.com",
	    "demo"), 0);
	ASSERT_STR_EQ(out, "https://api.europe-west1.gcp.commercetools.com/"
	    "demo/api-clients");
	ASSERT_INT_EQ(BU("https://api.example/", "my-shop_2"), 0);
	ASSERT_STR_EQ(out, "https://api.example/my-shop_2/api-clients");
	ASSERT_INT_EQ(BU("https://gw.example/ct/", "demo"), 0);
	ASSERT_STR_EQ(out, "https://gw.example/ct/demo/api-clients");
	ASSERT_INT_EQ(BU("http://127.0.0.1:8080", "demo"), 0);
	ASSERT_STR_EQ(out, "http://127.0.0.1:8080/demo/api-clients");

	ASSERT_INT_EQ(BU("https://api.example/?x=1", "demo"), CV_E_INVALID);
	ASSERT_STR_EQ(out, "");
	ASSERT_INT_EQ(BU("http://api.example", "demo"), CV_E_INVALID);
	ASSERT_TRUE(strstr(why, "loopback") != NULL);
	ASSERT_INT_EQ(BU("https://u:p@api.example", "demo"), CV_E_INVALID);
	ASSERT_INT_EQ(BU("https://api.example", ""), CV_E_INVALID);
	ASSERT_INT_EQ(BU("https://api.example", "de/mo"), CV_E_INVALID);
	ASSERT_INT_EQ(BU("https://api.example", ".."), CV_E_INVALID);
	ASSERT_INT_EQ(BU("https://api.example", "de mo"), CV_E_INVALID);
	ASSERT_INT_EQ(BU("https://api.example", "de%2Fmo"), CV_E_INVALID);
	ASSERT_INT_EQ(BU("https://api.example", "demo?x"), CV_E_INVALID);
	ASSERT_INT_EQ(ctapi_base_url("https://api.example", "demo", out, 16,
	    why, sizeof(why)), CV_E_INVALID);
#undef BU
}

static void
test_deadline(void)
{
	long d = http_deadline(5000);

	ASSERT_TRUE(http_remaining(d) > 4000);
	ASSERT_TRUE(http_remaining(d) <= 5000);
	ASSERT_INT_EQ(http_remaining(http_deadline(-1)), 0);
}

/* Calls refused before any network access. */
static void
test_refused(void)
{
	struct secbuf *tok = secbuf_dup("t", 1);
	struct ctapi api = { "http://127.0.0.1:9/demo/api-clients", tok, NULL,
		0, 0 };
	struct ctjson_matches m;
	struct ctjson_client c;
	struct ctapi_status st;

	api.deadline_at = http_deadline(2000);
	ASSERT_INT_EQ(ctapi_delete(&api, "a/../b", &st), CV_E_INVALID);
	ASSERT_INT_EQ(ctapi_find(&api, "a\"b", &m, &st), CV_E_INVALID);
	c.secret = NULL;
	ASSERT_INT_EQ(ctapi_create(&api, "n", "", &c, &st), CV_E_INVALID);
	/* No time left: nothing is sent. */
	api.deadline_at = http_deadline(0);
	ASSERT_INT_EQ(ctapi_delete(&api, "abc", &st), 0);
	ASSERT_INT_EQ(st.outcome, CTAPI_UNAVAILABLE);
	ASSERT_STR_EQ(st.error, "temporarily_unavailable");
	secbuf_free(&tok);
}

int
main(void)
{
	if (secmem_init() != 0 || http_init() != 0) {
		fprintf(stderr, "test_ctapi: cannot initialise libraries\n");
		return 1;
	}
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_base_url();
	test_deadline();
	test_refused();
	http_cleanup();
	return test_done("test_ctapi");
}
