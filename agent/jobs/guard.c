/* SPDX-License-Identifier: MIT */
/* One lock over the agent's vault handle, its clones and "locked". */
#include "agent/jobs/guard.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/banned.h"

struct guard_clone {
	struct guard_clone *next;
	struct vault *v;
};

struct guard {
	pthread_mutex_t mu;
	struct vault *v;
	int locked;
	struct guard_clone *clones;
};

int
guard_new(struct vault *v, struct guard **out)
{
	struct guard *g;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g);
		vault_free(&v);
		return CV_E_NOMEM;
	}
	g->v = v; /* transferred */
	g->locked = v == NULL || !vault_is_unlocked(v);
	*out = g;
	return 0;
}

void
guard_free(struct guard **gp)
{
	struct guard *g;

	if (gp == NULL || (g = *gp) == NULL)
		return;
	guard_lock(g, NULL);
	if (g->clones != NULL)
		abort(); /* a worker still holds a clone: a bug */
	vault_free(&g->v);
	(void)pthread_mutex_destroy(&g->mu);
	free(g);
	*gp = NULL;
}

int
guard_is_locked(struct guard *g)
{
	int r;

	mutex_lock(&g->mu);
	r = g->locked;
	mutex_unlock(&g->mu);
	return r;
}

int
guard_run(struct guard *g, int (*fn)(struct vault *v, void *ctx), void *ctx)
{
	int r;

	mutex_lock(&g->mu);
	r = g->locked ? CV_E_LOCKED : fn(g->v, ctx);
	mutex_unlock(&g->mu);
	return r;
}

int
guard_clone(struct guard *g, struct vault **out)
{
	struct guard_clone *c;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CV_E_NOMEM;
	mutex_lock(&g->mu);
	r = g->locked ? CV_E_LOCKED : vault_clone(g->v, &c->v);
	if (r == 0) {
		c->next = g->clones;
		g->clones = c;
		*out = c->v;
	}
	mutex_unlock(&g->mu);
	if (r != 0)
		free(c);
	return r;
}

void
guard_release(struct guard *g, struct vault **cp)
{
	struct guard_clone **pp, *c;

	if (cp == NULL || *cp == NULL)
		return;
	mutex_lock(&g->mu);
	for (pp = &g->clones; (c = *pp) != NULL; pp = &c->next)
		if (c->v == *cp)
			break;
	if (c == NULL)
		abort(); /* not one of ours: a bug */
	*pp = c->next;
	mutex_unlock(&g->mu);
	vault_free(&c->v);
	free(c);
	*cp = NULL;
}

void
guard_lock(struct guard *g, const struct audit_entry *last)
{
	struct guard_clone *c;
	int r;

	mutex_lock(&g->mu);
	if (!g->locked) {
		g->locked = 1;
		if (last != NULL &&
		    (r = vault_audit_append(g->v, last, 1)) != 0)
			log_err("cannot audit the lock: %s", cv_strerror(r));
		vault_lock(g->v);
		for (c = g->clones; c != NULL; c = c->next)
			vault_lock(c->v);
	}
	mutex_unlock(&g->mu);
}
