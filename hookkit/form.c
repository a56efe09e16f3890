/* SPDX-License-Identifier: MIT */
/* Form encoding for OAuth2 token requests, written into locked memory. */
#include "hookkit/form.h"

#include <string.h>

#include "base/err.h"
#include "base/banned.h"

static int
form_is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' ||
	    c == '_';
}

size_t
form_encoded_len(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += (form_is_unreserved(s[i]) || s[i] == ' ') ? 1 : 3;
	return len;
}

int
form_encode(struct secbuf *sb, const void *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = p;
	unsigned char *d;
	size_t i, need = form_encoded_len(p, n);

	if (need > sb->cap - sb->len)
		return CV_E_TOOBIG;
	d = sb->data + sb->len;
	for (i = 0; i < n; i++) {
		if (form_is_unreserved(s[i])) {
			*d++ = s[i];
		} else if (s[i] == ' ') {
			*d++ = '+';
		} else {
			*d++ = '%';
			*d++ = (unsigned char)hex[s[i] >> 4];
			*d++ = (unsigned char)hex[s[i] & 0x0f];
		}
	}
	sb->len += need;
	sb->data[sb->len] = '\0';
	return 0;
}

int
form_append(struct secbuf *sb, const char *name, const void *value, size_t n)
{
	size_t namelen = strlen(name);
	size_t need = (sb->len > 0 ? 1 : 0) + namelen + 1 +
	    form_encoded_len(value, n);
	int r;

	if (need > sb->cap - sb->len)
		return CV_E_TOOBIG;
	if (sb->len > 0 && (r = secbuf_append(sb, "&", 1)) != 0)
		return r;
	if ((r = secbuf_append(sb, name, namelen)) != 0 ||
	    (r = secbuf_append(sb, "=", 1)) != 0)
		return r;
	return form_encode(sb, value, n);
}
