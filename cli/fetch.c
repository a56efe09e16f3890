/* SPDX-License-Identifier: MIT */
/* Finding the agent and asking it for a token, for token, exec and lock. */
#include "cli/fetch.h"

#include <sys/random.h>

#include <jansson.h>

#include "cli/tokenmsg.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

int
cli_agent_socket(const struct cli *c, const char **path, char *def,
    size_t len)
{
	if (*path != NULL)
		return 0;
	if (credvault_socket_path(def, len) != 0) {
		cli_error(c, "no agent socket: set CREDVAULT_SOCKET (eval "
		    "\"$(credvault agent)\" does) or XDG_RUNTIME_DIR, or use "
		    "--socket PATH");
		return CV_EXIT_FAILURE;
	}
	*path = def;
	return 0;
}

/*
 * Seed jansson's hash from getrandom(2) before its first object, instead
 * of its own open/read/close of /dev/urandom: these commands run in every
 * script that needs a token, so their start-up counts (bench/agent).
 */
static void
cli_seed_json(void)
{
	size_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		json_object_seed(seed | 1);
}

int
cli_fetch_token(const struct cli *c, const char *path, const char *name,
    const char *scope, unsigned long min_ttl, struct credvault_token **t)
{
	char cls[CREDVAULT_ERROR_MAX + 1] = "", msg[1024];
	int r;

	*t = NULL;
	cli_seed_json();
	r = credvault_fetch_token(path, name, scope, (unsigned)min_ttl, t, cls,
	    sizeof(cls));
	if (r == CREDVAULT_INVALID) {
		cli_error(c, "invalid record name, scope or socket path");
		return CV_EXIT_USAGE;
	}
	if (r != CREDVAULT_OK) {
		r = tokenmsg_explain(r, cls, name, path, msg, sizeof(msg));
		cli_error(c, "%s", msg);
		return r;
	}
	return 0;
}
