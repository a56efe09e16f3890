/* SPDX-License-Identifier: MIT */
/* The high-water mark: the newest state of a vault seen, kept elsewhere. */
#ifndef CV_VAULT_HWM_H
#define CV_VAULT_HWM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The state head (vault/state.h) catches any part of the vault put back
 * from an older copy, but not all of it at once: a whole older copy is
 * consistent.  So every process that opens a vault also remembers, in a
 * directory of its user's outside the vault directory, the highest
 * change counter it has seen for that vault id, and refuses a vault whose
 * counter is lower.  The directory is $CREDVAULT_STATE_DIR, else the
 * first of $STATE_DIRECTORY (systemd's StateDirectory=, for the agent's
 * service), else $XDG_STATE_HOME/credvault, else
 * ~/.local/state/credvault; one file per vault, NAME.hwm with the vault
 * id in hex.  What it cannot catch: the vault and that directory rolled
 * back together (SECURITY.md).
 */

/* The directory, into buf; CV_E_NOTFOUND when none can be named. */
int hwm_dir(char *buf, size_t len) __attribute__((warn_unused_result));

/* The highest counter seen for id (0 when never seen).  CV_E_IO when the
 * file cannot be read, CV_E_INTEGRITY when it is not a counter. */
int hwm_get(const unsigned char id[16], uint64_t *seen)
    __attribute__((warn_unused_result));

/*
 * Remember counter for id: with raise, only if it is higher than what
 * is there (under an flock, so that processes racing each other never
 * lower it); without, exactly (restoring an older copy on purpose).
 * Creates the directory (0700) and the file (0600).  CV_E_IO,
 * CV_E_NOTFOUND (no directory), CV_E_PERM.
 */
int hwm_put(const unsigned char id[16], uint64_t counter, int raise)
    __attribute__((warn_unused_result));

#endif
