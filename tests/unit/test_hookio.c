/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/bin/hookio: reading and decoding requests, replies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/hookio.h"
#include "hooks/proto.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

static int
dec(const char *s, struct hookio_request *req, char *why)
{
	return hookio_request_decode((const unsigned char *)s, strlen(s), req,
	    why, CV_HOOK_REASON_MAX);
}

static void
test_decode_mint(void)
{
	struct hookio_request req;
	char why[CV_HOOK_REASON_MAX];

	hookio_request_init(&req);
	ASSERT_INT_EQ(dec("{\"version\":1,\"phase\":\"mint\",\"record\":{"
	    "\"name\":\"shop\",\"provider\":\"commercetools\",\"project_key\":"
	    "\"demo\",\"client_id\":\"cid\",\"scope\":\"a:demo b:demo\","
	    "\"api_url\":\"https://api\",\"auth_url\":\"https://auth\","
	    "\"generation\":3,\"future\":[1]},\"secret\":\"s3cret\",\"scope\":"
	    "\"a:demo\",\"peer\":{\"uid\":1}}", &req, why), 0);
	ASSERT_INT_EQ(req.version, 1);
	ASSERT_STR_EQ(req.phase, "mint");
	ASSERT_STR_EQ(req.name, "shop");
	ASSERT_STR_EQ(req.provider, "commercetools");
	ASSERT_STR_EQ(req.project_key, "demo");
	ASSERT_STR_EQ(req.client_id, "cid");
	ASSERT_STR_EQ(req.record_scope, "a:demo b:demo");
	ASSERT_STR_EQ(req.api_url, "https://api");
	ASSERT_STR_EQ(req.auth_url, "https://auth");
	ASSERT_INT_EQ(req.generation, 3);
	ASSERT_STR_EQ(req.scope, "a:demo");
	ASSERT_STR_EQ((const char *)req.secret->data, "s3cret");
	ASSERT_TRUE(req.admin_token == NULL);
	ASSERT_INT_EQ(req.rotation_generation, -1);
	hookio_request_clear(&req);
	ASSERT_TRUE(req.secret == NULL);
	ASSERT_STR_EQ(req.name, "");

	/* Absent and null members are "". */
	ASSERT_INT_EQ(dec("{\"version\":1,\"record\":{\"name\":null},"
	    "\"secret\":null}", &req, why), 0);
	ASSERT_STR_EQ(req.name, "");
	ASSERT_TRUE(req.secret == NULL);
	ASSERT_INT_EQ(req.generation, -1);
	hookio_request_clear(&req);
}

static void
test_decode_rotate(void)
{
	struct hookio_request req;
	char why[CV_HOOK_REASON_MAX];

	hookio_request_init(&req);
	ASSERT_INT_EQ(dec("{\"version\":1,\"phase\":\"rotate\",\"record\":{},"
	    "\"admin\":{\"access_token\":\"Adm1n.T0k-en\",\"token_type\":"
	    "\"Bearer\"},\"rotation\":{\"client_name\":\"credvault-shop-g4\","
	    "\"generation\":4}}", &req, why), 0);
	ASSERT_STR_EQ((const char *)req.admin_token->data, "Adm1n.T0k-en");
	ASSERT_STR_EQ(req.admin_token_type, "Bearer");
	ASSERT_STR_EQ(req.rotation_client_name, "credvault-shop-g4");
	ASSERT_INT_EQ(req.rotation_generation, 4);
	ASSERT_STR_EQ(req.retire_client_id, "");
	hookio_request_clear(&req);
	ASSERT_TRUE(req.admin_token == NULL);

	ASSERT_INT_EQ(dec("{\"version\":1,\"phase\":\"retire\",\"record\":{},"
	    "\"admin\":{\"access_token\":\"t\"},\"retire\":{\"client_id\":"
	    "\"old-id\"}}", &req, why), 0);
	ASSERT_STR_EQ(req.retire_client_id, "old-id");
	ASSERT_STR_EQ(req.admin_token_type, "");
	hookio_request_clear(&req);
}

static void
test_decode_bad(void)
{
	static const char *bad[] = {
		"",
		"[]",
		"{}",
		"{\"version\":2,\"record\":{}}",
		"{\"version\":\"1\",\"record\":{}}",
		"{\"version\":1}",
		"{\"version\":1,\"record\":[]}",
		"{\"version\":1,\"version\":1,\"record\":{}}",
		"{\"version\":1,\"record\":{\"name\":\"a\\nb\"}}",
		"{\"version\":1,\"record\":{\"name\":7}}",
		"{\"version\":1,\"record\":{\"generation\":-1}}",
		"{\"version\":1,\"record\":{\"generation\":1.5}}",
		"{\"version\":1,\"record\":{},\"secret\":\"\"}",
		"{\"version\":1,\"record\":{},\"secret\":1}",
		"{\"version\":1,\"record\":{},\"phase\":\"rotate-and-much-more\"}",
		"{\"version\":1,\"record\":{},\"admin\":\"t\"}",
		"{\"version\":1,\"record\":{},\"admin\":{}}",
		"{\"version\":1,\"record\":{},\"admin\":{\"access_token\":\"\"}}",
		"{\"version\":1,\"record\":{},\"admin\":{\"access_token\":\"a b\"}}",
		"{\"version\":1,\"record\":{},\"admin\":{\"access_token\":\"a\\u0000\"}}",
		"{\"version\":1,\"record\":{},\"admin\":{\"access_token\":\"\\u00e9\"}}",
		"{\"version\":1,\"record\":{},\"admin\":{\"access_token\":\"t\",\"token_type\":\"Bea rer\"}}",
		"{\"version\":1,\"record\":{},\"rotation\":[]}",
		"{\"version\":1,\"record\":{},\"rotation\":{\"client_name\":1}}",
		"{\"version\":1,\"record\":{},\"rotation\":{\"generation\":-4}}",
		"{\"version\":1,\"record\":{},\"retire\":{\"client_id\":\"a\\tb\"}}",
		"{\"version\":1,\"record\":{},\"retire\":true}",
		"{\"version\":1,\"record\":{}} trailing",
	};
	struct hookio_request req;
	char why[CV_HOOK_REASON_MAX];
	size_t i;
	int r;

	hookio_request_init(&req);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		r = dec(bad[i], &req, why);
		if (r != CV_E_INVALID || why[0] == '\0')
			TEST_FAIL_AT("bad[%zu] gave %d (%s)", i, r, why);
		hookio_request_clear(&req);
	}

	/* Reasons never quote the input. */
	ASSERT_INT_EQ(dec("{\"version\":1,\"secret\":\"SeCrEt\" x}", &req,
	    why), CV_E_INVALID);
	ASSERT_TRUE(strstr(why, "SeCrEt") == NULL);
	ASSERT_TRUE(strstr(why, "line 1") != NULL);
	hookio_request_clear(&req);
	ASSERT_INT_EQ(dec("{\"version\":1,\"record\":{},\"admin\":{"
	    "\"access_token\":\"SeCrEt Tok\"}}", &req, why), CV_E_INVALID);
	ASSERT_TRUE(strstr(why, "SeCrEt") == NULL);
	ASSERT_TRUE(req.admin_token == NULL);
	hookio_request_clear(&req);
}

static void
test_limits(void)
{
	struct hookio_request req;
	char why[CV_HOOK_REASON_MAX];
	static char body[CV_SECRET_MAX + CV_TOKEN_MAX + 256];
	size_t n;

	hookio_request_init(&req);
	n = (size_t)snprintf(body, sizeof(body),
	    "{\"version\":1,\"record\":{},\"secret\":\"");
	memset(body + n, 's', CV_SECRET_MAX);
	(void)snprintf(body + n + CV_SECRET_MAX,
	    sizeof(body) - n - CV_SECRET_MAX, "\"}");
	ASSERT_INT_EQ(dec(body, &req, why), 0);
	ASSERT_INT_EQ(req.secret->len, CV_SECRET_MAX);
	hookio_request_clear(&req);
	memset(body + n, 's', CV_SECRET_MAX + 1);
	(void)snprintf(body + n + CV_SECRET_MAX + 1,
	    sizeof(body) - n - CV_SECRET_MAX - 1, "\"}");
	ASSERT_INT_EQ(dec(body, &req, why), CV_E_INVALID);
	hookio_request_clear(&req);

	n = (size_t)snprintf(body, sizeof(body), "{\"version\":1,\"record\":{},"
	    "\"admin\":{\"access_token\":\"");
	memset(body + n, 't', CV_TOKEN_MAX + 1);
	(void)snprintf(body + n + CV_TOKEN_MAX + 1,
	    sizeof(body) - n - CV_TOKEN_MAX - 1, "\"}}");
	ASSERT_INT_EQ(dec(body, &req, why), CV_E_INVALID);
	hookio_request_clear(&req);

	n = (size_t)snprintf(body, sizeof(body), "{\"version\":1,\"record\":{},"
	    "\"rotation\":{\"client_name\":\"");
	memset(body + n, 'n', CV_CT_CLIENT_NAME_MAX + 1);
	(void)snprintf(body + n + CV_CT_CLIENT_NAME_MAX + 1,
	    sizeof(body) - n - CV_CT_CLIENT_NAME_MAX - 1, "\"}}");
	ASSERT_INT_EQ(dec(body, &req, why), CV_E_INVALID);
	hookio_request_clear(&req);
}

/* What the vault encodes (hooks/proto.c) is what the hooks decode. */
static void
test_contract(void)
{
	struct proto_record rec = { "shop", "commercetools", "demo", "old-id",
		"view_products:demo manage_orders:demo", "https://api.example",
		"https://auth.example", 3 };
	struct proto_request preq;
	struct hookio_request req;
	struct secbuf *secret = secbuf_dup("s3cret", 6);
	struct secbuf *admin = secbuf_dup("Adm1nTok", 8), *enc = NULL;
	char why[CV_HOOK_REASON_MAX];

	memset(&preq, 0, sizeof(preq));
	preq.phase = PROTO_ROTATE;
	preq.record = &rec;
	preq.secret = secret;
	preq.admin_token = admin;
	preq.client_name = "credvault-shop-g4";
	preq.new_generation = 4;
	hookio_request_init(&req);
	ASSERT_INT_EQ(proto_request_encode(&preq, &enc), 0);
	ASSERT_INT_EQ(hookio_request_decode(enc->data, enc->len, &req, why,
	    sizeof(why)), 0);
	ASSERT_STR_EQ(req.phase, "rotate");
	ASSERT_STR_EQ(req.client_id, "old-id");
	ASSERT_STR_EQ(req.record_scope, "view_products:demo manage_orders:demo");
	ASSERT_STR_EQ(req.api_url, "https://api.example");
	ASSERT_STR_EQ(req.project_key, "demo");
	ASSERT_STR_EQ((const char *)req.secret->data, "s3cret");
	ASSERT_STR_EQ((const char *)req.admin_token->data, "Adm1nTok");
	ASSERT_STR_EQ(req.admin_token_type, "Bearer");
	ASSERT_STR_EQ(req.rotation_client_name, "credvault-shop-g4");
	ASSERT_INT_EQ(req.rotation_generation, 4);
	hookio_request_clear(&req);
	secbuf_free(&enc);

	memset(&preq, 0, sizeof(preq));
	preq.phase = PROTO_RETIRE;
	preq.record = &rec;
	preq.admin_token = admin;
	preq.retire_client_id = "older-id";
	ASSERT_INT_EQ(proto_request_encode(&preq, &enc), 0);
	ASSERT_INT_EQ(hookio_request_decode(enc->data, enc->len, &req, why,
	    sizeof(why)), 0);
	ASSERT_STR_EQ(req.phase, "retire");
	ASSERT_STR_EQ(req.retire_client_id, "older-id");
	ASSERT_TRUE(req.secret == NULL);
	ASSERT_TRUE(req.admin_token != NULL);
	hookio_request_clear(&req);
	secbuf_free(&enc);
	secbuf_free(&admin);
	secbuf_free(&secret);
}

/* A temporary file holding n bytes of c, open for reading at offset 0. */
static int
tmpfile_with(size_t n, char c)
{
	char path[] = "/tmp/test_hookio.XXXXXX";
	char buf[4096];
	size_t done = 0, k;
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	(void)unlink(path);
	memset(buf, c, sizeof(buf));
	while (done < n) {
		k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		if (write(fd, buf, k) != (ssize_t)k)
			return -1;
		done += k;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	return fd;
}

static void
test_read(void)
{
	struct secbuf *sb = NULL;
	int fd;

	fd = tmpfile_with(CV_HOOK_INPUT_MAX, 'x');
	ASSERT_TRUE(fd >= 0);
	ASSERT_INT_EQ(hookio_read(fd, &sb), 0);
	ASSERT_INT_EQ(sb->len, CV_HOOK_INPUT_MAX);
	ASSERT_INT_EQ(sb->data[sb->len], 0);
	secbuf_free(&sb);
	(void)close(fd);

	fd = tmpfile_with(CV_HOOK_INPUT_MAX + 1, 'x');
	ASSERT_INT_EQ(hookio_read(fd, &sb), CV_E_TOOBIG);
	ASSERT_TRUE(sb == NULL);
	(void)close(fd);

	fd = tmpfile_with(0, 'x');
	ASSERT_INT_EQ(hookio_read(fd, &sb), 0);
	ASSERT_INT_EQ(sb->len, 0);
	secbuf_free(&sb);
	(void)close(fd);

	ASSERT_INT_EQ(hookio_read(-1, &sb), CV_E_IO);
	ASSERT_TRUE(sb == NULL);
}

static void
test_reply_write(void)
{
	char buf[128];
	json_t *o = json_pack("{s:s,s:i}", "access_token", "t", "expires_in",
	    5);
	ssize_t n;
	int fd = tmpfile_with(0, 'x');

	ASSERT_INT_EQ(hookio_reply_write(fd, o), 0);
	ASSERT_INT_EQ(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ASSERT_TRUE(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	ASSERT_STR_EQ(buf, "{\"access_token\":\"t\",\"expires_in\":5}\n");
	(void)close(fd);
	ASSERT_INT_EQ(hookio_reply_write(-1, o), CV_E_IO);
	json_decref(o);

	/* Over CV_HOOK_OUTPUT_MAX: nothing is written. */
	{
		static char big[CV_HOOK_OUTPUT_MAX];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		o = json_pack("{s:s}", "x", big);
		ASSERT_INT_EQ(hookio_reply_write(1, o), CV_E_TOOBIG);
		json_decref(o);
	}
}

int
main(void)
{
	if (secmem_init() != 0) {
		fprintf(stderr, "test_hookio: cannot initialise libsodium\n");
		return 1;
	}
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_decode_mint();
	test_decode_rotate();
	test_decode_bad();
	test_limits();
	test_contract();
	test_read();
	test_reply_write();
	return test_done("test_hookio");
}
