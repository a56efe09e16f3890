/* SPDX-License-Identifier: MIT */
/* Rotation steps through hooks: create, verify, retire, notify. */
#include "hooks/rotator.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks/stack.h"
#include "base/err.h"
#include "base/banned.h"

struct rotator {
	struct rotate_ops ops;
	struct vault *v;
	struct policy *policy;
	int own_policy;
	struct policy_stack *stack;
	char name[CV_NAME_MAX + 1];
	char admin[CV_NAME_MAX + 1]; /* "" when no line names one */
	struct secbuf *admin_token;  /* minted on first use */
	struct secbuf *plain;        /* the admin record, while minting */
};

/* Mint a token for generation g of r through r's own mint stack, for
 * scope (NULL: the record's) and peer (may be NULL). */
static int
rotator_mint_with(struct rotator *h, const struct policy_stack *s,
    const struct record *r, const struct generation *g, const char *scope,
    const struct peer_ident *peer, struct policy_outcome *out, char *err,
    size_t errlen)
{
	struct proto_request req;
	struct proto_record pr;
	struct secbuf *secret = NULL, *request = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (g == NULL || g->secret_len == 0) {
		cv_why(err, errlen, "'%s' has no usable secret",
		    r->name);
		return CV_E_NOTFOUND;
	}
	proto_record_of(&pr, r, g);
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_MINT;
	req.record = &pr;
	req.scope = scope != NULL ? scope : r->scope;
	req.peer = peer;
	if ((secret = secbuf_dup(g->secret, g->secret_len)) == NULL)
		return CV_E_NOMEM;
	req.secret = secret;
	rc = proto_request_encode(&req, &request);
	secbuf_free(&secret);
	if (rc != 0)
		return rc;
	policy_mint(h->policy, s, peer, req.scope, request, out);
	secbuf_free(&request);
	if (out->verdict != POLICY_ALLOW) {
		/* A failed outcome owns nothing; its class stays for callers. */
		cv_why(err, errlen, "%s (%s)", out->cls, out->reason);
		return CV_E_UPSTREAM;
	}
	return 0;
}

/* The admin token for rotate and retire hooks, minted once. */
static int
rotator_admin_token(struct rotator *h, char *err, size_t errlen)
{
	struct policy_stack *s = NULL;
	struct policy_outcome out;
	struct record r;
	int rc;

	if (h->admin[0] == '\0' || h->admin_token != NULL)
		return 0;
	if ((rc = vault_record_get(h->v, h->admin, h->plain, &r)) != 0) {
		cv_why(err, errlen, "admin record '%s': %s", h->admin,
		    cv_strerror(rc));
		return rc == CV_E_NOTFOUND ? CV_E_NOTFOUND : rc;
	}
	if ((rc = policy_get(h->policy, h->admin, 0, &s)) == 0) {
		rc = rotator_mint_with(h, s, &r, record_active(&r), NULL, NULL,
		    &out, err, errlen);
		policy_put(h->policy, &s);
	}
	secbuf_reset(h->plain);
	if (rc != 0)
		return rc;
	h->admin_token = out.mint.access_token;
	out.mint.access_token = NULL; /* transferred */
	policy_outcome_clear(&out);
	return 0;
}

/* Run phase with request; the verdict's reply is left in v. */
static int
rotator_phase(struct rotator *h, enum proto_phase phase,
    const struct proto_request *req, struct stack_verdict *v, char *err,
    size_t errlen)
{
	struct secbuf *request = NULL;
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = proto_request_encode(req, &request)) != 0) {
		cv_why(err, errlen, "cannot encode the %s request",
		    proto_phase_name(phase));
		return rc;
	}
	rc = policy_run_phase(h->policy, h->stack, phase, request, v);
	secbuf_free(&request);
	if (rc == CV_E_NOTFOUND)
		return rc;
	if (rc == 0 && v->result != PROTO_SUCCESS) {
		struct proto_error_reply er;

		if (v->reply != NULL && proto_error_decode(v->reply->data,
		    v->reply->len, &er, NULL, 0) == 0)
			cv_why(err, errlen, "%s: %s", er.error,
			    er.description[0] ? er.description : v->reason);
		else
			cv_why(err, errlen, "%s", v->reason);
		rc = CV_E_UPSTREAM;
	}
	return rc;
}

static int
rotator_create(void *ctx, const struct record *r, const char *client_name,
    uint32_t generation, char *client_id, size_t cap, struct secbuf *secret,
    char *err, size_t errlen)
{
	struct rotator *h = ctx;
	const struct generation *g = record_active(r);
	struct proto_rotate_reply reply;
	struct stack_verdict v;
	struct proto_request req;
	struct proto_record pr;
	struct secbuf *old = NULL;
	char why[CV_HOOK_REASON_MAX];
	int rc;

	if ((rc = rotator_admin_token(h, err, errlen)) != 0)
		return rc;
	proto_record_of(&pr, r, g);
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_ROTATE;
	req.record = &pr;
	req.admin_token = h->admin_token;
	req.client_name = client_name;
	req.new_generation = generation;
	/* The current secret, for providers that rotate with it; it may be
	 * the very thing that was lost. */
	if (g != NULL && g->secret_len > 0) {
		if ((old = secbuf_dup(g->secret, g->secret_len)) == NULL)
			return CV_E_NOMEM;
		req.secret = old;
	}
	rc = rotator_phase(h, PROTO_ROTATE, &req, &v, err, errlen);
	secbuf_free(&old);
	if (rc == CV_E_NOTFOUND) {
		cv_why(err, errlen, "the stack of '%s' has no rotate "
		    "line; add one to hooks.d (see docs/rotation.md) or "
		    "rotate by hand with --secret-stdin", r->name);
		return CV_E_UPSTREAM;
	}
	if (rc != 0)
		goto out;
	if (proto_rotate_decode(v.reply->data, v.reply->len, &reply, why,
	    sizeof(why)) != 0) {
		cv_why(err, errlen, "bad rotate reply: %s", why);
		rc = CV_E_UPSTREAM;
		goto out;
	}
	snprintf(client_id, cap, "%s", reply.client_id);
	rc = secbuf_set(secret, reply.secret->data, reply.secret->len);
	proto_rotate_reply_clear(&reply);
out:
	stack_verdict_clear(&v);
	return rc;
}

static int
rotator_verify(void *ctx, const struct record *r, const struct generation *g,
    char *err, size_t errlen)
{
	struct rotator *h = ctx;
	struct policy_outcome out;
	int rc;

	rc = rotator_mint_with(h, h->stack, r, g, NULL, NULL, &out, err, errlen);
	if (rc == 0)
		policy_outcome_clear(&out);
	return rc;
}

static int
rotator_retire(void *ctx, const struct record *r, const struct generation *g,
    char *err, size_t errlen)
{
	struct rotator *h = ctx;
	struct stack_verdict v;
	struct proto_request req;
	struct proto_record pr;
	int rc;

	if ((rc = rotator_admin_token(h, err, errlen)) != 0)
		return rc;
	/* The hook sees the generation in use, never the one it deletes. */
	proto_record_of(&pr, r, record_active(r));
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_RETIRE;
	req.record = &pr;
	req.admin_token = h->admin_token;
	req.retire_client_id = g->client_id;
	rc = rotator_phase(h, PROTO_RETIRE, &req, &v, err, errlen);
	stack_verdict_clear(&v);
	/* No retire line: nothing to delete upstream (not every provider
	 * has an API for it). */
	return rc == CV_E_NOTFOUND ? 0 : rc;
}

static void
rotator_notify(void *ctx, const char *name, const char *event,
    const char *detail)
{
	struct rotator *h = ctx;
	struct stack_verdict v;
	struct proto_request req;
	struct proto_record pr;

	(void)detail; /* notify hooks learn the event; details stay in audit */
	memset(&pr, 0, sizeof(pr));
	pr.name = name;
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_NOTIFY;
	req.record = &pr;
	req.event = event;
	if (rotator_phase(h, PROTO_NOTIFY, &req, &v, NULL, 0) != CV_E_NOTFOUND)
		stack_verdict_clear(&v);
}

/* admin=NAME from the rotate and retire lines. */
static int
rotator_find_admin(struct rotator *h, char *why, size_t whylen)
{
	const struct stack *st = policy_stack_file(h->stack);
	size_t i, j;

	if (st == NULL)
		return 0;
	for (i = 0; i < st->n; i++) {
		const struct stack_entry *e = &st->entries[i];

		if (e->phase != PROTO_ROTATE && e->phase != PROTO_RETIRE)
			continue;
		for (j = 0; j < e->nargs; j++) {
			const char *a = e->args[j];

			if (strncmp(a, "admin=", 6) != 0)
				continue;
			if (!record_name_is_valid(a + 6) ||
			    (h->admin[0] != '\0' &&
			    strcmp(h->admin, a + 6) != 0)) {
				cv_why(why, whylen, "%s:%u: admin= must "
				    "name one record", st->file, e->line);
				return CV_E_INVALID;
			}
			snprintf(h->admin, sizeof(h->admin), "%s", a + 6);
		}
	}
	return 0;
}

int
rotator_new(struct vault *v, struct policy *p, const char *name,
    struct rotator **out, char *why, size_t whylen)
{
	struct rotator *h;
	int rc;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CV_E_NOMEM;
	h->v = v;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->ops.create = rotator_create;
	h->ops.verify = rotator_verify;
	h->ops.retire = rotator_retire;
	h->ops.notify = rotator_notify;
	h->ops.ctx = h;
	if ((h->plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	if (p == NULL) {
		rc = policy_new(vault_path(v), vault_owner(v), getuid(), NULL,
		    0, &p);
		if (rc != 0) {
			cv_why(why, whylen, "cannot set up the hooks of "
			    "'%s'", vault_path(v));
			goto out;
		}
		h->own_policy = 1;
	}
	h->policy = p;
	if ((rc = policy_get(p, name, 0, &h->stack)) != 0)
		goto out;
	if (policy_stack_problem(h->stack)[0] != '\0') {
		cv_why(why, whylen, "%s", policy_stack_problem(h->stack));
		rc = CV_E_PERM;
		goto out;
	}
	rc = rotator_find_admin(h, why, whylen);
out:
	if (rc != 0)
		rotator_free(&h);
	*out = h;
	return rc;
}

void
rotator_free(struct rotator **hp)
{
	struct rotator *h;

	if (hp == NULL || (h = *hp) == NULL)
		return;
	if (h->stack != NULL)
		policy_put(h->policy, &h->stack);
	if (h->own_policy)
		policy_free(&h->policy);
	secbuf_free(&h->admin_token);
	secbuf_free(&h->plain);
	free(h);
	*hp = NULL;
}

const struct rotate_ops *
rotator_ops(struct rotator *h)
{
	return &h->ops;
}

int
rotator_mint(struct rotator *h, const char *scope,
    const struct peer_ident *peer, struct policy_outcome *out)
{
	struct record r;
	char err[CV_HOOK_REASON_MAX];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = vault_record_get(h->v, h->name, h->plain, &r)) != 0)
		return rc;
	rc = rotator_mint_with(h, h->stack, &r, record_active(&r), scope, peer,
	    out, err, sizeof(err));
	secbuf_reset(h->plain);
	if (rc != 0 && out->verdict != POLICY_FAIL) {
		policy_outcome_clear(out);
		out->verdict = POLICY_FAIL;
		snprintf(out->cls, sizeof(out->cls), "internal");
		snprintf(out->reason, sizeof(out->reason), "%s", err);
	}
	return rc;
}
