/* SPDX-License-Identifier: MIT */
/* ct-rotate: the shipped rotate/retire hook; commercetools API clients. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <signal.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "hookkit/http.h"
#include "hookkit/ctapi.h"
#include "hookkit/hookio.h"
#include "base/log.h"
#include "hookkit/oauth.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "base/limits.h"
#include "base/banned.h"

/*
 * Exit codes (docs/ct-rotate.md), as oauth2-mint's: 0 and 1 are the hook
 * protocol's success and failure, and a failure always comes with an
 * error object on stdout; 3 and 4 say the hook could not do its job at
 * all (stdout stays empty).
 */
#define CV_STR_(x) #x
#define CV_STR(x) CV_STR_(x)

enum ctr_exit {
	CTR_EXIT_OK = 0,
	CTR_EXIT_FAILED = 1,
	CTR_EXIT_USAGE = 3,    /* arguments, request or configuration */
	CTR_EXIT_INTERNAL = 4, /* out of memory, I/O on stdin/stdout */
};

struct ctr_args {
	int del; /* --delete: the retire phase */
	long timeout_ms;
	unsigned retries;
	const char *cafile;
};

static int
ctr_parse_args(int argc, char **argv, struct ctr_args *a)
{
	int seen_timeout = 0, seen_retries = 0, seen_cafile = 0, i;
	unsigned long v;
	const char *arg, *val;
	size_t keylen;

	a->del = 0;
	a->timeout_ms = CV_HTTP_TIMEOUT_DEFAULT_MS;
	a->retries = CV_HTTP_RETRIES_DEFAULT;
	a->cafile = NULL;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		val = strchr(arg, '=');
		keylen = val != NULL ? (size_t)(val - arg) : strlen(arg);
		if (val != NULL)
			val++;
		if (strcmp(arg, "--delete") == 0 && !a->del) {
			a->del = 1;
		} else if (val != NULL && keylen == 5 &&
		    strncmp(arg, "admin", 5) == 0 && val[0] != '\0') {
			/* The vault's: it mints the admin token from record
			 * NAME and passes it in "admin" on stdin. */
		} else if (val != NULL && keylen == 7 &&
		    strncmp(arg, "timeout", 7) == 0 && !seen_timeout) {
			if (hookio_parse_ulong(val, 1,
			        CV_HTTP_TIMEOUT_MAX_MS / 1000, &v) != 0)
				goto bad;
			a->timeout_ms = (long)v * 1000L;
			seen_timeout = 1;
		} else if (val != NULL && keylen == 7 &&
		    strncmp(arg, "retries", 7) == 0 && !seen_retries) {
			if (hookio_parse_ulong(val, 0, CV_HTTP_RETRIES_MAX,
			        &v) != 0)
				goto bad;
			a->retries = (unsigned)v;
			seen_retries = 1;
		} else if (val != NULL && keylen == 6 &&
		    strncmp(arg, "cafile", 6) == 0 && !seen_cafile) {
			if (val[0] != '/' || strlen(val) >= CV_PATH_MAX)
				goto bad;
			a->cafile = val;
			seen_cafile = 1;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	/* Arguments come from the stack file, never secrets: quote them. */
	{
		char shown[128];

		log_clean(shown, sizeof(shown), argv[i], strlen(argv[i]));
		log_put(LOG_ERR, "main", "bad or repeated argument \"%s\"; expected "
		    "--delete, admin=NAME, timeout=1..%d, retries=0..%d, "
		    "cafile=/ABSOLUTE/PATH (each but admin= at most once)",
		    shown, CV_HTTP_TIMEOUT_MAX_MS / 1000, CV_HTTP_RETRIES_MAX);
	}
	return CV_E_USAGE;
}

static int
ctr_write_error(const char *error, const char *description)
{
	json_t *o;
	int r;

	o = json_object();
	if (o == NULL ||
	    json_object_set_new(o, "error", json_string(error)) != 0 ||
	    json_object_set_new(o, "error_description",
	        json_string(description)) != 0) {
		json_decref(o);
		return CV_E_NOMEM;
	}
	r = hookio_reply_write(STDOUT_FILENO, o);
	json_decref(o);
	return r;
}

/* Report a failed call: the error object on stdout, exit 1. */
static int
ctr_fail(const char *name, const char *action, struct ctapi_status *st)
{
	char desc[sizeof(st->error_description)];
	int r;

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

	log_put(LOG_ERR, "main", "record %s: %s: %s: %s", name, action, st->error,
	    st->error_description);
	if ((r = ctr_write_error(st->error, st->error_description)) != 0) {
		log_put(LOG_ERR, "main", "record %s: cannot write the reply: %s", name,
		    cv_strerror(r));
		return CTR_EXIT_INTERNAL;
	}
	return CTR_EXIT_FAILED;
}

/* Exit code for an error return of ctapi_*(): the call never happened. */
static int
ctr_exit_for(int r)
{
	return r == CV_E_NOMEM || r == CV_E_INTERNAL ? CTR_EXIT_INTERNAL :
	                                               CTR_EXIT_USAGE;
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
ctr_clear_name(const struct ctapi *api, const char *name,
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
		log_put(LOG_ERR, "main", "record %s: deleted API client \"%s\" named "
		    "\"%s\", %s", name, m.id[i], client_name, origin);
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
 * it now if time allows; else the next attempt does (ctr_clear_name).
 */
static void
ctr_cleanup(const struct ctapi *api, const char *name,
    const char *client_name, const char *active_id)
{
	struct ctjson_matches gone = { 0 };
	struct ctapi_status st;

	if (http_remaining(api->deadline_at) == 0) {
		log_put(LOG_ERR, "main", "record %s: no time left to check for an API "
		    "client named \"%s\"; the next attempt replaces it", name,
		    client_name);
		return;
	}
	if (ctr_clear_name(api, name, client_name, active_id,
	        "whose create answer could not be used", &gone, &st) != 0 ||
	    st.outcome != CTAPI_OK)
		log_put(LOG_ERR, "main", "record %s: could not clean up API clients "
		    "named \"%s\" (%s); the next attempt replaces them", name,
		    client_name, st.error);
}

/*
 * The new client must be the one asked for, able to do what the old one
 * could.  If not, it is deleted again (it would only be in the way) and
 * the failure reported: CTR_EXIT_OK or the exit code.
 */
static int
ctr_check_new(const struct ctapi *api, const char *name, const char *cname,
    const char *scope, const struct ctjson_client *c)
{
	struct ctapi_status st;
	int renamed = strcmp(c->name, cname) != 0, code;

	if (!renamed && oauth_scope_is_subset(scope, c->scope))
		return CTR_EXIT_OK;
	ctapi_status_clear(&st);
	st.outcome = CTAPI_REJECTED;
	(void)snprintf(st.error, sizeof(st.error), "%s",
	    renamed ? "invalid_response" : "invalid_scope");
	(void)snprintf(st.error_description, sizeof(st.error_description),
	    "%s", renamed ? "the API created the client under another name" :
	    "the API granted the new client fewer scopes than record.scope");
	code = ctr_fail(name, "checking the new API client", &st);
	if (ctapi_delete(api, c->id, &st) != 0 ||
	    (st.outcome != CTAPI_OK && st.outcome != CTAPI_NOT_FOUND))
		log_put(LOG_ERR, "main", "record %s: could not delete the unusable API "
		    "client \"%s\" (%s); %s", name, c->id, st.error,
		    renamed ? "delete it by hand" :
		              "the next attempt replaces it");
	else
		log_put(LOG_ERR, "main", "record %s: deleted the unusable API client "
		    "\"%s\"", name, c->id);
	return code;
}

static int
ctr_rotate(const struct hookio_request *req, const struct ctapi *api,
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
		log_put(LOG_ERR, "main", "record %s: rotation.client_name is %s", name,
		    cname[0] == '\0' ? "missing" : "not 1 to "
		    CV_STR(CV_CT_CLIENT_NAME_MAX) " printable ASCII characters "
		    "without quotes or backslashes");
		return CTR_EXIT_USAGE;
	}
	if (oauth_scope_normalize(req->record_scope, scope,
	        sizeof(scope)) != 0 ||
	    scope[0] == '\0') {
		log_put(LOG_ERR, "main", "record %s: record.scope is %s", name,
		    req->record_scope[0] == '\0' ? "empty; an API client needs "
		    "at least one scope" : "not a valid RFC 6749 scope list");
		return CTR_EXIT_USAGE;
	}

	for (round = 0;; round++) {
		/* Idempotency: whatever an interrupted run left under this
		 * name goes first, so a resumed rotation never leaves two. */
		r = ctr_clear_name(api, name, cname, req->client_id,
		    round == 0 ? "left by an earlier attempt" :
		                 "made meanwhile by someone else",
		    &replaced, &st);
		if (r != 0) {
			log_put(LOG_ERR, "main", "record %s: %s", name,
			    st.error_description);
			return ctr_exit_for(r);
		}
		if (st.outcome != CTAPI_OK)
			return ctr_fail(name,
			    "looking for an earlier API client", &st);
		r = ctapi_create(api, cname, scope, &c, &st);
		if (r != 0) {
			log_put(LOG_ERR, "main", "record %s: %s", name,
			    st.error_description);
			return ctr_exit_for(r);
		}
		if (st.outcome == CTAPI_OK)
			break;
		if (st.outcome == CTAPI_CONFLICT &&
		    round + 1 < CV_CT_CREATE_ROUNDS) {
			/* Someone made one since we looked; look again. */
			log_put(LOG_ERR, "main", "record %s: the name \"%s\" was taken "
			    "meanwhile; replacing that client too", name,
			    cname);
			continue;
		}
		code = ctr_fail(name, "creating the API client", &st);
		if (st.outcome == CTAPI_UNAVAILABLE ||
		    st.outcome == CTAPI_TRANSPORT ||
		    st.outcome == CTAPI_BAD_REPLY)
			ctr_cleanup(api, name, cname, req->client_id);
		return code;
	}

	code = ctr_check_new(api, name, cname, scope, &c);
	if (code != CTR_EXIT_OK) {
		ctjson_client_clear(&c);
		return code;
	}

	code = CTR_EXIT_INTERNAL;
	if ((reply = ctjson_reply_new(&c, &replaced)) == NULL) {
		log_put(LOG_ERR, "main", "record %s: cannot build the reply: out of "
		    "memory", name);
		goto out;
	}
	if ((r = hookio_reply_write(STDOUT_FILENO, reply)) != 0) {
		/* The secret is lost: say so, the next run replaces it. */
		log_put(LOG_ERR, "main", "record %s: cannot write the reply: %s; API "
		    "client \"%s\" is orphaned and will be replaced", name,
		    cv_strerror(r), c.id);
		goto out;
	}
	log_put(LOG_ERR, "main", "record %s: created API client \"%s\" named \"%s\"",
	    name, c.id, cname);
	code = CTR_EXIT_OK;
out:
	json_decref(reply); /* the wiping allocator wipes the secret's copy */
	ctjson_client_clear(&c);
	return code;
}

static int
ctr_retire(const struct hookio_request *req, const struct ctapi *api,
    const char *name)
{
	struct ctapi_status st;
	const char *id = req->retire_client_id;
	json_t *o;
	int r;

	if (!ctjson_is_id(id)) {
		log_put(LOG_ERR, "main", "record %s: retire.client_id is %s", name,
		    id[0] == '\0' ? "missing" : "not 1 to "
		    CV_STR(CV_CLIENT_ID_MAX) " characters from "
		    "[A-Za-z0-9._~-]");
		return CTR_EXIT_USAGE;
	}
	if (strcmp(id, req->client_id) == 0) {
		log_put(LOG_ERR, "main", "record %s: retire.client_id is the record's "
		    "active client; refusing to delete it", name);
		return CTR_EXIT_USAGE;
	}
	if ((r = ctapi_delete(api, id, &st)) != 0) {
		log_put(LOG_ERR, "main", "record %s: %s", name, st.error_description);
		return ctr_exit_for(r);
	}
	if (st.outcome != CTAPI_OK && st.outcome != CTAPI_NOT_FOUND)
		return ctr_fail(name, "deleting the old API client", &st);

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
		return CTR_EXIT_INTERNAL;
	}
	r = hookio_reply_write(STDOUT_FILENO, o);
	json_decref(o);
	return r == 0 ? CTR_EXIT_OK : CTR_EXIT_INTERNAL;
}

static void
ctr_harden(void)
{
	struct rlimit rl = { 0, 0 };
	struct sigaction sa;

	/* A token and a new secret are in this process: no core files. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		log_put(LOG_ERR, "ctr_harden", "cannot disable core files: %s",
		    strerror(errno));
	/* A reader that went away must not kill us mid-wipe. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
}

int
main(int argc, char **argv)
{
	struct ctr_args args;
	struct hookio_request req;
	struct ctapi api;
	struct secbuf *in = NULL;
	char why[CV_HOOK_REASON_MAX];
	char base[CV_URL_MAX + 1];
	char name[CV_NAME_MAX + 3];
	int r, del, code = CTR_EXIT_INTERNAL;

	log_set_ident("ct-rotate", LOG_STYLE_PLAIN);
	hookio_request_init(&req);
	why[0] = '\0';
	ctr_harden();
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (secmem_init() != 0 || http_init() != 0) {
		log_put(LOG_ERR, "main", "cannot initialise libsodium or libcurl");
		goto out;
	}
	if (ctr_parse_args(argc, argv, &args) != 0) {
		code = CTR_EXIT_USAGE;
		goto out;
	}

	if ((r = hookio_read(STDIN_FILENO, &in)) != 0) {
		log_put(LOG_ERR, "main", "cannot read the request on stdin: %s%s",
		    cv_strerror(r), r == CV_E_TOOBIG ? " (the limit is "
		    CV_STR(CV_HOOK_INPUT_MAX) " bytes)" : "");
		code = r == CV_E_TOOBIG ? CTR_EXIT_USAGE : CTR_EXIT_INTERNAL;
		goto out;
	}
	r = hookio_request_decode(in->data, in->len, &req, why, sizeof(why));
	secbuf_free(&in);
	if (r != 0) {
		log_put(LOG_ERR, "main", "cannot decode the request: %s", why);
		code = r == CV_E_NOMEM ? CTR_EXIT_INTERNAL : CTR_EXIT_USAGE;
		goto out;
	}
	(void)snprintf(name, sizeof(name), "\"%s\"",
	    req.name[0] != '\0' ? req.name : "?");

	code = CTR_EXIT_USAGE;
	/* --delete or "phase":"retire" deletes; they must not disagree. */
	if (strcmp(req.phase, "retire") == 0) {
		del = 1;
	} else if (strcmp(req.phase, "rotate") == 0 && !args.del) {
		del = 0;
	} else {
		log_put(LOG_ERR, "main", "record %s: ct-rotate runs in the rotate "
		    "phase, or with --delete in the retire phase; fix the "
		    "stack line", name);
		goto out;
	}
	if (strcmp(req.provider, "commercetools") != 0) {
		log_put(LOG_ERR, "main", "record %s: ct-rotate manages commercetools "
		    "API clients only; the record's provider is not "
		    "commercetools", name);
		goto out;
	}
	if (req.project_key[0] == '\0' || req.api_url[0] == '\0') {
		log_put(LOG_ERR, "main", "record %s: the request lacks %s", name,
		    req.project_key[0] == '\0' ? "record.project_key" :
		                                 "record.api_url");
		goto out;
	}
	if (ctapi_base_url(req.api_url, req.project_key, base, sizeof(base),
	        why, sizeof(why)) != 0) {
		log_put(LOG_ERR, "main", "record %s: bad api_url or project_key: %s",
		    name, why);
		goto out;
	}
	if (req.admin_token == NULL) {
		log_put(LOG_ERR, "main", "record %s: the request has no admin token; "
		    "put admin=NAME on the stack line, NAME being a record "
		    "with manage_api_clients:%s", name, req.project_key);
		goto out;
	}
	if (req.admin_token_type[0] != '\0' &&
	    strcasecmp(req.admin_token_type, "bearer") != 0) {
		log_put(LOG_ERR, "main", "record %s: admin.token_type must be Bearer",
		    name);
		goto out;
	}

	api.base = base;
	api.admin = req.admin_token;
	api.cafile = args.cafile;
	api.deadline_at = http_deadline(args.timeout_ms);
	api.retries = args.retries;
	code = del ? ctr_retire(&req, &api, name) :
	             ctr_rotate(&req, &api, name);
out:
	secbuf_free(&in);
	hookio_request_clear(&req);
	http_cleanup();
	return code;
}
