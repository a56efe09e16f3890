/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/proto: request encoding and reply decoding. */
#include <string.h>

#include <jansson.h>

#include "hooks/peer_rule.h"
#include "hooks/proto.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "test.h"
#include "base/banned.h"

/* Decode a C string; reasons go to why (CV_HOOK_REASON_MAX) or nowhere. */
static int
dec_mint(const char *s, struct proto_mint_reply *m, char *why)
{
	return proto_mint_decode(s, strlen(s), m, why,
	    why != NULL ? CV_HOOK_REASON_MAX : 0);
}

static int
dec_rotate(const char *s, struct proto_rotate_reply *r, char *why)
{
	return proto_rotate_decode(s, strlen(s), r, why,
	    why != NULL ? CV_HOOK_REASON_MAX : 0);
}

static int
dec_error(const char *s, struct proto_error_reply *e, char *why)
{
	return proto_error_decode(s, strlen(s), e, why,
	    why != NULL ? CV_HOOK_REASON_MAX : 0);
}

static void
test_phases(void)
{
	enum proto_phase p;

	ASSERT_STR_EQ(proto_phase_name(PROTO_AUTHORIZE), "authorize");
	ASSERT_STR_EQ(proto_phase_name(PROTO_NOTIFY), "notify");
	ASSERT_TRUE(proto_phase_name((enum proto_phase)PROTO_PHASES) == NULL);
	ASSERT_INT_EQ(proto_phase_parse("rotate", 6, &p), 0);
	ASSERT_INT_EQ(p, PROTO_ROTATE);
	ASSERT_INT_EQ(proto_phase_parse("rotatex", 6, &p), 0);
	ASSERT_INT_EQ(proto_phase_parse("Rotate", 6, &p), CV_E_INVALID);
	ASSERT_INT_EQ(proto_phase_parse("mint", 3, &p), CV_E_INVALID);
	ASSERT_TRUE(proto_phase_has_reply(PROTO_MINT));
	ASSERT_TRUE(proto_phase_has_reply(PROTO_ROTATE));
	ASSERT_TRUE(!proto_phase_has_reply(PROTO_AUTHORIZE));
	/* wait statuses as waitpid() builds them */
	ASSERT_INT_EQ(proto_result_from_wait(0 << 8), PROTO_SUCCESS);
	ASSERT_INT_EQ(proto_result_from_wait(1 << 8), PROTO_FAIL);
	ASSERT_INT_EQ(proto_result_from_wait(2 << 8), PROTO_IGNORE);
	ASSERT_INT_EQ(proto_result_from_wait(3 << 8), PROTO_ERROR);
	ASSERT_INT_EQ(proto_result_from_wait(255 << 8), PROTO_ERROR);
	ASSERT_INT_EQ(proto_result_from_wait(9), PROTO_ERROR); /* SIGKILL */
}

static void
test_request(void)
{
	struct proto_record rec = { "shop/eu", "commercetools", "demo",
		"cid", "view_products:demo manage_orders:demo",
		"https://api.example", "https://auth.example", 3 };
	struct proto_request req;
	struct peer_ident peer;
	struct secbuf *secret = secbuf_dup("s3cr\"et\\", 8), *out = NULL;
	json_t *o, *v;
	json_error_t jerr;

	peer_ident_init(&peer);
	peer.uid = 1000;
	peer.gid = 100;
	peer.pid = 4242;
	peer.ngroups = 2;
	peer.groups[0] = 27;
	peer.groups[1] = 1001;
	memcpy(peer.exe, "/usr/bin/deploy", sizeof("/usr/bin/deploy"));

	memset(&req, 0, sizeof(req));
	req.phase = PROTO_MINT;
	req.record = &rec;
	req.secret = secret;
	req.scope = "view_products:demo";
	req.peer = &peer;
	ASSERT_INT_EQ(proto_request_encode(&req, &out), 0);
	ASSERT_TRUE(out != NULL);
	if (out == NULL)
		goto out;
	ASSERT_INT_EQ(out->data[out->len - 1], '\n');
	o = json_loadb((const char *)out->data, out->len, 0, &jerr);
	ASSERT_TRUE(o != NULL);
	ASSERT_INT_EQ(json_integer_value(json_object_get(o, "version")), 1);
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "phase")), "mint");
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "secret")),
	    "s3cr\"et\\");
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "scope")),
	    "view_products:demo");
	v = json_object_get(o, "record");
	ASSERT_STR_EQ(json_string_value(json_object_get(v, "name")), "shop/eu");
	ASSERT_STR_EQ(json_string_value(json_object_get(v, "auth_url")),
	    "https://auth.example");
	ASSERT_INT_EQ(json_integer_value(json_object_get(v, "generation")), 3);
	v = json_object_get(o, "peer");
	ASSERT_INT_EQ(json_integer_value(json_object_get(v, "uid")), 1000);
	ASSERT_INT_EQ(json_integer_value(json_object_get(v, "pid")), 4242);
	ASSERT_INT_EQ(json_array_size(json_object_get(v, "groups")), 2);
	ASSERT_STR_EQ(json_string_value(json_object_get(v, "exe")),
	    "/usr/bin/deploy");
	ASSERT_TRUE(json_object_get(o, "event") == NULL);
	json_decref(o);
	secbuf_free(&out);

	/* A secret only for mint and rotate, an event only for notify. */
	req.phase = PROTO_AUTHORIZE;
	ASSERT_INT_EQ(proto_request_encode(&req, &out), CV_E_INVALID);
	ASSERT_TRUE(out == NULL);
	req.secret = NULL;
	ASSERT_INT_EQ(proto_request_encode(&req, &out), 0);
	secbuf_free(&out);
	req.phase = PROTO_NOTIFY;
	req.scope = NULL;
	ASSERT_INT_EQ(proto_request_encode(&req, &out), CV_E_INVALID);
	req.event = "rotated";
	ASSERT_INT_EQ(proto_request_encode(&req, &out), 0);
	secbuf_free(&out);
	req.phase = PROTO_RETIRE;
	ASSERT_INT_EQ(proto_request_encode(&req, &out), CV_E_INVALID);
	req.event = NULL;
	req.scope = "x";
	ASSERT_INT_EQ(proto_request_encode(&req, &out), CV_E_INVALID);
	/* Not UTF-8. */
	req.phase = PROTO_AUTHORIZE;
	rec.client_id = "\xff\xfe";
	ASSERT_INT_EQ(proto_request_encode(&req, &out), CV_E_INVALID);
	ASSERT_TRUE(out == NULL);
out:
	secbuf_free(&secret);
}

static void
test_mint(void)
{
	struct proto_mint_reply m;
	char why[CV_HOOK_REASON_MAX];
	static const char ok[] = " {\"access_token\":\"abc.def\",\"token_type\":"
	    "\"bearer\",\"expires_in\":172800,\"scope\":\"a:b c:d\","
	    "\"extra\":[1,2]}\n";
	static const struct {
		const char *in;
		int err;
		const char *why;
	} bad[] = {
		{ "", CV_E_PROTO, "empty" },
		{ "not json", CV_E_PROTO, "not one JSON value" },
		{ "[1]", CV_E_PROTO, "not a JSON object" },
		{ "{\"access_token\":\"t\",\"expires_in\":1} x", CV_E_PROTO,
		    "not one JSON value" },
		{ "{\"access_token\":\"t\",\"expires_in\":1}{}", CV_E_PROTO, "" },
		{ "{\"expires_in\":10}", CV_E_PROTO, "no member 'access_token'" },
		{ "{\"access_token\":5,\"expires_in\":10}", CV_E_PROTO,
		    "not a string" },
		{ "{\"access_token\":\"\",\"expires_in\":10}", CV_E_PROTO, "" },
		{ "{\"access_token\":\"a b\",\"expires_in\":10}", CV_E_PROTO, "" },
		{ "{\"access_token\":\"a\\r\\nX: y\",\"expires_in\":10}",
		    CV_E_PROTO, "" },
		{ "{\"access_token\":\"a\\u0000b\",\"expires_in\":10}",
		    CV_E_PROTO, "" },
		{ "{\"access_token\":\"t\"}", CV_E_PROTO, "expires_in" },
		{ "{\"access_token\":\"t\",\"expires_in\":0}", CV_E_PROTO, "" },
		{ "{\"access_token\":\"t\",\"expires_in\":-5}", CV_E_PROTO, "" },
		{ "{\"access_token\":\"t\",\"expires_in\":\"3600\"}", CV_E_PROTO,
		    "" },
		{ "{\"access_token\":\"t\",\"expires_in\":3600.5}", CV_E_PROTO,
		    "" },
		{ "{\"access_token\":\"t\",\"expires_in\":99999999999999999999}",
		    CV_E_PROTO, "" },
		{ "{\"access_token\":\"t\",\"expires_in\":31536001}", CV_E_PROTO,
		    "" },
		{ "{\"access_token\":\"t\",\"access_token\":\"u\","
		    "\"expires_in\":1}", CV_E_PROTO, "" },
		{ "{\"access_token\":\"t\",\"expires_in\":1,\"token_type\":7}",
		    CV_E_PROTO, "token_type" },
		{ "{\"access_token\":\"t\",\"expires_in\":1,\"scope\":\"a\\tb\"}",
		    CV_E_PROTO, "scope" },
	};
	char big[CV_TOKEN_MAX + 64];
	size_t i;
	int n;

	ASSERT_INT_EQ(proto_mint_decode(ok, sizeof(ok) - 1, &m, why,
	    sizeof(why)), 0);
	ASSERT_STR_EQ((const char *)m.access_token->data, "abc.def");
	ASSERT_STR_EQ(m.token_type, "bearer");
	ASSERT_INT_EQ(m.expires_in, 172800);
	ASSERT_STR_EQ(m.scope, "a:b c:d");
	proto_mint_reply_clear(&m);
	ASSERT_TRUE(m.access_token == NULL);
	proto_mint_reply_clear(&m); /* twice is fine */
	proto_mint_reply_clear(NULL);

	ASSERT_INT_EQ(dec_mint("{\"access_token\":\"t\","
	    "\"expires_in\":1}", &m, why), 0);
	ASSERT_STR_EQ(m.token_type, "Bearer");
	ASSERT_STR_EQ(m.scope, "");
	proto_mint_reply_clear(&m);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		n = proto_mint_decode(bad[i].in, strlen(bad[i].in), &m, why,
		    sizeof(why));
		if (n != bad[i].err)
			fprintf(stderr, "mint case %zu: %s\n", i, bad[i].in);
		ASSERT_INT_EQ(n, bad[i].err);
		ASSERT_TRUE(m.access_token == NULL);
		ASSERT_TRUE(strstr(why, bad[i].why) != NULL);
		/* Reasons never quote the input. */
		ASSERT_TRUE(strstr(why, "json") == NULL);
	}
	/* A token at and over CV_TOKEN_MAX. */
	for (i = 0; i < 2; i++) {
		size_t tl = CV_TOKEN_MAX + i;

		memcpy(big, "{\"access_token\":\"", 17);
		memset(big + 17, 'A', tl);
		n = snprintf(big + 17 + tl, sizeof(big) - 17 - tl,
		    "\",\"expires_in\":60}");
		ASSERT_INT_EQ(proto_mint_decode(big, 17 + tl + (size_t)n, &m,
		    why, sizeof(why)), i == 0 ? 0 : CV_E_PROTO);
		if (i == 0)
			ASSERT_INT_EQ(m.access_token->len, CV_TOKEN_MAX);
		proto_mint_reply_clear(&m);
	}
	ASSERT_INT_EQ(proto_mint_decode(ok, CV_HOOK_OUTPUT_MAX + 1, &m, why,
	    sizeof(why)), CV_E_TOOBIG);
}

static void
test_rotate(void)
{
	struct proto_rotate_reply r;
	char why[CV_HOOK_REASON_MAX];
	static const char ok[] = "{\"client_id\":\"new-id\",\"secret\":\"s p a "
	    "c e\"}";

	ASSERT_INT_EQ(proto_rotate_decode(ok, sizeof(ok) - 1, &r, why,
	    sizeof(why)), 0);
	ASSERT_STR_EQ(r.client_id, "new-id");
	ASSERT_STR_EQ((const char *)r.secret->data, "s p a c e");
	proto_rotate_reply_clear(&r);
	ASSERT_TRUE(r.secret == NULL);
	ASSERT_INT_EQ(dec_rotate("{\"client_id\":\"x\"}", &r, why), CV_E_PROTO);
	ASSERT_TRUE(strstr(why, "secret") != NULL);
	ASSERT_INT_EQ(dec_rotate("{\"secret\":\"x\"}", &r, why), CV_E_PROTO);
	ASSERT_INT_EQ(dec_rotate("{\"client_id\":\"x\",\"secret\":\"\"}", &r, why), CV_E_PROTO);
	ASSERT_INT_EQ(dec_rotate("{\"client_id\":\"x\",\"secret\":1}", &r, why), CV_E_PROTO);
	ASSERT_TRUE(r.secret == NULL);
}

static void
test_error(void)
{
	struct proto_error_reply e;
	char why[CV_HOOK_REASON_MAX];
	static const char ic[] = "{\"error\":\"invalid_client\","
	    "\"error_description\":\"Please provide valid client credentials\"}";

	ASSERT_INT_EQ(proto_error_decode(ic, sizeof(ic) - 1, &e, why,
	    sizeof(why)), 0);
	ASSERT_INT_EQ(e.code, PROTO_OAUTH_INVALID_CLIENT);
	ASSERT_STR_EQ(e.error, "invalid_client");
	ASSERT_STR_EQ(e.description, "Please provide valid client credentials");
	ASSERT_INT_EQ(dec_error("{\"error\":\"invalid_scope\"}", &e, why), 0);
	ASSERT_INT_EQ(e.code, PROTO_OAUTH_INVALID_SCOPE);
	ASSERT_STR_EQ(e.description, "");
	ASSERT_INT_EQ(dec_error("{\"error\":\"quota\"}", &e, why), 0);
	ASSERT_INT_EQ(e.code, PROTO_OAUTH_OTHER);
	ASSERT_INT_EQ(dec_error("{\"error\":\"a\\\"b\"}", &e, why), CV_E_PROTO);
	ASSERT_INT_EQ(dec_error("{\"error_description\":\"x\"}", &e, why), CV_E_PROTO);
	ASSERT_INT_EQ(dec_error("{\"error\":\"x\",\"error_description\":"
	    "\"a\\nb\"}", &e, why), CV_E_PROTO);
	ASSERT_STR_EQ(e.error, "");
	ASSERT_INT_EQ(dec_error("garbage", &e, NULL), CV_E_PROTO);
}

int
main(void)
{
	if (secmem_init() != 0)
		return 1;
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	test_phases();
	test_request();
	test_mint();
	test_rotate();
	test_error();
	return test_done("test_proto");
}
