/* SPDX-License-Identifier: MIT */
/* Typed assertions for unit tests; each prints both sides on failure. */
#ifndef CV_TEST_H
#define CV_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;

#define TEST_FAIL_AT(fmt, ...)                                                 \
	do {                                                                   \
		fprintf(stderr, "%s:%d: " fmt "\n", __FILE__, __LINE__,        \
		    __VA_ARGS__);                                              \
		test_failures++;                                               \
	} while (0)

#define ASSERT_INT_EQ(a, b)                                                    \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_)                                                  \
			TEST_FAIL_AT("%s == %s: %lld != %lld", #a, #b, a_, b_); \
	} while (0)

#define ASSERT_INT_NE(a, b)                                                    \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ == b_)                                                  \
			TEST_FAIL_AT("%s != %s: both %lld", #a, #b, a_);       \
	} while (0)

#define ASSERT_TRUE(x)                                                         \
	do {                                                                   \
		if (!(x))                                                      \
			TEST_FAIL_AT("%s is false", #x);                       \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)           \
			TEST_FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b,     \
			    a_ ? a_ : "(null)", b_ ? b_ : "(null)");           \
	} while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                 \
	do {                                                                   \
		if (memcmp((a), (b), (n)) != 0)                                \
			TEST_FAIL_AT("%s == %s over %zu bytes", #a, #b,        \
			    (size_t)(n));                                      \
	} while (0)

static inline int
test_done(const char *name)
{
	if (test_failures != 0) {
		fprintf(stderr, "%s: %d failure(s)\n", name, test_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
