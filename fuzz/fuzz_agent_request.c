/* SPDX-License-Identifier: MIT */
/* Fuzzes the agent's request path: frame header, JSON schema, dispatch. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/log.h"
#include "agent/broker/broker.h"
#include "client/wire.h"
#include "crypto/secmem.h"
#include "base/wipealloc.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input is what a client writes: a u32 length and a body.  The broker
 * is a locked one (no vault), so every request runs the decoder, the
 * name and scope checks and the dispatch table; its reply must always be
 * a well-formed frame that the client library accepts.
 */
static struct broker *
fuzz_broker(void)
{
	static struct broker *s;
	struct broker_opts o;

	if (s == NULL) {
		json_set_alloc_funcs(wipealloc_malloc, wipealloc_free);
		log_set_level(LOG_CRIT); /* refusals are logged at info */
		if (secmem_init() != 0)
			abort();
		memset(&o, 0, sizeof(o));
		if (broker_new(NULL, &o, &s) != 0)
			abort();
	}
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct broker *s = fuzz_broker();
	struct session *c = NULL;
	struct peer_ident peer;
	struct wire_reply rep;
	const unsigned char *reply;
	size_t replylen;
	uint32_t len, rlen;

	if (size < WIRE_HEADER_BYTES ||
	    wire_header_get(data, CV_REQUEST_MAX, &len) != 0 ||
	    len > size - WIRE_HEADER_BYTES)
		return 0; /* the loop answers these without dispatching */
	peer_ident_init(&peer);
	peer.uid = (uid_t)(data[0] & 1); /* root or not: the owner flag */
	peer.gid = 0;
	peer.pid = 1;
	if (broker_session_new(s, &peer, NULL, NULL, &c) != 0)
		abort();
	if (broker_handle(s, c, data + WIRE_HEADER_BYTES, len, &reply,
	    &replylen) != 0)
		abort(); /* a locked broker never defers */
	if (replylen < WIRE_HEADER_BYTES ||
	    wire_header_get(reply, CV_FRAME_MAX, &rlen) != 0 ||
	    rlen != replylen - WIRE_HEADER_BYTES)
		abort();
	/* "ok" carries a token only for a token request. */
	if (wire_reply_decode(reply + WIRE_HEADER_BYTES, rlen, WIRE_OP_TOKEN,
	    &rep, NULL, 0) != 0 &&
	    wire_reply_decode(reply + WIRE_HEADER_BYTES, rlen, WIRE_OP_LOCK,
	    &rep, NULL, 0) != 0)
		abort();
	wire_reply_clear(&rep);
	broker_session_sent(s, c);
	broker_session_free(s, &c);
	return 0;
}
