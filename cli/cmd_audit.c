/* SPDX-License-Identifier: MIT */
/* credvault audit: print and verify the MAC-chained audit log. */
#include <getopt.h>

#include <jansson.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

struct audit_ctx {
	int print;
	int json;
	json_t *arr;
	unsigned long long n;
};

static int
audit_visit(const struct audit_entry *e, void *arg)
{
	struct audit_ctx *a = arg;
	char t[32];

	a->n++;
	if (!a->print)
		return 0;
	if (a->json)
		json_array_append_new(a->arr, json_pack(
		    "{s:I,s:I,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
		    "time", (json_int_t)e->time, "actor", e->actor,
		    "action", e->action, "record", e->record,
		    "result", e->result));
	else
		printf("%llu\t%s\t%s\t%s\t%s\t%s\n",
		    (unsigned long long)e->seq, cli_time(e->time, t,
		    sizeof(t)), e->actor, e->action,
		    e->record[0] ? e->record : "-", e->result);
	return 0;
}

int
cmd_audit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_ctx a = { 1, 0, NULL, 0 };
	struct vault *v = NULL;
	int ch, rc, verify = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'v')
			verify = 1;
		else if (ch == 'j')
			c->json = 1;
		else if (ch == 'h') {
			printf("usage: credvault audit [--verify] [--json]\n"
			    "Print the audit log (seq, time, actor, action, "
			    "record, result); every\nentry's MAC is checked "
			    "on the way. --verify only checks, and exits 6 "
			    "if\nan entry was edited, deleted or added.\n");
			return 0;
		} else
			return cli_usage(c, "[--verify] [--json]");
	}
	if (optind != argc)
		return cli_usage(c, "[--verify] [--json]");
	a.print = !verify;
	a.json = c->json;
	if ((rc = cli_open_unlocked(c, &v)) != 0)
		return rc;
	if (a.json)
		a.arr = json_array();
	rc = vault_audit_verify(v, audit_visit, &a);
	if (rc == 0) {
		if (a.json && a.print)
			output_json(a.arr);
		else if (verify && a.json)
			printf("{\"verified\": true, \"entries\": %llu}\n", a.n);
		else if (verify)
			printf("audit log verified: %llu entries\n", a.n);
	} else if (rc == CV_E_INTEGRITY) {
		cli_error(c, "the audit log was altered: %s fails "
		    "verification", vault_subject(v));
	} else
		cli_fail(c, v, rc, "read the audit log");
	json_decref(a.arr);
	rc = cv_exit_code(rc);
	vault_free(&v);
	return rc;
}
