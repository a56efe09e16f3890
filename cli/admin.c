/* SPDX-License-Identifier: MIT */
/* A vault command, through the vault's agent or on the files. */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700
#include "cli/admin.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/jobs/admin_ops.h"
#include "client/credvault.h"
#include "client/wire.h"
#include "crypto/secmem.h"
#include "cli/prompt.h"
#include "base/err.h"
#include "base/banned.h"

/* A bad argument is a usage error, whoever found it. */
static int
admin_exit(int err)
{
	return err == CV_E_INVALID ? CV_EXIT_USAGE : cv_exit_code(err);
}

/* Send {"v":1,"op":"admin","cmd":cmd,"args":args[,"proof":proof]} and
 * parse the reply object into *reply. */
static int
admin_send(struct credvault_conn *conn, const char *cmd, const json_t *args,
    const json_t *proof, json_t **reply)
{
	json_t *req;
	json_error_t jerr;
	void *body = NULL;
	char *buf = NULL;
	size_t n, blen = 0;
	int r;

	*reply = NULL;
	req = json_pack("{s:i,s:s,s:s}", "v", WIRE_VERSION, "op", "admin",
	    "cmd", cmd);
	if (req == NULL || (args != NULL && json_object_set(req, "args",
	    (json_t *)args) != 0) || (proof != NULL &&
	    json_object_set(req, "proof", (json_t *)proof) != 0) ||
	    (buf = malloc(CV_REQUEST_MAX)) == NULL) {
		json_decref(req);
		return CREDVAULT_NOMEM;
	}
	n = json_dumpb(req, buf, CV_REQUEST_MAX, JSON_COMPACT);
	json_decref(req);
	r = n == 0 || n > CV_REQUEST_MAX ? CREDVAULT_INVALID :
	    credvault_call(conn, buf, n, &body, &blen);
	secmem_wipe(buf, CV_REQUEST_MAX); /* may carry a secret */
	free(buf);
	if (r != 0)
		return r;
	*reply = json_loadb(body, blen, JSON_REJECT_DUPLICATES, &jerr);
	secmem_wipe(&jerr, sizeof(jerr));
	credvault_reply_free(body, blen);
	if (*reply == NULL || !json_is_object(*reply) ||
	    json_integer_value(json_object_get(*reply, "v")) != WIRE_VERSION ||
	    !json_is_string(json_object_get(*reply, "status"))) {
		json_decref(*reply);
		*reply = NULL;
		return CREDVAULT_PROTOCOL;
	}
	return 0;
}

/* The passphrase proof the agent asked for: keyslot and passphrase. */
static int
admin_proof(struct cli *c, const char *keyslot, json_t **proof)
{
	struct secbuf *pw = NULL;
	enum keyslot_kind kind;

	*proof = NULL;
	fprintf(stderr, "credvault: the agent asks for the passphrase of "
	    "keyslot '%s'\n", keyslot);
	if (c->keyfile != NULL) {
		cli_error(c, "the agent asks for a passphrase, not a key file");
		return CV_EXIT_USAGE;
	}
	if (cli_read_unlock_secret(c, &kind, &pw) != 0)
		return CV_EXIT_USAGE;
	/* jansson copies it; the wiping allocator wipes the copy. */
	*proof = json_pack("{s:s,s:s%}", "keyslot", keyslot, "passphrase",
	    (const char *)pw->data, pw->len);
	secbuf_free(&pw);
	return *proof != NULL ? 0 : CV_EXIT_FAILURE;
}

/* Through the agent at path (conn): the reply, or the error printed. */
static int
admin_agent(struct cli *c, struct credvault_conn *conn, const char *path,
    const char *cmd, const json_t *args, json_t **res)
{
	json_t *reply = NULL, *proof = NULL;
	const char *status, *cls, *detail;
	int r, tries;

	for (tries = 0; tries < 2; tries++) {
		json_decref(reply);
		if ((r = admin_send(conn, cmd, args, proof, &reply)) != 0) {
			json_decref(proof);
			cli_error(c, "cannot ask the agent at '%s': %s", path,
			    credvault_strerror(r));
			return CV_EXIT_FAILURE;
		}
		json_decref(proof);
		proof = NULL;
		cls = json_string_value(json_object_get(reply, "error"));
		if (tries > 0 || cls == NULL ||
		    strcmp(cls, "passphrase_required") != 0)
			break;
		if ((r = admin_proof(c, json_string_value(json_object_get(
		    reply, "keyslot")) != NULL ? json_string_value(
		    json_object_get(reply, "keyslot")) : "?", &proof)) != 0) {
			json_decref(reply);
			return r;
		}
	}
	status = json_string_value(json_object_get(reply, "status"));
	if (strcmp(status, "ok") == 0 &&
	    json_is_object(json_object_get(reply, "result"))) {
		*res = json_incref(json_object_get(reply, "result"));
		json_decref(reply);
		return 0;
	}
	r = CV_EXIT_FAILURE;
	if (strcmp(status, "denied") == 0) {
		cli_error(c, "the agent at '%s' refused: its admin rules "
		    "(hooks.d/admin) do not let you %s; ask the vault's owner",
		    path, cmd);
		r = CV_EXIT_REFUSED;
	} else if (strcmp(status, "locked") == 0) {
		cli_error(c, "the agent at '%s' is locked: stop it and start "
		    "a new one", path);
		r = CV_EXIT_UNLOCK;
	} else if (strcmp(status, "failed") == 0 &&
	    (cls = json_string_value(json_object_get(reply, "error"))) !=
	    NULL) {
		detail = json_string_value(json_object_get(reply, "detail"));
		if (detail != NULL && detail[0] != '\0')
			cli_error(c, "%s", detail);
		else
			cli_error(c, "the agent at '%s' could not %s: %s (%s)",
			    path, cmd, wire_class_text(cls), cls);
		r = admin_exit(wire_class_err(cls));
	} else {
		cli_error(c, "the agent at '%s' gave a malformed reply", path);
	}
	json_decref(reply);
	return r;
}

/* Whether the agent on conn serves the vault c names. */
static int
admin_same_vault(struct cli *c, struct credvault_conn *conn)
{
	char a[PATH_MAX], b[PATH_MAX];
	json_t *reply = NULL, *path;
	int same = 0;

	if (admin_send(conn, "vault", NULL, NULL, &reply) != 0)
		return 0;
	path = json_object_get(json_object_get(reply, "result"), "path");
	if (json_is_string(path)) {
		same = strcmp(json_string_value(path), c->vault_dir) == 0 ||
		    (realpath(json_string_value(path), a) != NULL &&
		    realpath(c->vault_dir, b) != NULL && strcmp(a, b) == 0);
	}
	json_decref(reply);
	return same;
}

struct cli_admin {
	struct cli *c;
	struct credvault_conn *conn;  /* through this agent, or */
	struct vault *v;              /* on these files */
	char path[CV_PATH_MAX];       /* the agent's socket */
};

int
cli_admin_begin(struct cli *c, unsigned flags, struct cli_admin **out)
{
	const char *path = c->socket, *env = getenv("CREDVAULT_SOCKET");
	struct cli_admin *s;
	int r;

	*out = NULL;
	if ((r = cli_vault_dir(c)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CV_EXIT_FAILURE;
	s->c = c;
	if (c->local)
		goto files;
	if (path == NULL && env != NULL && env[0] != '\0')
		path = env;
	if (path != NULL) {
		/* Named: that agent, or nothing. */
		(void)snprintf(s->path, sizeof(s->path), "%s", path);
		if ((r = credvault_connect(path, &s->conn)) != 0) {
			cli_error(c, "cannot reach the agent at '%s': %s%s", path,
			    credvault_strerror(r), r == CREDVAULT_NO_AGENT ?
			    "; start it, or use --local to open the vault "
			    "files yourself" : "");
			free(s);
			return CV_EXIT_FAILURE;
		}
		goto agent;
	}
	if (credvault_socket_path(s->path, sizeof(s->path)) == 0 &&
	    credvault_connect(s->path, &s->conn) == 0) {
		if (admin_same_vault(c, s->conn))
			goto agent;
		credvault_close(&s->conn);
	}
files:
	if (c->verbose)
		fprintf(stderr, "credvault: opening the vault in '%s' "
		    "itself\n", c->vault_dir);
	if ((r = (flags & CLI_ADMIN_NO_UNLOCK) != 0 ? cli_open_locked(c,
	    &s->v) : cli_open_unlocked(c, &s->v)) != 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
agent:
	if (c->verbose)
		fprintf(stderr, "credvault: through the agent at '%s'\n",
		    s->path);
	*out = s;
	return 0;
}

int
cli_admin_call(struct cli_admin *s, const char *cmd, json_t *args,
    json_t **res)
{
	struct admin_answer a;
	int r = 0;

	*res = NULL;
	if (s->conn != NULL) {
		r = admin_agent(s->c, s->conn, s->path, cmd, args, res);
	} else {
		admin_ops_run(s->v, cmd, args, 0, &a);
		if (a.err != 0) {
			cli_error(s->c, "%s", a.detail);
			r = admin_exit(a.err);
		} else {
			*res = a.result;
			a.result = NULL;
		}
		admin_answer_clear(&a);
	}
	json_decref(args);
	return r;
}

int
cli_admin_pages(struct cli_admin *s, const char *cmd, json_t *args,
    int (*page)(const json_t *res, void *arg), void *arg)
{
	const json_t *next;
	json_t *res = NULL;
	int r;

	for (;;) {
		if ((r = cli_admin_call(s, cmd, json_deep_copy(args),
		    &res)) != 0)
			return r;
		if ((r = page(res, arg)) != 0)
			break;
		next = json_object_get(res, "next");
		if (next == NULL)
			break;
		(void)json_object_set(args, "after", (json_t *)next);
		json_decref(res);
		res = NULL;
	}
	json_decref(res);
	return r;
}

int
cli_admin_is_agent(const struct cli_admin *s)
{
	return s->conn != NULL;
}

void
cli_admin_end(struct cli_admin **sp)
{
	struct cli_admin *s = *sp;

	if (s == NULL)
		return;
	credvault_close(&s->conn);
	vault_free(&s->v);
	free(s);
	*sp = NULL;
}

int
cli_admin(struct cli *c, const char *cmd, json_t *args, json_t **res)
{
	return cli_admin_flags(c, cmd, args, 0, res);
}

int
cli_admin_flags(struct cli *c, const char *cmd, json_t *args,
    unsigned flags, json_t **res)
{
	struct cli_admin *s = NULL;
	int r;

	*res = NULL;
	if ((r = cli_admin_begin(c, flags, &s)) != 0) {
		json_decref(args);
		return r;
	}
	r = cli_admin_call(s, cmd, args, res);
	cli_admin_end(&s);
	return r;
}
