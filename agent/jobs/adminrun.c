/* SPDX-License-Identifier: MIT */
/* An admin request on a worker: the admin stack, then the operation. */
#include "agent/jobs/adminrun.h"

#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/jobs/admin_ops.h"
#include <unistd.h>
#include "hooks/proto.h"
#include "hooks/stack.h"
#include "base/err.h"
#include "base/mutex.h"
#include "base/banned.h"

#define ADMIN_PROOFS_MAX 256 /* uids and keyslots remembered at once */

struct admin_proof {
	uid_t uid;
	char label[CV_LABEL_MAX + 1];
	int64_t at_s; /* monotonic; 0: free */
};

struct admin_proofs {
	pthread_mutex_t mu;
	struct admin_proof p[ADMIN_PROOFS_MAX];
};

static int64_t
adminrun_now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec + 1; /* never 0 */
}

int
admin_proofs_new(struct admin_proofs **out)
{
	struct admin_proofs *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CV_E_NOMEM;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return CV_E_INTERNAL;
	}
	*out = p;
	return 0;
}

void
admin_proofs_free(struct admin_proofs **pp)
{
	if (pp == NULL || *pp == NULL)
		return;
	(void)pthread_mutex_destroy(&(*pp)->mu);
	free(*pp);
	*pp = NULL;
}

void
admin_proofs_clear(struct admin_proofs *p)
{
	mutex_lock(&p->mu);
	memset(p->p, 0, sizeof(p->p));
	mutex_unlock(&p->mu);
}

/* Whether uid proved label within the last ttl_s seconds. */
static int
admin_proofs_fresh(struct admin_proofs *p, uid_t uid, const char *label,
    unsigned ttl_s)
{
	int64_t now = adminrun_now_s();
	size_t i;
	int fresh = 0;

	if (ttl_s == 0)
		return 0;
	mutex_lock(&p->mu);
	for (i = 0; i < ADMIN_PROOFS_MAX && !fresh; i++)
		fresh = p->p[i].at_s != 0 && p->p[i].uid == uid &&
		    strcmp(p->p[i].label, label) == 0 &&
		    now - p->p[i].at_s < (int64_t)ttl_s;
	mutex_unlock(&p->mu);
	return fresh;
}

/* uid just proved label: remember it (in its slot, else the oldest). */
static void
admin_proofs_put(struct admin_proofs *p, uid_t uid, const char *label)
{
	size_t i, use = 0;

	mutex_lock(&p->mu);
	for (i = 0; i < ADMIN_PROOFS_MAX; i++) {
		if (p->p[i].at_s != 0 && p->p[i].uid == uid &&
		    strcmp(p->p[i].label, label) == 0) {
			use = i;
			break;
		}
		if (p->p[i].at_s < p->p[use].at_s)
			use = i;
	}
	p->p[use].uid = uid;
	(void)snprintf(p->p[use].label, sizeof(p->p[use].label), "%s", label);
	p->p[use].at_s = adminrun_now_s();
	mutex_unlock(&p->mu);
}

/* The user name of uid into buf; 0 or -1 when it has none. */
static int
adminrun_user(uid_t uid, char *buf, size_t len)
{
	char pwbuf[4096];
	struct passwd pw, *pwp = NULL;

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 ||
	    pwp == NULL || strlen(pw.pw_name) >= len)
		return -1;
	memcpy(buf, pw.pw_name, strlen(pw.pw_name) + 1);
	return 0;
}

/* What one request carries and what its passphrase lines found. */
struct adminrun_req {
	struct adminrun *a;
	json_t *root;
	const json_t *args;
	const char *proof_keyslot;   /* from "proof", or NULL */
	const char *proof_secret;
	size_t proof_len;
	int need_proof, wrong_proof;
	char asked[CV_LABEL_MAX + 1]; /* the keyslot a proof is wanted for */
};

/* The `passphrase` module: the peer proved its keyslot's passphrase now
 * or within the line's timestamp. */
static enum proto_result
adminrun_passphrase(void *arg, const struct stack_entry *e, char *why,
    size_t whylen)
{
	struct adminrun_req *q = arg;
	struct adminrun *a = q->a;
	char user[CV_LABEL_MAX + 1], label[CV_LABEL_MAX + 1];
	struct vault *clone = NULL;
	int have_user, rc;

	have_user = adminrun_user(a->peer.uid, user, sizeof(user)) == 0;
	if (q->proof_keyslot != NULL && (e->pass.any_keyslot ||
	    (have_user && strcmp(q->proof_keyslot, user) == 0)))
		(void)snprintf(label, sizeof(label), "%s", q->proof_keyslot);
	else if (have_user)
		(void)snprintf(label, sizeof(label), "%s", user);
	else {
		cv_why(why, whylen, "passphrase: uid %lu has no user name to "
		    "name its keyslot", (unsigned long)a->peer.uid);
		return PROTO_FAIL;
	}
	(void)snprintf(q->asked, sizeof(q->asked), "%s", label);
	if (q->proof_keyslot != NULL && strcmp(q->proof_keyslot, label) != 0) {
		cv_why(why, whylen, "passphrase: keyslot '%s' is not uid %lu's "
		    "own ('%s')", q->proof_keyslot, (unsigned long)a->peer.uid,
		    label);
		return PROTO_FAIL;
	}
	if (admin_proofs_fresh(a->proofs, a->peer.uid, label,
	    e->pass.timestamp_s)) {
		(void)snprintf(a->keyslot, sizeof(a->keyslot), "%s", label);
		return PROTO_SUCCESS;
	}
	if (q->proof_secret == NULL) {
		q->need_proof = 1;
		cv_why(why, whylen, "passphrase: keyslot '%s' not proved yet",
		    label);
		return PROTO_FAIL;
	}
	if ((rc = guard_clone(a->guard, &clone)) != 0) {
		cv_why(why, whylen, "passphrase: %s", cv_strerror(rc));
		return PROTO_ERROR;
	}
	rc = vault_keyslot_verify(clone, label, KEYSLOT_PASSPHRASE,
	    q->proof_secret, q->proof_len);
	guard_release(a->guard, &clone);
	if (rc == 0) {
		admin_proofs_put(a->proofs, a->peer.uid, label);
		(void)snprintf(a->keyslot, sizeof(a->keyslot), "%s", label);
		return PROTO_SUCCESS;
	}
	if (rc == CV_E_AUTH) {
		q->wrong_proof = 1;
		cv_why(why, whylen, "passphrase: wrong passphrase for keyslot "
		    "'%s'", label);
		return PROTO_FAIL;
	}
	cv_why(why, whylen, "passphrase: cannot check keyslot '%s': %s", label,
	    cv_strerror(rc));
	return PROTO_ERROR;
}

/* The failure class of an operation's error (docs/protocol.md). */
static const char *
adminrun_class(int err)
{
	switch (err) {
	case CV_E_NOTFOUND: return "no_such_record";
	case CV_E_EXISTS: return "exists";
	case CV_E_REFUSED: return "refused";
	case CV_E_INVALID: return "invalid";
	case CV_E_INTEGRITY: return "vault_damaged";
	case CV_E_AUTH: return "bad_passphrase";
	case CV_E_NOSPACE: return "no_space";
	case CV_E_BUSY: return "busy";
	case CV_E_TOOBIG: return "too_large";
	case CV_E_UPSTREAM: return "upstream";
	default: return "internal";
	}
}

static json_t *
adminrun_failed(const char *cls, const char *detail)
{
	return json_pack("{s:i,s:s,s:s,s:s}", "v", 1, "status", "failed",
	    "error", cls, "detail", detail);
}

/* Parse the body: "cmd", "args" and "proof" (the wire codec checked the
 * shape; the operations check the arguments). */
static int
adminrun_parse(struct adminrun_req *q)
{
	struct adminrun *a = q->a;
	json_error_t jerr;
	json_t *cmd, *proof, *ks, *pw;

	q->root = json_loadb((const char *)a->body->data, a->body->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	secmem_wipe(&jerr, sizeof(jerr)); /* it may quote the input */
	if (q->root == NULL || !json_is_object(q->root))
		return CV_E_PROTO;
	cmd = json_object_get(q->root, "cmd");
	if (!json_is_string(cmd) || json_string_length(cmd) >= sizeof(a->cmd))
		return CV_E_PROTO;
	memcpy(a->cmd, json_string_value(cmd), json_string_length(cmd) + 1);
	q->args = json_object_get(q->root, "args");
	if (q->args != NULL && !json_is_object(q->args))
		return CV_E_PROTO;
	proof = json_object_get(q->root, "proof");
	if (proof == NULL)
		return 0;
	ks = json_object_get(proof, "keyslot");
	pw = json_object_get(proof, "passphrase");
	if (!json_is_object(proof) || json_object_size(proof) != 2 ||
	    !json_is_string(ks) || json_string_length(ks) > CV_LABEL_MAX ||
	    !json_is_string(pw) || json_string_length(pw) == 0 ||
	    json_string_length(pw) > CV_PASSPHRASE_MAX)
		return CV_E_PROTO;
	q->proof_keyslot = json_string_value(ks);
	q->proof_secret = json_string_value(pw);
	q->proof_len = json_string_length(pw);
	return 0;
}

/* The admin stack for the request; POLICY_ALLOW or not. */
static int
adminrun_authorize(struct adminrun_req *q)
{
	struct adminrun *a = q->a;
	struct policy_stack *st = NULL;
	struct policy_admin_ask ask;
	struct policy_outcome out;
	struct proto_record rec;
	struct proto_request req;
	struct secbuf *hookreq = NULL;
	int allowed;

	memset(&rec, 0, sizeof(rec));
	rec.name = a->record;
	memset(&req, 0, sizeof(req));
	req.phase = PROTO_ADMIN;
	req.record = &rec;
	req.peer = &a->peer;
	req.admin_op = a->op;
	if (policy_get_admin(a->policy, &st) != 0 ||
	    proto_request_encode(&req, &hookreq) != 0) {
		policy_put(a->policy, &st);
		cv_why(a->reason, sizeof(a->reason), "admin stack: out of "
		    "memory");
		return 0;
	}
	memset(&ask, 0, sizeof(ask));
	ask.peer = &a->peer;
	ask.op = a->op;
	ask.record = a->record;
	ask.request = hookreq;
	ask.passphrase = adminrun_passphrase;
	ask.passphrase_arg = q;
	policy_admin(a->policy, st, &ask, &out);
	allowed = out.verdict == POLICY_ALLOW;
	cv_why(a->reason, sizeof(a->reason), "%s", out.reason);
	policy_outcome_clear(&out);
	secbuf_free(&hookreq);
	policy_put(a->policy, &st);
	return allowed;
}

/* "peer uid=N user=NAME pid=N exe=PATH [keyslot=LABEL]": who ran it. */
static void
adminrun_actor(const struct adminrun *a, char *buf, size_t len)
{
	char user[CV_LABEL_MAX + 1];
	int n;

	if (adminrun_user(a->peer.uid, user, sizeof(user)) != 0)
		(void)snprintf(user, sizeof(user), "?");
	n = snprintf(buf, len, "peer uid=%lu user=%s pid=%ld exe=%s%s%s",
	    (unsigned long)a->peer.uid, user, (long)a->peer.pid,
	    a->peer.exe[0] != '\0' ? a->peer.exe : "?",
	    a->keyslot[0] != '\0' ? " keyslot=" : "", a->keyslot);
	if (n > 0 && (size_t)n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4); /* truncated: say so */
}

/* The operation on a clone, with the peer (and its proved keyslot) as
 * the audit actor. */
static void
adminrun_operate(struct adminrun_req *q)
{
	struct adminrun *a = q->a;
	struct admin_answer ans;
	struct admin_ops_env env;
	struct vault *clone = NULL;
	int rc;

	if ((rc = guard_clone(a->guard, &clone)) != 0) {
		a->err = rc;
		a->reply = rc == CV_E_LOCKED ? json_pack("{s:i,s:s}", "v", 1,
		    "status", "locked") : adminrun_failed(adminrun_class(rc),
		    cv_strerror(rc));
		return;
	}
	adminrun_actor(a, a->actor, sizeof(a->actor));
	vault_set_actor(clone, a->actor);
	env.policy = a->policy;
	env.owner = a->peer.uid == getuid() || a->peer.uid == 0;
	admin_ops_run_env(clone, a->cmd, q->args, ADMIN_OPS_REMOTE, &env, &ans);
	guard_release(a->guard, &clone);
	a->err = ans.err;
	if (ans.err == 0) {
		a->reply = json_pack("{s:i,s:s,s:O}", "v", 1, "status", "ok",
		    "result", ans.result);
	} else {
		a->reply = adminrun_failed(adminrun_class(ans.err), ans.detail);
		cv_why(a->reason, sizeof(a->reason), "%s", ans.detail);
	}
	admin_answer_clear(&ans);
}

static void
adminrun_run(struct pool_job *pj)
{
	struct adminrun *a = (struct adminrun *)(void *)pj;
	struct adminrun_req q;
	const char *op;

	memset(&q, 0, sizeof(q));
	q.a = a;
	if (adminrun_parse(&q) != 0) {
		a->outcome = ADMINRUN_BAD_REQUEST;
		a->reply = adminrun_failed("bad_request", "the request is not "
		    "an admin request (docs/protocol.md)");
		goto out;
	}
	switch (admin_ops_lookup(a->cmd, q.args, &op, a->record,
	    sizeof(a->record))) {
	case 0:
		break;
	case CV_E_NOTFOUND:
		a->outcome = ADMINRUN_UNSUPPORTED;
		a->reply = adminrun_failed("unsupported", "this agent has no "
		    "such admin command");
		goto out;
	default:
		a->outcome = ADMINRUN_BAD_REQUEST;
		a->reply = adminrun_failed("invalid", "invalid name: use "
		    "[a-z0-9][a-z0-9._/-]{0,127}");
		goto out;
	}
	(void)snprintf(a->op, sizeof(a->op), "%s", op != NULL ? op : "");
	if (op != NULL && !adminrun_authorize(&q)) {
		if (q.wrong_proof) {
			a->outcome = ADMINRUN_PROOF_WRONG;
			a->reply = adminrun_failed("bad_passphrase", "the "
			    "passphrase does not open your keyslot");
		} else if (q.need_proof) {
			a->outcome = ADMINRUN_PROOF_NEEDED;
			a->reply = json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", 1,
			    "status", "failed", "error", "passphrase_required",
			    "detail", "the agent asks for the passphrase of "
			    "your keyslot", "keyslot", q.asked);
		} else {
			a->outcome = ADMINRUN_DENIED;
			a->reply = json_pack("{s:i,s:s}", "v", 1, "status",
			    "denied");
		}
		goto out;
	}
	a->outcome = ADMINRUN_DONE;
	adminrun_operate(&q);
out:
	if (a->actor[0] == '\0')
		adminrun_actor(a, a->actor, sizeof(a->actor));
	json_decref(q.root); /* the wiping allocator wipes the secrets */
	secbuf_free(&a->body);
}

void
adminrun_init(struct adminrun *a)
{
	memset(a, 0, sizeof(*a));
	a->pj.run = adminrun_run;
}

void
adminrun_clear(struct adminrun *a)
{
	if (a == NULL)
		return;
	secbuf_free(&a->body);
	json_decref(a->reply);
	a->reply = NULL;
}
