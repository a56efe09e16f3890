/* SPDX-License-Identifier: MIT */
/* Command-line mistakes, each told with what to type instead. */
#include "cli/args.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

/* The global options (main.c) and the value each takes, for the hint. */
static const struct {
	const char *name;
	const char *value;
} global_opts[] = {
	{ "vault", " DIR" }, { "passphrase-file", " FILE" },
	{ "passphrase-fd", " N" }, { "keyfile", " FILE" },
	{ "keyslot", " LABEL" }, { "socket", " PATH" }, { "json", "" },
	{ "local", "" }, { "verbose", "" },
};

#define ARGS_WORD_MAX 64

/* Edit distance with adjacent transpositions (optimal string alignment),
 * for words of up to ARGS_WORD_MAX bytes. */
static size_t
args_distance(const char *a, const char *b)
{
	size_t rows[3][ARGS_WORD_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j, v;
	size_t *pp, *p, *r;

	if (la > ARGS_WORD_MAX || lb > ARGS_WORD_MAX)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		rows[0][j] = j;
	for (i = 1; i <= la; i++) {
		r = rows[i % 3];
		p = rows[(i - 1) % 3];
		pp = rows[(i + 1) % 3]; /* row i - 2 */
		r[0] = i;
		for (j = 1; j <= lb; j++) {
			v = p[j - 1] + (a[i - 1] != b[j - 1]);
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (r[j - 1] + 1 < v)
				v = r[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			r[j] = v;
		}
	}
	return rows[la % 3][lb];
}

const char *
cli_nearest(const char *word, const char *const *names, size_t n)
{
	size_t i, d, best = (size_t)-1, limit;
	const char *pick = NULL;

	/* Close enough to be a typo: a third of the word, at least 1. */
	limit = strlen(word) / 3 > 1 ? strlen(word) / 3 : 1;
	for (i = 0; i < n; i++) {
		d = args_distance(word, names[i]);
		if (d <= limit && d < best) {
			best = d;
			pick = names[i];
		}
	}
	return pick;
}

/* The name of a long option in arg ("--name" or "--name=value"). */
static void
args_long_name(const char *arg, char *buf, size_t len)
{
	size_t n = strcspn(arg + 2, "=");

	if (n >= len)
		n = len - 1;
	memcpy(buf, arg + 2, n);
	buf[n] = '\0';
}

static void
args_unknown(const struct cli *c, const char *arg,
    const struct option *longopts)
{
	const char *names[64], *near;
	char name[ARGS_WORD_MAX + 1];
	size_t i, n = 0;

	if (strncmp(arg, "--", 2) != 0) {
		cli_error(c, "unknown option '%s'", arg);
		return;
	}
	args_long_name(arg, name, sizeof(name));
	for (i = 0; i < sizeof(global_opts) / sizeof(global_opts[0]); i++) {
		if (strcmp(name, global_opts[i].name) != 0)
			continue;
		cli_error(c, "--%s is a global option: put it before the "
		    "command (credvault --%s%s %s ...)", name, name,
		    global_opts[i].value, c->cmd != NULL ? c->cmd : "");
		return;
	}
	for (i = 0; longopts[i].name != NULL && n < 64; i++)
		names[n++] = longopts[i].name;
	if ((near = cli_nearest(name, names, n)) != NULL)
		cli_error(c, "unknown option '--%s'; did you mean '--%s'?",
		    name, near);
	else
		cli_error(c, "unknown option '--%s'", name);
}

int
cli_getopt(const struct cli *c, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	char spec[32];
	int ch, prev = optind;

	/* A leading ':' tells a missing value (':') from an unknown
	 * option ('?'); we print both ourselves. */
	if (shortopts[0] == '+')
		(void)snprintf(spec, sizeof(spec), "+:%s", shortopts + 1);
	else
		(void)snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	ch = getopt_long(argc, argv, spec, longopts, NULL);
	if (ch == ':') {
		if (optind > 0 && strncmp(argv[optind - 1], "--", 2) == 0)
			cli_error(c, "option '%s' needs a value",
			    argv[optind - 1]);
		else
			cli_error(c, "option '-%c' needs a value", optopt);
		return '?';
	}
	if (ch == '?') {
		if (optopt != 0) {
			char arg[3] = { '-', (char)optopt, '\0' };

			args_unknown(c, arg, longopts);
		} else {
			args_unknown(c, argv[optind > prev ? optind - 1 :
			    prev], longopts);
		}
	}
	return ch;
}

int
cli_missing(const struct cli *c, const char *what, const char *usage)
{
	cli_error(c, "missing %s", what);
	return cli_usage(c, usage);
}

int
cli_want_operands(const struct cli *c, int argc, char **argv, int nargs,
    const char *usage)
{
	if (optind + nargs < argc)
		cli_error(c, "unexpected argument '%s'", argv[optind + nargs]);
	else if (optind + nargs > argc)
		cli_error(c, "missing %.*s", (int)strcspn(usage, " "), usage);
	else
		return 0;
	return cli_usage(c, usage);
}
