/* SPDX-License-Identifier: MIT */
/* Fuzzes the decoders of a hook's stdout (hooks/proto.c): mint, rotate, error. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "hooks/proto.h"
#include "base/wipealloc.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_mint_reply m;
	struct proto_rotate_reply r;
	struct proto_error_reply e;
	char why[CV_HOOK_REASON_MAX];

	json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
	if (proto_mint_decode(data, size, &m, why, sizeof(why)) == 0) {
		/* What the agent relies on after a successful decode. */
		if (m.access_token == NULL || m.access_token->len == 0 ||
		    m.access_token->len > CV_TOKEN_MAX || m.expires_in == 0 ||
		    m.expires_in > CV_EXPIRES_IN_MAX || m.token_type[0] == '\0' ||
		    memchr(m.access_token->data, '\n', m.access_token->len))
			__builtin_trap();
	} else if (m.access_token != NULL) {
		__builtin_trap();
	}
	proto_mint_reply_clear(&m);
	if (proto_rotate_decode(data, size, &r, why, sizeof(why)) == 0) {
		if (r.secret == NULL || r.secret->len == 0 ||
		    r.secret->len > CV_SECRET_MAX || r.client_id[0] == '\0')
			__builtin_trap();
	} else if (r.secret != NULL) {
		__builtin_trap();
	}
	proto_rotate_reply_clear(&r);
	if (proto_error_decode(data, size, &e, why, sizeof(why)) == 0 &&
	    e.error[0] == '\0')
		__builtin_trap();
	return 0;
}
