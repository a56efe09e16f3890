/* SPDX-License-Identifier: MIT */
/* credvault policy: when a record may be rotated without a human. */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

#define POLICY_USAGE                                                        \
	"NAME [--auto-rotate off|invalid-client|age|both] [--max-age SEC] "  \
	"[--grace SEC] [--json]"
#define POLICY_SECONDS_MAX (10ul * 365 * 24 * 3600)

static int
policy_auto_valid(const char *s)
{
	return strcmp(s, "off") == 0 || strcmp(s, "invalid-client") == 0 ||
	    strcmp(s, "age") == 0 || strcmp(s, "both") == 0;
}

static void
policy_print(const struct cli *c, const json_t *res)
{
	if (c->json) {
		output_json(res);
		return;
	}
	printf("name:         %s\nauto_rotate:  %s\nmax_age:      %lld s\n"
	    "grace:        %lld s\n",
	    json_string_value(json_object_get(res, "name")),
	    json_string_value(json_object_get(res, "auto_rotate")),
	    (long long)json_integer_value(json_object_get(res, "max_age")),
	    (long long)json_integer_value(json_object_get(res, "grace")));
}

/* The options into args (a JSON object); a usage error's exit code. */
static int
policy_args(struct cli *c, int argc, char **argv, json_t *args)
{
	static const struct option opts[] = {
		{ "auto-rotate", required_argument, NULL, 'a' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "grace", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long secs;
	int ch;

	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		switch (ch) {
		case 'a':
			if (!policy_auto_valid(optarg))
				return cli_usage(c, POLICY_USAGE);
			(void)json_object_set_new(args, "auto_rotate",
			    json_string(optarg));
			break;
		case 'm':
			if (cli_parse_u32(optarg, 60, POLICY_SECONDS_MAX,
			    &secs) != 0) {
				cli_error(c, "--max-age takes seconds, 60 or more");
				return CV_EXIT_USAGE;
			}
			(void)json_object_set_new(args, "max_age",
			    json_integer((json_int_t)secs));
			break;
		case 'g':
			if (cli_parse_u32(optarg, 0, POLICY_SECONDS_MAX,
			    &secs) != 0) {
				cli_error(c, "--grace takes seconds");
				return CV_EXIT_USAGE;
			}
			(void)json_object_set_new(args, "grace",
			    json_integer((json_int_t)secs));
			break;
		case 'j':
			c->json = 1;
			break;
		case 'h':
			printf("usage: credvault policy %s\nShow or set when the "
			    "agent may rotate NAME by itself: when the provider\n"
			    "rejects its secret (invalid-client), when the active "
			    "secret is older than\n--max-age seconds (age), both, "
			    "or never (off, the default). --grace is how\nlong a "
			    "retired secret is kept before it is wiped (default "
			    "86400).\n", POLICY_USAGE);
			return -1;
		default:
			return cli_usage(c, POLICY_USAGE);
		}
	}
	if (cli_want_operands(c, argc, argv, 1, POLICY_USAGE) != 0)
		return CV_EXIT_USAGE;
	return json_object_set_new(args, "name", json_string(argv[optind])) ==
	    0 ? 0 : CV_EXIT_FAILURE;
}

int
cmd_policy(struct cli *c, int argc, char **argv)
{
	json_t *args, *res = NULL;
	int rc;

	if ((args = json_object()) == NULL)
		return CV_EXIT_FAILURE;
	if ((rc = policy_args(c, argc, argv, args)) != 0) {
		json_decref(args);
		return rc < 0 ? 0 : rc;
	}
	if ((rc = cli_admin(c, "policy", args, &res)) != 0)
		return rc;
	policy_print(c, res);
	json_decref(res);
	return 0;
}
