/* SPDX-License-Identifier: MIT */
/* credvault token: ask the agent for a short-lived token and print it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/credvault.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/fetch.h"
#include "crypto/secmem.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define TOKEN_USAGE "NAME [--socket PATH] [--scope S] [--min-ttl SEC] " \
	"[--format raw|json|header|exec-credential]"
#define TOKEN_OUT_MAX (CV_TOKEN_MAX + CV_SCOPE_MAX + 512)

enum token_format { TOKEN_RAW, TOKEN_JSON, TOKEN_HEADER, TOKEN_EXEC_CRED };

static void
token_help(void)
{
	printf("usage: credvault token " TOKEN_USAGE "\n"
	    "Ask the agent for a token for record NAME and print it.  The "
	    "agent decides\nfrom this process's uid, groups and executable "
	    "whether it may have one.\n\n"
	    "  --socket PATH  the agent's socket (else the global --socket, "
	    "$CREDVAULT_SOCKET,\n                 $XDG_RUNTIME_DIR/"
	    "credvault.sock)\n"
	    "  --scope S      a space-separated subset of the record's scopes\n"
	    "  --min-ttl SEC  the token must stay valid at least SEC seconds\n"
	    "  --format F     raw (default): the token; json: token, type, "
	    "expiry, scope;\n                 header: \"Authorization: Bearer "
	    "...\"; exec-credential: a\n                 Kubernetes "
	    "client.authentication.k8s.io/v1 ExecCredential\n\n"
	    "exit codes: 0 ok, 1 failure or no agent, 2 usage, 3 agent "
	    "locked, 4 no such\nrecord, 5 denied, 7 hook or provider "
	    "failure\n");
}

/* RFC 3339 UTC. */
static void
token_time(long long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	buf[0] = '\0';
	if (gmtime_r(&tt, &tm) != NULL)
		(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The JSON formats, built by jansson (the wiping allocator wipes its copies). */
static json_t *
token_json(const struct credvault_token *t, enum token_format f)
{
	char when[32];
	json_t *j, *st;

	token_time(credvault_token_expires_at(t), when, sizeof(when));
	if (f == TOKEN_JSON)
		return json_pack("{s:s%, s:s, s:I, s:s, s:s}",
		    "access_token", credvault_token_value(t),
		    credvault_token_length(t),
		    "token_type", credvault_token_type(t),
		    "expires_in", (json_int_t)credvault_token_expires_in(t),
		    "expires_at", when,
		    "scope", credvault_token_scope(t));
	st = json_pack("{s:s%, s:s}", "token", credvault_token_value(t),
	    credvault_token_length(t), "expirationTimestamp", when);
	if (st == NULL)
		return NULL;
	j = json_pack("{s:s, s:s, s:o}", "apiVersion",
	    "client.authentication.k8s.io/v1", "kind", "ExecCredential",
	    "status", st); /* st is stolen */
	return j;
}

/* Write all of iov (no stdio: no copy of the token in a FILE buffer). */
static int
token_writev(struct iovec *iov, int n)
{
	ssize_t k;

	while (n > 0) {
		k = writev(STDOUT_FILENO, iov, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return CV_E_IO;
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/*
 * Print t in format f.  raw and header go straight from the token's
 * locked memory; the JSON formats are built by jansson into a secbuf.
 */
static int
token_print(const struct credvault_token *t, enum token_format f)
{
	struct secbuf *out = NULL;
	struct iovec iov[3];
	json_t *j = NULL;
	size_t n;
	int r = CV_E_NOMEM;

	if (f == TOKEN_RAW || f == TOKEN_HEADER) {
		n = 0;
		if (f == TOKEN_HEADER) {
			iov[n].iov_base = "Authorization: Bearer ";
			iov[n++].iov_len = 22;
		}
		iov[n].iov_base = (void *)credvault_token_value(t);
		iov[n++].iov_len = credvault_token_length(t);
		iov[n].iov_base = "\n";
		iov[n++].iov_len = 1;
		return token_writev(iov, (int)n);
	}
	if ((out = secbuf_new(TOKEN_OUT_MAX)) == NULL ||
	    (j = token_json(t, f)) == NULL)
		goto out;
	n = json_dumpb(j, (char *)out->data, out->cap, JSON_COMPACT);
	r = n == 0 || n >= out->cap ? CV_E_TOOBIG : 0;
	if (r == 0) {
		out->data[n] = '\n';
		iov[0].iov_base = out->data;
		iov[0].iov_len = n + 1;
		r = token_writev(iov, 1);
	}
out:
	json_decref(j);
	secbuf_free(&out);
	return r;
}

int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "scope", required_argument, NULL, 'c' },
		{ "min-ttl", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = {
		[TOKEN_RAW] = "raw", [TOKEN_JSON] = "json",
		[TOKEN_HEADER] = "header", [TOKEN_EXEC_CRED] = "exec-credential",
	};
	struct credvault_token *t = NULL;
	/* credvault --json token: the JSON form unless --format says. */
	enum token_format fmt = c->json ? TOKEN_JSON : TOKEN_RAW;
	const char *path = c->socket, *scope = NULL, *name;
	char def[256];
	unsigned long ttl = 0;
	int ch, r, found;
	size_t i;

	while ((ch = cli_getopt(c, argc, argv, "h", opts)) != -1) {
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
		case 'f':
			for (i = 0, found = 0; i < 4; i++)
				if (strcmp(optarg, formats[i]) == 0) {
					fmt = (enum token_format)i;
					found = 1;
				}
			if (!found) {
				cli_error(c, "unknown --format '%s'; use raw, "
				    "json, header or exec-credential", optarg);
				return CV_EXIT_USAGE;
			}
			break;
		case 'h':
			token_help();
			return 0;
		default:
			return cli_usage(c, TOKEN_USAGE);
		}
	}
	if ((r = cli_want_operands(c, argc, argv, 1, TOKEN_USAGE)) != 0)
		return r;
	name = argv[optind];
	if ((r = cli_agent_socket(c, &path, def, sizeof(def))) != 0 ||
	    (r = cli_fetch_token(c, path, name, scope, ttl, &t)) != 0)
		return r;
	r = token_print(t, fmt);
	credvault_token_free(&t);
	if (r != 0) {
		cli_error(c, "cannot write the token to stdout: %s",
		    cv_strerror(r));
		return CV_EXIT_FAILURE;
	}
	return 0;
}
