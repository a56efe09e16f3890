/* SPDX-License-Identifier: MIT */
/* Record validation and the versioned, length-bounded record codec. */
#include "vault/record.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

/*
 * Encoding, version 1 (all integers big-endian, strings as buf_put_str):
 *   u8 version, str name, str provider, str project_key, str scope,
 *   str api_url, str auth_url, u64 created_at, u64 updated_at, u8 ngen,
 *   ngen x { u32 number, u8 state, u8 flags, u64 created_at,
 *            u64 activated_at, u64 retired_at, u64 revealed_at,
 *            str client_id, str secret },
 *   u8 rotation step, u32 rotation generation, str client name,
 *   u64 started_at, u32 attempts, str last error,
 *   u8 policy flags, u64 max_age_s, u64 grace_s
 * Nothing may follow.
 */

static int
record_char_is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '/' || c == '-';
}

int
record_name_is_valid(const char *name)
{
	size_t i, n;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n == 0 || n > CV_NAME_MAX)
		return 0;
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= '0' && name[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++)
		if (!record_char_is_name(name[i]))
			return 0;
	/* Names become stack file names under hooks.d/: no path games. */
	if (strstr(name, "..") != NULL || strstr(name, "//") != NULL ||
	    strstr(name, "/.") != NULL || name[n - 1] == '/')
		return 0;
	return 1;
}

int
record_provider_is_valid(const char *provider)
{
	return provider != NULL && (strcmp(provider, "commercetools") == 0 ||
	    strcmp(provider, "commercelayer") == 0 ||
	    strcmp(provider, "oauth2") == 0);
}

static int
record_text_is_valid(const char *s, size_t max, int spaces)
{
	size_t i, n;

	if (s == NULL)
		return 1;
	n = strlen(s);
	if (n > max)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || (c == ' ' && !spaces))
			return 0;
	}
	return 1;
}

int
record_secret_is_valid(const void *secret, size_t len)
{
	const unsigned char *p = secret;
	size_t i;

	if (len == 0 || len > CV_SECRET_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

int
record_scope_is_valid(const char *scope)
{
	size_t i, n, tokens = 0;

	if (scope == NULL)
		return 1;
	if (!record_text_is_valid(scope, CV_SCOPE_MAX, 1))
		return 0;
	n = strlen(scope);
	for (i = 0; i < n; i++)
		if (scope[i] != ' ' && (i == 0 || scope[i - 1] == ' '))
			tokens++;
	return tokens <= CV_SCOPES_MAX;
}

int
record_check(const struct record *r, const char **field)
{
	uint32_t i, active = 0;

	*field = NULL;
	if (!record_name_is_valid(r->name))
		*field = "name";
	else if (!record_provider_is_valid(r->provider))
		*field = "provider";
	else if (!record_text_is_valid(r->project_key, CV_PROJECT_KEY_MAX, 0))
		*field = "project_key";
	else if (!record_scope_is_valid(r->scope))
		*field = "scope";
	else if (!record_text_is_valid(r->api_url, CV_URL_MAX, 0))
		*field = "api_url";
	else if (r->auth_url == NULL || r->auth_url[0] == '\0' ||
	    !record_text_is_valid(r->auth_url, CV_URL_MAX, 0))
		*field = "auth_url";
	else if (r->ngen == 0 || r->ngen > CV_GENERATIONS_MAX)
		*field = "generations";
	if (*field != NULL)
		return CV_E_INVALID;
	for (i = 0; i < r->ngen; i++) {
		const struct generation *g = &r->gen[i];
		int wiped = (g->flags & GEN_F_WIPED) != 0;

		if (g->state < GEN_PENDING || g->state > GEN_RETIRED ||
		    (g->flags & ~GEN_F_ALL) != 0 ||
		    (i > 0 && g->number <= r->gen[i - 1].number)) {
			*field = "generation";
			return CV_E_INVALID;
		}
		if (g->client_id == NULL || g->client_id[0] == '\0' ||
		    !record_text_is_valid(g->client_id, CV_CLIENT_ID_MAX, 0)) {
			*field = "client_id";
			return CV_E_INVALID;
		}
		if (wiped ? g->secret_len != 0 || g->state != GEN_RETIRED :
		    !record_secret_is_valid(g->secret, g->secret_len)) {
			*field = "secret";
			return CV_E_INVALID;
		}
		if (g->state == GEN_ACTIVE)
			active++;
	}
	if (active > 1) {
		*field = "generations";
		return CV_E_INVALID;
	}
	if (r->rot.step > ROT_ACTIVATED ||
	    (r->rot.step != ROT_NONE && (r->rot.generation == 0 ||
	    r->rot.client_name == NULL || r->rot.client_name[0] == '\0')) ||
	    !record_text_is_valid(r->rot.client_name, CV_CLIENT_ID_MAX, 0) ||
	    !record_text_is_valid(r->rot.last_error, CV_AUDIT_FIELD_MAX, 1)) {
		*field = "rotation";
		return CV_E_INVALID;
	}
	if ((r->policy.flags & ~ROTATION_AUTO_ALL) != 0) {
		*field = "policy";
		return CV_E_INVALID;
	}
	return 0;
}

struct generation *
record_generation(struct record *r, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < r->ngen; i++)
		if (r->gen[i].number == n)
			return &r->gen[i];
	return NULL;
}

struct generation *
record_active_mut(struct record *r)
{
	uint32_t i;

	for (i = 0; i < r->ngen; i++)
		if (r->gen[i].state == GEN_ACTIVE)
			return &r->gen[i];
	return NULL;
}

const struct generation *
record_active(const struct record *r)
{
	return record_active_mut((struct record *)(uintptr_t)r);
}

const char *
record_client_id(const struct record *r)
{
	const struct generation *g = record_active(r);

	return g != NULL ? g->client_id : "";
}

const char *
record_step_name(uint8_t step)
{
	switch (step) {
	case ROT_NONE:
		return "none";
	case ROT_STARTED:
		return "started";
	case ROT_CREATED:
		return "created";
	case ROT_ACTIVATED:
		return "activated";
	default:
		return "unknown";
	}
}

const char *
record_state_name(uint8_t state)
{
	switch (state) {
	case GEN_PENDING:
		return "pending";
	case GEN_ACTIVE:
		return "active";
	case GEN_RETIRED:
		return "retired";
	default:
		return "unknown";
	}
}

int
record_encode(const struct record *r, struct secbuf *out)
{
	struct buf_writer w;
	const char *field;
	uint32_t i;
	int rc;

	secbuf_reset(out);
	if ((rc = record_check(r, &field)) != 0)
		return rc;
	buf_writer_init(&w, out->data, out->cap < CV_RECORD_MAX ? out->cap :
	    CV_RECORD_MAX);
	buf_put_u8(&w, RECORD_VERSION);
	buf_put_str(&w, r->name);
	buf_put_str(&w, r->provider);
	buf_put_str(&w, r->project_key);
	buf_put_str(&w, r->scope);
	buf_put_str(&w, r->api_url);
	buf_put_str(&w, r->auth_url);
	buf_put_u64(&w, (uint64_t)r->created_at);
	buf_put_u64(&w, (uint64_t)r->updated_at);
	buf_put_u8(&w, (uint8_t)r->ngen);
	for (i = 0; i < r->ngen; i++) {
		const struct generation *g = &r->gen[i];

		buf_put_u32(&w, g->number);
		buf_put_u8(&w, g->state);
		buf_put_u8(&w, g->flags);
		buf_put_u64(&w, (uint64_t)g->created_at);
		buf_put_u64(&w, (uint64_t)g->activated_at);
		buf_put_u64(&w, (uint64_t)g->retired_at);
		buf_put_u64(&w, (uint64_t)g->revealed_at);
		buf_put_str(&w, g->client_id);
		buf_put_str(&w, g->secret_len > 0 ? g->secret : "");
	}
	buf_put_u8(&w, r->rot.step);
	buf_put_u32(&w, r->rot.generation);
	buf_put_str(&w, r->rot.client_name);
	buf_put_u64(&w, (uint64_t)r->rot.started_at);
	buf_put_u32(&w, r->rot.attempts);
	buf_put_str(&w, r->rot.last_error);
	buf_put_u8(&w, r->policy.flags);
	buf_put_u64(&w, r->policy.max_age_s);
	buf_put_u64(&w, r->policy.grace_s);
	if (w.err != 0) {
		secmem_wipe(out->data, w.len);
		return w.err;
	}
	out->len = w.len;
	return 0;
}

static int
record_get_time(struct buf_reader *rd, int64_t *t)
{
	uint64_t v;

	if (buf_get_u64(rd, &v) != 0 || v > (uint64_t)INT64_MAX)
		return CV_E_INVALID;
	*t = (int64_t)v;
	return 0;
}

static int
record_get_opt_str(struct buf_reader *rd, size_t max, const char **s)
{
	size_t n;

	if (buf_get_str(rd, max, s, &n) != 0)
		return CV_E_INVALID;
	return 0;
}

static int
record_get_generation(struct buf_reader *rd, struct generation *g)
{
	size_t n;

	if (buf_get_u32(rd, &g->number) != 0 ||
	    buf_get_u8(rd, &g->state) != 0 || buf_get_u8(rd, &g->flags) != 0 ||
	    record_get_time(rd, &g->created_at) != 0 ||
	    record_get_time(rd, &g->activated_at) != 0 ||
	    record_get_time(rd, &g->retired_at) != 0 ||
	    record_get_time(rd, &g->revealed_at) != 0 ||
	    record_get_opt_str(rd, CV_CLIENT_ID_MAX, &g->client_id) != 0 ||
	    buf_get_str(rd, CV_SECRET_MAX, &g->secret, &n) != 0)
		return CV_E_INVALID;
	g->secret_len = n;
	return 0;
}

int
record_decode(const unsigned char *p, size_t len, struct record *r)
{
	struct buf_reader rd;
	const char *field;
	uint8_t version, ngen;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	if (len > CV_RECORD_MAX)
		return CV_E_INVALID;
	buf_reader_init(&rd, p, len);
	if (buf_get_u8(&rd, &version) != 0)
		return CV_E_INVALID;
	if (version != RECORD_VERSION)
		return CV_E_VERSION;
	if (record_get_opt_str(&rd, CV_NAME_MAX, &r->name) != 0 ||
	    record_get_opt_str(&rd, CV_PROVIDER_MAX, &r->provider) != 0 ||
	    record_get_opt_str(&rd, CV_PROJECT_KEY_MAX, &r->project_key) != 0 ||
	    record_get_opt_str(&rd, CV_SCOPE_MAX, &r->scope) != 0 ||
	    record_get_opt_str(&rd, CV_URL_MAX, &r->api_url) != 0 ||
	    record_get_opt_str(&rd, CV_URL_MAX, &r->auth_url) != 0 ||
	    record_get_time(&rd, &r->created_at) != 0 ||
	    record_get_time(&rd, &r->updated_at) != 0 ||
	    buf_get_u8(&rd, &ngen) != 0 || ngen > CV_GENERATIONS_MAX)
		goto bad;
	r->ngen = ngen;
	for (i = 0; i < r->ngen; i++)
		if (record_get_generation(&rd, &r->gen[i]) != 0)
			goto bad;
	if (buf_get_u8(&rd, &r->rot.step) != 0 ||
	    buf_get_u32(&rd, &r->rot.generation) != 0 ||
	    record_get_opt_str(&rd, CV_CLIENT_ID_MAX, &r->rot.client_name) ||
	    record_get_time(&rd, &r->rot.started_at) != 0 ||
	    buf_get_u32(&rd, &r->rot.attempts) != 0 ||
	    record_get_opt_str(&rd, CV_AUDIT_FIELD_MAX, &r->rot.last_error) ||
	    buf_get_u8(&rd, &r->policy.flags) != 0 ||
	    buf_get_u64(&rd, &r->policy.max_age_s) != 0 ||
	    buf_get_u64(&rd, &r->policy.grace_s) != 0)
		goto bad;
	if (!buf_is_done(&rd) || record_check(r, &field) != 0)
		goto bad;
	return 0;
bad:
	memset(r, 0, sizeof(*r));
	return CV_E_INVALID;
}
