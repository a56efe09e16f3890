/* SPDX-License-Identifier: MIT */
/* Fuzzes the client library's reply decoder (what an agent sends back). */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/wipealloc.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct wire_reply rep;
	int r;

	if (!ready) {
		json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
		if (secmem_init() != 0)
			abort();
		ready = 1;
	}
	/* The first byte picks the request the reply answers. */
	if (size < 1)
		return 0;
	r = wire_reply_decode(data + 1, size - 1, (data[0] & 1) ?
	    WIRE_OP_LOCK : WIRE_OP_TOKEN, &rep, NULL, 0);
	if (r == 0 && rep.status == WIRE_OK && !(data[0] & 1) &&
	    (rep.token == NULL || rep.token->len == 0 ||
	    rep.token->len > CV_TOKEN_MAX))
		abort(); /* an accepted token is always within bounds */
	if (r != 0 && rep.token != NULL)
		abort(); /* a refused reply leaves nothing behind */
	wire_reply_clear(&rep);
	return 0;
}
