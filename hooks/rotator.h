/* SPDX-License-Identifier: MIT */
/* rotate_ops (vault/rotate.h) carried out by a record's stack file. */
#ifndef CV_AGENT_ROTATION_H
#define CV_AGENT_ROTATION_H

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
 * made (the CLI).  Free with rotation_hooks_free().
 */
struct rotation_hooks;

int rotation_hooks_new(struct vault *v, struct policy *p, const char *name,
    struct rotation_hooks **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void rotation_hooks_free(struct rotation_hooks **hp);

/* The operations, valid while h lives. */
const struct rotate_ops *rotation_hooks_ops(struct rotation_hooks *h);

/*
 * Mint a token with the record's active generation, for peer (may be NULL)
 * and scope (NULL: the record's): what a client asked for, after a
 * rotation.  out as policy_mint() gives it (clear it with
 * policy_outcome_clear()); CV_E_UPSTREAM when the mint failed.
 */
int rotation_hooks_mint(struct rotation_hooks *h, const char *scope,
    const struct peer_ident *peer, struct policy_outcome *out)
    __attribute__((warn_unused_result));

#endif
