/* SPDX-License-Identifier: MIT */
/* A small table of record generations and scopes, refreshed by age. */
#include "agent/broker/known.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "base/banned.h"

#define KNOWN_BUCKETS 1024

struct known_entry {
	struct known_entry *next;
	int64_t read_ms;
	char name[CV_NAME_MAX + 1];
	uint32_t generation;
	char *scope; /* owned */
};

struct known {
	size_t n;
	struct known_entry *table[KNOWN_BUCKETS];
	struct known_info out; /* what known_get() hands out */
};

static unsigned
known_hash(const char *name)
{
	return hash_str(HASH_INIT, name) % KNOWN_BUCKETS;
}

int
known_new(struct known **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : CV_E_NOMEM;
}

void
known_clear(struct known *r)
{
	struct known_entry *e, *next;
	size_t i;

	for (i = 0; i < KNOWN_BUCKETS; i++) {
		for (e = r->table[i]; e != NULL; e = next) {
			next = e->next;
			free(e->scope);
			free(e);
		}
		r->table[i] = NULL;
	}
	r->n = 0;
}

void
known_free(struct known **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	known_clear(*rp);
	free(*rp);
	*rp = NULL;
}

static struct known_entry **
known_find(struct known *r, const char *name)
{
	struct known_entry **pp = &r->table[known_hash(name)];

	while (*pp != NULL && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

const struct known_info *
known_get(struct known *r, const char *name, int64_t now_ms)
{
	struct known_entry *e = *known_find(r, name);

	if (e == NULL || now_ms - e->read_ms >= CV_AGENT_RECORD_TTL_MS ||
	    now_ms < e->read_ms)
		return NULL;
	r->out.generation = e->generation;
	memcpy(r->out.scope, e->scope, strlen(e->scope) + 1);
	return &r->out;
}

int
known_put(struct known *r, const char *name,
    const struct known_info *info, int64_t now_ms)
{
	struct known_entry **pp = known_find(r, name), *e = *pp;
	char *scope;

	if ((scope = strdup(info->scope)) == NULL)
		return CV_E_NOMEM;
	if (e == NULL) {
		/* Full: everything is at most a second old; start over. */
		if (r->n >= CV_CACHE_ENTRIES_MAX) {
			known_clear(r);
			pp = known_find(r, name);
		}
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			free(scope);
			return CV_E_NOMEM;
		}
		memcpy(e->name, name, strnlen(name, CV_NAME_MAX));
		e->next = *pp;
		*pp = e;
		r->n++;
	}
	free(e->scope);
	e->scope = scope;
	e->generation = info->generation;
	e->read_ms = now_ms;
	return 0;
}

void
known_forget(struct known *r, const char *name)
{
	struct known_entry **pp = known_find(r, name), *e = *pp;

	if (e == NULL)
		return;
	*pp = e->next;
	free(e->scope);
	free(e);
	r->n--;
}

size_t
known_count(const struct known *r)
{
	return r->n;
}
