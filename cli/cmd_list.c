/* SPDX-License-Identifier: MIT */
/* credvault list: every record, sorted by name, never a secret. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

static void
list_print(const struct cli *c, const json_t *res)
{
	const json_t *items = json_object_get(res, "records"), *it;
	size_t i;

	if (c->json) {
		output_json(items);
		return;
	}
	for (i = 0; i < json_array_size(items); i++) {
		it = json_array_get(items, i);
		printf("%s\n", json_string_value(json_object_get(it, "name")));
	}
}

int
cmd_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const json_t *problem, *problems;
	json_t *res = NULL;
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
	if ((rc = cli_admin(c, "list", NULL, &res)) != 0)
		return rc;
	problems = json_object_get(res, "problems");
	for (i = 0; i < json_array_size(problems); i++) {
		problem = json_array_get(problems, i);
		cli_error(c, "%s", json_string_value(problem));
	}
	list_print(c, res);
	rc = json_array_size(problems) > 0 ? CV_EXIT_INTEGRITY : 0;
	json_decref(res);
	return rc;
}
