/* SPDX-License-Identifier: MIT */
/* ct-rotate: the shipped rotate/retire hook; commercetools API clients. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/log.h"
#include "hookkit/ctapi.h"
#include "hookkit/hookmain.h"
#include "hookkit/http.h"
#include "hookkit/oauth.h"
#include "base/banned.h"

/* Exit codes and output: docs/ct-rotate.md. */

#define CT_ROTATE_STR_(x) #x
#define CT_ROTATE_STR(x) CT_ROTATE_STR_(x)

struct ct_rotate_args {
	int del; /* --delete: the retire phase */
};

static int
ct_rotate_set_delete(void *ctx, const char *value)
{
	struct ct_rotate_args *a = ctx;

	(void)value;
	a->del = 1;
	return 0;
}

/* admin=NAME is the vault's: it mints the admin token from record NAME and
 * passes it in "admin" on stdin. */
static int
ct_rotate_set_admin(void *ctx, const char *value)
{
	(void)ctx;
	return value[0] != '\0' ? 0 : CV_E_INVALID;
}

static const struct hookmain_key ct_rotate_keys[] = {
	{ "--delete", "--delete", HOOKMAIN_KEY_FLAG, ct_rotate_set_delete },
	{ "admin", "admin=NAME", HOOKMAIN_KEY_REPEAT, ct_rotate_set_admin },
};

/* Report a failed call: the error object on stdout, exit 1. */
static int
ct_rotate_fail(const char *name, const char *action, struct ctapi_status *st)
{
	char desc[sizeof(st->error_description)];

	/* The only credential here is the admin token: say which. */
	if (strcmp(st->error, "invalid_token") == 0 ||
	    strcmp(st->error, "insufficient_scope") == 0) {
		(void)snprintf(desc, sizeof(desc), "%s", st->error_description);
		(void)snprintf(st->error_description,
		    sizeof(st->error_description), "the admin token was "
		    "refused (%.200s); the admin record (admin=NAME) needs "
		    "manage_api_clients:{projectKey}, and not manage_project",
		    desc);
	}

	return hookmain_fail(name, action, st->error, st->error_description);
}

/*
 * Delete every API client named client_name: what an earlier, interrupted
 * attempt of this rotation created but never handed to the vault.  The
 * record's active client is never deleted (that would be a name clash,
 * not an orphan).  Deleted ids are appended to replaced; each deletion is
 * logged with origin ("left by an earlier attempt").  0 with st set, or
 * CV_E_*.
 */
static int
ct_rotate_clear_name(const struct ctapi *api, const char *name,
    const char *client_name, const char *active_id, const char *origin,
    struct ctjson_matches *replaced, struct ctapi_status *st)
{
	struct ctjson_matches m;
	unsigned i;
	int r;

	if ((r = ctapi_find(api, client_name, &m, st)) != 0 ||
	    st->outcome != CTAPI_OK)
		return r;
	for (i = 0; i < m.n; i++) {
		if (strcmp(m.id[i], active_id) == 0) {
			st->outcome = CTAPI_REJECTED;
			(void)snprintf(st->error, sizeof(st->error),
			    "name_conflict");
			(void)snprintf(st->error_description,
			    sizeof(st->error_description),
			    "API client \"%s\" named \"%s\" is the record's "
			    "active client; refusing to replace it (choose "
			    "another rotation.client_name)", m.id[i],
			    client_name);
			return 0;
		}
	}
	for (i = 0; i < m.n; i++) {
		if ((r = ctapi_delete(api, m.id[i], st)) != 0)
			return r;
		if (st->outcome == CTAPI_NOT_FOUND) {
			ctapi_status_clear(st); /* someone else deleted it */
			continue;
		}
		if (st->outcome != CTAPI_OK)
			return 0;
		log_put(LOG_ERR, "main", "record %s: deleted API client \"%s\" "
		    "named \"%s\", %s", name, m.id[i], client_name, origin);
		if (replaced->n < CV_CT_ORPHANS_MAX) {
			memcpy(replaced->id[replaced->n], m.id[i],
			    strlen(m.id[i]) + 1);
			replaced->n++;
		}
	}
	return 0;
}

/*
 * After a create whose outcome we could not see, or whose answer we could
 * not use: a client may exist upstream whose secret nobody holds.  Delete
 * it now if time allows; else the next attempt does (ct_rotate_clear_name).
 */
static void
ct_rotate_cleanup(const struct ctapi *api, const char *name,
    const char *client_name, const char *active_id)
{
	struct ctjson_matches gone = { 0 };
	struct ctapi_status st;

	if (http_remaining(api->deadline_at) == 0) {
		log_put(LOG_ERR, "main", "record %s: no time left to check for "
		    "an API client named \"%s\"; the next attempt replaces it",
		    name, client_name);
		return;
	}
	if (ct_rotate_clear_name(api, name, client_name, active_id,
	        "whose create answer could not be used", &gone, &st) != 0 ||
	    st.outcome != CTAPI_OK)
		log_put(LOG_ERR, "main", "record %s: could not clean up API "
		    "clients named \"%s\" (%s); the next attempt replaces them",
		    name, client_name, st.error);
}

/*
 * The new client must be the one asked for, able to do what the old one
 * could.  If not, it is deleted again (it would only be in the way) and
 * the failure reported: HOOKMAIN_EXIT_OK or the exit code.
 */
static int
ct_rotate_check_new(const struct ctapi *api, const char *name,
    const char *cname, const char *scope, const struct ctjson_client *c)
{
	struct ctapi_status st;
	int renamed = strcmp(c->name, cname) != 0, code;

	if (!renamed && oauth_scope_is_subset(scope, c->scope))
		return HOOKMAIN_EXIT_OK;
	ctapi_status_clear(&st);
	st.outcome = CTAPI_REJECTED;
	(void)snprintf(st.error, sizeof(st.error), "%s",
	    renamed ? "invalid_response" : "invalid_scope");
	(void)snprintf(st.error_description, sizeof(st.error_description),
	    "%s", renamed ? "the API created the client under another name" :
	    "the API granted the new client fewer scopes than record.scope");
	code = ct_rotate_fail(name, "checking the new API client", &st);
	if (ctapi_delete(api, c->id, &st) != 0 ||
	    (st.outcome != CTAPI_OK && st.outcome != CTAPI_NOT_FOUND))
		log_put(LOG_ERR, "main", "record %s: could not delete the "
		    "unusable API client \"%s\" (%s); %s", name, c->id,
		    st.error, renamed ? "delete it by hand" :
		                        "the next attempt replaces it");
	else
		log_put(LOG_ERR, "main", "record %s: deleted the unusable API "
		    "client \"%s\"", name, c->id);
	return code;
}

static int
ct_rotate_rotate(const struct hookio_request *req, const struct ctapi *api,
    const char *name)
{
	struct ctjson_matches replaced = { 0 };
	struct ctjson_client c;
	struct ctapi_status st;
	char scope[CV_SCOPE_MAX + 1];
	const char *cname = req->rotation_client_name;
	json_t *reply = NULL;
	unsigned round;
	int r, code;

	c.secret = NULL;
	ctjson_client_clear(&c);
	if (!ctjson_is_name(cname)) {
		log_put(LOG_ERR, "main", "record %s: rotation.client_name is "
		    "%s", name, cname[0] == '\0' ? "missing" : "not 1 to "
		    CT_ROTATE_STR(CV_CT_CLIENT_NAME_MAX) " printable ASCII "
		    "characters without quotes or backslashes");
		return HOOKMAIN_EXIT_USAGE;
	}
	if (oauth_scope_normalize(req->record_scope, scope,
	        sizeof(scope)) != 0 ||
	    scope[0] == '\0') {
		log_put(LOG_ERR, "main", "record %s: record.scope is %s", name,
		    req->record_scope[0] == '\0' ? "empty; an API client needs "
		    "at least one scope" : "not a valid RFC 6749 scope list");
		return HOOKMAIN_EXIT_USAGE;
	}

	for (round = 0;; round++) {
		/* Idempotency: whatever an interrupted run left under this
		 * name goes first, so a resumed rotation never leaves two. */
		r = ct_rotate_clear_name(api, name, cname, req->client_id,
		    round == 0 ? "left by an earlier attempt" :
		                 "made meanwhile by someone else",
		    &replaced, &st);
		if (r != 0)
			return hookmain_error(name, r, st.error_description);
		if (st.outcome != CTAPI_OK)
			return ct_rotate_fail(name,
			    "looking for an earlier API client", &st);
		r = ctapi_create(api, cname, scope, &c, &st);
		if (r != 0)
			return hookmain_error(name, r, st.error_description);
		if (st.outcome == CTAPI_OK)
			break;
		if (st.outcome == CTAPI_CONFLICT &&
		    round + 1 < CV_CT_CREATE_ROUNDS) {
			/* Someone made one since we looked; look again. */
			log_put(LOG_ERR, "main", "record %s: the name \"%s\" "
			    "was taken meanwhile; replacing that client too",
			    name, cname);
			continue;
		}
		code = ct_rotate_fail(name, "creating the API client", &st);
		if (st.outcome == CTAPI_UNAVAILABLE ||
		    st.outcome == CTAPI_TRANSPORT ||
		    st.outcome == CTAPI_BAD_REPLY)
			ct_rotate_cleanup(api, name, cname, req->client_id);
		return code;
	}

	code = ct_rotate_check_new(api, name, cname, scope, &c);
	if (code != HOOKMAIN_EXIT_OK) {
		ctjson_client_clear(&c);
		return code;
	}

	code = HOOKMAIN_EXIT_INTERNAL;
	if ((reply = ctjson_reply_new(&c, &replaced)) == NULL) {
		log_put(LOG_ERR, "main", "record %s: cannot build the reply: "
		    "out of memory", name);
		goto out;
	}
	if ((r = hookio_reply_write(STDOUT_FILENO, reply)) != 0) {
		/* The secret is lost: say so, the next run replaces it. */
		log_put(LOG_ERR, "main", "record %s: cannot write the reply: "
		    "%s; API client \"%s\" is orphaned and will be replaced",
		    name, cv_strerror(r), c.id);
		goto out;
	}
	log_put(LOG_ERR, "main", "record %s: created API client \"%s\" named "
	    "\"%s\"", name, c.id, cname);
	code = HOOKMAIN_EXIT_OK;
out:
	json_decref(reply); /* the wiping allocator wipes the secret's copy */
	ctjson_client_clear(&c);
	return code;
}

static int
ct_rotate_retire(const struct hookio_request *req, const struct ctapi *api,
    const char *name)
{
	struct ctapi_status st;
	const char *id = req->retire_client_id;
	json_t *o;
	int r;

	if (!ctjson_is_id(id)) {
		log_put(LOG_ERR, "main", "record %s: retire.client_id is %s",
		    name, id[0] == '\0' ? "missing" : "not 1 to "
		    CT_ROTATE_STR(CV_CLIENT_ID_MAX) " characters from "
		    "[A-Za-z0-9._~-]");
		return HOOKMAIN_EXIT_USAGE;
	}
	if (strcmp(id, req->client_id) == 0) {
		log_put(LOG_ERR, "main", "record %s: retire.client_id is the "
		    "record's active client; refusing to delete it", name);
		return HOOKMAIN_EXIT_USAGE;
	}
	if ((r = ctapi_delete(api, id, &st)) != 0)
		return hookmain_error(name, r, st.error_description);
	if (st.outcome != CTAPI_OK && st.outcome != CTAPI_NOT_FOUND)
		return ct_rotate_fail(name, "deleting the old API client", &st);

	log_put(LOG_ERR, "main", "record %s: API client \"%s\" %s", name, id,
	    st.outcome == CTAPI_OK ? "deleted" : "was already gone");
	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "deleted",
	        json_boolean(st.outcome == CTAPI_OK)) != 0 ||
	    (st.outcome == CTAPI_NOT_FOUND &&
	        json_object_set_new(o, "reason",
	            json_string("not_found")) != 0)) {
		json_decref(o);
		return HOOKMAIN_EXIT_INTERNAL;
	}
	r = hookio_reply_write(STDOUT_FILENO, o);
	json_decref(o);
	return r == 0 ? HOOKMAIN_EXIT_OK : HOOKMAIN_EXIT_INTERNAL;
}

static int
ct_rotate_handle(void *ctx, const struct hookmain_args *args,
    const struct hookio_request *req, const char *name)
{
	const struct ct_rotate_args *a = ctx;
	struct ctapi api;
	char why[CV_HOOK_REASON_MAX];
	char base[CV_URL_MAX + 1];
	int del;

	/* --delete or "phase":"retire" deletes; they must not disagree. */
	if (strcmp(req->phase, "retire") == 0) {
		del = 1;
	} else if (strcmp(req->phase, "rotate") == 0 && !a->del) {
		del = 0;
	} else {
		log_put(LOG_ERR, "main", "record %s: ct-rotate runs in the "
		    "rotate phase, or with --delete in the retire phase; fix "
		    "the stack line", name);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (strcmp(req->provider, "commercetools") != 0) {
		log_put(LOG_ERR, "main", "record %s: ct-rotate manages "
		    "commercetools API clients only; the record's provider is "
		    "not commercetools", name);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (req->project_key[0] == '\0' || req->api_url[0] == '\0') {
		log_put(LOG_ERR, "main", "record %s: the request lacks %s",
		    name, req->project_key[0] == '\0' ? "record.project_key" :
		                                        "record.api_url");
		return HOOKMAIN_EXIT_USAGE;
	}
	if (ctapi_base_url(req->api_url, req->project_key, base, sizeof(base),
	        why, sizeof(why)) != 0) {
		log_put(LOG_ERR, "main", "record %s: bad api_url or "
		    "project_key: %s", name, why);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (req->admin_token == NULL) {
		log_put(LOG_ERR, "main", "record %s: the request has no admin "
		    "token; put admin=NAME on the stack line, NAME being a "
		    "record with manage_api_clients:%s", name,
		    req->project_key);
		return HOOKMAIN_EXIT_USAGE;
	}
	if (req->admin_token_type[0] != '\0' &&
	    strcasecmp(req->admin_token_type, "bearer") != 0) {
		log_put(LOG_ERR, "main", "record %s: admin.token_type must be "
		    "Bearer", name);
		return HOOKMAIN_EXIT_USAGE;
	}

	api.base = base;
	api.admin = req->admin_token;
	api.cafile = args->cafile;
	api.deadline_at = http_deadline(args->timeout_ms);
	api.retries = args->retries;
	return del ? ct_rotate_retire(req, &api, name) :
	             ct_rotate_rotate(req, &api, name);
}

int
main(int argc, char **argv)
{
	struct ct_rotate_args a = { 0 };
	const struct hookmain hook = { "ct-rotate", ct_rotate_keys,
		sizeof(ct_rotate_keys) / sizeof(ct_rotate_keys[0]), &a,
		ct_rotate_handle };

	return hookmain_run(&hook, argc, argv);
}
