/* SPDX-License-Identifier: MIT */
/* A background job wiping retired secrets past their grace period. */
#include "agent/jobs/sweep.h"

#include <stdlib.h>
#include <string.h>

#include "vault/rotate.h"
#include "base/err.h"
#include "base/log.h"
#include "base/banned.h"

#define SWEEP_NAMES_MAX 4096 /* records wiped per sweep; the rest next time */
#define SWEEP_KEY 0u         /* its pool key: no record's */

struct sweep_job {
	struct pool_job pj; /* first: the pool hands this back */
	struct sweep *sw;
	struct guard *g;
};

struct sweep_names {
	char (*names)[CV_NAME_MAX + 1];
	size_t n;
	int64_t now;
};

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
	struct vault_visitor vis = { sweep_visit, NULL, NULL, NULL };
	struct sweep_names sn = { NULL, 0, vault_now() };
	struct vault *c = NULL;
	size_t i;
	int rc;

	if (guard_clone(j->g, &c) != 0)
		return;
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
	guard_release(j->g, &c);
}

/* done() and cancel() alike: the sweep has nothing to report. */
static void
sweep_finish(struct pool_job *pj)
{
	struct sweep_job *j = (struct sweep_job *)pj;

	atomic_store(&j->sw->running, 0);
	free(j);
}

void
sweep_tick(struct sweep *sw, struct pool *pool, struct guard *g,
    int64_t now_ms)
{
	struct sweep_job *j;

	if (guard_is_locked(g) || (sw->last_ms != 0 &&
	    now_ms - sw->last_ms < SWEEP_INTERVAL_MS))
		return;
	if (atomic_exchange(&sw->running, 1) != 0)
		return;
	sw->last_ms = now_ms;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		atomic_store(&sw->running, 0);
		return;
	}
	j->pj.key = SWEEP_KEY;
	j->pj.run = sweep_run;
	j->pj.done = sweep_finish;
	j->pj.cancel = sweep_finish;
	j->sw = sw;
	j->g = g;
	if (pool_submit(pool, &j->pj) != 0)
		sweep_finish(&j->pj);
}
