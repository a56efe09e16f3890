/* SPDX-License-Identifier: MIT */
/* credvault check: verify the vault, and lint its stack files and hooks. */
#include <stdio.h>
#include <unistd.h>

#include "cli/admin.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "base/err.h"
#include "base/banned.h"

#define CHECK_HELP \
	"Unlock the vault and verify every keyslot, every sealed record and " \
	"the\naudit chain, then lint every stack file in the vault's " \
	"hooks.d/: its\nsyntax, the safety checks the agent makes before it " \
	"runs each hook the\nfile names (owner, write permissions of the file " \
	"and of every directory\nabove it, an execute bit) and each sha256= " \
	"pin, recomputed; stack files\nnamed after no record, and admin= " \
	"arguments naming no record.  Each\nproblem is one line, " \
	"FILE:LINE: reason (FILE: reason for a whole file).\n\n" \
	"Exits 6 if the vault fails its integrity checks, else 1 if a stack " \
	"file\nor hook has a problem, else 0.  --json (global) prints " \
	"{\"path\",\n\"problems\": [...], \"lint\": [...]}.\n"

int
cmd_check(struct cli *c, int argc, char **argv)
{
	const json_t *problems, *lint;
	const char *path;
	json_t *res = NULL;
	size_t i, n, nl;
	int rc;

	if (cli_plain_args(c, argc, argv, 0, "", CHECK_HELP, &rc))
		return rc;
	if ((rc = cli_admin(c, "check", NULL, &res)) != 0)
		return rc;
	path = json_string_value(json_object_get(res, "path"));
	problems = json_object_get(res, "problems");
	lint = json_object_get(res, "lint");
	n = json_array_size(problems);
	nl = json_array_size(lint);
	if (c->json) {
		output_json(res);
	} else {
		for (i = 0; i < n; i++)
			cli_error(c, "%s", json_string_value(
			    json_array_get(problems, i)));
		/* FILE:LINE: reason, as compilers say it. */
		for (i = 0; i < nl; i++)
			fprintf(stderr, "%s\n", json_string_value(
			    json_array_get(lint, i)));
		if (n == 0 && nl == 0)
			printf("vault '%s' is intact; its stack files and "
			    "hooks are sound\n", path);
		if (n > 0)
			cli_error(c, "%zu problem(s) found in '%s'", n, path);
		if (nl > 0)
			cli_error(c, "%zu problem(s) in the stack files of "
			    "'%s'; fix them, then run 'credvault check' again",
			    nl, path);
	}
	json_decref(res);
	return n > 0 ? cv_exit_code(CV_E_INTEGRITY) : nl > 0 ?
	    CV_EXIT_FAILURE : 0;
}
