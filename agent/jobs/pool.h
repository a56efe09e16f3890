/* SPDX-License-Identifier: MIT */
/* A fixed pool of worker threads for blocking work (hook runs). */
#ifndef CV_AGENT_POOL_H
#define CV_AGENT_POOL_H

#include <stddef.h>

/*
 * A job is embedded in the caller's own struct (first member).  run() is
 * called on a worker thread; cancel() instead when the pool is freed
 * before the job started.  Either one takes the job over (frees it); the
 * pool never touches a job again after calling one of them.
 */
struct pool_job {
	struct pool_job *next;
	void (*run)(struct pool_job *job);
	void (*cancel)(struct pool_job *job);
};

struct pool;

/* Start nthreads workers (each with a CV_AGENT_THREAD_STACK stack) and a
 * queue of at most max_jobs.  Free with pool_free(). */
int pool_new(unsigned nthreads, size_t max_jobs, struct pool **out)
    __attribute__((warn_unused_result));

/* Queue a job.  CV_E_BUSY when the queue is full (the job stays the
 * caller's).  Thread-safe. */
int pool_submit(struct pool *p, struct pool_job *job)
    __attribute__((warn_unused_result));

/* Jobs queued or running. */
size_t pool_load(struct pool *p);

/* Cancel queued jobs, wait for running ones, join the workers and free.
 * Accepts NULL; sets *pp to NULL. */
void pool_free(struct pool **pp);

#endif
