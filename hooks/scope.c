/* SPDX-License-Identifier: MIT */
/* Scope sets: normalising space-separated lists and testing subsets. */
#include "hooks/scope.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

/* One scope: a span of the input. */
struct scope_span {
	const char *p;
	size_t n;
};

static int
scope_span_cmp(const void *a, const void *b)
{
	const struct scope_span *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->p, y->p, n);

	if (c != 0)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

int
scope_normalize(const char *in, char *out, size_t outlen)
{
	struct scope_span s[CV_SCOPES_MAX];
	size_t i, n = 0, len = 0, k;

	if (outlen == 0)
		return CV_E_TOOBIG;
	out[0] = '\0';
	for (i = 0; in[i] != '\0';) {
		if (in[i] == ' ') {
			i++;
			continue;
		}
		if (n == CV_SCOPES_MAX)
			return CV_E_INVALID;
		s[n].p = in + i;
		while (in[i] != '\0' && in[i] != ' ') {
			if (in[i] < '!' || in[i] > '~')
				return CV_E_INVALID;
			i++;
		}
		s[n].n = (size_t)(in + i - s[n].p);
		n++;
	}
	qsort(s, n, sizeof(s[0]), scope_span_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && scope_span_cmp(&s[i - 1], &s[i]) == 0)
			continue;
		k = s[i].n + (len > 0 ? 1 : 0);
		if (len + k >= outlen || len + k > CV_SCOPE_MAX) {
			out[0] = '\0';
			return CV_E_TOOBIG;
		}
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, s[i].p, s[i].n);
		len += s[i].n;
	}
	out[len] = '\0';
	return 0;
}

/* Whether the scope (p, n) is a member of the normalised set. */
static int
scope_has(const char *set, const char *p, size_t n)
{
	const char *q = set, *e;

	while (*q != '\0') {
		e = strchr(q, ' ');
		if (e == NULL)
			e = q + strlen(q);
		if ((size_t)(e - q) == n && memcmp(q, p, n) == 0)
			return 1;
		q = *e == ' ' ? e + 1 : e;
	}
	return 0;
}

int
scope_is_subset(const char *sub, const char *set)
{
	const char *p = sub, *e;

	while (*p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if (!scope_has(set, p, (size_t)(e - p)))
			return 0;
		p = *e == ' ' ? e + 1 : e;
	}
	return 1;
}
