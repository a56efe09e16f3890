/* SPDX-License-Identifier: MIT */
/* Whether a new passphrase is strong enough (libpwquality). */
#ifndef CV_CLI_PASSQUALITY_H
#define CV_CLI_PASSQUALITY_H

#include <stddef.h>

#include "cli/cli.h"

/*
 * Check a new passphrase with libpwquality under the system's
 * pwquality.conf (minimum length, character classes, the cracklib
 * dictionary when installed).  0 when good enough; else the reason is
 * printed, with --allow-weak-passphrase as the way round, and
 * CV_E_REFUSED returned.  CV_E_NOTFOUND (printed) when libpwquality is
 * missing.
 */
int passquality_check(const struct cli *c, const void *pass, size_t len)
    __attribute__((warn_unused_result));

#endif
