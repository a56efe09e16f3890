/* SPDX-License-Identifier: MIT */
/* The rotation state machine: start, create, verify, activate, retire. */
#include "vault/rotate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mutex.h"
#include "base/banned.h"

/*
 * Every transition is one vault_record_update, committed before the next
 * provider call, so a crash anywhere leaves a state rotate_run continues
 * from:
 *
 *   NONE --start--> STARTED --create--> CREATED --verify--> ACTIVATED
 *     ^                                                          |
 *     +------------------------retire----------------------------+
 *
 * STARTED reserves the generation number and a client name unique to it,
 * so the create hook can find and delete a client that a crashed attempt
 * created but never stored.  The old secret stays active until the new one
 * has minted a token.
 */

#define ROTATE_LOCK_FILE "rotate.lock"
#define ROTATE_LOCK_WAIT_S 120

static pthread_mutex_t rotate_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Serialise rotations of one vault: a mutex between our threads, an
 * advisory lock between processes (released by the kernel on a crash). */
static int
rotate_lock(struct vault *v, int *fdp)
{
	char path[CV_PATH_MAX];
	int fd, i;

	*fdp = -1;
	snprintf(path, sizeof(path), "%s/%s", vault_path(v), ROTATE_LOCK_FILE);
	mutex_lock(&rotate_mutex);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		mutex_unlock(&rotate_mutex);
		return CV_E_IO;
	}
	for (i = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if ((errno != EWOULDBLOCK && errno != EINTR) ||
		    i >= ROTATE_LOCK_WAIT_S * 10) {
			close(fd);
			mutex_unlock(&rotate_mutex);
			return CV_E_BUSY;
		}
		nanosleep(&ts, NULL);
	}
	*fdp = fd;
	return 0;
}

static void
rotate_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
	mutex_unlock(&rotate_mutex);
}

/* Wipe retired secrets past their grace period; 1 if anything changed. */
static int
rotate_wipe(struct record *r, int64_t now)
{
	uint32_t i;
	int changed = 0;

	for (i = 0; i < r->ngen; i++) {
		struct generation *g = &r->gen[i];

		if (g->state != GEN_RETIRED || (g->flags & GEN_F_WIPED) ||
		    g->retired_at + (int64_t)r->policy.grace_s > now)
			continue;
		g->secret = "";
		g->secret_len = 0;
		g->flags |= GEN_F_WIPED;
		changed = 1;
	}
	return changed;
}

/* Drop the oldest wiped generations to make room for one more. */
static int
rotate_make_room(struct record *r)
{
	uint32_t i;

	while (r->ngen >= CV_GENERATIONS_MAX) {
		for (i = 0; i < r->ngen; i++)
			if (r->gen[i].state == GEN_RETIRED &&
			    (r->gen[i].flags & GEN_F_WIPED))
				break;
		if (i == r->ngen)
			return CV_E_REFUSED;
		memmove(&r->gen[i], &r->gen[i + 1],
		    (r->ngen - i - 1) * sizeof(r->gen[0]));
		r->ngen--;
	}
	return 0;
}

static uint32_t
rotate_next_number(const struct record *r)
{
	uint32_t i, n = r->rot.generation;

	for (i = 0; i < r->ngen; i++)
		if (r->gen[i].number > n)
			n = r->gen[i].number;
	return n + 1;
}

/* One mutation per step; the context carries what it needs. */
struct step_ctx {
	uint8_t from_step;       /* refuse if the record moved on meanwhile */
	uint32_t expect_active;  /* for start: 0 or the generation seen */
	char client_name[CV_CLIENT_ID_MAX + 1];
	char client_id[CV_CLIENT_ID_MAX + 1];
	const struct secbuf *secret;
	uint32_t generation;
	const char *error;       /* a failed attempt: its reason */
	int manual;
	int already;
};

static void
rotate_client_name(const char *name, uint32_t n, char *out, size_t cap)
{
	size_t i, len;

	/* commercetools client names: keep them readable and slash-free. */
	len = (size_t)snprintf(out, cap, "credvault-%s-g%u", name, n);
	for (i = 0; i < len && i < cap; i++)
		if (out[i] == '/')
			out[i] = '-';
}

static int
rotate_start_fn(struct record *r, void *arg)
{
	struct step_ctx *c = arg;
	const struct generation *g = record_active(r);
	int rc;

	if (r->rot.step != ROT_NONE)
		return CV_E_BUSY;
	if (c->expect_active != 0 && (g == NULL ||
	    g->number != c->expect_active)) {
		c->already = 1;
		return CV_E_EXISTS; /* nothing to commit */
	}
	rotate_wipe(r, vault_now());
	if ((rc = rotate_make_room(r)) != 0)
		return rc;
	c->generation = rotate_next_number(r);
	rotate_client_name(r->name, c->generation, c->client_name,
	    sizeof(c->client_name));
	r->rot.step = ROT_STARTED;
	r->rot.generation = c->generation;
	r->rot.client_name = c->client_name;
	r->rot.started_at = vault_now();
	r->rot.attempts = 0;
	r->rot.last_error = "";
	return 0;
}

/* Record a failed attempt at the current step. */
static int
rotate_fail_fn(struct record *r, void *arg)
{
	struct step_ctx *c = arg;

	if (r->rot.step != c->from_step)
		return CV_E_BUSY;
	r->rot.attempts++;
	r->rot.last_error = c->error;
	return 0;
}

static int
rotate_created_fn(struct record *r, void *arg)
{
	struct step_ctx *c = arg;
	struct generation *g;
	int rc;

	if (r->rot.step != ROT_STARTED)
		return CV_E_BUSY;
	if ((rc = rotate_make_room(r)) != 0)
		return rc;
	g = &r->gen[r->ngen++];
	memset(g, 0, sizeof(*g));
	g->number = r->rot.generation;
	g->state = GEN_PENDING;
	g->created_at = vault_now();
	g->client_id = c->client_id;
	g->secret = (const char *)c->secret->data;
	g->secret_len = c->secret->len;
	r->rot.step = ROT_CREATED;
	r->rot.attempts = 0;
	r->rot.last_error = "";
	return 0;
}

static int
rotate_activate_fn(struct record *r, void *arg)
{
	struct generation *next, *old = record_active_mut(r);
	int64_t now = vault_now();

	(void)arg;
	if (r->rot.step != ROT_CREATED ||
	    (next = record_generation(r, r->rot.generation)) == NULL ||
	    next->state != GEN_PENDING)
		return CV_E_BUSY;
	if (old != NULL) {
		old->state = GEN_RETIRED;
		old->retired_at = now;
	}
	next->state = GEN_ACTIVE;
	next->activated_at = now;
	r->rot.step = ROT_ACTIVATED;
	r->rot.attempts = 0;
	r->rot.last_error = "";
	return 0;
}

/* The retired generation whose client still lives upstream, if any. */
static struct generation *
rotate_live_retired(struct record *r)
{
	uint32_t i;

	for (i = r->ngen; i > 0; i--) {
		struct generation *g = &r->gen[i - 1];

		if (g->state == GEN_RETIRED && !(g->flags & GEN_F_DELETED) &&
		    g->number < r->rot.generation)
			return g;
	}
	return NULL;
}

static int
rotate_retired_fn(struct record *r, void *arg)
{
	struct step_ctx *c = arg;
	struct generation *g = record_generation(r, c->generation);

	if (r->rot.step != ROT_ACTIVATED || g == NULL)
		return CV_E_BUSY;
	g->flags |= GEN_F_DELETED;
	if (rotate_live_retired(r) != NULL)
		return 0; /* more to delete */
	memset(&r->rot, 0, sizeof(r->rot));
	rotate_wipe(r, vault_now());
	return 0;
}

static int
rotate_done_fn(struct record *r, void *arg)
{
	(void)arg;
	if (r->rot.step != ROT_ACTIVATED)
		return CV_E_BUSY;
	memset(&r->rot, 0, sizeof(r->rot));
	return 0;
}

/* Commit a failed attempt and return err_code (audited as failed). */
static int
rotate_failed(struct vault *v, const char *name, struct step_ctx *c,
    const char *action, int err_code, const struct rotate_ops *ops)
{
	char result[ROTATE_ERR_MAX + 16];
	int rc;

	snprintf(result, sizeof(result), "failed: %s", c->error);
	rc = vault_record_update(v, name, rotate_fail_fn, c, action, result);
	if (ops->notify != NULL)
		ops->notify(ops->ctx, name, "rotate-failed", c->error);
	return rc != 0 ? rc : err_code;
}

/* Load the record into plain/r. */
static int
rotate_load(struct vault *v, const char *name, struct secbuf *plain,
    struct record *r)
{
	return vault_record_get(v, name, plain, r);
}

static int
rotate_steps(struct vault *v, const char *name, uint32_t from,
    const struct rotate_ops *ops, struct rotate_result *res,
    struct secbuf *plain, struct secbuf *secret)
{
	struct step_ctx c;
	struct record r;
	const struct generation *g;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = rotate_load(v, name, plain, &r)) != 0)
		return rc;
	g = record_active(&r);
	res->from = res->to = g != NULL ? g->number : 0;
	if (r.rot.step == ROT_NONE) {
		c.expect_active = from;
		rc = vault_record_update(v, name, rotate_start_fn, &c,
		    "rotate start", NULL);
		if (c.already) {
			res->already = 1;
			return 0;
		}
		if (rc == CV_E_REFUSED)
			snprintf(res->err, sizeof(res->err), "%u generations "
			    "kept and none can be dropped until a retired "
			    "secret's grace period ends", (unsigned)CV_GENERATIONS_MAX);
		if (rc != 0)
			return rc;
		if ((rc = rotate_load(v, name, plain, &r)) != 0)
			return rc;
	} else
		res->resumed = 1;

	if (r.rot.step == ROT_STARTED) {
		char err[ROTATE_ERR_MAX] = "";
		char client_id[CV_CLIENT_ID_MAX + 1] = "";

		secbuf_reset(secret);
		rc = ops->create(ops->ctx, &r, r.rot.client_name,
		    r.rot.generation, client_id, sizeof(client_id), secret,
		    err, sizeof(err));
		if (rc == 0 && (client_id[0] == '\0' ||
		    !record_secret_is_valid(secret->data, secret->len))) {
			snprintf(err, sizeof(err), "the rotate hook returned "
			    "no usable client id and secret");
			rc = CV_E_UPSTREAM;
		}
		if (rc != 0) {
			snprintf(res->err, sizeof(res->err), "creating the new "
			    "client failed: %.160s", err[0] ? err :
			    cv_strerror(rc));
			c.from_step = ROT_STARTED;
			c.error = res->err;
			return rotate_failed(v, name, &c, "rotate create",
			    rc, ops);
		}
		memcpy(c.client_id, client_id, sizeof(c.client_id));
		c.secret = secret;
		rc = vault_record_update(v, name, rotate_created_fn, &c,
		    "rotate create", NULL);
		secbuf_reset(secret);
		if (rc != 0)
			return rc;
		if ((rc = rotate_load(v, name, plain, &r)) != 0)
			return rc;
	}

	if (r.rot.step == ROT_CREATED) {
		char err[ROTATE_ERR_MAX] = "";
		const struct generation *next = record_generation(&r,
		    r.rot.generation);

		if (next == NULL)
			return CV_E_INTEGRITY;
		rc = ops->verify(ops->ctx, &r, next, err, sizeof(err));
		if (rc != 0) {
			snprintf(res->err, sizeof(res->err), "the new secret "
			    "did not mint a token: %.160s", err[0] ? err :
			    cv_strerror(rc));
			c.from_step = ROT_CREATED;
			c.error = res->err;
			return rotate_failed(v, name, &c, "rotate verify", rc,
			    ops);
		}
		rc = vault_record_update(v, name, rotate_activate_fn, &c,
		    "rotate activate", NULL);
		if (rc != 0)
			return rc;
		if ((rc = rotate_load(v, name, plain, &r)) != 0)
			return rc;
	}

	while (r.rot.step == ROT_ACTIVATED) {
		char err[ROTATE_ERR_MAX] = "";
		struct generation *old = rotate_live_retired(&r);

		if (old == NULL) {
			rc = vault_record_update(v, name, rotate_done_fn, &c,
			    "rotate done", NULL);
		} else if ((rc = ops->retire(ops->ctx, &r, old, err,
		    sizeof(err))) != 0) {
			snprintf(res->err, sizeof(res->err), "the new secret "
			    "is active, but deleting the old client failed: "
			    "%.160s", err[0] ? err : cv_strerror(rc));
			c.from_step = ROT_ACTIVATED;
			c.error = res->err;
			return rotate_failed(v, name, &c, "rotate retire", rc,
			    ops);
		} else {
			c.generation = old->number;
			rc = vault_record_update(v, name, rotate_retired_fn, &c,
			    "rotate retire", NULL);
		}
		if (rc != 0)
			return rc;
		if ((rc = rotate_load(v, name, plain, &r)) != 0)
			return rc;
	}
	g = record_active(&r);
	res->to = g != NULL ? g->number : 0;
	if (ops->notify != NULL)
		ops->notify(ops->ctx, name, "rotated", "");
	return 0;
}

int
rotate_run(struct vault *v, const char *name, uint32_t from_generation,
    const struct rotate_ops *ops, struct rotate_result *res)
{
	struct secbuf *plain = NULL, *secret = NULL;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	if ((rc = rotate_lock(v, &fd)) != 0) {
		snprintf(res->err, sizeof(res->err), "another rotation of this "
		    "vault did not finish within %d s", ROTATE_LOCK_WAIT_S);
		return rc;
	}
	plain = secbuf_new(CV_RECORD_MAX);
	secret = secbuf_new(CV_SECRET_MAX);
	if (plain == NULL || secret == NULL)
		rc = CV_E_NOMEM;
	else
		rc = rotate_steps(v, name, from_generation, ops, res, plain,
		    secret);
	secbuf_free(&plain);
	secbuf_free(&secret);
	rotate_unlock(fd);
	return rc;
}

static int
rotate_manual_fn(struct record *r, void *arg)
{
	struct step_ctx *c = arg;
	struct generation *old, *g;
	int64_t now = vault_now();
	int rc;

	if (r->rot.step != ROT_NONE)
		return CV_E_REFUSED;
	rotate_wipe(r, now);
	if ((rc = rotate_make_room(r)) != 0)
		return rc;
	old = record_active_mut(r);
	if (c->client_id[0] == '\0' && old == NULL)
		return CV_E_INVALID;
	g = &r->gen[r->ngen];
	memset(g, 0, sizeof(*g));
	g->number = rotate_next_number(r);
	g->state = GEN_ACTIVE;
	g->created_at = g->activated_at = now;
	/* Copy before the old generation's strings stop mattering. */
	if (c->client_id[0] == '\0')
		snprintf(c->client_id, sizeof(c->client_id), "%s",
		    old->client_id);
	g->client_id = c->client_id;
	g->secret = (const char *)c->secret->data;
	g->secret_len = c->secret->len;
	if (old != NULL) {
		old->state = GEN_RETIRED;
		old->retired_at = now;
	}
	c->generation = g->number;
	r->ngen++;
	return 0;
}

int
rotate_manual(struct vault *v, const char *name, const char *client_id,
    const struct secbuf *secret, struct rotate_result *res)
{
	struct step_ctx c;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	if (!record_secret_is_valid(secret->data, secret->len))
		return CV_E_INVALID;
	if (client_id != NULL)
		snprintf(c.client_id, sizeof(c.client_id), "%s", client_id);
	c.secret = secret;
	if ((rc = rotate_lock(v, &fd)) != 0)
		return rc;
	rc = vault_record_update(v, name, rotate_manual_fn, &c,
	    "rotate manual", NULL);
	rotate_unlock(fd);
	if (rc == CV_E_REFUSED)
		snprintf(res->err, sizeof(res->err), "an automated rotation "
		    "is in progress; finish it with 'credvault rotate %s' or "
		    "abandon it with 'credvault rotate %s --abort'", name,
		    name);
	res->to = c.generation;
	return rc;
}

static int
rotate_drop_pending_fn(struct record *r, void *arg)
{
	uint32_t i;

	(void)arg;
	if (r->rot.step != ROT_STARTED && r->rot.step != ROT_CREATED)
		return CV_E_BUSY;
	for (i = 0; i < r->ngen; i++)
		if (r->gen[i].number == r->rot.generation &&
		    r->gen[i].state == GEN_PENDING) {
			memmove(&r->gen[i], &r->gen[i + 1],
			    (r->ngen - i - 1) * sizeof(r->gen[0]));
			r->ngen--;
			break;
		}
	memset(&r->rot, 0, sizeof(r->rot));
	return 0;
}

int
rotate_abort(struct vault *v, const char *name, const struct rotate_ops *ops,
    struct rotate_result *res)
{
	struct secbuf *plain = NULL;
	struct record r;
	const struct generation *g;
	char err[ROTATE_ERR_MAX] = "";
	int fd, rc;

	memset(res, 0, sizeof(*res));
	if ((rc = rotate_lock(v, &fd)) != 0)
		return rc;
	if ((plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
		rc = CV_E_NOMEM;
		goto out;
	}
	if ((rc = rotate_load(v, name, plain, &r)) != 0)
		goto out;
	if (r.rot.step == ROT_NONE || r.rot.step == ROT_ACTIVATED) {
		snprintf(res->err, sizeof(res->err), r.rot.step == ROT_NONE ?
		    "no rotation is in progress" : "the new secret is already "
		    "active; finish with 'credvault rotate %s'", name);
		rc = CV_E_REFUSED;
		goto out;
	}
	/* A created client must go, or it would live on unaccounted for. */
	g = record_generation(&r, r.rot.generation);
	if (g != NULL && (rc = ops->retire(ops->ctx, &r, g, err,
	    sizeof(err))) != 0) {
		snprintf(res->err, sizeof(res->err), "deleting the pending "
		    "client failed: %.160s", err[0] ? err : cv_strerror(rc));
		goto out;
	}
	res->deleted = g != NULL;
	rc = vault_record_update(v, name, rotate_drop_pending_fn, NULL,
	    "rotate abort", NULL);
out:
	secbuf_free(&plain);
	rotate_unlock(fd);
	return rc;
}

static int
rotate_wipe_fn(struct record *r, void *arg)
{
	(void)arg;
	return rotate_wipe(r, vault_now()) ? 0 : CV_E_EXISTS;
}

int
rotate_wipe_expired(struct vault *v, const char *name)
{
	int rc = vault_record_update(v, name, rotate_wipe_fn, NULL,
	    "wipe retired secrets", NULL);

	return rc == CV_E_EXISTS ? 0 : rc; /* nothing was due */
}

int
rotate_is_due(const struct record *r, int64_t now)
{
	const struct generation *g = record_active(r);

	return g != NULL && (r->policy.flags & ROTATION_AUTO_AGE) &&
	    r->policy.max_age_s > 0 &&
	    g->activated_at + (int64_t)r->policy.max_age_s <= now;
}
