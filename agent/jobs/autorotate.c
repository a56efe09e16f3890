/* SPDX-License-Identifier: MIT */
/* Rotation on invalid_client or age, then a mint with the new secret. */
#include "agent/jobs/autorotate.h"

#include <stdlib.h>
#include <string.h>

#include "hooks/rotator.h"
#include "vault/rotate.h"
#include "base/err.h"
#include "base/log.h"
#include "base/banned.h"

/* Whether name's policy allows this rotation; reads it on the clone. */
static int
autorotate_allowed(struct vault *c, const char *name, uint32_t gen, int due)
{
	struct secbuf *plain = secbuf_new(CV_RECORD_MAX);
	const struct generation *g;
	struct record r;
	int ok = 0;

	if (plain == NULL)
		return 0;
	if (vault_record_get(c, name, plain, &r) == 0) {
		g = record_active(&r);
		if (due)
			ok = rotate_is_due(&r, vault_now());
		else
			ok = (r.policy.flags & ROTATION_AUTO_INVALID_CLIENT) != 0;
		/* Already rotated by someone else: just mint again. */
		if (g != NULL && g->number != gen)
			ok = 1;
	}
	secbuf_free(&plain);
	return ok;
}

int
autorotate(struct guard *g, struct policy *p, const char *name,
    uint32_t gen, int due, const char *scope, const struct peer_ident *peer,
    struct policy_outcome *out)
{
	struct rotator *h = NULL;
	struct policy_outcome fresh;
	struct rotate_result res;
	struct vault *c = NULL;
	char why[512] = "";
	int rc, done = 0;

	if (guard_clone(g, &c) != 0)
		return 0;
	if (!autorotate_allowed(c, name, gen, due)) {
		if (!due)
			log_info("record '%s': the provider rejected its secret "
			    "and its policy does not allow rotating it here; "
			    "run: credvault rotate %s", name, name);
		goto out;
	}
	if (rotator_new(c, p, name, &h, why, sizeof(why)) != 0) {
		log_err("record '%s': cannot rotate: %s", name, why);
		goto out;
	}
	log_info("record '%s': rotating generation %u (%s)", name, gen,
	    due ? "older than its max age" : "invalid_client");
	rc = rotate_run(c, name, gen, rotator_ops(h), &res);
	if (rc != 0) {
		log_err("record '%s': rotation failed: %s", name, res.err[0] ?
		    res.err : cv_strerror(rc));
		goto out;
	}
	log_info("record '%s': %s; generation %u is active", name,
	    res.already ? "already rotated elsewhere" : "rotated", res.to);
	if (rotator_mint(h, scope, peer, &fresh) != 0) {
		log_err("record '%s': the new secret did not mint: %s", name,
		    fresh.reason);
		policy_outcome_clear(&fresh);
		done = 1; /* rotated all the same: forget the old generation */
		goto out;
	}
	policy_outcome_clear(out);
	*out = fresh;
	done = 1;
out:
	rotator_free(&h);
	guard_release(g, &c);
	return done;
}
