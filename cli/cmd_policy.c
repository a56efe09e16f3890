/* SPDX-License-Identifier: MIT */
/* credvault policy: when a record may be rotated without a human. */
#include <getopt.h>
#include <string.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

#define POLICY_USAGE                                                        \
	"NAME [--auto-rotate off|invalid-client|age|both] [--max-age SEC] "  \
	"[--grace SEC] [--json]"
#define POLICY_SECONDS_MAX (10ul * 365 * 24 * 3600)

struct policy_change {
	int set_flags, set_age, set_grace;
	uint8_t flags;
	unsigned long max_age, grace;
	struct rotation_policy result;
};

static int
policy_fn(struct record *r, void *arg)
{
	struct policy_change *p = arg;

	if (p->set_flags)
		r->policy.flags = p->flags;
	if (p->set_age)
		r->policy.max_age_s = p->max_age;
	if (p->set_grace)
		r->policy.grace_s = p->grace;
	if ((r->policy.flags & ROTATION_AUTO_AGE) && r->policy.max_age_s == 0)
		return CV_E_INVALID;
	p->result = r->policy;
	return 0;
}

static int
policy_parse_auto(const char *s, uint8_t *flags)
{
	if (strcmp(s, "off") == 0)
		*flags = 0;
	else if (strcmp(s, "invalid-client") == 0)
		*flags = ROTATION_AUTO_INVALID_CLIENT;
	else if (strcmp(s, "age") == 0)
		*flags = ROTATION_AUTO_AGE;
	else if (strcmp(s, "both") == 0)
		*flags = ROTATION_AUTO_INVALID_CLIENT | ROTATION_AUTO_AGE;
	else
		return -1;
	return 0;
}

static const char *
policy_auto_name(uint8_t flags)
{
	switch (flags & ROTATION_AUTO_ALL) {
	case ROTATION_AUTO_INVALID_CLIENT:
		return "invalid-client";
	case ROTATION_AUTO_AGE:
		return "age";
	case ROTATION_AUTO_ALL:
		return "both";
	default:
		return "off";
	}
}

static void
policy_print(const struct cli *c, const char *name, const struct rotation_policy *p)
{
	if (c->json) {
		json_t *j = json_pack("{s:s,s:s,s:I,s:I}", "name", name,
		    "auto_rotate", policy_auto_name(p->flags),
		    "max_age", (json_int_t)p->max_age_s,
		    "grace", (json_int_t)p->grace_s);

		output_json(j);
		json_decref(j);
		return;
	}
	printf("name:         %s\nauto_rotate:  %s\nmax_age:      %llu s\n"
	    "grace:        %llu s\n", name, policy_auto_name(p->flags),
	    (unsigned long long)p->max_age_s, (unsigned long long)p->grace_s);
}

int
cmd_policy(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "auto-rotate", required_argument, NULL, 'a' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "grace", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy_change p;
	struct secbuf *plain = NULL;
	struct vault *v = NULL;
	struct record r;
	int ch, rc;

	memset(&p, 0, sizeof(p));
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (policy_parse_auto(optarg, &p.flags) != 0)
				return cli_usage(c, POLICY_USAGE);
			p.set_flags = 1;
			break;
		case 'm':
			if (cli_parse_u32(optarg, 60, POLICY_SECONDS_MAX,
			    &p.max_age) != 0) {
				cli_error(c, "--max-age takes seconds, 60 or more");
				return CV_EXIT_USAGE;
			}
			p.set_age = 1;
			break;
		case 'g':
			if (cli_parse_u32(optarg, 0, POLICY_SECONDS_MAX,
			    &p.grace) != 0) {
				cli_error(c, "--grace takes seconds");
				return CV_EXIT_USAGE;
			}
			p.set_grace = 1;
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
			return 0;
		default:
			return cli_usage(c, POLICY_USAGE);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(c, POLICY_USAGE);
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	if (p.set_flags || p.set_age || p.set_grace) {
		rc = vault_record_update(v, argv[optind], policy_fn, &p,
		    "policy", NULL);
		if (rc == CV_E_INVALID) {
			cli_error(c, "--auto-rotate age needs --max-age SEC");
			rc = CV_EXIT_USAGE;
		} else if (rc != 0)
			rc = cli_fail(c, v, rc, "set the policy");
		else
			policy_print(c, argv[optind], &p.result);
	} else if ((plain = secbuf_new(CV_RECORD_MAX)) == NULL) {
		rc = cli_fail(c, NULL, CV_E_NOMEM, "read the policy");
	} else if ((rc = vault_record_get(v, argv[optind], plain, &r)) != 0) {
		rc = cli_fail(c, v, rc, "read the policy");
	} else
		policy_print(c, argv[optind], &r.policy);
	secbuf_free(&plain);
	vault_free(&v);
	return rc;
}
