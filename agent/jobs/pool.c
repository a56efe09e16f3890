/* SPDX-License-Identifier: MIT */
/* Worker threads taking jobs from one bounded queue, fair between keys. */
#include "agent/jobs/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/mutex.h"
#include "base/banned.h"

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct pool_job *head, *tail; /* queued */
	struct pool_job *done;        /* finished, newest first */
	size_t queued, running, max;
	unsigned per_key;
	int stop;
	void (*wake)(void *arg);
	void *wake_arg;
	unsigned nthreads;
	unsigned *running_keys; /* nthreads of them; valid where busy */
	unsigned char *busy;
	pthread_t threads[];
};

/* How many jobs of key run now. */
static unsigned
pool_key_running(const struct pool *p, unsigned key)
{
	unsigned i, n = 0;

	for (i = 0; i < p->nthreads; i++)
		if (p->busy[i] && p->running_keys[i] == key)
			n++;
	return n;
}

/*
 * Unlink and return the queued job to start next, or NULL: of the jobs
 * whose key is below its cap, one whose key runs the fewest jobs now,
 * the oldest of those.  So a key that runs nothing goes first, and keys
 * share the workers round by round rather than in queue order.
 */
static struct pool_job *
pool_take(struct pool *p)
{
	struct pool_job *j, *prev = NULL, *best = NULL, *best_prev = NULL;
	unsigned n, best_n = 0;

	for (j = p->head; j != NULL; prev = j, j = j->next) {
		if (p->per_key == 0) {
			best = j;
			best_prev = prev;
			break;
		}
		n = pool_key_running(p, j->key);
		if (n >= p->per_key || (best != NULL && n >= best_n))
			continue;
		best = j;
		best_prev = prev;
		best_n = n;
		if (n == 0)
			break; /* nothing starts sooner */
	}
	if ((j = best) == NULL)
		return NULL;
	if (best_prev != NULL)
		best_prev->next = j->next;
	else
		p->head = j->next;
	if (p->tail == j)
		p->tail = best_prev;
	j->next = NULL;
	p->queued--;
	return j;
}

struct pool_worker {
	struct pool *p;
	unsigned index;
};

static void *
pool_main(void *arg)
{
	struct pool *p = ((struct pool_worker *)arg)->p;
	unsigned me = ((struct pool_worker *)arg)->index;
	struct pool_job *j = NULL;

	free(arg);
	mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && (j = pool_take(p)) == NULL)
			(void)pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop)
			break;
		p->running++;
		p->busy[me] = 1;
		p->running_keys[me] = j->key;
		mutex_unlock(&p->mu);
		j->run(j);
		mutex_lock(&p->mu);
		p->busy[me] = 0;
		p->running--;
		j->next = p->done;
		p->done = j;
		if (p->wake != NULL)
			p->wake(p->wake_arg);
		/* A job held back by its key's cap may go now. */
		if (p->head != NULL)
			(void)pthread_cond_broadcast(&p->cond);
	}
	mutex_unlock(&p->mu);
	return NULL;
}

int
pool_new(unsigned nthreads, size_t max_jobs, unsigned per_key,
    struct pool **out)
{
	struct pool_worker *w;
	pthread_attr_t at;
	struct pool *p;
	unsigned i;
	int r = CV_E_INTERNAL;

	*out = NULL;
	if (nthreads == 0 || max_jobs == 0)
		return CV_E_INVALID;
	if ((p = calloc(1, sizeof(*p) + nthreads * sizeof(pthread_t))) == NULL)
		return CV_E_NOMEM;
	p->max = max_jobs;
	p->per_key = per_key;
	p->running_keys = calloc(nthreads, sizeof(*p->running_keys));
	p->busy = calloc(nthreads, 1);
	if (p->running_keys == NULL || p->busy == NULL) {
		free(p->running_keys);
		free(p->busy);
		free(p);
		return CV_E_NOMEM;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->running_keys);
		free(p->busy);
		free(p);
		return CV_E_INTERNAL;
	}
	if (pthread_cond_init(&p->cond, NULL) != 0) {
		(void)pthread_mutex_destroy(&p->mu);
		free(p->running_keys);
		free(p->busy);
		free(p);
		return CV_E_INTERNAL;
	}
	if (pthread_attr_init(&at) != 0)
		goto out;
	if (pthread_attr_setstacksize(&at, CV_AGENT_THREAD_STACK) == 0)
		for (i = 0; i < nthreads; i++) {
			if ((w = malloc(sizeof(*w))) == NULL)
				break;
			w->p = p;
			w->index = i;
			if (pthread_create(&p->threads[i], &at, pool_main,
			    w) != 0) {
				free(w);
				break;
			}
			p->nthreads++;
		}
	(void)pthread_attr_destroy(&at);
	if (p->nthreads != nthreads)
		goto out;
	*out = p;
	p = NULL; /* transferred */
	r = 0;
out:
	pool_free(&p);
	return r;
}

void
pool_set_wake(struct pool *p, void (*fn)(void *arg), void *arg)
{
	mutex_lock(&p->mu);
	p->wake = fn;
	p->wake_arg = arg;
	mutex_unlock(&p->mu);
}

int
pool_submit(struct pool *p, struct pool_job *job)
{
	mutex_lock(&p->mu);
	if (p->queued >= p->max || p->stop) {
		mutex_unlock(&p->mu);
		return CV_E_BUSY;
	}
	job->next = NULL;
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->queued++;
	(void)pthread_cond_signal(&p->cond);
	mutex_unlock(&p->mu);
	return 0;
}

/* The finished jobs, oldest first, taken from the pool. */
static struct pool_job *
pool_take_done(struct pool *p)
{
	struct pool_job *list, *j, *next, *fifo = NULL;

	mutex_lock(&p->mu);
	list = p->done;
	p->done = NULL;
	mutex_unlock(&p->mu);
	for (j = list; j != NULL; j = next) {
		next = j->next;
		j->next = fifo;
		fifo = j;
	}
	return fifo;
}

void
pool_drain(struct pool *p)
{
	struct pool_job *j, *next;

	for (j = pool_take_done(p); j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		j->done(j); /* transferred */
	}
}

size_t
pool_load(struct pool *p)
{
	size_t n;

	mutex_lock(&p->mu);
	n = p->queued + p->running;
	mutex_unlock(&p->mu);
	return n;
}

/* Hand each job of list to its cancel(). */
static void
pool_cancel_all(struct pool_job *list)
{
	struct pool_job *j, *next;

	for (j = list; j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		j->cancel(j); /* transferred */
	}
}

void
pool_free(struct pool **pp)
{
	struct pool *p;
	struct pool_job *queued;
	unsigned i;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	mutex_lock(&p->mu);
	p->stop = 1;
	p->wake = NULL;
	queued = p->head;
	p->head = p->tail = NULL;
	p->queued = 0;
	(void)pthread_cond_broadcast(&p->cond);
	mutex_unlock(&p->mu);
	pool_cancel_all(queued);
	for (i = 0; i < p->nthreads; i++)
		(void)pthread_join(p->threads[i], NULL);
	pool_cancel_all(pool_take_done(p));
	(void)pthread_cond_destroy(&p->cond);
	(void)pthread_mutex_destroy(&p->mu);
	free(p->running_keys);
	free(p->busy);
	free(p);
	*pp = NULL;
}

void
pool_counts(struct pool *p, size_t *running, size_t *queued)
{
	mutex_lock(&p->mu);
	*running = p->running;
	*queued = p->queued;
	mutex_unlock(&p->mu);
}
