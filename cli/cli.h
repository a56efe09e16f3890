/* SPDX-License-Identifier: MIT */
/* Shared state of one credvault invocation and the subcommand signature. */
#ifndef CV_CLI_CLI_H
#define CV_CLI_CLI_H

#include <stdio.h>

#include "vault/vault.h"
#include "base/limits.h"

/* Global options (they come before the command). */
struct cli {
	const char *vault_arg;       /* --vault */
	const char *passphrase_file; /* --passphrase-file or env */
	int passphrase_fd;           /* --passphrase-fd, -1 if unset */
	const char *keyfile;         /* --keyfile */
	const char *keyslot;         /* --keyslot: try only this slot */
	const char *socket;          /* --socket (agent clients) */
	int json;                    /* --json */
	int local;                   /* --local: open the files, never an agent */
	int verbose;                 /* --verbose: say where a command runs */
	const char *cmd;             /* command name, for messages */
	char vault_dir[CV_VAULT_DIR_MAX]; /* resolved vault directory */
};

/* A subcommand: argv[0] is the command name; returns an exit code. */
typedef int (*cli_cmd_fn)(struct cli *c, int argc, char **argv);

/*
 * Print "credvault CMD: " + message to stderr.  Messages start lowercase,
 * end without a full stop, quote the subject and say what to do next; they
 * never contain a secret.
 */
void cli_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_warn(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Report err from a vault call (using vault_subject) and return its exit
 * code; v may be NULL. */
int cli_fail(const struct cli *c, const struct vault *v, int err,
    const char *doing);

/* Resolve the vault directory: --vault, $CREDVAULT_DIR,
 * $XDG_DATA_HOME/credvault, ~/.local/share/credvault. */
int cli_vault_dir(struct cli *c) __attribute__((warn_unused_result));

/* The unlocking secret from the global options (--keyfile, --passphrase-fd,
 * --passphrase-file, $CREDVAULT_PASSPHRASE_FILE), else the terminal; the
 * error is printed.  *out is the caller's to free (secbuf_free). */
int cli_read_unlock_secret(struct cli *c, enum keyslot_kind *kind,
    struct secbuf **out) __attribute__((warn_unused_result));

/* Open and unlock the vault (passphrase, key file or prompt).  On failure
 * the error is printed and the exit code returned; *out is NULL then. */
int cli_open_unlocked(struct cli *c, struct vault **out);
/* Open without unlocking. */
int cli_open_locked(struct cli *c, struct vault **out);

/*
 * Parse a decimal number in [min, max] with an end check; 0 or -1.
 */
int cli_parse_u32(const char *s, unsigned long min, unsigned long max,
    unsigned long *out) __attribute__((warn_unused_result));

/* Print a usage line for the command to stderr and return CV_EXIT_USAGE. */
int cli_usage(const struct cli *c, const char *usage);

/*
 * The arguments of a command whose only option is --help and which takes
 * exactly nargs operands (usage names them, help says the rest): 0 when
 * the command goes on with argv[optind...], else 1 with the exit code in
 * *exit_code (0 after printing the help, CV_EXIT_USAGE after a usage
 * line).
 */
int cli_plain_args(const struct cli *c, int argc, char **argv, int nargs,
    const char *usage, const char *help, int *exit_code)
    __attribute__((warn_unused_result));

/* ISO 8601 UTC time ("never" for 0) into buf. */
const char *cli_time(long long t, char *buf, size_t len);

#define CLI_HELP_OPTION "help"

#endif
