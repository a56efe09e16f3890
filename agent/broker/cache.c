/* SPDX-License-Identifier: MIT */
/* Token cache: keyed entries in secbufs, LRU eviction, single-flight mints. */
#include "agent/broker/cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/mutex.h"
#include "base/banned.h"

#define CACHE_REFRESH_FACTOR 2 /* refresh within this many margins of expiry */

struct cache_entry {
	struct cache_entry *next;       /* hash chain */
	struct cache_entry *lru_prev;   /* towards most recently used */
	struct cache_entry *lru_next;
	uint64_t hash;
	char name[CV_NAME_MAX + 1];
	uint32_t generation;
	char *scope;                    /* key scope set, owned */
	struct secbuf *token;           /* NULL until the first mint succeeds */
	char token_type[CV_TOKEN_TYPE_MAX + 1];
	char *granted;                  /* granted scope, owned */
	uint32_t lifetime;              /* expires_in as minted, seconds */
	uint64_t serial;
	int64_t expires_ms;             /* monotonic */
	int64_t refresh_after_ms;       /* no refresh ahead before this */
	struct cache_flight *flight;    /* the mint under way, or NULL */
	uint64_t hits;                  /* requests it served */
};

struct cache_flight {
	unsigned refs;
	int done;
	int cancelled; /* the cache was cleared: the result is discarded */
	struct cache_entry *entry; /* while running and not cancelled */
	pthread_cond_t cond;
	/* The result, for the joiners. */
	int err;
	char cls[CV_ERROR_CLASS_MAX + 1];
	struct secbuf *token;
	char token_type[CV_TOKEN_TYPE_MAX + 1];
	char *granted;
	uint32_t lifetime;
	uint64_t serial;
	int64_t expires_ms;
};

struct cache {
	pthread_mutex_t mu;
	size_t max, n, nbuckets;
	struct cache_entry **buckets;
	struct cache_entry *lru_head; /* most recently used */
	struct cache_entry *lru_tail;
	uint64_t next_serial;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
};

static void cache_flight_unref(struct cache_flight *f);

int64_t
cache_margin_ms(uint32_t expires_in)
{
	int64_t tenth = (int64_t)expires_in * 100; /* 10 % in ms */
	int64_t cap = (int64_t)CV_TOKEN_MARGIN_MAX_S * 1000;

	return tenth < cap ? tenth : cap;
}

int
cache_new(size_t max, struct cache **out)
{
	struct cache *c;

	*out = NULL;
	if (max == 0 || max > CV_CACHE_ENTRIES_MAX)
		max = CV_CACHE_ENTRIES_MAX;
	if (sodium_init() < 0)
		return CV_E_INTERNAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return CV_E_NOMEM;
	c->max = max;
	c->nbuckets = 2 * max;
	/* An array of chain heads: the element is the pointer. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((c->buckets = calloc(c->nbuckets, sizeof(*c->buckets))) == NULL) {
		free(c);
		return CV_E_NOMEM;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->buckets);
		free(c);
		return CV_E_INTERNAL;
	}
	/* A keyed hash: peers choose scope subsets, so no chosen collisions. */
	randombytes_buf(c->hkey, sizeof(c->hkey));
	*out = c;
	return 0;
}

static uint64_t
cache_hash(const struct cache *c, const struct cache_key *k)
{
	unsigned char buf[CV_NAME_MAX + 1 + 4 + CV_SCOPE_MAX + 1];
	unsigned char h[crypto_shorthash_BYTES];
	size_t nl = strlen(k->name), sl = strlen(k->scope), n = 0;
	uint64_t v = 0;
	size_t i;

	memcpy(buf, k->name, nl + 1);
	n = nl + 1;
	buf[n++] = (unsigned char)(k->generation >> 24);
	buf[n++] = (unsigned char)(k->generation >> 16);
	buf[n++] = (unsigned char)(k->generation >> 8);
	buf[n++] = (unsigned char)k->generation;
	memcpy(buf + n, k->scope, sl);
	n += sl;
	crypto_shorthash(h, buf, n, c->hkey);
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return v;
}

static void
cache_lru_unlink(struct cache *c, struct cache_entry *e)
{
	if (e->lru_prev != NULL)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next != NULL)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void
cache_lru_push(struct cache *c, struct cache_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = c->lru_head;
	if (c->lru_head != NULL)
		c->lru_head->lru_prev = e;
	c->lru_head = e;
	if (c->lru_tail == NULL)
		c->lru_tail = e;
}

static struct cache_entry *
cache_find(struct cache *c, const struct cache_key *k, uint64_t h)
{
	struct cache_entry *e;

	for (e = c->buckets[h % c->nbuckets]; e != NULL; e = e->next)
		if (e->hash == h && e->generation == k->generation &&
		    strcmp(e->name, k->name) == 0 &&
		    strcmp(e->scope, k->scope) == 0)
			return e;
	return NULL;
}

/* Unlink e from the table and the LRU list, wipe and free it.  A flight
 * still running for it is detached (its result is then only for the
 * joiners). */
static void
cache_remove(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->buckets[e->hash % c->nbuckets];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	cache_lru_unlink(c, e);
	if (e->flight != NULL) {
		e->flight->entry = NULL;
		cache_flight_unref(e->flight); /* the entry's link */
		e->flight = NULL;
	}
	secbuf_free(&e->token);
	free(e->scope);
	free(e->granted);
	free(e);
	c->n--;
}

/* Make room for one more entry: drop the least recently used entry that
 * no flight is filling. */
static int
cache_make_room(struct cache *c)
{
	struct cache_entry *e;

	if (c->n < c->max)
		return 0;
	for (e = c->lru_tail; e != NULL; e = e->lru_prev)
		if (e->flight == NULL) {
			cache_remove(c, e);
			return 0;
		}
	return CV_E_BUSY;
}

static struct cache_entry *
cache_insert(struct cache *c, const struct cache_key *k, uint64_t h)
{
	struct cache_entry *e;
	size_t b;

	if (cache_make_room(c) != 0 || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->scope = strdup(k->scope)) == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->name, k->name, strlen(k->name) + 1);
	e->generation = k->generation;
	e->hash = h;
	b = h % c->nbuckets;
	e->next = c->buckets[b];
	c->buckets[b] = e;
	cache_lru_push(c, e);
	c->n++;
	return e;
}

static struct cache_flight *
cache_flight_new(struct cache_entry *e)
{
	struct cache_flight *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if (pthread_cond_init(&f->cond, NULL) != 0) {
		free(f);
		return NULL;
	}
	f->refs = 2; /* the entry's link and the leader's reference */
	f->entry = e;
	e->flight = f;
	return f;
}

static void
cache_flight_free(struct cache_flight *f)
{
	secbuf_free(&f->token);
	free(f->granted);
	(void)pthread_cond_destroy(&f->cond);
	free(f);
}

/* Drop one reference with the lock held. */
static void
cache_flight_unref(struct cache_flight *f)
{
	if (f->refs == 0)
		abort();
	if (--f->refs == 0)
		cache_flight_free(f);
}

static void
cache_copy_out(struct cache_token *tok, const struct secbuf *token,
    const char *type, const char *granted, uint32_t lifetime,
    uint64_t serial, int64_t expires_ms, int64_t now_ms)
{
	int64_t left = expires_ms - now_ms;

	tok->copied = tok->known_serial == 0 || tok->known_serial != serial;
	if (tok->copied) {
		/* Wipe only what the last copy left: the hot path. */
		if (token->len > tok->token->cap)
			abort(); /* the caller's secbuf is too small */
		secbuf_reset(tok->token);
		memcpy(tok->token->data, token->data, token->len);
		tok->token->len = token->len;
		tok->token->data[token->len] = '\0';
	}
	memcpy(tok->token_type, type, strlen(type) + 1);
	memcpy(tok->scope, granted, strlen(granted) + 1);
	tok->lifetime = lifetime;
	tok->serial = serial;
	tok->expires_in = left > 0 ? (uint32_t)(left / 1000) : 0;
}

int
cache_get(struct cache *c, const struct cache_key *key, uint32_t min_ttl,
    int64_t now_ms, struct cache_token *tok, struct cache_flight **flight,
    struct cache_flight **refresh)
{
	struct cache_entry *e;
	int64_t left, margin;
	uint64_t h;
	int r;

	*flight = NULL;
	if (refresh != NULL)
		*refresh = NULL;
	h = cache_hash(c, key);
	mutex_lock(&c->mu);
	e = cache_find(c, key, h);
	if (e != NULL && e->token != NULL) {
		if (e->lifetime < min_ttl) {
			r = CACHE_UNSATISFIABLE;
			goto out;
		}
		left = e->expires_ms - now_ms;
		margin = cache_margin_ms(e->lifetime);
		if (left > margin && left >= (int64_t)min_ttl * 1000) {
			cache_copy_out(tok, e->token, e->token_type, e->granted,
			    e->lifetime, e->serial, e->expires_ms, now_ms);
			cache_lru_unlink(c, e);
			cache_lru_push(c, e);
			e->hits++;
			/* Out of memory for a refresh: the hit stands. */
			if (refresh != NULL && e->flight == NULL &&
			    left <= CACHE_REFRESH_FACTOR * margin &&
			    now_ms >= e->refresh_after_ms)
				*refresh = cache_flight_new(e);
			r = CACHE_HIT;
			goto out;
		}
	}
	if (e != NULL && e->flight != NULL) {
		e->flight->refs++;
		*flight = e->flight;
		r = CACHE_JOIN;
		goto out;
	}
	r = CV_E_NOMEM;
	if (e == NULL && (e = cache_insert(c, key, h)) == NULL) {
		r = c->n >= c->max ? CV_E_BUSY : CV_E_NOMEM;
		goto out;
	}
	/* A token too close to expiry for this caller may still serve
	 * others until the new one arrives: mint as a refresh then. */
	if ((*flight = cache_flight_new(e)) == NULL) {
		if (e->token == NULL)
			cache_remove(c, e);
		goto out;
	}
	cache_lru_unlink(c, e);
	cache_lru_push(c, e);
	r = CACHE_LEAD;
out:
	mutex_unlock(&c->mu);
	return r;
}

/* Store a fresh token in the entry and keep a copy for the joiners. */
static int
cache_flight_store(struct cache *c, struct cache_flight *f,
    const struct cache_mint *m, int64_t started_ms)
{
	struct cache_entry *e = f->entry;
	const char *type = m->token_type != NULL ? m->token_type : "Bearer";
	const char *granted = m->scope != NULL ? m->scope : "";
	struct secbuf *tok = NULL, *copy = NULL;
	char *g1 = NULL, *g2 = NULL;

	if (m->toklen == 0 || m->toklen > CV_TOKEN_MAX || m->expires_in == 0 ||
	    strlen(type) > CV_TOKEN_TYPE_MAX || strlen(granted) > CV_SCOPE_MAX)
		return CV_E_INVALID;
	if ((tok = secbuf_dup(m->token, m->toklen)) == NULL ||
	    (copy = secbuf_dup(m->token, m->toklen)) == NULL ||
	    (g1 = strdup(granted)) == NULL || (g2 = strdup(granted)) == NULL) {
		secbuf_free(&tok);
		secbuf_free(&copy);
		free(g1);
		free(g2);
		return CV_E_NOMEM;
	}
	f->token = copy;
	f->granted = g2;
	memcpy(f->token_type, type, strlen(type) + 1);
	f->lifetime = m->expires_in;
	f->serial = ++c->next_serial;
	f->expires_ms = started_ms + (int64_t)m->expires_in * 1000;
	if (e != NULL) {
		secbuf_free(&e->token);
		free(e->granted);
		e->token = tok;
		e->granted = g1;
		memcpy(e->token_type, f->token_type, sizeof(f->token_type));
		e->lifetime = f->lifetime;
		e->serial = f->serial;
		e->expires_ms = f->expires_ms;
		e->refresh_after_ms = 0;
	} else {
		secbuf_free(&tok);
		free(g1);
	}
	return 0;
}

void
cache_flight_finish(struct cache *c, struct cache_flight *f,
    const struct cache_mint *m, int err, const char *cls, int64_t started_ms)
{
	struct cache_entry *e;
	int r;

	mutex_lock(&c->mu);
	if (f->done)
		abort();
	e = f->entry;
	if (f->cancelled) {
		f->err = CV_E_LOCKED;
	} else if (m != NULL && (r = cache_flight_store(c, f, m,
	    started_ms)) != 0) {
		f->err = r;
		(void)snprintf(f->cls, sizeof(f->cls), "internal");
	} else if (m == NULL) {
		f->err = err != 0 ? err : CV_E_UPSTREAM;
		(void)snprintf(f->cls, sizeof(f->cls), "%s",
		    cls != NULL ? cls : "");
	}
	if (e != NULL) {
		e->flight = NULL;
		if (f->err != 0 && e->token == NULL)
			cache_remove(c, e);
		else if (f->err != 0)
			e->refresh_after_ms = started_ms +
			    (int64_t)CV_AGENT_REFRESH_RETRY_S * 1000;
		f->entry = NULL;
		/* The entry's link; never the last: the leader holds one. */
		if (f->refs < 2)
			abort();
		f->refs--;
	}
	f->done = 1;
	(void)pthread_cond_broadcast(&f->cond);
	mutex_unlock(&c->mu);
}

void
cache_flight_wait(struct cache *c, struct cache_flight *f)
{
	mutex_lock(&c->mu);
	while (!f->done)
		if (pthread_cond_wait(&f->cond, &c->mu) != 0)
			abort();
	mutex_unlock(&c->mu);
}

int
cache_flight_is_done(struct cache *c, struct cache_flight *f)
{
	int done;

	mutex_lock(&c->mu);
	done = f->done;
	mutex_unlock(&c->mu);
	return done;
}

int
cache_flight_result(struct cache *c, struct cache_flight *f, int64_t now_ms,
    struct cache_token *tok, char *cls, size_t clslen)
{
	int r;

	if (clslen > 0)
		cls[0] = '\0';
	mutex_lock(&c->mu);
	if (!f->done) {
		r = CV_E_BUSY;
	} else if (f->err != 0) {
		r = f->err;
		if (clslen > 0)
			(void)snprintf(cls, clslen, "%s", f->cls);
	} else {
		cache_copy_out(tok, f->token, f->token_type, f->granted,
		    f->lifetime, f->serial, f->expires_ms, now_ms);
		r = 0;
	}
	mutex_unlock(&c->mu);
	return r;
}

struct cache_flight *
cache_flight_ref(struct cache *c, struct cache_flight *f)
{
	mutex_lock(&c->mu);
	f->refs++;
	mutex_unlock(&c->mu);
	return f;
}

void
cache_flight_put(struct cache *c, struct cache_flight **fp)
{
	if (fp == NULL || *fp == NULL)
		return;
	mutex_lock(&c->mu);
	cache_flight_unref(*fp);
	mutex_unlock(&c->mu);
	*fp = NULL;
}

size_t
cache_sweep(struct cache *c, int64_t now_ms)
{
	struct cache_entry *e, *prev;
	size_t n = 0;

	mutex_lock(&c->mu);
	for (e = c->lru_tail; e != NULL; e = prev) {
		prev = e->lru_prev;
		if (e->flight == NULL && e->token != NULL &&
		    e->expires_ms - now_ms <= cache_margin_ms(e->lifetime)) {
			cache_remove(c, e);
			n++;
		}
	}
	mutex_unlock(&c->mu);
	return n;
}

void
cache_clear(struct cache *c)
{
	struct cache_entry *e, *next;

	mutex_lock(&c->mu);
	for (e = c->lru_head; e != NULL; e = next) {
		next = e->lru_next;
		if (e->flight != NULL)
			e->flight->cancelled = 1;
		cache_remove(c, e);
	}
	mutex_unlock(&c->mu);
}

size_t
cache_count(struct cache *c)
{
	size_t n;

	mutex_lock(&c->mu);
	n = c->n;
	mutex_unlock(&c->mu);
	return n;
}

void
cache_free(struct cache **cp)
{
	struct cache *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	cache_clear(c);
	free(c->buckets);
	(void)pthread_mutex_destroy(&c->mu);
	sodium_memzero(c->hkey, sizeof(c->hkey));
	free(c);
	*cp = NULL;
}

size_t
cache_walk(struct cache *c, int64_t now_ms,
    int (*fn)(void *arg, const struct cache_info *info), void *arg,
    size_t *minting)
{
	struct cache_info info;
	struct cache_entry *e;
	int64_t left;
	size_t n = 0;
	int stop = 0;

	*minting = 0;
	mutex_lock(&c->mu);
	for (e = c->lru_head; e != NULL; e = e->lru_next) {
		if (e->flight != NULL)
			(*minting)++;
		if (e->token == NULL)
			continue;
		n++;
		if (stop)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = e->name;
		info.generation = e->generation;
		info.scope = e->scope;
		left = e->expires_ms - now_ms;
		info.expires_in = left > 0 ? (uint32_t)(left / 1000) : 0;
		info.lifetime = e->lifetime;
		info.hits = e->hits;
		info.refreshing = e->flight != NULL;
		stop = fn(arg, &info) != 0;
	}
	mutex_unlock(&c->mu);
	return n;
}
