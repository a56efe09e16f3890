/* SPDX-License-Identifier: MIT */
/* credvault lock: make the agent wipe its keys and tokens. */
#include <getopt.h>
#include <stdio.h>

#include "client/credvault.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/fetch.h"
#include "base/err.h"
#include "base/banned.h"

#define LOCK_USAGE "[--socket PATH]"

int
cmd_lock(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct credvault_conn *conn = NULL;
	const char *path = c->socket;
	char def[256];
	int ch, r;

	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
		if (ch == 's') {
			path = optarg;
		} else if (ch == 'h') {
			printf("usage: credvault lock " LOCK_USAGE "\n"
			    "Make the agent wipe its keys and cached tokens.  "
			    "It then answers every\nrequest \"locked\" until "
			    "it is stopped and started again.  Only the\n"
			    "agent's own user (or root) may lock it.\n");
			return 0;
		} else {
			return cli_usage(c, LOCK_USAGE);
		}
	}
	if (cli_want_operands(c, argc, argv, 0, LOCK_USAGE) != 0)
		return CV_EXIT_USAGE;
	if ((r = cli_agent_socket(c, &path, def, sizeof(def))) != 0)
		return r;
	if ((r = credvault_connect(path, &conn)) == CREDVAULT_OK)
		r = credvault_lock(conn);
	credvault_close(&conn);
	switch (r) {
	case CREDVAULT_OK:
		return 0;
	case CREDVAULT_DENIED:
		cli_error(c, "the agent at '%s' refused: only its own user may "
		    "lock it", path);
		return CV_EXIT_REFUSED;
	case CREDVAULT_NO_ACCESS:
		cli_error(c, "no permission to use the agent's socket '%s'; "
		    "only its own user may lock it", path);
		return CV_EXIT_REFUSED;
	case CREDVAULT_NO_AGENT:
		cli_error(c, "no agent at '%s'; nothing to lock", path);
		return CV_EXIT_FAILURE;
	default:
		cli_error(c, "cannot lock the agent at '%s': %s", path,
		    credvault_strerror(r));
		return CV_EXIT_FAILURE;
	}
}
