/* SPDX-License-Identifier: MIT */
/* Error reporting, number parsing and time formatting for the CLI. */
#include "cli/cli.h"

#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
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
	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		if (ch == 'h') {
			printf("usage: credvault %s%s%s\n%s", c->cmd,
			    usage[0] != '\0' ? " " : "", usage, help);
			return 1;
		}
		*exit_code = cli_usage(c, usage);
		return 1;
	}
	*exit_code = cli_want_operands(c, argc, argv, nargs, usage);
	return *exit_code != 0;
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

/* Field key of object o as a string ("" when absent). */
static const char *
output_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static long long
output_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *
output_reveal_state(const json_t *g, char *buf, size_t len)
{
	if (json_is_true(json_object_get(g, "no_reveal")))
		return "never (--no-reveal)";
	if (output_int(g, "revealed_at") == 0)
		return "not yet (can be revealed once)";
	return cli_time(output_int(g, "revealed_at"), buf, len);
}

void
output_record_text(const json_t *r)
{
	const json_t *gens = json_object_get(r, "generations"), *g;
	const json_t *rot = json_object_get(r, "rotation");
	char t1[32], t2[32], t3[32];
	size_t i;

	printf("name:         %s\n", output_str(r, "name"));
	printf("provider:     %s\n", output_str(r, "provider"));
	printf("project_key:  %s\n", output_str(r, "project_key"));
	printf("client_id:    %s\n", output_str(r, "client_id"));
	printf("scope:        %s\n", output_str(r, "scope"));
	printf("api_url:      %s\n", output_str(r, "api_url"));
	printf("auth_url:     %s\n", output_str(r, "auth_url"));
	printf("created:      %s\n", cli_time(output_int(r, "created_at"), t1,
	    sizeof(t1)));
	printf("updated:      %s\n", cli_time(output_int(r, "updated_at"), t1,
	    sizeof(t1)));
	printf("secret:       (hidden)\n");
	printf("generations:\n");
	for (i = 0; i < json_array_size(gens); i++) {
		g = json_array_get(gens, i);
		printf("  #%-3lld %-8s client_id=%s created=%s activated=%s "
		    "revealed=%s%s\n", output_int(g, "number"),
		    output_str(g, "state"), output_str(g, "client_id"),
		    cli_time(output_int(g, "created_at"), t1, sizeof(t1)),
		    cli_time(output_int(g, "activated_at"), t2, sizeof(t2)),
		    output_reveal_state(g, t3, sizeof(t3)),
		    json_is_true(json_object_get(g, "secret_wiped")) ?
		    " (secret wiped)" : json_is_true(json_object_get(g,
		    "client_deleted")) ? " (client deleted)" : "");
	}
	if (strcmp(output_str(rot, "step"), "none") != 0 &&
	    output_str(rot, "step")[0] != '\0')
		printf("rotation:     %s, generation #%lld (%s), %lld failed "
		    "attempt(s)%s%s; resume with 'credvault rotate %s'\n",
		    output_str(rot, "step"), output_int(rot, "generation"),
		    output_str(rot, "client_name"), output_int(rot, "attempts"),
		    output_str(rot, "last_error")[0] != '\0' ? ": " : "",
		    output_str(rot, "last_error"), output_str(r, "name"));
}
