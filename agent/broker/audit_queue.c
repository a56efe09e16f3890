/* SPDX-License-Identifier: MIT */
/* Audit group commit: aggregate in memory, commit from one thread. */
#include "agent/broker/audit_queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/hash.h"
#include "base/mutex.h"
#include "base/banned.h"

#define AUDIT_QUEUE_BUCKETS 2048
#define AUDIT_QUEUE_ACTION_MAX 32
#define AUDIT_QUEUE_RETRY_MS 1000 /* after a failed commit */

struct audit_queue_entry {
	int64_t time;
	uint32_t count;
	uint32_t hash;
	int next; /* chain in the batch's buckets, -1 at the end */
	char actor[CV_AUDIT_FIELD_MAX + 1];
	char action[AUDIT_QUEUE_ACTION_MAX + 1];
	char record[CV_NAME_MAX + 1];
	char result[CV_AUDIT_FIELD_MAX + 1];
};

struct audit_queue_batch {
	struct audit_queue_entry *e; /* CV_AGENT_AUDIT_PENDING_MAX of them */
	size_t n;
	int64_t first_ms; /* when the oldest entry was queued */
	int heads[AUDIT_QUEUE_BUCKETS];
};

struct audit_queue {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the thread: work or a flush */
	pthread_cond_t done; /* flushers: a commit finished */
	struct audit_queue_batch batch[2];
	struct audit_queue_batch *fill;
	uint64_t sealed;     /* batches taken for commit */
	uint64_t committed;  /* batches whose commit finished */
	int in_progress;
	int flush_req;
	int stop;
	int last_err;
	struct guard *guard;
	pthread_t thread;
	int started;
};

static int64_t
audit_queue_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
audit_queue_batch_reset(struct audit_queue_batch *b)
{
	size_t i;

	b->n = 0;
	b->first_ms = 0;
	for (i = 0; i < AUDIT_QUEUE_BUCKETS; i++)
		b->heads[i] = -1;
}

static uint32_t
audit_queue_hash(const char *const s[4])
{
	uint32_t h = HASH_INIT;
	size_t i;

	for (i = 0; i < 4; i++)
		h = hash_str(hash_str(h, s[i]), "\377"); /* a field separator */
	return h;
}

/* Copy s into dst (dstlen > 0), truncated. */
static void
audit_queue_copy(char *dst, size_t dstlen, const char *s)
{
	size_t n = strnlen(s, dstlen - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Add count occurrences to batch b, merging with an identical entry. */
static int
audit_queue_put(struct audit_queue_batch *b, const char *const f[4], int64_t time,
    uint32_t count)
{
	uint32_t h = audit_queue_hash(f);
	struct audit_queue_entry *e;
	int i;

	for (i = b->heads[h % AUDIT_QUEUE_BUCKETS]; i >= 0; i = b->e[i].next) {
		e = &b->e[i];
		if (e->hash == h && strcmp(e->actor, f[0]) == 0 &&
		    strcmp(e->action, f[1]) == 0 &&
		    strcmp(e->record, f[2]) == 0 &&
		    strcmp(e->result, f[3]) == 0) {
			e->count += count;
			return 0;
		}
	}
	if (b->n == CV_AGENT_AUDIT_PENDING_MAX)
		return CV_E_BUSY;
	e = &b->e[b->n];
	e->time = time;
	e->count = count;
	e->hash = h;
	audit_queue_copy(e->actor, sizeof(e->actor), f[0]);
	audit_queue_copy(e->action, sizeof(e->action), f[1]);
	audit_queue_copy(e->record, sizeof(e->record), f[2]);
	audit_queue_copy(e->result, sizeof(e->result), f[3]);
	e->next = b->heads[h % AUDIT_QUEUE_BUCKETS];
	b->heads[h % AUDIT_QUEUE_BUCKETS] = (int)b->n;
	if (b->n++ == 0)
		b->first_ms = audit_queue_now_ms();
	return 0;
}

struct audit_queue_append {
	const struct audit_entry *e;
	size_t n;
};

static int
audit_queue_append_fn(struct vault *v, void *arg)
{
	const struct audit_queue_append *a = arg;

	return vault_audit_append(v, a->e, a->n);
}

/* Commit batch b to the vault (called without q->mu). */
static int
audit_queue_commit(struct audit_queue *q, struct audit_queue_batch *b)
{
	struct audit_queue_append a;
	struct audit_entry *ents;
	char (*results)[CV_AUDIT_FIELD_MAX + 1];
	size_t i;
	int r;

	ents = calloc(b->n, sizeof(*ents));
	results = calloc(b->n, sizeof(*results));
	r = CV_E_NOMEM;
	if (ents == NULL || results == NULL)
		goto out;
	for (i = 0; i < b->n; i++) {
		const struct audit_queue_entry *e = &b->e[i];

		if (e->count > 1)
			(void)snprintf(results[i], sizeof(results[i]),
			    "%.*s (%lu times)", CV_AUDIT_FIELD_MAX - 24,
			    e->result, (unsigned long)e->count);
		else
			audit_queue_copy(results[i], sizeof(results[i]), e->result);
		ents[i].time = e->time;
		ents[i].actor = e->actor;
		ents[i].action = e->action;
		ents[i].record = e->record;
		ents[i].result = results[i];
	}
	a.e = ents;
	a.n = b->n;
	r = guard_run(q->guard, audit_queue_append_fn, &a);
out:
	free(ents);
	free(results);
	return r;
}

/* Put a failed batch back in front of what was queued meanwhile. */
static void
audit_queue_requeue(struct audit_queue *q, struct audit_queue_batch *b)
{
	const char *f[4];
	size_t i, lost = 0;

	for (i = 0; i < b->n; i++) {
		f[0] = b->e[i].actor;
		f[1] = b->e[i].action;
		f[2] = b->e[i].record;
		f[3] = b->e[i].result;
		if (audit_queue_put(q->fill, f, b->e[i].time, b->e[i].count) != 0)
			lost++;
	}
	if (lost > 0)
		log_err("audit: %zu entries lost: the queue is full and the "
		    "vault refuses commits", lost);
}

static void
audit_queue_wait_until(struct audit_queue *q, int64_t deadline_ms)
{
	struct timespec ts;
	int64_t left = deadline_ms - audit_queue_now_ms();

	if (left <= 0)
		return;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&q->wake, &q->mu, &ts);
}

static void *
audit_queue_main(void *arg)
{
	struct audit_queue *q = arg;
	struct audit_queue_batch *b;
	int r;

	mutex_lock(&q->mu);
	for (;;) {
		b = q->fill;
		if (b->n == 0) {
			if (q->stop)
				break;
			q->flush_req = 0;
			(void)pthread_cond_wait(&q->wake, &q->mu);
			continue;
		}
		if (!q->stop && !q->flush_req &&
		    b->n < CV_AGENT_AUDIT_BATCH_MAX &&
		    audit_queue_now_ms() < b->first_ms + CV_AGENT_AUDIT_DELAY_MS) {
			audit_queue_wait_until(q, b->first_ms +
			    CV_AGENT_AUDIT_DELAY_MS);
			continue;
		}
		/* Seal this batch; new entries go to the other one. */
		q->fill = b == &q->batch[0] ? &q->batch[1] : &q->batch[0];
		q->sealed++;
		q->in_progress = 1;
		q->flush_req = 0;
		mutex_unlock(&q->mu);
		r = audit_queue_commit(q, b);
		mutex_lock(&q->mu);
		/* Once per episode of failures, not once a retry. */
		if (r != 0 && r != q->last_err)
			log_err("audit: cannot commit %zu entries: %s; "
			    "retrying every second", b->n, cv_strerror(r));
		if (r == 0 && q->last_err != 0)
			log_info("audit: committing again");
		if (r != 0)
			audit_queue_requeue(q, b);
		audit_queue_batch_reset(b);
		q->in_progress = 0;
		q->committed++;
		q->last_err = r;
		(void)pthread_cond_broadcast(&q->done);
		if (r != 0 && !q->stop)
			audit_queue_wait_until(q, audit_queue_now_ms() + AUDIT_QUEUE_RETRY_MS);
		if (r != 0 && q->stop)
			break; /* nothing more to do: it was logged */
	}
	mutex_unlock(&q->mu);
	return NULL;
}

int
audit_queue_new(struct guard *g, struct audit_queue **out)
{
	pthread_attr_t at;
	struct audit_queue *q;
	int r = CV_E_NOMEM, have_at = 0;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return CV_E_NOMEM;
	q->guard = g;
	if ((q->batch[0].e = calloc(CV_AGENT_AUDIT_PENDING_MAX,
	    sizeof(struct audit_queue_entry))) == NULL ||
	    (q->batch[1].e = calloc(CV_AGENT_AUDIT_PENDING_MAX,
	    sizeof(struct audit_queue_entry))) == NULL)
		goto out;
	audit_queue_batch_reset(&q->batch[0]);
	audit_queue_batch_reset(&q->batch[1]);
	q->fill = &q->batch[0];
	r = CV_E_INTERNAL;
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		goto out;
	if (pthread_cond_init(&q->wake, NULL) != 0 ||
	    pthread_cond_init(&q->done, NULL) != 0 ||
	    pthread_attr_init(&at) != 0)
		goto out;
	have_at = 1;
	if (pthread_attr_setstacksize(&at, CV_AGENT_THREAD_STACK) != 0 ||
	    pthread_create(&q->thread, &at, audit_queue_main, q) != 0)
		goto out;
	q->started = 1;
	*out = q;
	q = NULL; /* transferred */
	r = 0;
out:
	if (have_at)
		(void)pthread_attr_destroy(&at);
	if (q != NULL) {
		free(q->batch[0].e);
		free(q->batch[1].e);
		free(q);
	}
	return r;
}

int
audit_queue_add(struct audit_queue *q, const char *actor, const char *action,
    const char *record, const char *result, int64_t time)
{
	const char *f[4] = { actor, action, record != NULL ? record : "",
		result };
	size_t before;
	int r;

	/* Nothing could commit it (guard_lock() commits its own entry). */
	if (guard_is_locked(q->guard))
		return 0;
	mutex_lock(&q->mu);
	before = q->fill->n;
	r = audit_queue_put(q->fill, f, time, 1);
	/* Wake the thread to start its delay, or to commit a full batch. */
	if (r == 0 && (before == 0 ||
	    (before < CV_AGENT_AUDIT_BATCH_MAX &&
	    q->fill->n == CV_AGENT_AUDIT_BATCH_MAX)))
		(void)pthread_cond_signal(&q->wake);
	mutex_unlock(&q->mu);
	return r;
}

int
audit_queue_flush(struct audit_queue *q)
{
	uint64_t target;
	int r = 0;

	mutex_lock(&q->mu);
	if (q->fill->n > 0) {
		q->flush_req = 1;
		target = q->sealed + 1; /* the batch fill becomes */
		(void)pthread_cond_signal(&q->wake);
	} else {
		target = q->sealed;
	}
	while (q->committed < target)
		(void)pthread_cond_wait(&q->done, &q->mu);
	if (target > 0)
		r = q->last_err;
	mutex_unlock(&q->mu);
	return r;
}

void
audit_queue_free(struct audit_queue **qp)
{
	struct audit_queue *q;
	size_t i;

	if (qp == NULL || *qp == NULL)
		return;
	q = *qp;
	if (q->started) {
		mutex_lock(&q->mu);
		q->stop = 1;
		(void)pthread_cond_signal(&q->wake);
		mutex_unlock(&q->mu);
		(void)pthread_join(q->thread, NULL);
	}
	for (i = 0; i < 2; i++) {
		if (q->batch[i].n > 0)
			log_err("audit: %zu entries not committed at exit",
			    q->batch[i].n);
		free(q->batch[i].e);
	}
	(void)pthread_mutex_destroy(&q->mu);
	(void)pthread_cond_destroy(&q->wake);
	(void)pthread_cond_destroy(&q->done);
	free(q);
	*qp = NULL;
}

size_t
audit_queue_depth(struct audit_queue *q)
{
	size_t n;

	mutex_lock(&q->mu);
	n = q->fill->n;
	if (q->in_progress)
		n += q->fill == &q->batch[0] ? q->batch[1].n : q->batch[0].n;
	mutex_unlock(&q->mu);
	return n;
}
