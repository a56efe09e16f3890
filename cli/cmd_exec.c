/* SPDX-License-Identifier: MIT */
/* credvault exec: run a command with a token (never the secret) in its env. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "client/credvault.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/fetch.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define EXEC_USAGE "NAME [--socket PATH] [--scope S] [--min-ttl SEC] " \
	"[--env VAR] -- CMD [ARGS...]"
#define EXEC_DEFAULT_VAR "CREDVAULT_TOKEN"
#define EXEC_VAR_MAX 128
#define EXEC_CANNOT_RUN 127 /* like env(1) */

static void
exec_help(void)
{
	printf("usage: credvault exec " EXEC_USAGE "\n"
	    "Get a token for record NAME from the agent and run CMD with it "
	    "in the\nenvironment variable VAR (default " EXEC_DEFAULT_VAR
	    ").  The token is\nshort-lived; the secret never leaves the "
	    "agent.  CMD is found on PATH.\n\n"
	    "  --socket PATH, --scope S, --min-ttl SEC  as for credvault "
	    "token\n"
	    "  --env VAR      the variable to set ([A-Za-z_][A-Za-z0-9_]*)\n\n"
	    "exit codes: those of CMD; else as credvault token, and 127 when "
	    "CMD cannot\nbe run\n");
}

static int
exec_var_is_valid(const char *s)
{
	size_t i;

	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == EXEC_VAR_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			return 0;
	}
	return 1;
}

int
cmd_exec(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "scope", required_argument, NULL, 'c' },
		{ "min-ttl", required_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct credvault_token *t = NULL;
	const char *path = c->socket, *scope = NULL, *var = EXEC_DEFAULT_VAR;
	const char *name;
	char def[256];
	char **cmd;
	unsigned long ttl = 0;
	int ch, r, dd;

	/* Options end at "--"; what follows is the command. */
	for (dd = 1; dd < argc && strcmp(argv[dd], "--") != 0; dd++)
		;
	while ((ch = cli_getopt(c, dd, argv, "h", opts)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'c':
			scope = optarg;
			break;
		case 't':
			if (cli_parse_u32(optarg, 0, CV_EXPIRES_IN_MAX,
			    &ttl) != 0) {
				cli_error(c, "--min-ttl needs seconds in 0..%d",
				    CV_EXPIRES_IN_MAX);
				return CV_EXIT_USAGE;
			}
			break;
		case 'e':
			var = optarg;
			break;
		case 'h':
			exec_help();
			return 0;
		default:
			return cli_usage(c, EXEC_USAGE);
		}
	}
	if (optind == dd)
		return cli_missing(c, "the record's NAME", EXEC_USAGE);
	if (dd == argc) {
		cli_error(c, "the command to run goes after '--', so that its "
		    "options are not taken for exec's: credvault exec %s -- "
		    "%s", argv[optind], optind + 1 < dd ? argv[optind + 1] :
		    "CMD [ARGS...]");
		return cli_usage(c, EXEC_USAGE);
	}
	if (optind + 1 != dd) {
		cli_error(c, "unexpected argument '%s' before '--'",
		    argv[optind + 1]);
		return cli_usage(c, EXEC_USAGE);
	}
	if (dd + 1 >= argc)
		return cli_missing(c, "the command to run after '--'",
		    EXEC_USAGE);
	if (!exec_var_is_valid(var)) {
		cli_error(c, "--env '%s' is not a variable name; use letters, "
		    "digits and '_'", var);
		return CV_EXIT_USAGE;
	}
	name = argv[optind];
	cmd = argv + dd + 1;
	if ((r = cli_agent_socket(c, &path, def, sizeof(def))) != 0 ||
	    (r = cli_fetch_token(c, path, name, scope, ttl, &t)) != 0)
		return r;
	/* The environment is the command's to read: that is the point, and
	 * why tokens are short-lived. */
	r = setenv(var, credvault_token_value(t), 1);
	credvault_token_free(&t);
	if (r != 0) {
		cli_error(c, "cannot set %s: %s", var, strerror(errno));
		return CV_EXIT_FAILURE;
	}
	execvp(cmd[0], cmd);
	cli_error(c, "cannot run '%s': %s", cmd[0], strerror(errno));
	return EXEC_CANNOT_RUN;
}
