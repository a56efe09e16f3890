/* SPDX-License-Identifier: MIT */
/* credvault audit: print, filter, follow and verify the audit log. */
/* strptime() is XSI, timegm() a BSD/GNU extension. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/admin.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

#define AUDIT_USAGE                                                         \
	"[--verify] [--json] [-n N] [--since WHEN] [--record NAME] "         \
	"[--actor TEXT] [--action TEXT] [--follow]"
/* --follow asks for new entries this often. */
#define AUDIT_FOLLOW_S 1

/* WHEN: seconds, minutes, hours or days ago (90s, 15m, 2h, 7d), or a
 * UTC date or time (2026-12-01, 2026-12-01T10:00:00Z); epoch seconds. */
static int
audit_parse_since(const char *s, long long *out)
{
	struct tm tm;
	char *end;
	long long n;
	const char *rest;

	n = strtoll(s, &end, 10);
	if (end != s && n >= 0 && end[0] != '\0' && end[1] == '\0' &&
	    strchr("smhd", end[0]) != NULL) {
		static const long long mul[] = { 1, 60, 3600, 86400 };

		*out = (long long)time(NULL) - n * mul[strchr("smhd",
		    end[0]) - "smhd"];
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (rest[0] != '\0' && ((rest = strptime(rest, "T%H:%M:%S",
	    &tm)) == NULL || strcmp(rest, "Z") != 0))
		return -1;
	*out = (long long)timegm(&tm);
	return 0;
}

static void
audit_print(const struct cli *c, const json_t *entries, json_t *all)
{
	const json_t *e;
	const char *rec;
	char t[32];
	size_t i;

	if (c->json) {
		(void)json_array_extend(all, (json_t *)entries);
		return;
	}
	for (i = 0; i < json_array_size(entries); i++) {
		e = json_array_get(entries, i);
		rec = json_string_value(json_object_get(e, "record"));
		printf("%lld\t%s\t%s\t%s\t%s\t%s\n",
		    (long long)json_integer_value(json_object_get(e, "seq")),
		    cli_time(json_integer_value(json_object_get(e, "time")), t,
		    sizeof(t)), json_string_value(json_object_get(e, "actor")),
		    json_string_value(json_object_get(e, "action")),
		    rec != NULL && rec[0] != '\0' ? rec : "-",
		    json_string_value(json_object_get(e, "result")));
	}
	fflush(stdout);
}

struct audit_pages {
	const struct cli *c;
	int verify;
	json_t *all;       /* --json: every page's entries */
	json_int_t count;  /* entries verified */
	json_int_t last;   /* the newest entry's seq */
};

static int
audit_page(const json_t *res, void *arg)
{
	struct audit_pages *p = arg;

	if (!p->verify)
		audit_print(p->c, json_object_get(res, "entries"), p->all);
	p->count = json_integer_value(json_object_get(res, "verified"));
	p->last = json_integer_value(json_object_get(res, "last"));
	return 0;
}

static int
audit_args(struct cli *c, int argc, char **argv, json_t *args, int *verify,
    int *follow)
{
	static const struct option opts[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "record", required_argument, NULL, 'r' },
		{ "actor", required_argument, NULL, 'a' },
		{ "action", required_argument, NULL, 'A' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { ['r'] = "record", ['a'] = "actor",
		['A'] = "action" };
	unsigned long n;
	long long since;
	int ch;

	while ((ch = cli_getopt(c, argc, argv, "hn:f", opts)) != -1) {
		switch (ch) {
		case 'v':
			*verify = 1;
			break;
		case 'j':
			c->json = 1;
			break;
		case 'n':
			if (cli_parse_u32(optarg, 1, 1ul << 30, &n) != 0) {
				cli_error(c, "-n takes a number of entries");
				return CV_EXIT_USAGE;
			}
			(void)json_object_set_new(args, "n",
			    json_integer((json_int_t)n));
			break;
		case 's':
			if (audit_parse_since(optarg, &since) != 0) {
				cli_error(c, "--since takes 90s, 15m, 2h, 7d, "
				    "2026-12-01 or 2026-12-01T10:00:00Z");
				return CV_EXIT_USAGE;
			}
			(void)json_object_set_new(args, "since",
			    json_integer(since > 0 ? since : 0));
			break;
		case 'r':
		case 'a':
		case 'A':
			(void)json_object_set_new(args, keys[ch],
			    json_string(optarg));
			break;
		case 'f':
			*follow = 1;
			break;
		case 'h':
			printf("usage: credvault audit %s\nPrint the audit log "
			    "(seq, time, actor, action, record, result); every\n"
			    "entry's MAC and the chain are checked on the way.  "
			    "-n keeps the last N\nentries, --since those from "
			    "WHEN on (90s, 15m, 2h, 7d ago, or a UTC date\nor "
			    "time), --record one record's, --actor those whose "
			    "actor contains TEXT,\n--action those whose action "
			    "starts with TEXT.  --follow prints new entries\nas "
			    "they come (checking once a second) until "
			    "interrupted.  --verify only\nchecks, and exits 6 "
			    "if an entry was edited, deleted or added.\n",
			    AUDIT_USAGE);
			return -1;
		default:
			return cli_usage(c, AUDIT_USAGE);
		}
	}
	if (optind != argc || (*verify && *follow))
		return cli_usage(c, AUDIT_USAGE);
	return 0;
}

int
cmd_audit(struct cli *c, int argc, char **argv)
{
	json_t *args, *all = NULL;
	struct cli_admin *s = NULL;
	struct audit_pages p;
	int rc, verify = 0, follow = 0;

	if ((args = json_object()) == NULL || (all = json_array()) == NULL) {
		json_decref(args);
		return CV_EXIT_FAILURE;
	}
	if ((rc = audit_args(c, argc, argv, args, &verify, &follow)) != 0 ||
	    (rc = cli_admin_begin(c, 0, &s)) != 0)
		goto out;
	p.c = c;
	p.verify = verify;
	p.all = all;
	while ((rc = cli_admin_pages(s, "audit", args, audit_page, &p)) ==
	    0 && follow) {
		/* From the newest entry on, as they come. */
		(void)json_object_del(args, "n");
		(void)json_object_set_new(args, "after", json_integer(p.last));
		(void)nanosleep(&(struct timespec){ AUDIT_FOLLOW_S, 0 }, NULL);
	}
	if (rc != 0)
		goto out;
	if (verify && c->json)
		printf("{\"verified\": true, \"entries\": %lld}\n",
		    (long long)p.count);
	else if (verify)
		printf("audit log verified: %lld entries\n",
		    (long long)p.count);
	else if (c->json)
		output_json(all);
out:
	cli_admin_end(&s);
	json_decref(all);
	json_decref(args);
	return rc < 0 ? 0 : rc;
}
