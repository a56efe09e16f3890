/* SPDX-License-Identifier: MIT */
/* credvault status: what the agent is doing, as text, JSON or OpenMetrics. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "client/credvault.h"
#include "client/wire.h"
#include "cli/commands.h"
#include "cli/fetch.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

#define STATUS_USAGE "[--socket PATH] [--json | --format text|json|openmetrics]"
#define STATUS_COL_MAX 40 /* record and scope columns of the text form */

#define STATUS_HELP \
	"Ask the agent what it is doing: locked or not, uptime, its vault, " \
	"the records\nit served, each cached token (record, scope set, " \
	"seconds left, hits; never\nthe token), mints in flight, hooks " \
	"running, the audit queue and counters\nsince it started.  Only the " \
	"agent's own user (or root) may ask; anyone else\nis refused (exit " \
	"5).\n\n" \
	"  --socket PATH   the agent's socket (else $CREDVAULT_SOCKET, else " \
	"the default)\n" \
	"  --json          the reply as JSON (keys in docs/protocol.md, " \
	"\"status\")\n" \
	"  --format F      text (default), json, or openmetrics: the " \
	"OpenMetrics text\n                  format, for a node_exporter " \
	"textfile collector\n"

/* One of the integer members of o (0 when absent). */
static long long
status_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *
status_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* "1d 02h", "3h 04m", "5m 06s", "7s". */
static const char *
status_duration(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		(void)snprintf(buf, len, "%lldd %02lldh", s / 86400,
		    s % 86400 / 3600);
	else if (s >= 3600)
		(void)snprintf(buf, len, "%lldh %02lldm", s / 3600,
		    s % 3600 / 60);
	else if (s >= 60)
		(void)snprintf(buf, len, "%lldm %02llds", s / 60, s % 60);
	else
		(void)snprintf(buf, len, "%llds", s);
	return buf;
}

/* s cut to STATUS_COL_MAX with "..." for a text column. */
static const char *
status_cell(const char *s, char *buf, size_t len)
{
	if (strlen(s) <= STATUS_COL_MAX) {
		(void)snprintf(buf, len, "%s", s);
		return buf;
	}
	(void)snprintf(buf, len, "%.*s...", STATUS_COL_MAX - 3, s);
	return buf;
}

static void
status_text(const json_t *r)
{
	static const char *const counters[][2] = {
		{ "requests", "requests" },
		{ "token_requests", "token requests" },
		{ "tokens_issued", "tokens issued" },
		{ "cache_hits", "cache hits" },
		{ "cache_misses", "cache misses" },
		{ "mints", "mints" },
		{ "mint_failures", "mint failures" },
		{ "denials", "denials" },
		{ "rotations", "rotations" },
	};
	const json_t *cache = json_object_get(r, "cache");
	const json_t *tokens = json_object_get(cache, "tokens");
	const json_t *cnt = json_object_get(r, "counters"), *t;
	char d[32], c1[STATUS_COL_MAX + 1], c2[STATUS_COL_MAX + 1];
	int wr = 6, ws = 5, n;
	size_t i;

	printf("agent        %s, pid %lld, up %s\n",
	    json_is_true(json_object_get(r, "locked")) ? "locked" : "serving",
	    status_int(r, "pid"), status_duration(status_int(r, "uptime_s"),
	    d, sizeof(d)));
	printf("vault        %s\n", status_str(r, "vault"));
	printf("records      %lld served\n", status_int(r, "records_served"));
	printf("tokens       %lld cached, %lld mints in flight\n",
	    status_int(cache, "entries"), status_int(r, "mints_in_flight"));
	printf("hooks        %lld running, %lld queued, %lld workers\n",
	    status_int(r, "hooks_running"), status_int(r, "hooks_queued"),
	    status_int(r, "hook_workers"));
	printf("audit queue  %lld entries waiting\n",
	    status_int(r, "audit_queue"));
	printf("counters since start\n");
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		printf("  %-15s %lld\n", counters[i][1],
		    status_int(cnt, counters[i][0]));
	if (json_array_size(tokens) == 0)
		return;
	for (i = 0; i < json_array_size(tokens) &&
	    (t = json_array_get(tokens, i)) != NULL; i++) {
		n = (int)strlen(status_cell(status_str(t, "record"), c1,
		    sizeof(c1)));
		wr = n > wr ? n : wr;
		n = (int)strlen(status_cell(status_str(t, "scope"), c2,
		    sizeof(c2)));
		ws = n > ws ? n : ws;
	}
	printf("\n%-*s  %3s  %-*s  %-8s  %s\n", wr, "RECORD", "GEN", ws,
	    "SCOPE", "LEFT", "HITS");
	for (i = 0; i < json_array_size(tokens) &&
	    (t = json_array_get(tokens, i)) != NULL; i++) {
		printf("%-*s  %3lld  %-*s  %-8s  %lld%s\n", wr,
		    status_cell(status_str(t, "record"), c1, sizeof(c1)),
		    status_int(t, "generation"), ws,
		    status_cell(status_str(t, "scope"), c2, sizeof(c2)),
		    status_duration(status_int(t, "expires_in"), d, sizeof(d)),
		    status_int(t, "hits"), json_is_true(json_object_get(t,
		    "refreshing")) ? " (refreshing)" : "");
	}
	if (json_is_true(json_object_get(cache, "truncated")))
		printf("(%lld of %lld cached tokens listed)\n",
		    status_int(cache, "listed"), status_int(cache, "entries"));
}

/* An OpenMetrics label value: \, " and newline escaped. */
static void
status_label(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void
status_family(const char *name, const char *type, const char *help)
{
	printf("# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

static void
status_openmetrics(const json_t *r)
{
	static const char *const counters[][3] = {
		{ "requests", "credvault_requests", "Requests the agent answered." },
		{ "token_requests", "credvault_token_requests", "Token requests." },
		{ "tokens_issued", "credvault_tokens_issued", "Tokens handed out." },
		{ "cache_hits", "credvault_cache_hits", "Token requests served from the cache." },
		{ "cache_misses", "credvault_cache_misses", "Token requests that waited for a mint." },
		{ "mints", "credvault_mints", "Mints finished, refreshes ahead included." },
		{ "mint_failures", "credvault_mint_failures", "Mints that failed." },
		{ "denials", "credvault_denials", "Requests denied." },
		{ "rotations", "credvault_rotations", "Secrets rotated." },
	};
	static const char *const gauges[][3] = {
		{ "uptime_s", "credvault_uptime_seconds", "Seconds since the agent started." },
		{ "records_served", "credvault_records_served", "Distinct records a token was issued for." },
		{ "mints_in_flight", "credvault_mints_in_flight", "Mints under way." },
		{ "hooks_running", "credvault_hooks_running", "Hook runs on workers now." },
		{ "hooks_queued", "credvault_hooks_queued", "Hook runs waiting for a worker." },
		{ "hook_workers", "credvault_hook_workers", "Hook worker threads." },
		{ "audit_queue", "credvault_audit_queue_entries", "Audit entries waiting to be committed." },
	};
	const json_t *cnt = json_object_get(r, "counters");
	const json_t *cache = json_object_get(r, "cache");
	const json_t *tokens = json_object_get(cache, "tokens"), *t;
	size_t i;

	status_family("credvault_agent", "info", "The agent and its vault.");
	printf("credvault_agent_info{vault=\"");
	status_label(status_str(r, "vault"));
	printf("\",pid=\"%lld\"} 1\n", status_int(r, "pid"));
	status_family("credvault_locked", "gauge", "1 when the agent holds "
	    "no keys.");
	printf("credvault_locked %d\n",
	    json_is_true(json_object_get(r, "locked")) ? 1 : 0);
	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		status_family(gauges[i][1], "gauge", gauges[i][2]);
		printf("%s %lld\n", gauges[i][1], status_int(r, gauges[i][0]));
	}
	status_family("credvault_cached_tokens", "gauge", "Tokens in the "
	    "cache.");
	printf("credvault_cached_tokens %lld\n", status_int(cache, "entries"));
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		status_family(counters[i][1], "counter", counters[i][2]);
		printf("%s_total %lld\n", counters[i][1],
		    status_int(cnt, counters[i][0]));
	}
	status_family("credvault_token_expires_in_seconds", "gauge",
	    "Seconds a cached token has left.");
	for (i = 0; i < json_array_size(tokens) &&
	    (t = json_array_get(tokens, i)) != NULL; i++) {
		printf("credvault_token_expires_in_seconds{record=\"");
		status_label(status_str(t, "record"));
		printf("\",scope=\"");
		status_label(status_str(t, "scope"));
		printf("\"} %lld\n", status_int(t, "expires_in"));
	}
	status_family("credvault_token_hits", "counter", "Requests a cached "
	    "token served.");
	for (i = 0; i < json_array_size(tokens) &&
	    (t = json_array_get(tokens, i)) != NULL; i++) {
		printf("credvault_token_hits_total{record=\"");
		status_label(status_str(t, "record"));
		printf("\",scope=\"");
		status_label(status_str(t, "scope"));
		printf("\"} %lld\n", status_int(t, "hits"));
	}
	printf("# EOF\n");
}

/* Ask; 0 with the reply object, or an exit code after a message. */
static int
status_ask(const struct cli *c, const char *path, json_t **out)
{
	static const char req[] = "{\"v\":1,\"op\":\"status\"}";
	struct credvault_conn *conn = NULL;
	json_t *j = NULL;
	const char *st;
	void *body = NULL;
	size_t n = 0;
	int r;

	*out = NULL;
	if ((r = credvault_connect(path, &conn)) == CREDVAULT_OK)
		r = credvault_call(conn, req, sizeof(req) - 1, &body, &n);
	credvault_close(&conn);
	switch (r) {
	case CREDVAULT_OK:
		break;
	case CREDVAULT_NO_ACCESS:
		cli_error(c, "no permission to use the agent's socket '%s'; "
		    "only its own user may ask its status", path);
		return CV_EXIT_REFUSED;
	case CREDVAULT_NO_AGENT:
		cli_error(c, "no agent at '%s'; start one: eval \"$(credvault "
		    "agent)\"", path);
		return CV_EXIT_FAILURE;
	default:
		cli_error(c, "cannot ask the agent at '%s': %s", path,
		    credvault_strerror(r));
		return CV_EXIT_FAILURE;
	}
	j = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
	credvault_reply_free(body, n);
	st = json_string_value(json_object_get(j, "status"));
	if (!json_is_object(j) || st == NULL ||
	    json_integer_value(json_object_get(j, "v")) != WIRE_VERSION) {
		json_decref(j);
		cli_error(c, "the agent at '%s' gave a malformed reply", path);
		return CV_EXIT_FAILURE;
	}
	if (strcmp(st, "denied") == 0) {
		json_decref(j);
		cli_error(c, "the agent at '%s' refused: denied; only its own "
		    "user (or root) may ask its status", path);
		return CV_EXIT_REFUSED;
	}
	if (strcmp(st, "ok") != 0 ||
	    !json_is_object(json_object_get(j, "counters"))) {
		cli_error(c, "the agent at '%s' cannot tell its status (%s%s%s); "
		    "is it older than this credvault?", path, st,
		    json_is_string(json_object_get(j, "error")) ? ": " : "",
		    status_str(j, "error"));
		json_decref(j);
		return CV_EXIT_FAILURE;
	}
	*out = j;
	return 0;
}

int
cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum { TEXT, JSON, OPENMETRICS } fmt = c->json ? JSON : TEXT;
	const char *path = c->socket;
	json_t *res = NULL;
	char def[256];
	int ch, r;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 's') {
			path = optarg;
		} else if (ch == 'j') {
			fmt = JSON;
		} else if (ch == 'f' && strcmp(optarg, "text") == 0) {
			fmt = TEXT;
		} else if (ch == 'f' && strcmp(optarg, "json") == 0) {
			fmt = JSON;
		} else if (ch == 'f' && strcmp(optarg, "openmetrics") == 0) {
			fmt = OPENMETRICS;
		} else if (ch == 'f') {
			cli_error(c, "unknown format '%s' (want text, json or "
			    "openmetrics)", optarg);
			return CV_EXIT_USAGE;
		} else if (ch == 'h') {
			printf("usage: credvault status " STATUS_USAGE "\n%s",
			    STATUS_HELP);
			return 0;
		} else {
			return cli_usage(c, STATUS_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(c, STATUS_USAGE);
	if ((r = cli_agent_socket(c, &path, def, sizeof(def))) != 0)
		return r;
	if ((r = status_ask(c, path, &res)) != 0)
		return r;
	(void)json_object_del(res, "v");
	(void)json_object_del(res, "status");
	if (fmt == JSON)
		output_json(res);
	else if (fmt == OPENMETRICS)
		status_openmetrics(res);
	else
		status_text(res);
	json_decref(res);
	return 0;
}
