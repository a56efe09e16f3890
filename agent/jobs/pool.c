/* SPDX-License-Identifier: MIT */
/* Worker threads taking jobs from one bounded FIFO. */
#include "agent/jobs/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct pool_job *head, *tail;
	size_t queued, running, max;
	int stop;
	unsigned nthreads;
	pthread_t threads[];
};

static void
pool_lock(struct pool *p)
{
	if (pthread_mutex_lock(&p->mu) != 0)
		abort();
}

static void
pool_unlock(struct pool *p)
{
	if (pthread_mutex_unlock(&p->mu) != 0)
		abort();
}

static void *
pool_main(void *arg)
{
	struct pool *p = arg;
	struct pool_job *j;

	pool_lock(p);
	for (;;) {
		while (p->head == NULL && !p->stop)
			(void)pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop)
			break;
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		p->running++;
		pool_unlock(p);
		j->next = NULL;
		j->run(j); /* transferred */
		pool_lock(p);
		p->running--;
	}
	pool_unlock(p);
	return NULL;
}

int
pool_new(unsigned nthreads, size_t max_jobs, struct pool **out)
{
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
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return CV_E_INTERNAL;
	}
	if (pthread_cond_init(&p->cond, NULL) != 0) {
		(void)pthread_mutex_destroy(&p->mu);
		free(p);
		return CV_E_INTERNAL;
	}
	if (pthread_attr_init(&at) != 0)
		goto out;
	if (pthread_attr_setstacksize(&at, CV_AGENT_THREAD_STACK) == 0)
		for (i = 0; i < nthreads; i++) {
			if (pthread_create(&p->threads[i], &at, pool_main,
			    p) != 0)
				break;
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

int
pool_submit(struct pool *p, struct pool_job *job)
{
	pool_lock(p);
	if (p->queued >= p->max || p->stop) {
		pool_unlock(p);
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
	pool_unlock(p);
	return 0;
}

size_t
pool_load(struct pool *p)
{
	size_t n;

	pool_lock(p);
	n = p->queued + p->running;
	pool_unlock(p);
	return n;
}

void
pool_free(struct pool **pp)
{
	struct pool *p;
	struct pool_job *j, *next;
	unsigned i;

	if (pp == NULL || *pp == NULL)
		return;
	p = *pp;
	pool_lock(p);
	p->stop = 1;
	j = p->head;
	p->head = p->tail = NULL;
	p->queued = 0;
	(void)pthread_cond_broadcast(&p->cond);
	pool_unlock(p);
	for (; j != NULL; j = next) {
		next = j->next;
		j->cancel(j); /* transferred */
	}
	for (i = 0; i < p->nthreads; i++)
		(void)pthread_join(p->threads[i], NULL);
	(void)pthread_cond_destroy(&p->cond);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
	*pp = NULL;
}
