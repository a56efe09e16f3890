/* SPDX-License-Identifier: MIT */
/* rotate_ops (vault/rotate.h) carried out by a record's stack file. */
#ifndef CV_HOOKS_ROTATOR_H
#define CV_HOOKS_ROTATOR_H

#include <stddef.h>

#include "hooks/policy.h"
#include "vault/rotate.h"

/*
 * The hooks of one record's rotation: the `rotate` stack creates the new
 * client, the `mint` stack (or the default mint hook) verifies it, the
 * `retire` stack deletes the old one, the `notify` stack hears the
 * outcome.  `admin=NAME` on a rotate or retire line names the record whose
 * token (minted through its own mint stack) authorises those hooks.
 *
 * v is used from the calling thread only (give the agent's rotations a
 * vault_clone()).  With p NULL, a private policy for v's directory is
 * made (the CLI).  Free with rotator_free().
 */
struct rotator;

int rotator_new(struct vault *v, struct policy *p, const char *name,
    struct rotator **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void rotator_free(struct rotator **hp);

/* The operations, valid while h lives. */
const struct rotate_ops *rotator_ops(struct rotator *h);

/*
 * Mint a token with the record's active generation, for peer (may be NULL)
 * and scope (NULL: the record's): what a client asked for, after a
 * rotation.  out as policy_mint() gives it (clear it with
 * policy_outcome_clear()); CV_E_UPSTREAM when the mint failed.
 */
int rotator_mint(struct rotator *h, const char *scope,
    const struct peer_ident *peer, struct policy_outcome *out)
    __attribute__((warn_unused_result));

#endif
