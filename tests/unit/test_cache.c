/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/cache and agent/scope: margins, min-ttl, eviction,
 * single-flight with threads, refresh ahead, clear. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "agent/broker/cache.h"
#include "hooks/scope.h"
#include "base/err.h"
#include "test.h"
#include "base/banned.h"

#define S(x) ((int64_t)(x) * 1000) /* seconds to ms */

static struct cache_key
key(const char *name, uint32_t gen, const char *scope)
{
	struct cache_key k;

	k.name = name;
	k.generation = gen;
	k.scope = scope;
	return k;
}

static struct cache_mint
mint(const char *tok, uint32_t expires_in)
{
	struct cache_mint m;

	memset(&m, 0, sizeof(m));
	m.token = (const unsigned char *)tok;
	m.toklen = strlen(tok);
	m.token_type = "Bearer";
	m.scope = "a b";
	m.expires_in = expires_in;
	return m;
}

/* Get k at now: the result, with the token (if any) copied into tok. */
static int
get(struct cache *c, const char *name, uint32_t gen, const char *scope,
    uint32_t min_ttl, int64_t now, struct cache_token *tok,
    struct cache_flight **f, struct cache_flight **refresh)
{
	struct cache_key k = key(name, gen, scope);

	secbuf_reset(tok->token);
	return cache_get(c, &k, min_ttl, now, tok, f, refresh);
}

/* Fill key (name, gen, scope) with tok at time t (lead, finish). */
static void
fill(struct cache *c, const char *name, uint32_t gen, const char *scope,
    const char *token, uint32_t expires_in, int64_t t, struct cache_token *tok)
{
	struct cache_flight *f = NULL;
	struct cache_mint m = mint(token, expires_in);

	ASSERT_INT_EQ(get(c, name, gen, scope, 0, t, tok, &f, NULL), CACHE_LEAD);
	cache_flight_finish(c, f, &m, 0, NULL, t);
	cache_flight_put(c, &f);
}

static void
test_margin(void)
{
	/* min(300 s, 10 %): 48 h and 2 h tokens get 5 min, short ones 10 %. */
	ASSERT_INT_EQ(cache_margin_ms(172800), S(300));
	ASSERT_INT_EQ(cache_margin_ms(7200), S(300));
	ASSERT_INT_EQ(cache_margin_ms(3000), S(300));
	ASSERT_INT_EQ(cache_margin_ms(2999), 299900);
	ASSERT_INT_EQ(cache_margin_ms(600), S(60));
	ASSERT_INT_EQ(cache_margin_ms(10), S(1));
	ASSERT_INT_EQ(cache_margin_ms(1), 100);
}

static void
test_hit_and_margin(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL, *rf = NULL;
	int64_t t0 = S(1000);

	ASSERT_INT_EQ(cache_new(16, &c), 0);
	fill(c, "shop", 1, "a b", "tok-1", 3600, t0, tok);
	/* Served right after, with the seconds left. */
	ASSERT_INT_EQ(get(c, "shop", 1, "a b", 0, t0 + S(10), tok, &f, &rf),
	    CACHE_HIT);
	ASSERT_STR_EQ((char *)tok->token->data, "tok-1");
	ASSERT_INT_EQ(tok->expires_in, 3590);
	ASSERT_INT_EQ(tok->lifetime, 3600);
	ASSERT_STR_EQ(tok->token_type, "Bearer");
	ASSERT_STR_EQ(tok->scope, "a b");
	ASSERT_TRUE(f == NULL && rf == NULL);
	/* Just above the 300 s margin: still served (refresh ahead starts
	 * within two margins: checked in test_refresh). */
	ASSERT_INT_EQ(get(c, "shop", 1, "a b", 0, t0 + S(3299), tok, &f,
	    NULL), CACHE_HIT);
	/* At the margin: not served any more; a new mint leads. */
	ASSERT_INT_EQ(get(c, "shop", 1, "a b", 0, t0 + S(3300), tok, &f,
	    NULL), CACHE_LEAD);
	ASSERT_TRUE(f != NULL);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "server_error",
	    t0 + S(3300));
	cache_flight_put(c, &f);
	/* Another generation or scope set is another key. */
	ASSERT_INT_EQ(get(c, "shop", 2, "a b", 0, t0, tok, &f, NULL),
	    CACHE_LEAD);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "x", t0);
	cache_flight_put(c, &f);
	ASSERT_INT_EQ(get(c, "shop", 1, "a", 0, t0, tok, &f, NULL), CACHE_LEAD);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "x", t0);
	cache_flight_put(c, &f);
	cache_free(&c);
	ASSERT_TRUE(c == NULL);
}

static void
test_min_ttl(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL, *lead = NULL;
	int64_t t0 = S(50);

	ASSERT_INT_EQ(cache_new(16, &c), 0);
	fill(c, "shop", 1, "", "tok-1", 600, t0, tok); /* margin 60 s */
	/* 500 s left: min-ttl 400 served, 501 not (a fresh token could). */
	ASSERT_INT_EQ(get(c, "shop", 1, "", 400, t0 + S(100), tok, &f, NULL),
	    CACHE_HIT);
	ASSERT_INT_EQ(get(c, "shop", 1, "", 500, t0 + S(100), tok, &f, NULL),
	    CACHE_HIT);
	ASSERT_INT_EQ(get(c, "shop", 1, "", 501, t0 + S(100), tok, &lead,
	    NULL), CACHE_LEAD);
	/* Meanwhile a request without min-ttl still gets the old token. */
	ASSERT_INT_EQ(get(c, "shop", 1, "", 0, t0 + S(100), tok, &f, NULL),
	    CACHE_HIT);
	ASSERT_STR_EQ((char *)tok->token->data, "tok-1");
	{
		struct cache_mint m = mint("tok-2", 600);

		cache_flight_finish(c, lead, &m, 0, NULL, t0 + S(100));
		cache_flight_put(c, &lead);
	}
	ASSERT_INT_EQ(get(c, "shop", 1, "", 501, t0 + S(100), tok, &f, NULL),
	    CACHE_HIT);
	ASSERT_STR_EQ((char *)tok->token->data, "tok-2");
	/* Longer than tokens of this key ever live: never minted for. */
	ASSERT_INT_EQ(get(c, "shop", 1, "", 601, t0 + S(100), tok, &f, NULL),
	    CACHE_UNSATISFIABLE);
	ASSERT_TRUE(f == NULL);
	cache_free(&c);
}

static void
test_refresh(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL, *rf = NULL, *rf2 = NULL;
	int64_t t0 = 0;
	struct cache_mint m = mint("tok-new", 1000);

	ASSERT_INT_EQ(cache_new(16, &c), 0);
	fill(c, "r", 1, "", "tok-old", 1000, t0, tok); /* margin 100 s */
	/* More than two margins left: no refresh. */
	ASSERT_INT_EQ(get(c, "r", 1, "", 0, S(799), tok, &f, &rf), CACHE_HIT);
	ASSERT_TRUE(rf == NULL);
	/* Within two margins: a hit, and one refresh flight. */
	ASSERT_INT_EQ(get(c, "r", 1, "", 0, S(800), tok, &f, &rf), CACHE_HIT);
	ASSERT_STR_EQ((char *)tok->token->data, "tok-old");
	ASSERT_TRUE(rf != NULL);
	ASSERT_INT_EQ(get(c, "r", 1, "", 0, S(801), tok, &f, &rf2), CACHE_HIT);
	ASSERT_TRUE(rf2 == NULL); /* one at a time */
	/* A failed refresh keeps the old token, and waits before retrying. */
	cache_flight_finish(c, rf, NULL, CV_E_UPSTREAM, "server_error", S(800));
	cache_flight_put(c, &rf);
	ASSERT_INT_EQ(get(c, "r", 1, "", 0, S(805), tok, &f, &rf), CACHE_HIT);
	ASSERT_TRUE(rf == NULL);
	ASSERT_INT_EQ(get(c, "r", 1, "", 0, S(811), tok, &f, &rf), CACHE_HIT);
	ASSERT_TRUE(rf != NULL);
	cache_flight_finish(c, rf, &m, 0, NULL, S(811));
	cache_flight_put(c, &rf);
	ASSERT_INT_EQ(get(c, "r", 1, "", 0, S(812), tok, &f, &rf), CACHE_HIT);
	ASSERT_STR_EQ((char *)tok->token->data, "tok-new");
	ASSERT_INT_EQ(tok->expires_in, 999);
	cache_free(&c);
}

static void
test_eviction(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL, *busy[3];
	char name[16];
	int i;

	ASSERT_INT_EQ(cache_new(3, &c), 0);
	fill(c, "a", 1, "", "tok-a", 3600, 0, tok);
	fill(c, "b", 1, "", "tok-b", 3600, 0, tok);
	fill(c, "c", 1, "", "tok-c", 3600, 0, tok);
	ASSERT_INT_EQ(cache_count(c), 3);
	/* Touch "a": "b" is now the least recently used. */
	ASSERT_INT_EQ(get(c, "a", 1, "", 0, S(1), tok, &f, NULL), CACHE_HIT);
	fill(c, "d", 1, "", "tok-d", 3600, S(1), tok);
	ASSERT_INT_EQ(cache_count(c), 3);
	ASSERT_INT_EQ(get(c, "a", 1, "", 0, S(2), tok, &f, NULL), CACHE_HIT);
	ASSERT_INT_EQ(get(c, "c", 1, "", 0, S(2), tok, &f, NULL), CACHE_HIT);
	ASSERT_INT_EQ(get(c, "d", 1, "", 0, S(2), tok, &f, NULL), CACHE_HIT);
	/* "b" was evicted; asking for it again evicts "a" (now the least
	 * recently used), and a failed mint leaves nothing behind. */
	ASSERT_INT_EQ(get(c, "b", 1, "", 0, S(2), tok, &f, NULL), CACHE_LEAD);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "x", S(2));
	cache_flight_put(c, &f);
	ASSERT_INT_EQ(cache_count(c), 2);
	/* Expired tokens are swept (and wiped). */
	ASSERT_INT_EQ(cache_sweep(c, S(3300) - 1), 0);
	ASSERT_INT_EQ(cache_sweep(c, S(3301)), 2);
	ASSERT_INT_EQ(cache_count(c), 0);
	/* Entries being minted are never evicted: a full cache says busy. */
	for (i = 0; i < 3; i++) {
		(void)snprintf(name, sizeof(name), "m%d", i);
		ASSERT_INT_EQ(get(c, name, 1, "", 0, 0, tok, &busy[i], NULL),
		    CACHE_LEAD);
	}
	ASSERT_INT_EQ(get(c, "x", 1, "", 0, 0, tok, &f, NULL), CV_E_BUSY);
	for (i = 0; i < 3; i++) {
		cache_flight_finish(c, busy[i], NULL, CV_E_UPSTREAM, "x", 0);
		cache_flight_put(c, &busy[i]);
	}
	ASSERT_INT_EQ(cache_count(c), 0);
	cache_free(&c);
}

static void
test_clear(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL, *j = NULL;
	struct cache_mint m = mint("late", 3600);
	char cls[CV_ERROR_CLASS_MAX + 1];

	ASSERT_INT_EQ(cache_new(16, &c), 0);
	fill(c, "a", 1, "", "tok-a", 3600, 0, tok);
	ASSERT_INT_EQ(get(c, "b", 1, "", 0, 0, tok, &f, NULL), CACHE_LEAD);
	ASSERT_INT_EQ(get(c, "b", 1, "", 0, 0, tok, &j, NULL), CACHE_JOIN);
	cache_clear(c);
	ASSERT_INT_EQ(cache_count(c), 0);
	/* A mint that finishes after a lock is discarded; joiners hear
	 * "locked". */
	cache_flight_finish(c, f, &m, 0, NULL, 0);
	ASSERT_INT_EQ(cache_flight_result(c, j, 0, tok, cls, sizeof(cls)),
	    CV_E_LOCKED);
	cache_flight_put(c, &f);
	cache_flight_put(c, &j);
	ASSERT_INT_EQ(get(c, "b", 1, "", 0, 0, tok, &f, NULL), CACHE_LEAD);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "x", 0);
	cache_flight_put(c, &f);
	ASSERT_INT_EQ(get(c, "a", 1, "", 0, 0, tok, &f, NULL), CACHE_LEAD);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "x", 0);
	cache_flight_put(c, &f);
	cache_free(&c);
}

/* Single-flight with threads: N concurrent misses, one mint. */
#define SF_THREADS 32

struct sf {
	struct cache *c;
	pthread_mutex_t mu;
	pthread_cond_t go;
	int started, release;
	int mints, hits, joins, ok, bad;
};

static void *
sf_thread(void *arg)
{
	struct sf *sf = arg;
	struct cache_token tok;
	struct cache_flight *f = NULL;
	struct cache_key k = key("shop", 7, "a b");
	struct cache_mint m = mint("the-one-token", 3600);
	char cls[CV_ERROR_CLASS_MAX + 1];
	int r;

	memset(&tok, 0, sizeof(tok));
	tok.token = secbuf_new(CV_TOKEN_MAX);
	pthread_mutex_lock(&sf->mu);
	sf->started++;
	pthread_cond_broadcast(&sf->go);
	pthread_mutex_unlock(&sf->mu);
	r = cache_get(sf->c, &k, 0, 0, &tok, &f, NULL);
	if (r == CACHE_LEAD) {
		/* Hold the mint until every thread has asked. */
		pthread_mutex_lock(&sf->mu);
		sf->mints++;
		while (!sf->release)
			pthread_cond_wait(&sf->go, &sf->mu);
		pthread_mutex_unlock(&sf->mu);
		cache_flight_finish(sf->c, f, &m, 0, NULL, 0);
	}
	if (r == CACHE_LEAD || r == CACHE_JOIN) {
		cache_flight_wait(sf->c, f);
		r = cache_flight_result(sf->c, f, 0, &tok, cls, sizeof(cls));
		cache_flight_put(sf->c, &f);
		pthread_mutex_lock(&sf->mu);
		sf->joins++;
		pthread_mutex_unlock(&sf->mu);
	} else if (r == CACHE_HIT) {
		pthread_mutex_lock(&sf->mu);
		sf->hits++;
		pthread_mutex_unlock(&sf->mu);
		r = 0;
	}
	pthread_mutex_lock(&sf->mu);
	if (r == 0 && strcmp((char *)tok.token->data, "the-one-token") == 0)
		sf->ok++;
	else
		sf->bad++;
	pthread_mutex_unlock(&sf->mu);
	secbuf_free(&tok.token);
	return NULL;
}

static void
test_single_flight(void)
{
	pthread_t th[SF_THREADS];
	struct sf sf;
	int i;

	memset(&sf, 0, sizeof(sf));
	pthread_mutex_init(&sf.mu, NULL);
	pthread_cond_init(&sf.go, NULL);
	ASSERT_INT_EQ(cache_new(16, &sf.c), 0);
	for (i = 0; i < SF_THREADS; i++)
		ASSERT_INT_EQ(pthread_create(&th[i], NULL, sf_thread, &sf), 0);
	/* Wait until all have started and the leader is minting, give the
	 * others time to reach cache_get, then let the mint finish. */
	pthread_mutex_lock(&sf.mu);
	while (sf.started < SF_THREADS || sf.mints == 0)
		pthread_cond_wait(&sf.go, &sf.mu);
	pthread_mutex_unlock(&sf.mu);
	{
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&sf.mu);
	sf.release = 1;
	pthread_cond_broadcast(&sf.go);
	pthread_mutex_unlock(&sf.mu);
	for (i = 0; i < SF_THREADS; i++)
		pthread_join(th[i], NULL);
	ASSERT_INT_EQ(sf.mints, 1);
	ASSERT_INT_EQ(sf.ok, SF_THREADS);
	ASSERT_INT_EQ(sf.bad, 0);
	ASSERT_INT_EQ(sf.hits + sf.joins, SF_THREADS);
	cache_free(&sf.c);
	pthread_cond_destroy(&sf.go);
	pthread_mutex_destroy(&sf.mu);
}

/* A failed mint: every joiner gets the failure class, nobody mints twice. */
static void
test_flight_failure(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL, *j1 = NULL, *j2 = NULL;
	char cls[CV_ERROR_CLASS_MAX + 1];

	ASSERT_INT_EQ(cache_new(16, &c), 0);
	ASSERT_INT_EQ(get(c, "s", 1, "", 0, 0, tok, &f, NULL), CACHE_LEAD);
	ASSERT_INT_EQ(get(c, "s", 1, "", 0, 0, tok, &j1, NULL), CACHE_JOIN);
	ASSERT_INT_EQ(get(c, "s", 1, "", 0, 0, tok, &j2, NULL), CACHE_JOIN);
	ASSERT_TRUE(f == j1 && j1 == j2);
	ASSERT_INT_EQ(cache_flight_is_done(c, j1), 0);
	ASSERT_INT_EQ(cache_flight_result(c, j1, 0, tok, cls, sizeof(cls)),
	    CV_E_BUSY);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "invalid_client", 0);
	ASSERT_INT_EQ(cache_flight_result(c, j1, 0, tok, cls, sizeof(cls)),
	    CV_E_UPSTREAM);
	ASSERT_STR_EQ(cls, "invalid_client");
	ASSERT_INT_EQ(cache_flight_result(c, j2, 0, tok, cls, sizeof(cls)),
	    CV_E_UPSTREAM);
	cache_flight_put(c, &f);
	cache_flight_put(c, &j1);
	cache_flight_put(c, &j2);
	ASSERT_INT_EQ(cache_count(c), 0); /* failures are not cached */
	cache_free(&c);
}

static void
test_scope(void)
{
	char out[CV_SCOPE_MAX + 1], many[CV_SCOPE_MAX * 2];
	size_t i, n = 0;

	ASSERT_INT_EQ(scope_normalize("", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "");
	ASSERT_INT_EQ(scope_normalize("   ", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "");
	ASSERT_INT_EQ(scope_normalize("b a  c a", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "a b c");
	ASSERT_INT_EQ(scope_normalize("view_products:demo manage_orders:demo",
	    out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "manage_orders:demo view_products:demo");
	ASSERT_INT_EQ(scope_normalize("ab a", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "a ab");
	ASSERT_INT_EQ(scope_normalize("a\tb", out, sizeof(out)), CV_E_INVALID);
	for (i = 0; i <= CV_SCOPES_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "s%zu ", i);
	ASSERT_INT_EQ(scope_normalize(many, out, sizeof(out)), CV_E_INVALID);
	ASSERT_INT_EQ(scope_normalize("a b", out, 3), CV_E_TOOBIG);
	ASSERT_TRUE(scope_is_subset("", "a b"));
	ASSERT_TRUE(scope_is_subset("a", "a b"));
	ASSERT_TRUE(scope_is_subset("a b", "a b"));
	ASSERT_TRUE(!scope_is_subset("c", "a b"));
	ASSERT_TRUE(!scope_is_subset("a", "ab b"));
	ASSERT_TRUE(!scope_is_subset("a", ""));
}

/* What status sees: entries with tokens, most recent first, with their
 * hits; mints under way counted; never the token's bytes. */
struct walk_seen {
	size_t n;
	char names[4][16];
	uint64_t hits[4];
	uint32_t left[4];
	int stop_after;
};

static int
walk_fn(void *arg, const struct cache_info *info)
{
	struct walk_seen *w = arg;

	if (w->n < 4) {
		(void)snprintf(w->names[w->n], sizeof(w->names[0]), "%s/%s",
		    info->name, info->scope);
		w->hits[w->n] = info->hits;
		w->left[w->n] = info->expires_in;
	}
	w->n++;
	return w->stop_after != 0 && w->n == (size_t)w->stop_after;
}

static void
test_walk(struct cache_token *tok)
{
	struct cache *c = NULL;
	struct cache_flight *f = NULL;
	struct walk_seen w;
	size_t minting = 9;
	int64_t t0 = S(1000);

	ASSERT_INT_EQ(cache_new(16, &c), 0);
	memset(&w, 0, sizeof(w));
	ASSERT_INT_EQ(cache_walk(c, t0, walk_fn, &w, &minting), 0);
	ASSERT_INT_EQ(minting, 0);
	fill(c, "a", 1, "x", "tok-a", 3600, t0, tok);
	fill(c, "b", 1, "y z", "tok-b", 600, t0, tok);
	ASSERT_INT_EQ(get(c, "a", 1, "x", 0, t0 + S(5), tok, &f, NULL),
	    CACHE_HIT);
	ASSERT_INT_EQ(get(c, "a", 1, "x", 0, t0 + S(6), tok, &f, NULL),
	    CACHE_HIT);
	/* A first mint under way: counted, not listed (no token yet). */
	ASSERT_INT_EQ(get(c, "c", 1, "", 0, t0, tok, &f, NULL), CACHE_LEAD);
	ASSERT_INT_EQ(cache_walk(c, t0 + S(10), walk_fn, &w, &minting), 2);
	ASSERT_INT_EQ(minting, 1);
	ASSERT_INT_EQ(w.n, 2);
	ASSERT_STR_EQ(w.names[0], "a/x"); /* used last */
	ASSERT_INT_EQ(w.hits[0], 2);
	ASSERT_INT_EQ(w.left[0], 3590);
	ASSERT_STR_EQ(w.names[1], "b/y z");
	ASSERT_INT_EQ(w.hits[1], 0);
	ASSERT_INT_EQ(w.left[1], 590);
	/* fn may stop early: every entry is still counted. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	ASSERT_INT_EQ(cache_walk(c, t0 + S(10), walk_fn, &w, &minting), 2);
	ASSERT_INT_EQ(w.n, 1);
	cache_flight_finish(c, f, NULL, CV_E_UPSTREAM, "x", t0);
	cache_flight_put(c, &f);
	cache_free(&c);
}

int
main(void)
{
	struct cache_token tok;

	memset(&tok, 0, sizeof(tok));
	if (secmem_init() != 0 || (tok.token = secbuf_new(CV_TOKEN_MAX)) == NULL)
		return 1;
	test_margin();
	test_hit_and_margin(&tok);
	test_min_ttl(&tok);
	test_refresh(&tok);
	test_eviction(&tok);
	test_clear(&tok);
	test_flight_failure(&tok);
	test_single_flight();
	test_scope();
	test_walk(&tok);
	secbuf_free(&tok.token);
	return test_done("test_cache");
}
