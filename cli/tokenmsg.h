/* SPDX-License-Identifier: MIT */
/* What to tell a person when the agent gives no token, and the exit code. */
#ifndef CV_CLI_TOKENMSG_H
#define CV_CLI_TOKENMSG_H

#include <stddef.h>

/*
 * For a credvault_status (credvault.h) other than CREDVAULT_OK, with the
 * failure class cls (for CREDVAULT_FAILED), the record name and the
 * socket path: a message in the CLI's style (lowercase, what failed, what
 * to do next; no trailing full stop) into buf, and the exit code of
 * DESIGN.md section 9: denied 5, locked 3, no such record 4, hook or
 * provider failures 7, everything else 1 (a busy agent too: its own
 * message, never "no agent").
 */
int tokenmsg_explain(int status, const char *cls, const char *name,
    const char *path, char *buf, size_t len);

#endif
