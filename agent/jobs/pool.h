/* SPDX-License-Identifier: MIT */
/* A fixed pool of worker threads for blocking work (hook runs). */
#ifndef CV_AGENT_JOBS_POOL_H
#define CV_AGENT_JOBS_POOL_H

#include <stddef.h>

/*
 * A job is embedded in the caller's own struct (first member).  run() is
 * called on a worker thread; then done() on the thread that calls
 * pool_drain() (the agent's event loop), which the pool tells through its
 * wake function.  cancel() is called instead of run() or done() when the
 * pool is freed first.  done() and cancel() take the job over (free it);
 * the pool never touches a job again after calling one of them.
 *
 * key groups jobs (a record's): at most per_key jobs of one key run at a
 * time, so one key's slow jobs leave workers to the others; a queued job
 * whose key is at its cap waits while later jobs of other keys run.  A
 * free worker takes, of the jobs it may start, one whose key runs the
 * fewest jobs (oldest first among those): a key that runs nothing never
 * waits behind the queue of a key that does.
 */
struct pool_job {
	struct pool_job *next;
	unsigned key;
	void (*run)(struct pool_job *job);
	void (*done)(struct pool_job *job);
	void (*cancel)(struct pool_job *job);
};

struct pool;

/* Start nthreads workers (each with a CV_AGENT_THREAD_STACK stack) and a
 * queue of at most max_jobs, running at most per_key jobs of one key
 * (0: no cap).  Free with pool_free(). */
int pool_new(unsigned nthreads, size_t max_jobs, unsigned per_key,
    struct pool **out) __attribute__((warn_unused_result));

/*
 * Who to tell that finished jobs wait for pool_drain(): fn(arg) is called
 * from a worker (with the pool's lock held: it must only wake someone).
 * NULL stops the calls; once pool_set_wake() returns, no worker calls the
 * old function again.
 */
void pool_set_wake(struct pool *p, void (*fn)(void *arg), void *arg);

/* Queue a job.  CV_E_BUSY when the queue is full (the job stays the
 * caller's).  Thread-safe. */
int pool_submit(struct pool *p, struct pool_job *job)
    __attribute__((warn_unused_result));

/* Call done() for every finished job, oldest first. */
void pool_drain(struct pool *p);

/* Jobs running on workers now, and jobs queued, into *running and
 * *queued (brief: the pool's lock only). */
void pool_counts(struct pool *p, size_t *running, size_t *queued);

/* Jobs queued or running. */
size_t pool_load(struct pool *p);

/* Cancel queued and undrained jobs, wait for running ones (whose done()
 * is then cancel()), join the workers and free.  Accepts NULL; sets *pp
 * to NULL. */
void pool_free(struct pool **pp);

#endif
