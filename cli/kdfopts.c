/* SPDX-License-Identifier: MIT */
/* Parsing the --kdf-* options; explicit parameters or calibration. */
#include "cli/kdfopts.h"

#include <getopt.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

int
kdfopts_take(const struct cli *c, struct kdfopts *o, int ch, const char *arg)
{
	unsigned long *dst, max;
	const char *name;

	switch (ch) {
	case KDFOPT_TIME:
		dst = &o->time_ms, max = 60000, name = "--kdf-time";
		break;
	case KDFOPT_MEMORY:
		dst = &o->memory_mib;
		max = CV_KDF_MEMORY_MAX_KIB / 1024;
		name = "--kdf-memory";
		break;
	case KDFOPT_ITERATIONS:
		dst = &o->iterations, max = CV_KDF_ITERATIONS_MAX;
		name = "--kdf-iterations";
		break;
	case KDFOPT_PARALLELISM:
		dst = &o->parallelism, max = CV_KDF_PARALLELISM_MAX;
		name = "--kdf-parallelism";
		break;
	default:
		return 0;
	}
	if (cli_parse_u32(arg, 1, max, dst) != 0) {
		cli_error(c, "%s takes a whole number from 1 to %lu", name,
		    max);
		return -1;
	}
	return 1;
}

int
kdfopts_resolve(const struct cli *c, const struct kdfopts *o,
    struct kdf_params *p)
{
	int explicit = o->memory_mib || o->iterations || o->parallelism;
	int rc;

	if (explicit && o->time_ms) {
		cli_error(c, "--kdf-time calibrates; it cannot be combined with "
		    "--kdf-memory, --kdf-iterations or --kdf-parallelism");
		return CV_EXIT_USAGE;
	}
	if (explicit) {
		p->memory_kib = (uint32_t)(o->memory_mib ? o->memory_mib :
		    CV_KDF_MEMORY_MIN_KIB / 1024) * 1024u;
		p->iterations = (uint32_t)(o->iterations ? o->iterations : 3);
		p->parallelism = o->parallelism ? (uint32_t)o->parallelism :
		    kdf_default_parallelism();
		if (kdf_params_check(p) != 0) {
			cli_error(c, "Argon2id needs at least 8 KiB of memory per "
			    "lane; raise --kdf-memory or lower "
			    "--kdf-parallelism");
			return CV_EXIT_USAGE;
		}
		return 0;
	}
	rc = kdf_calibrate(o->time_ms ? (uint32_t)o->time_ms :
	    CV_KDF_TARGET_MS, kdf_default_parallelism(), p);
	if (rc != 0) {
		cli_error(c, "cannot calibrate Argon2id: %s", cv_strerror(rc));
		return cv_exit_code(rc);
	}
	return 0;
}
