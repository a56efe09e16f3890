/* SPDX-License-Identifier: MIT */
/* Bounded, line-numbered parser for the CTP_* environment preset. */
#include "vault/preset.h"

#include <string.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

static const struct {
	const char *name;
	size_t offset;
} preset_vars[] = {
	{ "CTP_PROJECT_KEY", offsetof(struct preset, project_key) },
	{ "CTP_CLIENT_ID", offsetof(struct preset, client_id) },
	{ "CTP_CLIENT_SECRET", offsetof(struct preset, secret) },
	{ "CTP_AUTH_URL", offsetof(struct preset, auth_url) },
	{ "CTP_API_URL", offsetof(struct preset, api_url) },
	{ "CTP_SCOPES", offsetof(struct preset, scope) },
};
#define PRESET_NVARS (sizeof(preset_vars) / sizeof(preset_vars[0]))

static int
preset_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
preset_is_name_char(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

/* Parse one line [s, e) in place; sets *slot to the value when the name is
 * one of ours. */
static int
preset_line(char *s, char *e, struct preset *p, const char **why)
{
	char *name, *val, *q;
	size_t i;

	while (s < e && preset_is_space(*s))
		s++;
	while (e > s && (preset_is_space(e[-1]) || e[-1] == '\r'))
		e--;
	if (s == e || *s == '#')
		return 0;
	if ((size_t)(e - s) > 7 && memcmp(s, "export", 6) == 0 &&
	    preset_is_space(s[6])) {
		s += 7;
		while (s < e && preset_is_space(*s))
			s++;
	}
	name = s;
	if (s == e || !preset_is_name_char(*s, 1)) {
		*why = "expected NAME=value";
		return CV_E_INVALID;
	}
	while (s < e && preset_is_name_char(*s, 0))
		s++;
	if (s == e || *s != '=') {
		*why = "expected NAME=value";
		return CV_E_INVALID;
	}
	*s++ = '\0';
	val = s;
	if (s < e && (*s == '"' || *s == '\'')) {
		q = memchr(s + 1, *s, (size_t)(e - s - 1));
		if (q == NULL || q != e - 1) {
			*why = "unterminated or misplaced quote";
			return CV_E_INVALID;
		}
		val = s + 1;
		e = q;
	} else if (memchr(val, '"', (size_t)(e - val)) != NULL ||
	    memchr(val, '\'', (size_t)(e - val)) != NULL) {
		*why = "quote inside an unquoted value";
		return CV_E_INVALID;
	}
	*e = '\0';
	if (strncmp(name, "CTP_", 4) != 0)
		return 0;
	for (i = 0; i < PRESET_NVARS; i++) {
		const char **slot = (const char **)(void *)((char *)p +
		    preset_vars[i].offset);

		if (strcmp(name, preset_vars[i].name) != 0)
			continue;
		if (*slot != NULL) {
			*why = "variable set twice";
			return CV_E_INVALID;
		}
		if (*val == '\0') {
			*why = "empty value";
			return CV_E_INVALID;
		}
		*slot = val;
		if (slot == &p->secret)
			p->secret_len = (size_t)(e - val);
		return 0;
	}
	*why = "unknown CTP_ variable";
	return CV_E_INVALID;
}

int
preset_parse(struct secbuf *text, struct preset *p, unsigned *line,
    const char **why)
{
	char *s = (char *)text->data, *end = s + text->len, *nl;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	*line = 0;
	*why = NULL;
	if (text->len > CV_ENV_FILE_MAX) {
		*why = "file too large";
		return CV_E_TOOBIG;
	}
	if (memchr(s, '\0', text->len) != NULL) {
		*why = "file contains a NUL byte";
		return CV_E_INVALID;
	}
	while (s < end) {
		(*line)++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - s) > CV_ENV_LINE_MAX) {
			*why = "line too long";
			return CV_E_TOOBIG;
		}
		if ((rc = preset_line(s, nl, p, why)) != 0)
			return rc;
		s = nl == end ? end : nl + 1;
	}
	*line = 0;
	for (i = 0; i < PRESET_NVARS; i++) {
		const char *const *slot = (const char *const *)(const void *)
		    ((const char *)p + preset_vars[i].offset);

		if (*slot == NULL) {
			*why = preset_vars[i].name;
			memset(p, 0, sizeof(*p));
			return CV_E_NOTFOUND;
		}
	}
	return 0;
}
