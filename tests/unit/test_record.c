/* SPDX-License-Identifier: MIT */
/* Record validation and the codec: round trip, truncation, trailing bytes. */
#include <string.h>

#include "crypto/secmem.h"
#include "base/buf.h"
#include "base/err.h"
#include "vault/record.h"
#include "test.h"
#include "base/banned.h"

static void
sample(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->name = "shop/eu-1";
	r->provider = "commercelayer";
	r->project_key = "";
	r->scope = "market:id:abc stock_location:id:x";
	r->api_url = "https://shop.commercelayer.io";
	r->auth_url = "https://auth.commercelayer.io";
	r->created_at = 1700000000;
	r->updated_at = 1700000100;
	r->ngen = 2;
	r->gen[0].number = 1;
	r->gen[0].state = GEN_RETIRED;
	r->gen[0].flags = GEN_F_WIPED;
	r->gen[0].client_id = "old";
	r->gen[0].secret = "";
	r->gen[1].number = 2;
	r->gen[1].state = GEN_ACTIVE;
	r->gen[1].client_id = "new";
	r->gen[1].secret = "s3cr3t";
	r->gen[1].secret_len = 6;
	r->gen[1].revealed_at = 1700000200;
}

static void
test_roundtrip(void)
{
	struct secbuf *out = secbuf_new(CV_RECORD_MAX);
	struct record r, d;
	size_t i;

	sample(&r);
	ASSERT_INT_EQ(record_encode(&r, out), 0);
	ASSERT_INT_EQ(record_decode(out->data, out->len, &d), 0);
	ASSERT_STR_EQ(d.name, "shop/eu-1");
	ASSERT_STR_EQ(d.scope, r.scope);
	ASSERT_INT_EQ(d.ngen, 2);
	ASSERT_STR_EQ(record_client_id(&d), "new");
	ASSERT_STR_EQ(d.gen[1].secret, "s3cr3t");
	ASSERT_INT_EQ(d.gen[1].secret_len, 6);
	ASSERT_INT_EQ(d.gen[1].revealed_at, 1700000200);
	ASSERT_INT_EQ(d.gen[0].flags, GEN_F_WIPED);
	/* Every strict prefix is rejected, and so is a trailing byte. */
	for (i = 0; i < out->len; i++)
		ASSERT_INT_EQ(record_decode(out->data, i, &d), i == 0 ?
		    CV_E_INVALID : CV_E_INVALID);
	out->data[out->len] = 0;
	ASSERT_INT_EQ(record_decode(out->data, out->len + 1, &d),
	    CV_E_INVALID);
	out->data[0] = 2;
	ASSERT_INT_EQ(record_decode(out->data, out->len, &d), CV_E_VERSION);
	secbuf_free(&out);
}

static void
test_invalid(void)
{
	struct secbuf *out = secbuf_new(CV_RECORD_MAX);
	struct record r;
	const char *f;

	sample(&r);
	r.gen[0].state = GEN_ACTIVE; /* two active generations */
	r.gen[0].flags = 0;
	r.gen[0].secret = "x";
	r.gen[0].secret_len = 1;
	ASSERT_INT_EQ(record_check(&r, &f), CV_E_INVALID);
	ASSERT_STR_EQ(f, "generations");
	ASSERT_INT_EQ(record_encode(&r, out), CV_E_INVALID);
	sample(&r);
	r.gen[1].number = 1; /* numbers must increase */
	ASSERT_INT_EQ(record_check(&r, &f), CV_E_INVALID);
	sample(&r);
	r.gen[1].secret = "has space";
	r.gen[1].secret_len = 9;
	ASSERT_INT_EQ(record_check(&r, &f), CV_E_INVALID);
	ASSERT_STR_EQ(f, "secret");
	sample(&r);
	r.auth_url = "";
	ASSERT_INT_EQ(record_check(&r, &f), CV_E_INVALID);
	ASSERT_STR_EQ(f, "auth_url");
	sample(&r);
	r.ngen = 0;
	ASSERT_INT_EQ(record_check(&r, &f), CV_E_INVALID);
	secbuf_free(&out);
}

static void
test_names(void)
{
	ASSERT_TRUE(record_name_is_valid("a"));
	ASSERT_TRUE(record_name_is_valid("0shop.eu_1/x-y"));
	ASSERT_TRUE(!record_name_is_valid(""));
	ASSERT_TRUE(!record_name_is_valid("Shop"));
	ASSERT_TRUE(!record_name_is_valid(".hidden"));
	ASSERT_TRUE(!record_name_is_valid("a/../b"));
	ASSERT_TRUE(!record_name_is_valid("a//b"));
	ASSERT_TRUE(!record_name_is_valid("a/"));
	ASSERT_TRUE(!record_name_is_valid("a/.b"));
	ASSERT_TRUE(!record_name_is_valid("a b"));
	{
		char n[CV_NAME_MAX + 2];

		memset(n, 'a', sizeof(n));
		n[CV_NAME_MAX] = '\0';
		ASSERT_TRUE(record_name_is_valid(n));
		n[CV_NAME_MAX] = 'a';
		n[CV_NAME_MAX + 1] = '\0';
		ASSERT_TRUE(!record_name_is_valid(n));
	}
	ASSERT_TRUE(record_provider_is_valid("oauth2"));
	ASSERT_TRUE(!record_provider_is_valid("OAuth2"));
	ASSERT_TRUE(record_secret_is_valid("a-b_c.~", 7));
	ASSERT_TRUE(!record_secret_is_valid("a\nb", 3));
	ASSERT_TRUE(!record_secret_is_valid("", 0));
}

static void
test_buf(void)
{
	unsigned char b[16];
	struct buf_writer w;
	struct buf_reader r;
	const char *s;
	size_t n;
	uint32_t v32;
	uint64_t v64;

	buf_writer_init(&w, b, sizeof(b));
	buf_put_u32(&w, 0xdeadbeef);
	buf_put_str(&w, "hey");
	buf_put_u64(&w, 1);
	ASSERT_INT_EQ(w.err, CV_E_TOOBIG); /* 4 + 6 + 8 > 16 */
	ASSERT_INT_EQ(w.len, 10);
	buf_reader_init(&r, b, w.len);
	ASSERT_INT_EQ(buf_get_u32(&r, &v32), 0);
	ASSERT_INT_EQ(v32, 0xdeadbeef);
	ASSERT_INT_EQ(buf_get_str(&r, 2, &s, &n), CV_E_INVALID); /* > max */
	buf_reader_init(&r, b + 4, 6);
	ASSERT_INT_EQ(buf_get_str(&r, 3, &s, &n), 0);
	ASSERT_STR_EQ(s, "hey");
	ASSERT_TRUE(buf_is_done(&r));
	ASSERT_INT_EQ(buf_get_u64(&r, &v64), CV_E_INVALID);
	b[6] = 0; /* embedded NUL */
	buf_reader_init(&r, b + 4, 6);
	ASSERT_INT_EQ(buf_get_str(&r, 3, &s, &n), CV_E_INVALID);
}

int
main(void)
{
	ASSERT_INT_EQ(secmem_init(), 0);
	test_roundtrip();
	test_invalid();
	test_names();
	test_buf();
	return test_done("test_record");
}
