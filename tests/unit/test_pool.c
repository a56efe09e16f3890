/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/jobs/pool: the per-key cap, keys that run nothing
 * go first, the bound on running jobs, cancel on free. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/jobs/pool.h"
#include "base/err.h"
#include "test.h"
#include "base/banned.h"

#define KEYS 10
#define ORDER_MAX 64

/* A job that runs until the test releases it. */
struct tjob {
	struct pool_job pj; /* first */
	int released;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned running[KEYS], peak[KEYS], running_all, peak_all;
static unsigned order[ORDER_MAX], norder; /* keys, in the order they started */
static unsigned done_count, cancel_count;

static void
tjob_run(struct pool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;

	pthread_mutex_lock(&mu);
	running[pj->key]++;
	running_all++;
	if (running[pj->key] > peak[pj->key])
		peak[pj->key] = running[pj->key];
	if (running_all > peak_all)
		peak_all = running_all;
	if (norder < ORDER_MAX)
		order[norder++] = pj->key;
	pthread_cond_broadcast(&cv);
	while (!j->released)
		pthread_cond_wait(&cv, &mu);
	running[pj->key]--;
	running_all--;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void
tjob_done(struct pool_job *pj)
{
	done_count++;
	free(pj);
}

static void
tjob_cancel(struct pool_job *pj)
{
	cancel_count++;
	free(pj);
}

static struct tjob *
submit(struct pool *p, unsigned key)
{
	struct tjob *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	j->pj.key = key;
	j->pj.run = tjob_run;
	j->pj.done = tjob_done;
	j->pj.cancel = tjob_cancel;
	ASSERT_INT_EQ(pool_submit(p, &j->pj), 0);
	return j;
}

static void
release(struct tjob *j)
{
	pthread_mutex_lock(&mu);
	j->released = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait (up to 5 s) until n jobs have started in all; 0 when they did. */
static int
wait_started(unsigned n)
{
	struct timespec until;
	int r = 0;

	(void)clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&mu);
	while (norder < n && r == 0)
		r = pthread_cond_timedwait(&cv, &mu, &until);
	r = norder >= n ? 0 : -1;
	pthread_mutex_unlock(&mu);
	return r;
}

/* Give workers time to start what they (wrongly) might. */
static void
settle(void)
{
	(void)nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
}

static void
reset(void)
{
	memset(running, 0, sizeof(running));
	memset(peak, 0, sizeof(peak));
	memset(order, 0, sizeof(order));
	running_all = peak_all = norder = 0;
	done_count = cancel_count = 0;
}

/* Six jobs of one key, cap 2: two run; a job of another key submitted
 * after them starts at once; no more than the cap ever runs. */
static void
test_cap(void)
{
	struct tjob *a[6], *b;
	struct pool *p = NULL;
	unsigned i;

	reset();
	ASSERT_INT_EQ(pool_new(8, 64, 2, &p), 0);
	for (i = 0; i < 6; i++)
		a[i] = submit(p, 0);
	ASSERT_INT_EQ(wait_started(2), 0);
	settle();
	ASSERT_INT_EQ(running[0], 2);
	ASSERT_INT_EQ(pool_load(p), 6);
	b = submit(p, 1);
	ASSERT_INT_EQ(wait_started(3), 0);
	ASSERT_INT_EQ(order[2], 1);
	ASSERT_INT_EQ(running[1], 1);
	for (i = 0; i < 6; i++)
		release(a[i]);
	release(b);
	ASSERT_INT_EQ(wait_started(7), 0);
	pool_free(&p);
	ASSERT_INT_EQ(peak[0], 2);
	ASSERT_INT_EQ(done_count + cancel_count, 7);
}

/* Four workers, all held by key 0, four more of key 0 queued, then one of
 * key 1: the first worker to come free takes key 1's job, not the next
 * of key 0's queue. */
static void
test_fewest_first(void)
{
	struct tjob *a[8], *b;
	struct pool *p = NULL;
	unsigned i;

	reset();
	ASSERT_INT_EQ(pool_new(4, 64, 4, &p), 0);
	for (i = 0; i < 8; i++)
		a[i] = submit(p, 0);
	ASSERT_INT_EQ(wait_started(4), 0);
	b = submit(p, 1);
	settle();
	ASSERT_INT_EQ(norder, 4); /* every worker is busy */
	release(a[0]);
	ASSERT_INT_EQ(wait_started(5), 0);
	ASSERT_INT_EQ(order[4], 1);
	for (i = 1; i < 8; i++)
		release(a[i]);
	release(b);
	ASSERT_INT_EQ(wait_started(9), 0);
	pool_free(&p);
	ASSERT_INT_EQ(peak_all, 4);
}

/*
 * The agent's shape: eight keys with five slow jobs each (cap 3, 32
 * workers) hold 24 workers; a job of a ninth key starts at once.
 */
static void
test_many_keys(void)
{
	struct tjob *slow[8 * 5], *fresh;
	struct pool *p = NULL;
	unsigned i;

	reset();
	ASSERT_INT_EQ(pool_new(32, 1152, 3, &p), 0);
	for (i = 0; i < 8 * 5; i++)
		slow[i] = submit(p, i % 8);
	ASSERT_INT_EQ(wait_started(24), 0);
	settle();
	ASSERT_INT_EQ(running_all, 24);
	for (i = 0; i < 8; i++)
		ASSERT_INT_EQ(running[i], 3);
	fresh = submit(p, 8);
	ASSERT_INT_EQ(wait_started(25), 0);
	ASSERT_INT_EQ(order[24], 8);
	release(fresh);
	for (i = 0; i < 8 * 5; i++)
		release(slow[i]);
	ASSERT_INT_EQ(wait_started(41), 0);
	pool_free(&p);
	for (i = 0; i < 8; i++)
		ASSERT_INT_EQ(peak[i], 3);
	ASSERT_INT_EQ(done_count + cancel_count, 41);
}

/* No cap: a key may take every worker; never more than the workers. */
static void
test_no_cap(void)
{
	struct tjob *a[6];
	struct pool *p = NULL;
	unsigned i;

	reset();
	ASSERT_INT_EQ(pool_new(4, 64, 0, &p), 0);
	for (i = 0; i < 6; i++)
		a[i] = submit(p, 0);
	ASSERT_INT_EQ(wait_started(4), 0);
	settle();
	ASSERT_INT_EQ(running[0], 4);
	for (i = 0; i < 6; i++)
		release(a[i]);
	ASSERT_INT_EQ(wait_started(6), 0);
	pool_free(&p);
	ASSERT_INT_EQ(peak_all, 4);
}

/* Freeing cancels what is queued and what finished undrained. */
static void
test_free_cancels(void)
{
	struct tjob *a[5];
	struct pool *p = NULL;
	unsigned i;

	reset();
	ASSERT_INT_EQ(pool_new(2, 64, 1, &p), 0);
	for (i = 0; i < 5; i++)
		a[i] = submit(p, 0);
	ASSERT_INT_EQ(wait_started(1), 0);
	settle();
	ASSERT_INT_EQ(norder, 1); /* cap 1: the others wait */
	/* Any that still starts ends at once; all are freed by the pool. */
	for (i = 0; i < 5; i++)
		release(a[i]);
	pool_free(&p);
	ASSERT_INT_EQ(done_count, 0);
	ASSERT_INT_EQ(cancel_count, 5);
}

int
main(void)
{
	test_cap();
	test_fewest_first();
	test_many_keys();
	test_no_cap();
	test_free_cancels();
	return test_done("test_pool");
}
