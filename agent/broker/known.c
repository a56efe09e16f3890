/* SPDX-License-Identifier: MIT */
/* A small table of record generations and scopes, refreshed by age. */
#include "agent/broker/known.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

#define RECORDS_BUCKETS 1024

struct records_entry {
	struct records_entry *next;
	int64_t read_ms;
	char name[CV_NAME_MAX + 1];
	uint32_t generation;
	char *scope; /* owned */
};

struct records {
	size_t n;
	struct records_entry *table[RECORDS_BUCKETS];
	struct records_info out; /* what records_get() hands out */
};

static unsigned
records_hash(const char *name)
{
	unsigned h = 2166136261u;

	while (*name != '\0')
		h = (h ^ (unsigned char)*name++) * 16777619u;
	return h % RECORDS_BUCKETS;
}

int
records_new(struct records **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : CV_E_NOMEM;
}

void
records_clear(struct records *r)
{
	struct records_entry *e, *next;
	size_t i;

	for (i = 0; i < RECORDS_BUCKETS; i++) {
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
records_free(struct records **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	records_clear(*rp);
	free(*rp);
	*rp = NULL;
}

static struct records_entry **
records_find(struct records *r, const char *name)
{
	struct records_entry **pp = &r->table[records_hash(name)];

	while (*pp != NULL && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

const struct records_info *
records_get(struct records *r, const char *name, int64_t now_ms)
{
	struct records_entry *e = *records_find(r, name);

	if (e == NULL || now_ms - e->read_ms >= CV_AGENT_RECORD_TTL_MS ||
	    now_ms < e->read_ms)
		return NULL;
	r->out.generation = e->generation;
	memcpy(r->out.scope, e->scope, strlen(e->scope) + 1);
	return &r->out;
}

int
records_put(struct records *r, const char *name,
    const struct records_info *info, int64_t now_ms)
{
	struct records_entry **pp = records_find(r, name), *e = *pp;
	char *scope;

	if ((scope = strdup(info->scope)) == NULL)
		return CV_E_NOMEM;
	if (e == NULL) {
		/* Full: everything is at most a second old; start over. */
		if (r->n >= CV_CACHE_ENTRIES_MAX) {
			records_clear(r);
			pp = records_find(r, name);
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
records_forget(struct records *r, const char *name)
{
	struct records_entry **pp = records_find(r, name), *e = *pp;

	if (e == NULL)
		return;
	*pp = e->next;
	free(e->scope);
	free(e);
	r->n--;
}
