/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/wire: frame headers, request and reply schemas. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "client/wire.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

static int
decode(const char *json, struct wire_request *req)
{
	char why[256];

	return wire_request_decode(json, strlen(json), req, why, sizeof(why));
}

static void
test_header(void)
{
	unsigned char h[WIRE_HEADER_BYTES];
	uint32_t n = 7;

	wire_header_put(h, 0x01020304u);
	ASSERT_INT_EQ(h[0], 1);
	ASSERT_INT_EQ(h[3], 4);
	ASSERT_INT_EQ(wire_header_get(h, 0x01020304u, &n), 0);
	ASSERT_INT_EQ(n, 0x01020304u);
	/* Checked against the limit before any body is read. */
	ASSERT_INT_EQ(wire_header_get(h, 0x01020303u, &n), CV_E_TOOBIG);
	wire_header_put(h, 0);
	ASSERT_INT_EQ(wire_header_get(h, 10, &n), CV_E_PROTO);
	wire_header_put(h, 0xffffffffu);
	ASSERT_INT_EQ(wire_header_get(h, CV_REQUEST_MAX, &n), CV_E_TOOBIG);
}

static void
test_request_decode(void)
{
	static const struct {
		const char *json;
		int err;
	} bad[] = {
		{ "", CV_E_PROTO },
		{ "{", CV_E_PROTO },
		{ "[]", CV_E_PROTO },
		{ "\"token\"", CV_E_PROTO },
		{ "{} {}", CV_E_PROTO },
		{ "{\"op\":\"token\",\"name\":\"a\"}", CV_E_PROTO },
		{ "{\"v\":\"1\",\"op\":\"token\",\"name\":\"a\"}", CV_E_PROTO },
		{ "{\"v\":2,\"op\":\"token\",\"name\":\"a\"}", CV_E_VERSION },
		{ "{\"v\":1,\"op\":\"fly\"}", CV_E_VERSION },
		{ "{\"v\":1,\"op\":7}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\"}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"\"}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":5}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a b\"}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\\n\"}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\\u0000\"}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"\\u00e9\"}", CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\",\"min_ttl\":-1}",
		    CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\",\"min_ttl\":1.5}",
		    CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\",\"min_ttl\":31536001}",
		    CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\",\"scope\":[]}",
		    CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\",\"extra\":1}",
		    CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"token\",\"name\":\"a\",\"name\":\"b\"}",
		    CV_E_PROTO },
		{ "{\"v\":1,\"op\":\"lock\",\"name\":\"a\"}", CV_E_PROTO },
	};
	struct wire_request req;
	char big[CV_REQUEST_MAX + 64], name[CV_NAME_MAX + 2];
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = decode(bad[i].json, &req);
		if (r != bad[i].err)
			TEST_FAIL_AT("case %zu '%s': %d, want %d", i,
			    bad[i].json, r, bad[i].err);
		ASSERT_INT_EQ(req.op, 0); /* cleared on failure */
	}
	ASSERT_INT_EQ(decode("{\"v\":1,\"op\":\"token\",\"name\":\"shop/eu\","
	    "\"scope\":\"view_products:demo  a\",\"min_ttl\":600}", &req), 0);
	ASSERT_INT_EQ(req.op, WIRE_OP_TOKEN);
	ASSERT_STR_EQ(req.name, "shop/eu");
	ASSERT_STR_EQ(req.scope, "view_products:demo  a");
	ASSERT_INT_EQ(req.min_ttl, 600);
	ASSERT_INT_EQ(decode(" {\"name\":\"s\",\"op\":\"token\",\"v\":1}\n",
	    &req), 0);
	ASSERT_STR_EQ(req.scope, "");
	ASSERT_INT_EQ(req.min_ttl, 0);
	ASSERT_INT_EQ(decode("{\"v\":1,\"op\":\"lock\"}", &req), 0);
	ASSERT_INT_EQ(req.op, WIRE_OP_LOCK);
	ASSERT_INT_EQ(decode("{\"v\":1,\"op\":\"status\"}", &req), 0);
	ASSERT_INT_EQ(req.op, WIRE_OP_STATUS);
	ASSERT_STR_EQ(wire_op_name(WIRE_OP_STATUS), "status");
	/* status takes no members. */
	ASSERT_INT_EQ(decode("{\"v\":1,\"op\":\"status\",\"name\":\"s\"}",
	    &req), CV_E_PROTO);
	/* Name at and over its limit. */
	memset(name, 'a', sizeof(name));
	name[CV_NAME_MAX] = '\0';
	(void)snprintf(big, sizeof(big), "{\"v\":1,\"op\":\"token\",\"name\":"
	    "\"%s\"}", name);
	ASSERT_INT_EQ(decode(big, &req), 0);
	name[CV_NAME_MAX] = 'a';
	name[CV_NAME_MAX + 1] = '\0';
	(void)snprintf(big, sizeof(big), "{\"v\":1,\"op\":\"token\",\"name\":"
	    "\"%s\"}", name);
	ASSERT_INT_EQ(decode(big, &req), CV_E_PROTO);
	/* Over the request limit, whatever it holds. */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[CV_REQUEST_MAX] = '}';
	ASSERT_INT_EQ(wire_request_decode(big, CV_REQUEST_MAX + 1, &req, NULL,
	    0), CV_E_TOOBIG);
	/* Deep nesting in an unknown member stays bounded and refused. */
	memset(big, '[', CV_REQUEST_MAX);
	ASSERT_INT_EQ(wire_request_decode(big, CV_REQUEST_MAX, &req, NULL, 0),
	    CV_E_PROTO);
}

static void
test_request_roundtrip(void)
{
	struct wire_request in, out;
	unsigned char frame[WIRE_HEADER_BYTES + CV_REQUEST_MAX];
	uint32_t n;
	size_t len;

	memset(&in, 0, sizeof(in));
	in.op = WIRE_OP_TOKEN;
	memcpy(in.name, "shop", 5);
	memcpy(in.scope, "a b", 4);
	in.min_ttl = 30;
	ASSERT_INT_EQ(wire_request_encode(&in, frame, sizeof(frame), &len), 0);
	ASSERT_INT_EQ(wire_header_get(frame, CV_REQUEST_MAX, &n), 0);
	ASSERT_INT_EQ(len, WIRE_HEADER_BYTES + n);
	ASSERT_INT_EQ(wire_request_decode(frame + WIRE_HEADER_BYTES, n, &out,
	    NULL, 0), 0);
	ASSERT_STR_EQ(out.name, "shop");
	ASSERT_STR_EQ(out.scope, "a b");
	ASSERT_INT_EQ(out.min_ttl, 30);
	/* Small buffers and bad fields are refused, not truncated. */
	ASSERT_INT_EQ(wire_request_encode(&in, frame, 10, &len), CV_E_TOOBIG);
	in.name[0] = '\0';
	ASSERT_INT_EQ(wire_request_encode(&in, frame, sizeof(frame), &len),
	    CV_E_INVALID);
	memcpy(in.name, "a\tb", 4);
	ASSERT_INT_EQ(wire_request_encode(&in, frame, sizeof(frame), &len),
	    CV_E_INVALID);
	in.op = (enum wire_op)9;
	ASSERT_INT_EQ(wire_request_encode(&in, frame, sizeof(frame), &len),
	    CV_E_INVALID);
}

static void
test_reply(void)
{
	struct secbuf *out = secbuf_new(WIRE_HEADER_BYTES + WIRE_REPLY_MAX);
	struct wire_reply rep;
	const unsigned char tok[] = "eyJ.token-value_~";
	uint32_t n;

	ASSERT_TRUE(out != NULL);
	ASSERT_INT_EQ(wire_reply_encode(WIRE_OK, NULL, tok, sizeof(tok) - 1,
	    "Bearer", 3599, 1700003599, "a b", out), 0);
	ASSERT_INT_EQ(wire_header_get(out->data, CV_FRAME_MAX, &n), 0);
	ASSERT_INT_EQ(out->len, WIRE_HEADER_BYTES + n);
	ASSERT_INT_EQ(wire_reply_decode(out->data + WIRE_HEADER_BYTES, n,
	    WIRE_OP_TOKEN, &rep, NULL, 0), 0);
	ASSERT_INT_EQ(rep.status, WIRE_OK);
	ASSERT_STR_EQ((char *)rep.token->data, (const char *)tok);
	ASSERT_STR_EQ(rep.token_type, "Bearer");
	ASSERT_INT_EQ(rep.expires_in, 3599);
	ASSERT_INT_EQ(rep.expires_at, 1700003599);
	ASSERT_STR_EQ(rep.scope, "a b");
	wire_reply_clear(&rep);
	ASSERT_TRUE(rep.token == NULL);

	ASSERT_INT_EQ(wire_reply_encode(WIRE_FAILED, "invalid_client", NULL, 0,
	    NULL, 0, 0, NULL, out), 0);
	ASSERT_INT_EQ(wire_header_get(out->data, CV_FRAME_MAX, &n), 0);
	ASSERT_INT_EQ(wire_reply_decode(out->data + WIRE_HEADER_BYTES, n,
	    WIRE_OP_TOKEN, &rep, NULL, 0), 0);
	ASSERT_INT_EQ(rep.status, WIRE_FAILED);
	ASSERT_STR_EQ(rep.error, "invalid_client");
	wire_reply_clear(&rep);

	/* What the agent never sends, the encoder refuses. */
	ASSERT_INT_EQ(wire_reply_encode(WIRE_FAILED, "Bad Class", NULL, 0,
	    NULL, 0, 0, NULL, out), CV_E_INVALID);
	ASSERT_INT_EQ(wire_reply_encode(WIRE_FAILED, NULL, NULL, 0, NULL, 0, 0,
	    NULL, out), CV_E_INVALID);
	ASSERT_INT_EQ(wire_reply_encode(WIRE_OK, NULL,
	    (const unsigned char *)"a b", 3, "Bearer", 1, 1, "", out),
	    CV_E_INVALID);
	ASSERT_INT_EQ(out->len, 0);
	secbuf_free(&out);
}

static void
test_reply_decode_bounds(void)
{
	static const char *const bad[] = {
		"{}",
		"{\"v\":1}",
		"{\"v\":1,\"status\":\"maybe\"}",
		"{\"v\":1,\"status\":\"failed\"}",
		"{\"v\":1,\"status\":\"failed\",\"error\":\"Not A Class\"}",
		"{\"v\":1,\"status\":\"ok\"}",
		"{\"v\":1,\"status\":\"ok\",\"access_token\":\"\",\"token_type\":"
		    "\"Bearer\",\"expires_in\":1,\"expires_at\":1,\"scope\":\"\"}",
		"{\"v\":1,\"status\":\"ok\",\"access_token\":\"a\\nb\","
		    "\"token_type\":\"Bearer\",\"expires_in\":1,\"expires_at\":1,"
		    "\"scope\":\"\"}",
		"{\"v\":1,\"status\":\"ok\",\"access_token\":\"ab\",\"token_type\":"
		    "\"Bearer\",\"expires_in\":-1,\"expires_at\":1,\"scope\":\"\"}",
		"{\"v\":1,\"status\":\"ok\",\"access_token\":\"ab\",\"token_type\":"
		    "\"Bearer\",\"expires_in\":1,\"scope\":\"\"}",
	};
	struct wire_reply rep;
	char big[CV_TOKEN_MAX + 256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (wire_reply_decode(bad[i], strlen(bad[i]), WIRE_OP_TOKEN,
		    &rep, NULL, 0) == 0)
			TEST_FAIL_AT("reply case %zu accepted: %s", i, bad[i]);
		ASSERT_TRUE(rep.token == NULL);
	}
	/* An ok reply to a lock carries no token. */
	ASSERT_INT_EQ(wire_reply_decode("{\"v\":1,\"status\":\"ok\"}", 21,
	    WIRE_OP_LOCK, &rep, NULL, 0), 0);
	/* Newer agents may add members. */
	ASSERT_INT_EQ(wire_reply_decode("{\"v\":1,\"status\":\"denied\","
	    "\"hint\":1}", 34, WIRE_OP_TOKEN, &rep, NULL, 0), 0);
	ASSERT_INT_EQ(rep.status, WIRE_DENIED);
	/* Tokens over CV_TOKEN_MAX are refused. */
	i = (size_t)snprintf(big, sizeof(big), "{\"v\":1,\"status\":\"ok\","
	    "\"token_type\":\"Bearer\",\"expires_in\":1,\"expires_at\":1,"
	    "\"scope\":\"\",\"access_token\":\"");
	memset(big + i, 'A', CV_TOKEN_MAX + 1);
	memcpy(big + i + CV_TOKEN_MAX + 1, "\"}", 3);
	ASSERT_INT_EQ(wire_reply_decode(big, strlen(big), WIRE_OP_TOKEN, &rep,
	    NULL, 0), CV_E_PROTO);
	ASSERT_INT_EQ(wire_reply_decode(big, CV_FRAME_MAX + 1, WIRE_OP_TOKEN,
	    &rep, NULL, 0), CV_E_TOOBIG);
}

static void
test_classes(void)
{
	ASSERT_TRUE(cv_class_is_valid("invalid_client"));
	ASSERT_TRUE(cv_class_is_valid("a1_"));
	ASSERT_TRUE(!cv_class_is_valid(""));
	ASSERT_TRUE(!cv_class_is_valid("Invalid"));
	ASSERT_TRUE(!cv_class_is_valid("a-b"));
	ASSERT_INT_EQ(wire_class_err("invalid_client"), CV_E_UPSTREAM);
	ASSERT_INT_EQ(wire_class_err("hook_timeout"), CV_E_UPSTREAM);
	ASSERT_INT_EQ(wire_class_err("no_such_record"), CV_E_NOTFOUND);
	ASSERT_INT_EQ(wire_class_err("bad_request"), CV_E_PROTO);
	ASSERT_INT_EQ(wire_class_err("something_new"), CV_E_UPSTREAM);
	ASSERT_STR_EQ(wire_class_text("hook_timeout"),
	    "the hook timed out and was killed");
	ASSERT_STR_EQ(wire_op_name(WIRE_OP_LOCK), "lock");
	ASSERT_TRUE(wire_op_name((enum wire_op)0) == NULL);
	ASSERT_STR_EQ(wire_status_name(WIRE_LOCKED), "locked");
}

int
main(void)
{
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (secmem_init() != 0)
		return 1;
	test_header();
	test_request_decode();
	test_request_roundtrip();
	test_reply();
	test_reply_decode_bounds();
	test_classes();
	return test_done("test_wire");
}
