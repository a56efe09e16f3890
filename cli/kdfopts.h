/* SPDX-License-Identifier: MIT */
/* The --kdf-* options shared by init and keyslot add. */
#ifndef CV_CLI_KDFOPTS_H
#define CV_CLI_KDFOPTS_H

#include "cli/cli.h"
#include "crypto/kdf.h"

/* getopt_long codes of the KDF options, for the commands' tables. */
enum {
	KDFOPT_TIME = 0x100,
	KDFOPT_MEMORY,
	KDFOPT_ITERATIONS,
	KDFOPT_PARALLELISM,
};

#define KDFOPTS_LONG                                                        \
	{ "kdf-time", required_argument, NULL, KDFOPT_TIME },               \
	{ "kdf-memory", required_argument, NULL, KDFOPT_MEMORY },           \
	{ "kdf-iterations", required_argument, NULL, KDFOPT_ITERATIONS },   \
	{ "kdf-parallelism", required_argument, NULL, KDFOPT_PARALLELISM }

#define KDFOPTS_USAGE                                                       \
	"[--kdf-time MS | --kdf-memory MIB --kdf-iterations N "             \
	"--kdf-parallelism P]"

struct kdfopts {
	unsigned long time_ms, memory_mib, iterations, parallelism;
};

/* Take option ch; 1 if it was a KDF option, 0 if not, -1 (message
 * printed) for a bad value. */
int kdfopts_take(const struct cli *c, struct kdfopts *o, int ch,
    const char *arg);

/* Explicit parameters, or a calibration to the target time (default
 * CV_KDF_TARGET_MS).  Prints a message and returns an exit code on error. */
int kdfopts_resolve(const struct cli *c, const struct kdfopts *o,
    struct kdf_params *p);

#endif
