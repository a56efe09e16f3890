/* SPDX-License-Identifier: MIT */
/* Error reporting, number parsing and time formatting for the CLI. */
#include "cli/cli.h"

#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/output.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "base/banned.h"

static void cli_vmsg(const struct cli *c, const char *kind, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
cli_vmsg(const struct cli *c, const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "credvault%s%s: %s", c->cmd != NULL ? " " : "",
	    c->cmd != NULL ? c->cmd : "", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cli_error(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(c, "", fmt, ap);
	va_end(ap);
}

void
cli_warn(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(c, "warning: ", fmt, ap);
	va_end(ap);
}

/* What to do next, per error. */
static const char *
cli_hint(int err)
{
	switch (err) {
	case CV_E_AUTH:
		return "check the passphrase or key file";
	case CV_E_INTEGRITY:
		return "the vault data was altered or damaged; run 'credvault "
		    "check' and restore from a backup if needed";
	case CV_E_NOSPACE:
		return "free disk space and retry; the vault is unchanged";
	case CV_E_NOTFOUND:
		return "see 'credvault list'";
	case CV_E_BUSY:
		return "retry in a moment";
	default:
		return NULL;
	}
}

int
cli_fail(const struct cli *c, const struct vault *v, int err,
    const char *doing)
{
	const char *subject = v != NULL ? vault_subject(v) : "";
	const char *hint = cli_hint(err);

	if (subject != NULL && subject[0] != '\0')
		cli_error(c, "cannot %s: %s: %s%s%s", doing, subject,
		    cv_strerror(err), hint ? "; " : "", hint ? hint : "");
	else
		cli_error(c, "cannot %s: %s%s%s", doing, cv_strerror(err),
		    hint ? "; " : "", hint ? hint : "");
	return cv_exit_code(err);
}

int
cli_parse_u32(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	*out = 0;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_usage(const struct cli *c, const char *usage)
{
	fprintf(stderr, "usage: credvault [global options] %s %s\n",
	    c->cmd != NULL ? c->cmd : "", usage);
	return CV_EXIT_USAGE;
}

int
cli_plain_args(const struct cli *c, int argc, char **argv, int nargs,
    const char *usage, const char *help, int *exit_code)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*exit_code = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			printf("usage: credvault %s%s%s\n%s", c->cmd,
			    usage[0] != '\0' ? " " : "", usage, help);
			return 1;
		}
		*exit_code = cli_usage(c, usage);
		return 1;
	}
	if (optind + nargs != argc) {
		*exit_code = cli_usage(c, usage);
		return 1;
	}
	return 0;
}

const char *
cli_time(long long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "never");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

void
output_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s != NULL) {
		printf("%s\n", s);
		wipealloc_free(s);
	}
}

static const char *
output_reveal_state(const struct generation *g, char *buf, size_t len)
{
	if (g->flags & GEN_F_NO_REVEAL)
		return "never (--no-reveal)";
	if (g->revealed_at == 0)
		return "not yet (can be revealed once)";
	return cli_time(g->revealed_at, buf, len);
}

json_t *
output_record_json(const struct record *r)
{
	json_t *o, *gens;
	uint32_t i;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}",
	    "name", r->name, "provider", r->provider,
	    "project_key", r->project_key ? r->project_key : "",
	    "client_id", record_client_id(r),
	    "scope", r->scope ? r->scope : "",
	    "api_url", r->api_url ? r->api_url : "",
	    "auth_url", r->auth_url,
	    "created_at", (json_int_t)r->created_at,
	    "updated_at", (json_int_t)r->updated_at);
	gens = json_array();
	for (i = 0; i < r->ngen; i++) {
		const struct generation *g = &r->gen[i];

		json_array_append_new(gens, json_pack(
		    "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:b}",
		    "number", (json_int_t)g->number,
		    "state", record_state_name(g->state),
		    "client_id", g->client_id,
		    "created_at", (json_int_t)g->created_at,
		    "activated_at", (json_int_t)g->activated_at,
		    "retired_at", (json_int_t)g->retired_at,
		    "revealed_at", (json_int_t)g->revealed_at,
		    "revealable", !(g->flags & GEN_F_NO_REVEAL) &&
		    g->revealed_at == 0 && !(g->flags & GEN_F_WIPED),
		    "secret_wiped", (g->flags & GEN_F_WIPED) != 0));
		json_object_set_new(json_array_get(gens, i), "client_deleted",
		    json_boolean((g->flags & GEN_F_DELETED) != 0));
	}
	json_object_set_new(o, "generations", gens);
	json_object_set_new(o, "rotation", json_pack("{s:s,s:I,s:s,s:I,s:I,s:s}",
	    "step", record_step_name(r->rot.step),
	    "generation", (json_int_t)r->rot.generation,
	    "client_name", r->rot.client_name ? r->rot.client_name : "",
	    "started_at", (json_int_t)r->rot.started_at,
	    "attempts", (json_int_t)r->rot.attempts,
	    "last_error", r->rot.last_error ? r->rot.last_error : ""));
	return o;
}

void
output_record_text(const struct record *r)
{
	char t1[32], t2[32], t3[32];
	uint32_t i;

	printf("name:         %s\n", r->name);
	printf("provider:     %s\n", r->provider);
	printf("project_key:  %s\n", r->project_key ? r->project_key : "");
	printf("client_id:    %s\n", record_client_id(r));
	printf("scope:        %s\n", r->scope ? r->scope : "");
	printf("api_url:      %s\n", r->api_url ? r->api_url : "");
	printf("auth_url:     %s\n", r->auth_url);
	printf("created:      %s\n", cli_time(r->created_at, t1, sizeof(t1)));
	printf("updated:      %s\n", cli_time(r->updated_at, t1, sizeof(t1)));
	printf("secret:       (hidden)\n");
	printf("generations:\n");
	for (i = 0; i < r->ngen; i++) {
		const struct generation *g = &r->gen[i];

		printf("  #%-3u %-8s client_id=%s created=%s activated=%s "
		    "revealed=%s%s\n", g->number, record_state_name(g->state),
		    g->client_id, cli_time(g->created_at, t1, sizeof(t1)),
		    cli_time(g->activated_at, t2, sizeof(t2)),
		    output_reveal_state(g, t3, sizeof(t3)),
		    (g->flags & GEN_F_WIPED) ? " (secret wiped)" :
		    (g->flags & GEN_F_DELETED) ? " (client deleted)" : "");
	}
	if (r->rot.step != ROT_NONE)
		printf("rotation:     %s, generation #%u (%s), %u failed "
		    "attempt(s)%s%s; resume with 'credvault rotate %s'\n",
		    record_step_name(r->rot.step), r->rot.generation,
		    r->rot.client_name, r->rot.attempts,
		    r->rot.last_error && r->rot.last_error[0] ? ": " : "",
		    r->rot.last_error ? r->rot.last_error : "", r->name);
}
