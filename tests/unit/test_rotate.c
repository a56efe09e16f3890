/* SPDX-License-Identifier: MIT */
/* The rotation state machine against an in-memory provider. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "vault/rotate.h"
#include "vault/vault.h"
#include "test.h"
#include "base/banned.h"

/* A provider: API clients with a name, a secret and a live flag. */
#define UP_MAX 64
struct upstream {
	struct {
		char id[32], name[64], secret[48];
		int live;
	} c[UP_MAX];
	int n;
	int fail_create, fail_verify, fail_retire;
	int lose_create; /* create upstream, then "crash" before returning */
	int creates, notifies;
};

static int
up_live_named(const struct upstream *u, const char *name)
{
	int i, n = 0;

	for (i = 0; i < u->n; i++)
		n += u->c[i].live && strcmp(u->c[i].name, name) == 0;
	return n;
}

static int
up_live(const struct upstream *u)
{
	int i, n = 0;

	for (i = 0; i < u->n; i++)
		n += u->c[i].live;
	return n;
}

static int
up_create(void *ctx, const struct record *r, const char *client_name,
    uint32_t generation, char *client_id, size_t cap, struct secbuf *secret,
    char *err, size_t errlen)
{
	struct upstream *u = ctx;
	int i;

	(void)r;
	(void)generation;
	if (u->fail_create) {
		u->fail_create--;
		snprintf(err, errlen, "503 from the provider");
		return CV_E_UPSTREAM;
	}
	/* Idempotent by name, like ct-rotate: an orphan goes first. */
	for (i = 0; i < u->n; i++)
		if (strcmp(u->c[i].name, client_name) == 0)
			u->c[i].live = 0;
	i = u->n++;
	snprintf(u->c[i].id, sizeof(u->c[i].id), "client-%d", i);
	snprintf(u->c[i].name, sizeof(u->c[i].name), "%s", client_name);
	snprintf(u->c[i].secret, sizeof(u->c[i].secret), "secret-%d-xyz", i);
	u->c[i].live = 1;
	u->creates++;
	if (u->lose_create) {
		u->lose_create--;
		return CV_E_UPSTREAM; /* the answer never reached the vault */
	}
	snprintf(client_id, cap, "%s", u->c[i].id);
	return secbuf_set(secret, u->c[i].secret, strlen(u->c[i].secret));
}

static int
up_find(const struct upstream *u, const char *id)
{
	int i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->c[i].id, id) == 0)
			return i;
	return -1;
}

static int
up_verify(void *ctx, const struct record *r, const struct generation *g,
    char *err, size_t errlen)
{
	struct upstream *u = ctx;
	int i = up_find(u, g->client_id);

	(void)r;
	if (u->fail_verify) {
		u->fail_verify--;
		snprintf(err, errlen, "invalid_client");
		return CV_E_UPSTREAM;
	}
	if (i < 0 || !u->c[i].live || strcmp(u->c[i].secret, g->secret) != 0) {
		snprintf(err, errlen, "invalid_client");
		return CV_E_UPSTREAM;
	}
	return 0;
}

static int
up_retire(void *ctx, const struct record *r, const struct generation *g,
    char *err, size_t errlen)
{
	struct upstream *u = ctx;
	int i = up_find(u, g->client_id);

	(void)r;
	if (u->fail_retire) {
		u->fail_retire--;
		snprintf(err, errlen, "timeout");
		return CV_E_UPSTREAM;
	}
	if (i >= 0)
		u->c[i].live = 0;
	return 0;
}

static void
up_notify(void *ctx, const char *name, const char *event, const char *d)
{
	(void)name;
	(void)event;
	(void)d;
	((struct upstream *)ctx)->notifies++;
}

static struct vault *v;
static struct secbuf *plain;

static void
add_record(const char *name, const char *client_id, const char *secret)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.name = name;
	r.provider = "commercetools";
	r.project_key = "demo";
	r.scope = "view_products:demo";
	r.auth_url = "http://127.0.0.1:1";
	r.api_url = "http://127.0.0.1:1";
	r.ngen = 1;
	r.policy.grace_s = 3600;
	r.gen[0].number = 1;
	r.gen[0].state = GEN_ACTIVE;
	r.gen[0].client_id = client_id;
	r.gen[0].secret = secret;
	r.gen[0].secret_len = strlen(secret);
	ASSERT_INT_EQ(vault_records_add(v, &r, 1), 0);
}

static uint8_t
step_of(const char *name, struct record *r)
{
	ASSERT_INT_EQ(vault_record_get(v, name, plain, r), 0);
	return r->rot.step;
}

static void
test_happy_path(struct upstream *u, struct rotate_ops *ops)
{
	struct rotate_result res;
	struct record r;

	ASSERT_INT_EQ(rotate_run(v, "a", 0, ops, &res), 0);
	ASSERT_INT_EQ(res.from, 1);
	ASSERT_INT_EQ(res.to, 2);
	ASSERT_INT_EQ(step_of("a", &r), ROT_NONE);
	ASSERT_INT_EQ(r.ngen, 2);
	ASSERT_INT_EQ(r.gen[0].state, GEN_RETIRED);
	ASSERT_TRUE(r.gen[0].flags & GEN_F_DELETED);
	ASSERT_STR_EQ(r.gen[0].secret, "old-secret"); /* within grace */
	ASSERT_INT_EQ(r.gen[1].state, GEN_ACTIVE);
	ASSERT_STR_EQ(r.gen[1].client_id, "client-1");
	ASSERT_INT_EQ(up_live(u), 1);
	ASSERT_INT_EQ(u->notifies, 1);
	/* A rotation triggered from generation 1 is already done. */
	ASSERT_INT_EQ(rotate_run(v, "a", 1, ops, &res), 0);
	ASSERT_TRUE(res.already);
	ASSERT_INT_EQ(u->creates, 1);
}

static void
test_failures_resume(struct upstream *u, struct rotate_ops *ops)
{
	struct rotate_result res;
	struct record r;

	/* create fails: nothing but the reservation changed. */
	u->fail_create = 1;
	ASSERT_INT_EQ(rotate_run(v, "a", 0, ops, &res), CV_E_UPSTREAM);
	ASSERT_TRUE(strstr(res.err, "503") != NULL);
	ASSERT_INT_EQ(step_of("a", &r), ROT_STARTED);
	ASSERT_INT_EQ(r.rot.attempts, 1);
	ASSERT_STR_EQ(record_client_id(&r), "client-1");
	/* The answer to a create is lost (crash after the POST): the orphan
	 * is replaced on resume, never left live. */
	u->lose_create = 1;
	ASSERT_INT_EQ(rotate_run(v, "a", 0, ops, &res), CV_E_UPSTREAM);
	ASSERT_INT_EQ(up_live_named(u, "credvault-a-g3"), 1);
	/* verify fails: the new secret is kept pending, old stays active. */
	u->fail_verify = 1;
	ASSERT_INT_EQ(rotate_run(v, "a", 0, ops, &res), CV_E_UPSTREAM);
	ASSERT_TRUE(res.resumed);
	ASSERT_INT_EQ(step_of("a", &r), ROT_CREATED);
	ASSERT_INT_EQ(up_live_named(u, "credvault-a-g3"), 1);
	ASSERT_STR_EQ(record_client_id(&r), "client-1");
	ASSERT_INT_EQ(r.gen[r.ngen - 1].state, GEN_PENDING);
	/* retire fails: the new secret is active, the old client lives. */
	u->fail_retire = 1;
	ASSERT_INT_EQ(rotate_run(v, "a", 0, ops, &res), CV_E_UPSTREAM);
	ASSERT_INT_EQ(step_of("a", &r), ROT_ACTIVATED);
	ASSERT_INT_EQ(record_active(&r)->number, 3);
	ASSERT_INT_EQ(up_live(u), 2);
	/* And finally it completes: exactly one live client. */
	ASSERT_INT_EQ(rotate_run(v, "a", 0, ops, &res), 0);
	ASSERT_INT_EQ(step_of("a", &r), ROT_NONE);
	ASSERT_INT_EQ(up_live(u), 1);
	ASSERT_INT_EQ(up_live_named(u, "credvault-a-g3"), 1);
	ASSERT_INT_EQ(vault_audit_verify(v, NULL, NULL), 0);
}

static void
test_manual_abort(struct upstream *u, struct rotate_ops *ops)
{
	struct rotate_result res;
	struct secbuf *s = secbuf_dup("typed-by-hand", 13);
	struct record r;

	add_record("b", "b-client", "b-secret");
	ASSERT_INT_EQ(rotate_manual(v, "b", NULL, s, &res), 0);
	ASSERT_INT_EQ(step_of("b", &r), ROT_NONE);
	ASSERT_INT_EQ(record_active(&r)->number, 2);
	ASSERT_STR_EQ(record_client_id(&r), "b-client");
	ASSERT_STR_EQ(record_active(&r)->secret, "typed-by-hand");
	ASSERT_INT_EQ(r.gen[0].state, GEN_RETIRED);
	/* An automated rotation stuck at verify blocks manual rotation. */
	u->fail_verify = 1;
	ASSERT_INT_EQ(rotate_run(v, "b", 0, ops, &res), CV_E_UPSTREAM);
	ASSERT_INT_EQ(rotate_manual(v, "b", "x", s, &res), CV_E_REFUSED);
	ASSERT_TRUE(strstr(res.err, "--abort") != NULL);
	/* Abort deletes the pending client and drops the generation. */
	ASSERT_INT_EQ(rotate_abort(v, "b", ops, &res), 0);
	ASSERT_INT_EQ(step_of("b", &r), ROT_NONE);
	ASSERT_INT_EQ(r.ngen, 2);
	ASSERT_INT_EQ(up_live_named(u, "credvault-b-g3"), 0);
	ASSERT_INT_EQ(rotate_abort(v, "b", ops, &res), CV_E_REFUSED);
	secbuf_free(&s);
}

static int
set_grace_zero(struct record *r, void *ctx)
{
	(void)ctx;
	r->policy.grace_s = 0;
	return 0;
}

static void
test_grace_and_room(struct upstream *u, struct rotate_ops *ops)
{
	struct rotate_result res;
	struct record r;
	int i;

	add_record("c", "c-client", "c-secret");
	ASSERT_INT_EQ(vault_record_update(v, "c", set_grace_zero, NULL,
	    "policy", NULL), 0);
	/* Many more rotations than generations kept: wiped ones make room. */
	for (i = 0; i < CV_GENERATIONS_MAX + 4; i++)
		ASSERT_INT_EQ(rotate_run(v, "c", 0, ops, &res), 0);
	ASSERT_INT_EQ(step_of("c", &r), ROT_NONE);
	ASSERT_TRUE(r.ngen <= CV_GENERATIONS_MAX);
	ASSERT_INT_EQ(record_active(&r)->number, CV_GENERATIONS_MAX + 5);
	for (i = 0; i < (int)r.ngen; i++)
		if (r.gen[i].state == GEN_RETIRED) {
			ASSERT_TRUE(r.gen[i].flags & GEN_F_WIPED);
			ASSERT_INT_EQ(r.gen[i].secret_len, 0);
		}
	ASSERT_INT_EQ(vault_check(v, NULL, NULL), 0);
	(void)u;
}

int
main(void)
{
	char dir[] = "/tmp/cv-test-rotate.XXXXXX", why[256];
	struct kdf_params kdf = { 1, 64, 1 };
	static struct upstream u;
	struct rotate_ops ops = { up_create, up_verify, up_retire, up_notify,
		&u };
	char cmd[300];

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd), "%s/v", dir);
	ASSERT_INT_EQ(vault_create(cmd, "t", &kdf, "pw", 2, why, sizeof(why)),
	    0);
	ASSERT_INT_EQ(vault_open(cmd, &v, why, sizeof(why)), 0);
	ASSERT_INT_EQ(vault_unlock(v, KEYSLOT_PASSPHRASE, "pw", 2, NULL), 0);
	plain = secbuf_new(CV_RECORD_MAX);
	/* The old client exists upstream too. */
	snprintf(u.c[0].id, sizeof(u.c[0].id), "client-0");
	snprintf(u.c[0].name, sizeof(u.c[0].name), "by-hand");
	snprintf(u.c[0].secret, sizeof(u.c[0].secret), "old-secret");
	u.c[0].live = 1;
	u.n = 1;
	add_record("a", "client-0", "old-secret");

	test_happy_path(&u, &ops);
	test_failures_resume(&u, &ops);
	test_manual_abort(&u, &ops);
	test_grace_and_room(&u, &ops);
	{
		/* A clone shares the environment and has its own keys. */
		struct vault *c = NULL;
		struct record r;

		ASSERT_INT_EQ(vault_clone(v, &c), 0);
		ASSERT_INT_EQ(vault_record_get(c, "a", plain, &r), 0);
		ASSERT_INT_EQ(vault_rekey(v), 0);
		ASSERT_INT_EQ(vault_record_get(c, "b", plain, &r), 0);
		vault_free(&c);
		ASSERT_INT_EQ(vault_record_get(v, "a", plain, &r), 0);
	}

	secbuf_free(&plain);
	vault_free(&v);
	snprintf(cmd, sizeof(cmd), "%s/v/data.mdb", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/v/lock.mdb", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/v/rotate.lock", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/v", dir);
	rmdir(cmd);
	rmdir(dir);
	return test_done("test_rotate");
}
