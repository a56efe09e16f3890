/* SPDX-License-Identifier: MIT */
/* Bounded reading of a hook request and writing of a hook reply. */
#include "hookkit/hookio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

int
hookio_read(int fd, struct secbuf **out)
{
	struct secbuf *sb;
	ssize_t n;
	int r = 0;

	*out = NULL;
	/* One spare byte tells "exactly the limit" from "over it". */
	if ((sb = secbuf_new(CV_HOOK_INPUT_MAX + 1)) == NULL)
		return CV_E_NOMEM;
	for (;;) {
		if (sb->len > CV_HOOK_INPUT_MAX) {
			r = CV_E_TOOBIG;
			break;
		}
		n = read(fd, sb->data + sb->len, sb->cap - sb->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = CV_E_IO;
			break;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
	}
	if (r != 0) {
		secbuf_free(&sb);
		return r;
	}
	sb->data[sb->len] = '\0';
	*out = sb;
	return 0;
}

void
hookio_request_init(struct hookio_request *req)
{
	req->secret = NULL;
	req->admin_token = NULL;
	hookio_request_clear(req);
}

void
hookio_request_clear(struct hookio_request *req)
{
	secbuf_free(&req->secret);
	secbuf_free(&req->admin_token);
	req->version = 0;
	req->phase[0] = '\0';
	req->name[0] = '\0';
	req->provider[0] = '\0';
	req->project_key[0] = '\0';
	req->client_id[0] = '\0';
	req->record_scope[0] = '\0';
	req->api_url[0] = '\0';
	req->auth_url[0] = '\0';
	req->generation = -1;
	req->scope[0] = '\0';
	req->admin_token_type[0] = '\0';
	req->rotation_client_name[0] = '\0';
	req->rotation_generation = -1;
	req->retire_client_id[0] = '\0';
}

/*
 * Copy an optional string member into dst (dstsz bytes, so at most
 * dstsz - 1 characters).  Absent or null leaves "".  Control characters
 * are refused so these strings are safe to print.
 */
static int
hookio_get_text(json_t *obj, const char *key, char *dst, size_t dstsz,
    const char *where, char *why, size_t whysz)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t n, i;

	dst[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		(void)snprintf(why, whysz, "%s%s is not a string", where, key);
		return CV_E_INVALID;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= dstsz) {
		(void)snprintf(why, whysz, "%s%s is longer than %zu bytes",
		    where, key, dstsz - 1);
		return CV_E_INVALID;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			(void)snprintf(why, whysz,
			    "%s%s contains a control character", where, key);
			return CV_E_INVALID;
		}
	}
	memcpy(dst, s, n + 1);
	return 0;
}

/* An optional member that must be an object when present: *out is NULL
 * when absent or null. */
static int
hookio_get_object(json_t *root, const char *key, json_t **out, char *why,
    size_t whysz)
{
	json_t *v = json_object_get(root, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		(void)snprintf(why, whysz, "%s is not an object", key);
		return CV_E_INVALID;
	}
	*out = v;
	return 0;
}

/* "admin": the vault's admin token for APIs that manage clients. */
static int
hookio_get_admin(json_t *root, struct hookio_request *req, char *why,
    size_t whysz)
{
	json_t *admin, *v;
	const char *s;
	size_t n, i;
	int r;

	if ((r = hookio_get_object(root, "admin", &admin, why, whysz)) != 0 ||
	    admin == NULL)
		return r;
	v = json_object_get(admin, "access_token");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > CV_TOKEN_MAX) {
		(void)snprintf(why, whysz, "admin.access_token is not a string "
		    "of 1 to %d bytes", CV_TOKEN_MAX);
		return CV_E_INVALID;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	for (i = 0; i < n; i++) {
		/* It goes into an Authorization header. */
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
			(void)snprintf(why, whysz, "admin.access_token has "
			    "characters outside visible ASCII");
			return CV_E_INVALID;
		}
	}
	if ((r = hookio_get_text(admin, "token_type", req->admin_token_type,
	         sizeof(req->admin_token_type), "admin.", why, whysz)) != 0)
		return r;
	n = strlen(req->admin_token_type);
	if (strspn(req->admin_token_type, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "abcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
		(void)snprintf(why, whysz, "admin.token_type is not a token "
		    "type name");
		return CV_E_INVALID;
	}
	if ((req->admin_token = secbuf_dup(s, json_string_length(v))) == NULL) {
		(void)snprintf(why, whysz, "out of locked memory");
		return CV_E_NOMEM;
	}
	return 0;
}

/* "rotation" and "retire": what a rotate or retire hook acts on. */
static int
hookio_get_rotation(json_t *root, struct hookio_request *req, char *why,
    size_t whysz)
{
	json_t *rot, *ret, *v;
	int r;

	if ((r = hookio_get_object(root, "rotation", &rot, why, whysz)) != 0 ||
	    (r = hookio_get_object(root, "retire", &ret, why, whysz)) != 0)
		return r;
	if (rot != NULL) {
		if ((r = hookio_get_text(rot, "client_name",
		         req->rotation_client_name,
		         sizeof(req->rotation_client_name), "rotation.", why,
		         whysz)) != 0)
			return r;
		v = json_object_get(rot, "generation");
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				(void)snprintf(why, whysz,
				    "rotation.generation is not a "
				    "non-negative integer");
				return CV_E_INVALID;
			}
			req->rotation_generation = json_integer_value(v);
		}
	}
	if (ret != NULL)
		return hookio_get_text(ret, "client_id", req->retire_client_id,
		    sizeof(req->retire_client_id), "retire.", why, whysz);
	return 0;
}

int
hookio_request_decode(const unsigned char *in, size_t n,
    struct hookio_request *req, char *why, size_t whysz)
{
	json_error_t jerr;
	json_t *root, *rec, *v;
	int r = CV_E_INVALID;

	hookio_request_init(req);
	root = json_loadb((const char *)in, n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jerr.text may quote the secret: report the position only. */
		(void)snprintf(why, whysz,
		    "request is not valid JSON (line %d, column %d)",
		    jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		(void)snprintf(why, whysz, "request is not a JSON object");
		goto out;
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		(void)snprintf(why, whysz, "request version is not 1");
		goto out;
	}
	req->version = 1;
	if (hookio_get_text(root, "phase", req->phase, sizeof(req->phase), "",
	        why, whysz) != 0 ||
	    hookio_get_text(root, "scope", req->scope, sizeof(req->scope), "",
	        why, whysz) != 0)
		goto out;

	rec = json_object_get(root, "record");
	if (!json_is_object(rec)) {
		(void)snprintf(why, whysz, "request has no record object");
		goto out;
	}
	if (hookio_get_text(rec, "name", req->name, sizeof(req->name),
	        "record.", why, whysz) != 0 ||
	    hookio_get_text(rec, "provider", req->provider,
	        sizeof(req->provider), "record.", why, whysz) != 0 ||
	    hookio_get_text(rec, "project_key", req->project_key,
	        sizeof(req->project_key), "record.", why, whysz) != 0 ||
	    hookio_get_text(rec, "client_id", req->client_id,
	        sizeof(req->client_id), "record.", why, whysz) != 0 ||
	    hookio_get_text(rec, "scope", req->record_scope,
	        sizeof(req->record_scope), "record.", why, whysz) != 0 ||
	    hookio_get_text(rec, "api_url", req->api_url,
	        sizeof(req->api_url), "record.", why, whysz) != 0 ||
	    hookio_get_text(rec, "auth_url", req->auth_url,
	        sizeof(req->auth_url), "record.", why, whysz) != 0)
		goto out;
	v = json_object_get(rec, "generation");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			(void)snprintf(why, whysz,
			    "record.generation is not a non-negative integer");
			goto out;
		}
		req->generation = json_integer_value(v);
	}

	v = json_object_get(root, "secret");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > CV_SECRET_MAX) {
			(void)snprintf(why, whysz, "secret is not a string of "
			    "1 to %d bytes", CV_SECRET_MAX);
			goto out;
		}
		req->secret = secbuf_dup(json_string_value(v),
		    json_string_length(v));
		if (req->secret == NULL) {
			(void)snprintf(why, whysz, "out of locked memory");
			r = CV_E_NOMEM;
			goto out;
		}
	}
	if ((r = hookio_get_admin(root, req, why, whysz)) != 0 ||
	    (r = hookio_get_rotation(root, req, why, whysz)) != 0)
		goto out;
	r = 0;
out:
	json_decref(root); /* the wiping allocator wipes the parsed copy of the secret */
	secmem_wipe(&jerr, sizeof(jerr));
	return r;
}

int
hookio_reply_write(int fd, const json_t *obj)
{
	struct secbuf *sb = NULL;
	size_t need, off = 0;
	ssize_t n;
	int r;

	need = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	if (need == 0 || need + 1 > CV_HOOK_OUTPUT_MAX)
		return CV_E_TOOBIG;
	if ((sb = secbuf_new(need + 1)) == NULL)
		return CV_E_NOMEM;
	if (json_dumpb(obj, (char *)sb->data, sb->cap, JSON_COMPACT) != need) {
		r = CV_E_INTERNAL;
		goto out;
	}
	sb->data[need] = '\n';
	sb->len = need + 1;
	while (off < sb->len) {
		n = write(fd, sb->data + off, sb->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = CV_E_IO;
			goto out;
		}
		off += (size_t)n;
	}
	r = 0;
out:
	secbuf_free(&sb);
	return r;
}
