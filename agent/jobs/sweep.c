/* SPDX-License-Identifier: MIT */
/* A background job wiping retired secrets past their grace period. */
#include "agent/jobs/sweep.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "agent/jobs/pool.h"
#include "agent/broker/server_impl.h"
#include "base/err.h"
#include "vault/rotate.h"
#include "base/banned.h"

#define SWEEP_NAMES_MAX 4096 /* records wiped per sweep; the rest next time */

struct sweep_job {
	struct pool_job pj; /* first: the pool hands this back */
	struct server *s;
};

struct sweep_names {
	char (*names)[CV_NAME_MAX + 1];
	size_t n;
	int64_t now;
};

static atomic_int sweep_running;

/* Collect the records holding a retired secret whose grace is over. */
static int
sweep_visit(const struct record *r, void *arg)
{
	struct sweep_names *sn = arg;
	uint32_t i;

	for (i = 0; i < r->ngen && sn->n < SWEEP_NAMES_MAX; i++) {
		const struct generation *g = &r->gen[i];

		if (g->state == GEN_RETIRED && !(g->flags & GEN_F_WIPED) &&
		    g->retired_at + (int64_t)r->policy.grace_s <= sn->now) {
			memcpy(sn->names[sn->n++], r->name, strlen(r->name) + 1);
			break;
		}
	}
	return 0;
}

static void
sweep_run(struct pool_job *pj)
{
	struct sweep_job *j = (struct sweep_job *)pj;
	struct server *s = j->s;
	struct vault_visitor vis = { sweep_visit, NULL, NULL };
	struct sweep_names sn = { NULL, 0, vault_now() };
	struct vault *c = NULL;
	size_t i;
	int rc;

	if (pthread_mutex_lock(&s->vmu) != 0)
		abort();
	rc = s->v != NULL && !s->locked ? vault_clone(s->v, &c) : CV_E_LOCKED;
	if (pthread_mutex_unlock(&s->vmu) != 0)
		abort();
	if (rc != 0)
		goto out;
	if ((sn.names = calloc(SWEEP_NAMES_MAX, sizeof(*sn.names))) == NULL)
		goto out;
	vis.ctx = &sn;
	if ((rc = vault_record_foreach(c, &vis)) != 0)
		log_err("cannot read the records to wipe retired secrets: %s",
		    cv_strerror(rc));
	for (i = 0; i < sn.n; i++) {
		if ((rc = rotate_wipe_expired(c, sn.names[i])) != 0)
			log_err("record '%s': cannot wipe retired secrets: %s",
			    sn.names[i], cv_strerror(rc));
		else
			log_info("record '%s': wiped retired secrets past their "
			    "grace period", sn.names[i]);
	}
out:
	free(sn.names);
	vault_free(&c);
	free(j);
	atomic_store(&sweep_running, 0);
}

static void
sweep_cancel(struct pool_job *pj)
{
	free(pj);
	atomic_store(&sweep_running, 0);
}

void
sweep_tick(struct server *s)
{
	static int64_t last_ms;
	struct sweep_job *j;

	if (s->locked || s->stopping || (last_ms != 0 &&
	    s->now_ms - last_ms < SWEEP_INTERVAL_MS))
		return;
	if (atomic_exchange(&sweep_running, 1) != 0)
		return;
	last_ms = s->now_ms;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		atomic_store(&sweep_running, 0);
		return;
	}
	j->pj.run = sweep_run;
	j->pj.cancel = sweep_cancel;
	j->s = s;
	if (pool_submit(s->pool, &j->pj) != 0) {
		free(j);
		atomic_store(&sweep_running, 0);
	}
}
