/* SPDX-License-Identifier: MIT */
/* Unit tests for hooks/bin/form: urlencoded bodies written into secbufs. */
#include <stdio.h>
#include <string.h>

#include "crypto/secmem.h"
#include "hookkit/form.h"
#include "base/err.h"
#include "test.h"
#include "base/banned.h"

/* A secbuf of exactly cap bytes (secbuf_new() may round up). */
static struct secbuf *
newbuf(size_t cap)
{
	struct secbuf *sb = secbuf_new(cap);

	if (sb != NULL)
		sb->cap = cap;
	return sb;
}

/* Encode n bytes of p into a fresh secbuf of cap bytes. */
static struct secbuf *
enc(const void *p, size_t n, size_t cap, int *rc)
{
	struct secbuf *sb = newbuf(cap);

	if (sb == NULL) {
		*rc = CV_E_NOMEM;
		return NULL;
	}
	*rc = form_encode(sb, p, n);
	return sb;
}

static void
test_encoded_len(void)
{
	ASSERT_INT_EQ(form_encoded_len("", 0), 0);
	ASSERT_INT_EQ(form_encoded_len("abcXYZ019", 9), 9);
	ASSERT_INT_EQ(form_encoded_len("*-._", 4), 4);
	ASSERT_INT_EQ(form_encoded_len(" ", 1), 1);       /* '+' */
	ASSERT_INT_EQ(form_encoded_len("~", 1), 3);       /* not WHATWG-safe */
	ASSERT_INT_EQ(form_encoded_len("a+b/c", 5), 9);
	ASSERT_INT_EQ(form_encoded_len("\0\xff", 2), 6);
}

static void
test_encode(void)
{
	struct secbuf *sb;
	int rc;

	sb = enc("a b+c/~*", 8, 64, &rc);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ((const char *)sb->data, "a+b%2Bc%2F%7E*");
	ASSERT_INT_EQ(sb->len, 14);
	secbuf_free(&sb);

	/* RFC 6749 section 2.3.1 example characters in a secret. */
	sb = enc(" p@ss:w+rd/=%&", 14, 64, &rc);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ((const char *)sb->data,
	    "+p%40ss%3Aw%2Brd%2F%3D%25%26");
	secbuf_free(&sb);

	/* Binary bytes, upper-case hex, and the NUL after the text. */
	sb = enc("\x00\x7f\x80\xff", 4, 64, &rc);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ((const char *)sb->data, "%00%7F%80%FF");
	ASSERT_INT_EQ(sb->data[sb->len], 0);
	secbuf_free(&sb);

	/* Empty input: nothing appended. */
	sb = enc("", 0, 4, &rc);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(sb->len, 0);
	secbuf_free(&sb);
}

/* Every byte on its own: unreserved stays, space is '+', else %XX. */
static void
test_encode_every_byte(void)
{
	struct secbuf *sb;
	char want[4];
	unsigned c;
	unsigned char b;
	int rc;

	for (c = 0; c < 256; c++) {
		b = (unsigned char)c;
		if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
		    (b >= '0' && b <= '9') || b == '*' || b == '-' ||
		    b == '.' || b == '_')
			(void)snprintf(want, sizeof(want), "%c", b);
		else if (b == ' ')
			(void)snprintf(want, sizeof(want), "+");
		else
			(void)snprintf(want, sizeof(want), "%%%02X", c);
		sb = enc(&b, 1, 3, &rc);
		ASSERT_INT_EQ(rc, 0);
		if (sb != NULL && strcmp((const char *)sb->data, want) != 0)
			TEST_FAIL_AT("byte 0x%02x: \"%s\" != \"%s\"", c,
			    (const char *)sb->data, want);
		secbuf_free(&sb);
	}
}

/* A secret is never half-copied: all or nothing. */
static void
test_toobig(void)
{
	struct secbuf *sb;
	int rc;

	sb = enc("a/b", 3, 5, &rc); /* exactly fits: a%2Fb */
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ((const char *)sb->data, "a%2Fb");
	secbuf_free(&sb);

	sb = enc("a/bc", 4, 5, &rc);
	ASSERT_INT_EQ(rc, CV_E_TOOBIG);
	ASSERT_INT_EQ(sb->len, 0);
	ASSERT_INT_EQ(sb->data[0], 0);
	secbuf_free(&sb);

	/* Appending to what is there: the old contents stay as they were. */
	sb = newbuf(8);
	ASSERT_INT_EQ(form_encode(sb, "abc", 3), 0);
	ASSERT_INT_EQ(form_encode(sb, "//", 2), CV_E_TOOBIG);
	ASSERT_INT_EQ(sb->len, 3);
	ASSERT_STR_EQ((const char *)sb->data, "abc");
	ASSERT_INT_EQ(form_encode(sb, "de", 2), 0);
	ASSERT_STR_EQ((const char *)sb->data, "abcde");
	secbuf_free(&sb);
}

static void
test_append(void)
{
	struct secbuf *sb = newbuf(64);
	size_t len;

	ASSERT_INT_EQ(form_append(sb, "grant_type", "client_credentials", 18),
	    0);
	ASSERT_STR_EQ((const char *)sb->data, "grant_type=client_credentials");
	ASSERT_INT_EQ(form_append(sb, "scope", "a:b c", 5), 0);
	ASSERT_STR_EQ((const char *)sb->data,
	    "grant_type=client_credentials&scope=a%3Ab+c");
	ASSERT_INT_EQ(form_append(sb, "e", "", 0), 0);
	ASSERT_STR_EQ((const char *)sb->data,
	    "grant_type=client_credentials&scope=a%3Ab+c&e=");

	/* Too long: neither the '&' nor the name is left behind. */
	len = sb->len;
	ASSERT_INT_EQ(form_append(sb, "client_secret", "0123456789", 10),
	    CV_E_TOOBIG);
	ASSERT_INT_EQ(sb->len, len);
	ASSERT_INT_EQ(sb->data[len], 0);
	secbuf_free(&sb);

	/* The first pair gets no '&'; an exact fit works. */
	sb = newbuf(5);
	ASSERT_INT_EQ(form_append(sb, "a", "b c", 3), 0);
	ASSERT_STR_EQ((const char *)sb->data, "a=b+c");
	ASSERT_INT_EQ(form_append(sb, "d", "", 0), CV_E_TOOBIG);
	secbuf_free(&sb);
}

int
main(void)
{
	if (secmem_init() != 0) {
		fprintf(stderr, "test_form: cannot initialise libsodium\n");
		return 1;
	}
	test_encoded_len();
	test_encode();
	test_encode_every_byte();
	test_toobig();
	test_append();
	return test_done("test_form");
}
