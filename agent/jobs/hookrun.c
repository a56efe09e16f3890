/* SPDX-License-Identifier: MIT */
/* The worker side of a hook run: the stack, then rotation if needed. */
#include "agent/jobs/hookrun.h"

#include <string.h>
#include <time.h>

#include "agent/jobs/autorotate.h"
#include "base/banned.h"

int64_t
hookrun_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
hookrun_run(struct pool_job *pj)
{
	struct hookrun *h = (struct hookrun *)pj;

	if (h->kind == HOOKRUN_AUTHORIZE) {
		policy_authorize(h->policy, h->stack, &h->peer, h->scope,
		    h->request, &h->out);
		return;
	}
	h->started_ms = hookrun_now_ms();
	/* Rotation first when the secret is past its max age; else mint,
	 * and rotate if the provider rejects the secret. */
	if (h->due)
		h->rotated = autorotate(h->guard, h->policy, h->name, h->gen, 1,
		    h->scope, &h->peer, &h->out);
	if (!h->rotated)
		policy_mint(h->policy, h->stack, &h->peer, h->scope,
		    h->request, &h->out);
	secbuf_free(&h->request); /* wipe the secret at once */
	if (h->out.verdict != POLICY_ALLOW &&
	    strcmp(h->out.cls, "invalid_client") == 0)
		h->rotated = autorotate(h->guard, h->policy, h->name, h->gen, 0,
		    h->scope, &h->peer, &h->out);
}

void
hookrun_init(struct hookrun *h, enum hookrun_kind kind)
{
	memset(h, 0, sizeof(*h));
	h->pj.run = hookrun_run;
	h->kind = kind;
	peer_ident_init(&h->peer);
}

void
hookrun_clear(struct hookrun *h)
{
	secbuf_free(&h->request);
	if (h->policy != NULL)
		policy_put(h->policy, &h->stack);
	policy_outcome_clear(&h->out);
}
