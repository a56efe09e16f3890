/* SPDX-License-Identifier: MIT */
/* The admin service: members administer the vault through the agent. */
#include "agent/broker/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/jobs/adminrun.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/banned.h"

struct admin {
	struct guard *guard;
	struct policy *policy;
	struct pool *pool;
	struct audit_queue *audit;
	struct sessions *sessions;
	struct admin_proofs *proofs;
	uint64_t next_seq;
	unsigned key; /* the pool's key for admin jobs */
	uint64_t denials;   /* admin requests denied (status) */
	uint64_t rotations; /* rotations done through the agent (status) */
};

struct admin_job {
	struct adminrun ar; /* first: the pool hands this back */
	struct admin *ad;
	unsigned slot;
	uint64_t session_id;
	uint64_t seq;
};

int
admin_new(struct guard *g, struct policy *p, struct pool *pool,
    struct audit_queue *audit, struct sessions *sessions, struct admin **out)
{
	struct admin *ad;

	*out = NULL;
	if ((ad = calloc(1, sizeof(*ad))) == NULL)
		return CV_E_NOMEM;
	if (admin_proofs_new(&ad->proofs) != 0) {
		free(ad);
		return CV_E_NOMEM;
	}
	ad->guard = g;
	ad->policy = p;
	ad->pool = pool;
	ad->audit = audit;
	ad->sessions = sessions;
	ad->next_seq = 1;
	/* One key for all admin jobs: they share one record's cap. */
	ad->key = hash_str(HASH_INIT, "(admin)");
	*out = ad;
	return 0;
}

void
admin_free(struct admin **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	admin_proofs_free(&(*ap)->proofs);
	free(*ap);
	*ap = NULL;
}

void
admin_lock(struct admin *ad)
{
	admin_proofs_clear(ad->proofs);
}

static void
admin_job_free(struct admin_job *j)
{
	adminrun_clear(&j->ar);
	free(j);
}

/* The session a job was for, if it still waits for it. */
static struct session *
admin_job_session(struct admin *ad, const struct admin_job *j)
{
	struct session *s = sessions_at(ad->sessions, j->slot);

	if (s == NULL || s->id != j->session_id || !s->busy ||
	    s->wait_seq != j->seq)
		return NULL;
	return s;
}

/* Log and audit what came of a request: denials are audited here (what
 * ran, the vault audited itself). */
void
admin_counts(const struct admin *ad, uint64_t *denials, uint64_t *rotations)
{
	*denials = ad->denials;
	*rotations = ad->rotations;
}

static void
admin_job_note(struct admin *ad, const struct admin_job *j)
{
	const struct adminrun *a = &j->ar;
	char action[64];

	(void)snprintf(action, sizeof(action), "admin %s", a->cmd);
	switch (a->outcome) {
	case ADMINRUN_DONE:
		if (a->err == 0 && strcmp(a->cmd, "rotate") == 0)
			ad->rotations++;
		if (a->err != 0)
			log_info("%s: %s%s%s: failed: %s", a->actor, a->cmd,
			    a->record[0] != '\0' ? " " : "", a->record,
			    a->reason);
		return;
	case ADMINRUN_DENIED:
	case ADMINRUN_PROOF_WRONG:
		ad->denials++;
		log_info("%s: %s%s%s denied: %s", a->actor, a->cmd,
		    a->record[0] != '\0' ? " " : "", a->record, a->reason);
		if (ad->audit != NULL && audit_queue_add(ad->audit, a->actor,
		    action, a->record, a->outcome == ADMINRUN_PROOF_WRONG ?
		    "denied: wrong passphrase" : "denied",
		    (int64_t)time(NULL)) != 0)
			log_err("audit queue full: a denial of %s for %s "
			    "cannot be recorded", a->cmd, a->actor);
		return;
	case ADMINRUN_PROOF_NEEDED:
		log_debug("%s: %s: %s", a->actor, a->cmd, a->reason);
		return;
	default:
		log_info("%s: admin request refused: %s", a->actor,
		    a->outcome == ADMINRUN_UNSUPPORTED ? "no such command" :
		    "malformed");
		return;
	}
}

static void
admin_job_done(struct pool_job *pj)
{
	struct admin_job *j = (struct admin_job *)(void *)pj;
	struct admin *ad = j->ad;
	struct session *s;

	admin_job_note(ad, j);
	if ((s = admin_job_session(ad, j)) != NULL) {
		s->wait_seq = 0;
		session_reply_json(s, j->ar.reply);
		session_complete(s);
	}
	admin_job_free(j);
}

static void
admin_job_cancel(struct pool_job *pj)
{
	admin_job_free((struct admin_job *)(void *)pj);
}

int
admin_op(struct admin *ad, struct session *s, const unsigned char *body,
    size_t len)
{
	struct admin_job *j;

	if (ad->pool == NULL) {
		session_reply(s, WIRE_LOCKED, NULL);
		return 0;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		session_reply(s, WIRE_FAILED, "internal");
		return 0;
	}
	adminrun_init(&j->ar);
	j->ar.pj.key = ad->key;
	j->ar.pj.done = admin_job_done;
	j->ar.pj.cancel = admin_job_cancel;
	j->ar.guard = ad->guard;
	j->ar.policy = ad->policy;
	j->ar.proofs = ad->proofs;
	j->ar.peer = s->peer;
	j->ad = ad;
	j->slot = s->slot;
	j->session_id = s->id;
	if ((j->ar.body = secbuf_dup(body, len)) == NULL) {
		admin_job_free(j);
		session_reply(s, WIRE_FAILED, "internal");
		return 0;
	}
	j->seq = s->wait_seq = ad->next_seq++;
	if (pool_submit(ad->pool, &j->ar.pj) != 0) {
		s->wait_seq = 0;
		admin_job_free(j);
		session_reply(s, WIRE_FAILED, "busy");
		return 0;
	}
	s->busy = 1;
	return 1;
}
