/* SPDX-License-Identifier: MIT */
/* API Clients JSON: checks of every answer, the draft, the hook's reply. */
#include "hookkit/ctjson.h"

#include <stdio.h>
#include <string.h>

#include "hookkit/oauth.h"
#include "base/err.h"
#include "base/banned.h"

int
ctjson_is_id(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= CV_CLIENT_ID_MAX &&
	    strspn(s, CTJSON_UNRESERVED) == n;
}

int
ctjson_is_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > CV_CT_CLIENT_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

void
ctjson_client_clear(struct ctjson_client *c)
{
	secbuf_free(&c->secret);
	c->id[0] = '\0';
	c->name[0] = '\0';
	c->scope[0] = '\0';
}

void
ctjson_error_parse(long status, const unsigned char *p, size_t n,
    const struct secbuf *token, struct ctjson_error *e)
{
	struct oauth_error found;
	json_error_t jerr;
	json_t *root;
	const char *code = found.code, *desc = found.description;

	e->kind = CTJSON_REJECTED;
	e->code[0] = '\0';
	e->description[0] = '\0';
	root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	oauth_error_read(root, token, "(the API's description was withheld: "
	    "it contained the admin token)", &found);
	if (code[0] != '\0') {
		if (strcmp(code, "DuplicateField") == 0)
			e->kind = CTJSON_CONFLICT;
	} else if (status == 400) {
		code = "invalid_request";
	} else if (status == 401) {
		code = "invalid_token";
	} else if (status == 403) {
		code = "insufficient_scope";
	} else {
		e->kind = CTJSON_UNUSABLE;
		code = "invalid_response";
		desc = "";
		(void)snprintf(e->description, sizeof(e->description),
		    status >= 300 && status < 400 ?
		        "the API answered HTTP %ld (a redirect); redirects are "
		        "not followed: set api_url to the final address" :
		        "the API answered HTTP %ld without an error code; "
		        "check api_url and project_key", status);
	}
	(void)snprintf(e->code, sizeof(e->code), "%s", code);
	if (desc[0] != '\0')
		(void)snprintf(e->description, sizeof(e->description), "%s",
		    desc);
	if (e->description[0] == '\0')
		(void)snprintf(e->description, sizeof(e->description),
		    "the API answered HTTP %ld with error %s", status, e->code);
	json_decref(root);
	secmem_wipe(&jerr, sizeof(jerr));
	secmem_wipe(&found, sizeof(found));
}

/* A printable string member of at most max bytes into dst. */
static int
ctjson_get_text(json_t *obj, const char *key, char *dst, size_t max,
    char *why, size_t whysz)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t i, n;

	if (!json_is_string(v)) {
		(void)snprintf(why, whysz, "member \"%s\" is missing or not a "
		    "string", key);
		return CV_E_PROTO;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max) {
		(void)snprintf(why, whysz, "member \"%s\" is longer than %zu "
		    "bytes", key, max);
		return CV_E_PROTO;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			(void)snprintf(why, whysz, "member \"%s\" has "
			    "characters outside printable ASCII", key);
			return CV_E_PROTO;
		}
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int
ctjson_client_parse(const unsigned char *p, size_t n, struct ctjson_client *c,
    char *why, size_t whysz)
{
	char scope[CV_SCOPE_MAX + 1];
	json_error_t jerr;
	json_t *root, *v;
	const char *s;
	size_t len, i;
	int r = CV_E_PROTO;

	c->secret = NULL;
	ctjson_client_clear(c);
	root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jerr.text may quote the secret: the position only. */
		(void)snprintf(why, whysz, "not valid JSON (line %d, column "
		    "%d)", jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		(void)snprintf(why, whysz, "not a JSON object");
		goto out;
	}
	if ((r = ctjson_get_text(root, "id", c->id, CV_CLIENT_ID_MAX, why,
	         whysz)) != 0)
		goto out;
	r = CV_E_PROTO;
	if (!ctjson_is_id(c->id)) {
		(void)snprintf(why, whysz, "member \"id\" is not 1 to %d "
		    "characters from [A-Za-z0-9._~-]", CV_CLIENT_ID_MAX);
		goto out;
	}
	if ((r = ctjson_get_text(root, "name", c->name, CV_CT_CLIENT_NAME_MAX,
	         why, whysz)) != 0 ||
	    (r = ctjson_get_text(root, "scope", scope, CV_SCOPE_MAX, why,
	         whysz)) != 0)
		goto out;
	r = CV_E_PROTO;
	if (oauth_scope_normalize(scope, c->scope, sizeof(c->scope)) != 0 ||
	    c->scope[0] == '\0') {
		(void)snprintf(why, whysz, "member \"scope\" is not a valid, "
		    "non-empty scope list");
		goto out;
	}
	v = json_object_get(root, "secret");
	if (!json_is_string(v)) {
		(void)snprintf(why, whysz, "member \"secret\" is missing or "
		    "not a string");
		goto out;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > CV_SECRET_MAX) {
		(void)snprintf(why, whysz, "member \"secret\" is not 1 to %d "
		    "bytes", CV_SECRET_MAX);
		goto out;
	}
	for (i = 0; i < len; i++) {
		/* It goes into HTTP Basic credentials later. */
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
			(void)snprintf(why, whysz, "member \"secret\" has "
			    "characters outside visible ASCII");
			goto out;
		}
	}
	if ((c->secret = secbuf_dup(s, len)) == NULL) {
		(void)snprintf(why, whysz, "out of locked memory");
		r = CV_E_NOMEM;
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		ctjson_client_clear(c);
	json_decref(root); /* the wiping allocator wipes the parsed copy of the secret */
	secmem_wipe(&jerr, sizeof(jerr));
	secmem_wipe(scope, sizeof(scope));
	return r;
}

int
ctjson_page_parse(const unsigned char *p, size_t n, const char *name,
    struct ctjson_matches *m, size_t *count, char *why, size_t whysz)
{
	char id[CV_CLIENT_ID_MAX + 1];
	json_error_t jerr;
	json_t *root, *results, *item, *v;
	size_t i;
	int r = CV_E_PROTO;

	*count = 0;
	root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		(void)snprintf(why, whysz, "not valid JSON (line %d, column "
		    "%d)", jerr.line, jerr.column);
		goto out;
	}
	results = json_object_get(root, "results");
	if (!json_is_object(root) || !json_is_array(results)) {
		(void)snprintf(why, whysz, "not an object with a \"results\" "
		    "array");
		goto out;
	}
	json_array_foreach(results, i, item) {
		if (!json_is_object(item)) {
			(void)snprintf(why, whysz, "results[%zu] is not an "
			    "object", i);
			goto out;
		}
		if (ctjson_get_text(item, "id", id, CV_CLIENT_ID_MAX, why,
		        whysz) != 0 ||
		    !ctjson_is_id(id)) {
			(void)snprintf(why, whysz, "results[%zu].id is not an "
			    "API client id", i);
			goto out;
		}
		/* Names we did not make may hold anything: compare raw. */
		v = json_object_get(item, "name");
		if (!json_is_string(v)) {
			(void)snprintf(why, whysz, "results[%zu].name is "
			    "missing or not a string", i);
			goto out;
		}
		if (json_string_length(v) != strlen(name) ||
		    strcmp(json_string_value(v), name) != 0)
			continue;
		if (m->n >= CV_CT_ORPHANS_MAX) {
			(void)snprintf(why, whysz, "more than %d API clients "
			    "are named alike", CV_CT_ORPHANS_MAX);
			r = CV_E_TOOBIG;
			goto out;
		}
		memcpy(m->id[m->n], id, strlen(id) + 1);
		m->n++;
	}
	*count = json_array_size(results);
	r = 0;
out:
	json_decref(root);
	secmem_wipe(&jerr, sizeof(jerr));
	return r;
}

int
ctjson_draft(const char *name, const char *scope, struct secbuf **out)
{
	json_t *o;
	size_t need;
	int r;

	*out = NULL;
	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "name", json_string(name)) != 0 ||
	    json_object_set_new(o, "scope", json_string(scope)) != 0) {
		r = CV_E_NOMEM;
		goto out;
	}
	need = json_dumpb(o, NULL, 0, JSON_COMPACT);
	if (need == 0 || need > CV_HTTP_BODY_MAX) {
		r = CV_E_TOOBIG;
		goto out;
	}
	if ((*out = secbuf_new(need)) == NULL) {
		r = CV_E_NOMEM;
		goto out;
	}
	if (json_dumpb(o, (char *)(*out)->data, (*out)->cap, JSON_COMPACT) !=
	    need) {
		secbuf_free(out);
		r = CV_E_INTERNAL;
		goto out;
	}
	(*out)->len = need;
	(*out)->data[need] = '\0';
	r = 0;
out:
	json_decref(o);
	return r;
}

json_t *
ctjson_reply_new(const struct ctjson_client *c,
    const struct ctjson_matches *replaced)
{
	json_t *o, *ids = NULL;
	unsigned i;

	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "client_id", json_string(c->id)) != 0 ||
	    json_object_set_new(o, "secret",
	        json_stringn((const char *)c->secret->data,
	            c->secret->len)) != 0 ||
	    json_object_set_new(o, "scope", json_string(c->scope)) != 0 ||
	    json_object_set_new(o, "client_name", json_string(c->name)) != 0)
		goto fail;
	if (replaced != NULL && replaced->n > 0) {
		if (json_object_set_new(o, "replaced_orphan",
		        json_string(replaced->id[0])) != 0 ||
		    (ids = json_array()) == NULL)
			goto fail;
		for (i = 0; i < replaced->n; i++)
			if (json_array_append_new(ids,
			        json_string(replaced->id[i])) != 0)
				goto fail;
		/* json_object_set_new() takes ids even when it fails. */
		if (json_object_set_new(o, "replaced_orphans", ids) != 0) {
			ids = NULL;
			goto fail;
		}
	}
	return o;
fail:
	json_decref(ids);
	json_decref(o);
	return NULL;
}
