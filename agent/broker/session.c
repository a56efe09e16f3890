/* SPDX-License-Identifier: MIT */
/* Sessions: their table, request decoding and the reply frames. */
#include "agent/broker/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/scope.h"
#include "vault/record.h"
#include "base/err.h"
#include "base/log.h"
#include "base/wipealloc.h"
#include "base/banned.h"

#define SESSIONS_SPARE_MAX 64 /* reply buffers kept for new sessions */

struct sessions {
	struct session *slots[CV_AGENT_CLIENTS_MAX];
	unsigned free_slots[CV_AGENT_CLIENTS_MAX];
	size_t nfree;
	uint64_t next_id;
	struct secbuf *spare[SESSIONS_SPARE_MAX];
	size_t nspare;
};

int
sessions_new(struct sessions **out)
{
	struct sessions *t;
	unsigned i;

	if ((*out = t = calloc(1, sizeof(*t))) == NULL)
		return CV_E_NOMEM;
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++)
		t->free_slots[i] = CV_AGENT_CLIENTS_MAX - 1 - i;
	t->nfree = CV_AGENT_CLIENTS_MAX;
	t->next_id = 1;
	return 0;
}

void
sessions_free(struct sessions **tp)
{
	struct sessions *t;
	size_t i;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	for (i = 0; i < CV_AGENT_CLIENTS_MAX; i++)
		if (t->slots[i] != NULL)
			abort(); /* a session outlives its table: a bug */
	for (i = 0; i < t->nspare; i++)
		secbuf_free(&t->spare[i]);
	free(t);
	*tp = NULL;
}

int
session_new(struct sessions *t, const struct peer_ident *peer,
    session_reply_fn fn, void *arg, struct session **out)
{
	struct session *s;

	*out = NULL;
	if (t->nfree == 0)
		return CV_E_BUSY;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CV_E_NOMEM;
	if (t->nspare > 0) {
		s->out = t->spare[--t->nspare];
		t->spare[t->nspare] = NULL;
	} else if ((s->out = secbuf_new(SESSION_OUT_MAX)) == NULL) {
		free(s);
		return CV_E_NOMEM;
	}
	s->peer = *peer;
	peer_ident_actor(peer, s->actor, sizeof(s->actor));
	s->reply_fn = fn;
	s->reply_arg = arg;
	s->id = t->next_id++;
	s->slot = t->free_slots[--t->nfree];
	t->slots[s->slot] = s;
	*out = s;
	return 0;
}

void
session_free(struct sessions *t, struct session **sp)
{
	struct session *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->flight != NULL)
		abort(); /* the token service releases it first */
	t->slots[s->slot] = NULL;
	t->free_slots[t->nfree++] = s->slot;
	secbuf_free(&s->big);
	/* Keep the locked reply buffer for the next client, wiped. */
	secbuf_reset(s->out);
	if (t->nspare < SESSIONS_SPARE_MAX)
		t->spare[t->nspare++] = s->out;
	else
		secbuf_free(&s->out);
	free(s);
	*sp = NULL;
}

struct session *
sessions_at(struct sessions *t, size_t i)
{
	return i < CV_AGENT_CLIENTS_MAX ? t->slots[i] : NULL;
}

/* Checks the wire codec cannot make: names and scopes of token requests. */
static int
session_check_request(struct session *s)
{
	if (s->req.op != WIRE_OP_TOKEN)
		return 0;
	if (!record_name_is_valid(s->req.name))
		return CV_E_PROTO;
	return scope_normalize(s->req.scope, s->req_scope,
	    sizeof(s->req_scope));
}

int
session_decode(struct session *s, const unsigned char *body, size_t len,
    char *why, size_t whylen)
{
	int r;

	if (len > 0 && len == s->memo_len && memcmp(body, s->memo_req,
	    len) == 0)
		return 0;
	s->memo_len = 0;
	s->memo_authorized = 0;
	r = wire_request_decode(body, len, &s->req, why, whylen);
	if (r == 0 && (r = session_check_request(s)) != 0)
		(void)snprintf(why, whylen, "bad record name or scope");
	/* Token requests only: an admin request may carry a secret. */
	if (r == 0 && s->req.op == WIRE_OP_TOKEN &&
	    len <= sizeof(s->memo_req)) {
		memcpy(s->memo_req, body, len);
		s->memo_len = len;
	}
	return r;
}

void
session_reply(struct session *s, enum wire_status st, const char *cls)
{
	s->memo_reply = 0;
	if (wire_reply_encode(st, cls, NULL, 0, NULL, 0, 0, NULL, s->out) == 0)
		return;
	if (wire_reply_encode(WIRE_FAILED, "internal", NULL, 0, NULL, 0, 0,
	    NULL, s->out) != 0)
		abort(); /* a constant reply that does not encode: a bug */
}

int
session_reply_is_memo(const struct session *s, const struct cache_token *t,
    int64_t now_s)
{
	return s->memo_reply && s->memo_serial == t->serial &&
	    s->memo_expires_in == t->expires_in &&
	    s->memo_expires_at == now_s + t->expires_in;
}

void
session_reply_token(struct session *s, const struct cache_token *t,
    int64_t now_s)
{
	int64_t at = now_s + t->expires_in;

	/* The same token, the same second: the same bytes as last time. */
	if (session_reply_is_memo(s, t, now_s))
		return;
	if (!t->copied)
		abort(); /* the caller had to ask for the bytes */
	s->memo_reply = 0;
	if (wire_reply_encode(WIRE_OK, NULL, t->token->data, t->token->len,
	    t->token_type, t->expires_in, at, t->scope, s->out) != 0) {
		log_err("record '%s': cannot encode the reply for %s",
		    s->req.name, s->actor);
		session_reply(s, WIRE_FAILED, "internal");
		return;
	}
	s->memo_reply = 1;
	s->memo_serial = t->serial;
	s->memo_expires_in = t->expires_in;
	s->memo_expires_at = at;
}

void
session_forget_reply(struct session *s)
{
	s->memo_reply = 0;
	if (!s->sending)
		secbuf_reset(s->out);
}

void
session_reply_json(struct session *s, const json_t *reply)
{
	char *text;
	size_t n;

	s->memo_reply = 0;
	secbuf_free(&s->big);
	/* One dump (a page of a list is up to 1 MiB of JSON), then the
	 * frame of exactly its size; jansson's copy (its allocator is
	 * wipealloc's in credvault) is wiped when freed. */
	text = reply != NULL ? json_dumps(reply, JSON_COMPACT) : NULL;
	n = text != NULL ? strlen(text) : 0;
	if (n > CV_ADMIN_REPLY_MAX) {
		wipealloc_free(text);
		session_reply(s, WIRE_FAILED, "too_large");
		return;
	}
	if (n > 0 && (s->big = secbuf_new(WIRE_HEADER_BYTES + n)) != NULL) {
		memcpy(s->big->data + WIRE_HEADER_BYTES, text, n);
		wire_header_put(s->big->data, (uint32_t)n);
		s->big->len = WIRE_HEADER_BYTES + n;
		wipealloc_free(text);
		return;
	}
	wipealloc_free(text);
	session_reply(s, WIRE_FAILED, "internal");
}

void
session_sent(struct session *s)
{
	s->sending = 0;
	secbuf_free(&s->big);
	/* A token reply the memo keeps stays: locked memory, the same token
	 * the cache holds. */
	if (!s->memo_reply)
		secbuf_reset(s->out);
}

void
session_complete(struct session *s)
{
	s->busy = 0;
	s->sending = 1;
	if (s->reply_fn != NULL && s->big != NULL)
		s->reply_fn(s->reply_arg, s->big->data, s->big->len);
	else if (s->reply_fn != NULL)
		s->reply_fn(s->reply_arg, s->out->data, s->out->len);
	else
		session_sent(s);
}

void
session_fields(const struct session *s, const char *event,
    const char *record, struct session_fields *out)
{
	size_t n = 0;

	out->f[n].name = "CREDVAULT_EVENT";
	out->f[n++].value = event;
	if (record != NULL && record[0] != '\0') {
		out->f[n].name = "CREDVAULT_RECORD";
		out->f[n++].value = record;
	}
	(void)snprintf(out->uid, sizeof(out->uid), "%lu",
	    (unsigned long)s->peer.uid);
	(void)snprintf(out->gid, sizeof(out->gid), "%lu",
	    (unsigned long)s->peer.gid);
	(void)snprintf(out->pid, sizeof(out->pid), "%ld", (long)s->peer.pid);
	out->f[n].name = "CREDVAULT_PEER_UID";
	out->f[n++].value = out->uid;
	out->f[n].name = "CREDVAULT_PEER_GID";
	out->f[n++].value = out->gid;
	out->f[n].name = "CREDVAULT_PEER_PID";
	out->f[n++].value = out->pid;
	if (s->peer.exe[0] != '\0') {
		out->f[n].name = "CREDVAULT_PEER_EXE";
		out->f[n++].value = s->peer.exe;
	}
	out->n = n;
}
