/* SPDX-License-Identifier: MIT */
/* credvault list: every record, sorted by name, never a secret. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

struct list_item {
	char *name, *provider, *project_key, *client_id;
};

struct list_ctx {
	const struct cli *c;
	struct list_item *items;
	size_t n, cap;
	unsigned corrupt;
};

static char *
list_dup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static int
list_record(const struct record *r, void *arg)
{
	struct list_ctx *l = arg;
	struct list_item *it;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		struct list_item *p = realloc(l->items, ncap * sizeof(*p));

		if (p == NULL)
			return CV_E_NOMEM;
		l->items = p;
		l->cap = ncap;
	}
	it = &l->items[l->n];
	it->name = list_dup(r->name);
	it->provider = list_dup(r->provider);
	it->project_key = list_dup(r->project_key);
	it->client_id = list_dup(record_client_id(r));
	if (!it->name || !it->provider || !it->project_key || !it->client_id)
		return CV_E_NOMEM;
	l->n++;
	return 0;
}

static int
list_corrupt(const char *id, int err, void *arg)
{
	struct list_ctx *l = arg;

	(void)err;
	l->corrupt++;
	cli_error(l->c, "a sealed record (storage id %.16s...) fails "
	    "authentication; run 'credvault check'", id);
	return 0;
}

static int
list_stale(const char *why, void *arg)
{
	struct list_ctx *l = arg;

	l->corrupt++;
	cli_error(l->c, "the vault is inconsistent: %s; run 'credvault check'",
	    why);
	return 0;
}

static int
list_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_item *)a)->name,
	    ((const struct list_item *)b)->name);
}

static void
list_print(const struct cli *c, const struct list_ctx *l)
{
	size_t i;

	if (c->json) {
		json_t *arr = json_array();

		for (i = 0; i < l->n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}",
			    "name", l->items[i].name,
			    "provider", l->items[i].provider,
			    "project_key", l->items[i].project_key,
			    "client_id", l->items[i].client_id));
		output_json(arr);
		json_decref(arr);
		return;
	}
	for (i = 0; i < l->n; i++)
		printf("%s\n", l->items[i].name);
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_ctx l = { c, NULL, 0, 0, 0 };
	struct vault_visitor vis = { list_record, list_corrupt, &l, list_stale };
	struct vault *v = NULL;
	size_t i;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'j')
			c->json = 1;
		else if (ch == 'h') {
			printf("usage: credvault list [--json]\nList record "
			    "names, sorted; --json adds provider, project key "
			    "and client id.\n");
			return 0;
		} else
			return cli_usage(c, "[--json]");
	}
	if (optind != argc)
		return cli_usage(c, "[--json]");
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	rc = vault_record_foreach(v, &vis);
	if (rc == 0) {
		if (l.n > 1)
			qsort(l.items, l.n, sizeof(*l.items), list_cmp);
		list_print(c, &l);
		rc = l.corrupt ? CV_EXIT_INTEGRITY : 0;
	} else
		rc = cli_fail(c, v, rc, "list the records");
	for (i = 0; i < l.n; i++) {
		free(l.items[i].name);
		free(l.items[i].provider);
		free(l.items[i].project_key);
		free(l.items[i].client_id);
	}
	free(l.items);
	vault_free(&v);
	return rc;
}
