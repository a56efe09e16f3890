/* SPDX-License-Identifier: MIT */
/* credvault: global options and the subcommand table. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "base/err.h"
#include "base/wipealloc.h"
#include "base/banned.h"

static const struct {
	const char *name;
	cli_cmd_fn fn;
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "create a vault with its first keyslot" },
	{ "add", cmd_add, "store an API client (secret on stdin)" },
	{ "import", cmd_import, "store an API client from a CTP_* .env file" },
	{ "list", cmd_list, "list records (never secrets)" },
	{ "show", cmd_show, "show one record and its generations" },
	{ "reveal", cmd_reveal, "print the active secret, once" },
	{ "rm", cmd_rm, "remove a record" },
	{ "keyslot", cmd_keyslot, "add, remove or list keyslots" },
	{ "rekey", cmd_rekey, "replace the vault master key" },
	{ "audit", cmd_audit, "print or verify the audit log" },
	{ "check", cmd_check, "verify keyslots, records and the audit log" },
	{ "backup", cmd_backup, "write a verified copy of the vault to a file" },
	{ "restore", cmd_restore, "put a verified backup in place of the vault" },
	{ "rotate", cmd_rotate, "replace a secret (new API client), resumable" },
	{ "policy", cmd_policy, "when the agent may rotate a record itself" },
	{ "agent", cmd_agent, "unlock once and serve tokens on a socket" },
	{ "token", cmd_token, "get a short-lived token from the agent" },
	{ "exec", cmd_exec, "run a command with a token in its environment" },
	{ "lock", cmd_lock, "make the agent wipe its keys and tokens" },
	{ "status", cmd_status, "what the agent is doing (its own user only)" },
	{ "explain", cmd_explain, "would a peer get a token, and which line decides" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: credvault [--vault DIR] [--passphrase-file FILE | "
	    "--passphrase-fd N | --keyfile FILE]\n"
	    "                 [--keyslot LABEL] [--socket PATH | --local] "
	    "[--json] [--verbose]\n                 COMMAND [ARGS]\n\n"
	    "Commands that read or change the vault go through its agent when "
	    "--socket or\n$CREDVAULT_SOCKET names one, or when the agent at "
	    "the default socket serves\nthis vault; else (or with --local) "
	    "they open the vault files themselves.\n--verbose says which.\n"
	    "\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(f, "\n'credvault COMMAND --help' describes each command.\n"
	    "exit codes: 0 ok, 1 failure, 2 usage, 3 unlock failed, 4 no such "
	    "record,\n5 refused, 6 integrity failure, 7 upstream failure\n");
}

static int
unknown_command(const struct cli *c, const char *word)
{
	const char *names[sizeof(commands) / sizeof(commands[0])], *near;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		names[i] = commands[i].name;
	near = cli_nearest(word, names, i);
	if (near != NULL)
		cli_error(c, "unknown command '%s'; did you mean '%s'? (see "
		    "'credvault --help')", word, near);
	else
		cli_error(c, "unknown command '%s'; see 'credvault --help'",
		    word);
	return CV_EXIT_USAGE;
}

/* No core dumps of a process that holds keys. */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	umask(077);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vault", required_argument, NULL, 'v' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "passphrase-fd", required_argument, NULL, 'f' },
		{ "keyfile", required_argument, NULL, 'k' },
		{ "keyslot", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "local", no_argument, NULL, 'L' },
		{ "verbose", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	unsigned long fd;
	size_t i;
	int ch;

	harden();
	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	memset(&c, 0, sizeof(c));
	c.passphrase_fd = -1;
	/* '+': stop at the command; its own options come after it. */
	while ((ch = cli_getopt(&c, argc, argv, "+h", opts)) != -1) {
		switch (ch) {
		case 'v':
			c.vault_arg = optarg;
			break;
		case 'p':
			c.passphrase_file = optarg;
			break;
		case 'f':
			if (cli_parse_u32(optarg, 0, 1 << 20, &fd) != 0) {
				cli_error(&c, "--passphrase-fd needs a "
				    "descriptor number");
				return CV_EXIT_USAGE;
			}
			c.passphrase_fd = (int)fd;
			break;
		case 'k':
			c.keyfile = optarg;
			break;
		case 'l':
			c.keyslot = optarg;
			break;
		case 's':
			c.socket = optarg;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'L':
			c.local = 1;
			break;
		case 'b':
			c.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("credvault %s\n", CV_VERSION);
			return 0;
		default: /* told by cli_getopt */
			fprintf(stderr, "see 'credvault --help'\n");
			return CV_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CV_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			c.cmd = commands[i].name;
			argc -= optind;
			argv += optind;
			optind = 0; /* glibc: reset getopt for the command */
			return commands[i].fn(&c, argc, argv);
		}
	}
	return unknown_command(&c, argv[optind]);
}
