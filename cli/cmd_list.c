/* SPDX-License-Identifier: MIT */
/* credvault list: the records, sorted by name, never a secret. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

#define LIST_USAGE "[GLOB] [--provider P] [--long] [--json]"

/* An age as people read it: 45s, 12m, 5h, 3d. */
static const char *
list_age(long long secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		(void)snprintf(buf, len, "%llds", secs);
	else if (secs < 2 * 3600)
		(void)snprintf(buf, len, "%lldm", secs / 60);
	else if (secs < 2 * 86400)
		(void)snprintf(buf, len, "%lldh", secs / 3600);
	else
		(void)snprintf(buf, len, "%lldd", secs / 86400);
	return buf;
}

static const char *
list_field(const json_t *it, const char *key)
{
	const char *s = json_string_value(json_object_get(it, key));

	return s != NULL && s[0] != '\0' ? s : "-";
}

static void
list_print_long(const json_t *items)
{
	long long now = (long long)vault_now();
	const json_t *it;
	char age[32];
	size_t i;

	printf("%-24s %-14s %-16s %-24s %-4s %-5s %-8s %s\n", "NAME",
	    "PROVIDER", "PROJECT", "CLIENT_ID", "GEN", "AGE", "REVEALED",
	    "SCOPES");
	for (i = 0; i < json_array_size(items); i++) {
		it = json_array_get(items, i);
		printf("%-24s %-14s %-16s %-24s #%-3lld %-5s %-8s %s\n",
		    list_field(it, "name"), list_field(it, "provider"),
		    list_field(it, "project_key"), list_field(it, "client_id"),
		    (long long)json_integer_value(json_object_get(it,
		    "generation")), list_age(now - json_integer_value(
		    json_object_get(it, "activated_at")), age, sizeof(age)),
		    json_is_true(json_object_get(it, "revealed")) ? "yes" :
		    "no", list_field(it, "scope"));
	}
}

static int
list_args(struct cli *c, int argc, char **argv, json_t *args, int *lng)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "long", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = cli_getopt(c, argc, argv, "hl", opts)) != -1) {
		switch (ch) {
		case 'p':
			(void)json_object_set_new(args, "provider",
			    json_string(optarg));
			break;
		case 'l':
			*lng = 1;
			break;
		case 'j':
			c->json = 1;
			break;
		case 'h':
			printf("usage: credvault list %s\nList record names, "
			    "sorted.  GLOB (quote it: 'shop-*') and --provider "
			    "keep the\nrecords that match.  --long adds columns: "
			    "provider, project key, client id,\nthe active "
			    "generation and its age, whether its secret was "
			    "revealed, and the\nscopes.  --json prints all of "
			    "that as an array.  Through an agent the list\n"
			    "comes in pages; the output is the same.\n",
			    LIST_USAGE);
			return -1;
		default:
			return cli_usage(c, LIST_USAGE);
		}
	}
	if (optind + 1 == argc)
		(void)json_object_set_new(args, "glob",
		    json_string(argv[optind]));
	else if (optind != argc)
		return cli_usage(c, LIST_USAGE);
	return 0;
}

struct list_pages {
	json_t *all;       /* every page's records */
	json_t **problems; /* the first page's (each page scans it all) */
};

static int
list_page(const json_t *res, void *arg)
{
	struct list_pages *p = arg;

	if (*p->problems == NULL)
		*p->problems = json_incref(json_object_get(res, "problems"));
	return json_array_extend(p->all, json_object_get(res, "records")) ==
	    0 ? 0 : CV_EXIT_FAILURE;
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	json_t *args, *all, *problems = NULL;
	struct list_pages p;
	struct cli_admin *s = NULL;
	size_t i;
	int rc, lng = 0;

	if ((args = json_object()) == NULL || (all = json_array()) == NULL) {
		json_decref(args);
		return CV_EXIT_FAILURE;
	}
	if ((rc = list_args(c, argc, argv, args, &lng)) != 0 ||
	    (rc = cli_admin_begin(c, 0, &s)) != 0)
		goto out;
	p.all = all;
	p.problems = &problems;
	if ((rc = cli_admin_pages(s, "list", args, list_page, &p)) != 0)
		goto out;
	for (i = 0; i < json_array_size(problems); i++)
		cli_error(c, "%s", json_string_value(json_array_get(problems,
		    i)));
	if (c->json)
		output_json(all);
	else if (lng)
		list_print_long(all);
	else
		for (i = 0; i < json_array_size(all); i++)
			printf("%s\n", list_field(json_array_get(all, i),
			    "name"));
	rc = json_array_size(problems) > 0 ? CV_EXIT_INTEGRITY : 0;
out:
	cli_admin_end(&s);
	json_decref(problems);
	json_decref(all);
	json_decref(args);
	return rc < 0 ? 0 : rc;
}
