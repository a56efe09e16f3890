/* SPDX-License-Identifier: MIT */
/* Command-line mistakes, each told with what to type instead. */
#ifndef CV_CLI_ARGS_H
#define CV_CLI_ARGS_H

#include <getopt.h>
#include <stddef.h>

#include "cli/cli.h"

/*
 * getopt_long for a command's options, with the mistakes explained: an
 * unknown option names the nearest one, a global option after the command
 * says to put it first, a missing value is named.  Returns what
 * getopt_long does ('?' for every mistake, already printed).
 */
int cli_getopt(const struct cli *c, int argc, char **argv,
    const char *shortopts, const struct option *longopts);

/* The name in names[0..n) nearest to word, if close enough to be a typo;
 * else NULL. */
const char *cli_nearest(const char *word, const char *const *names,
    size_t n);

/* "missing WHAT", then the usage line; returns CV_EXIT_USAGE. */
int cli_missing(const struct cli *c, const char *what, const char *usage);

/* Exactly nargs operands after the options (usage names the first), else
 * which one is missing or unexpected and the usage line: CV_EXIT_USAGE. */
int cli_want_operands(const struct cli *c, int argc, char **argv, int nargs,
    const char *usage);

#endif
