/* SPDX-License-Identifier: MIT */
/* The agent's wire protocol: length-prefixed frames of one JSON object. */
#ifndef CV_CLIENT_WIRE_H
#define CV_CLIENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/secmem.h"
#include "base/limits.h"

/*
 * A frame is a u32 big-endian body length, then the body: exactly one
 * JSON object in UTF-8, no trailing bytes (docs/protocol.md).  A request
 * body is at most CV_REQUEST_MAX bytes, a reply body at most CV_FRAME_MAX;
 * both ends check the length before reading the body.  Every function here
 * is thread-safe; the JSON ones need jansson to use the wiping allocator
 * (base/wipealloc.h; the client library installs it itself) to have run, since replies carry tokens.
 */
#define WIRE_VERSION 1
#define WIRE_HEADER_BYTES 4
/* A reply with the longest token and scope fits with room to spare. */
#define WIRE_REPLY_MAX (CV_TOKEN_MAX + CV_SCOPE_MAX + 1024)

enum wire_op {
	WIRE_OP_TOKEN = 1, /* a token for a record */
	WIRE_OP_LOCK,      /* wipe keys and tokens */
	WIRE_OP_ADMIN,     /* an operation on the vault (docs/protocol.md) */
	WIRE_OP_STATUS,    /* what the agent is doing (its own uid only) */
};
#define WIRE_OPS 4
#define WIRE_CMD_MAX 32 /* an admin command's name */

/* "token", "lock", "admin" or "status"; NULL for a value out of range. */
const char *wire_op_name(enum wire_op op);

enum wire_status {
	WIRE_OK = 0,
	WIRE_DENIED,
	WIRE_LOCKED,
	WIRE_FAILED,
};

/* "ok", "denied", "locked" or "failed". */
const char *wire_status_name(enum wire_status s);

/* Write the header of a body of len bytes. */
void wire_header_put(unsigned char hdr[WIRE_HEADER_BYTES], uint32_t len);

/*
 * Read a header: *len is the body length.  CV_E_TOOBIG when it is over
 * max, CV_E_PROTO when it is 0 (an empty body is never a JSON object).
 */
int wire_header_get(const unsigned char hdr[WIRE_HEADER_BYTES], uint32_t max,
    uint32_t *len) __attribute__((warn_unused_result));

/*
 * A decoded request.  Self-contained (no pointers).  scope is "" when the
 * request has none (the record's scopes); min_ttl 0 when absent.
 */
struct wire_request {
	enum wire_op op;
	char cmd[WIRE_CMD_MAX + 1]; /* admin: [a-z_]+; "args" and "proof"
	                               are objects, left in the body */
	char name[CV_NAME_MAX + 1];
	char scope[CV_SCOPE_MAX + 1];
	uint32_t min_ttl;
};

/*
 * Decode a request body (p, len): one JSON object with "v" = WIRE_VERSION,
 * "op", and for "token" a "name" (1..CV_NAME_MAX bytes), an optional
 * "scope" (at most CV_SCOPE_MAX bytes) and "min_ttl" (0..CV_EXPIRES_IN_MAX);
 * for "admin" a "cmd" and optional "args" and "proof" objects, whose
 * contents the admin operations check;
 * strings printable ASCII; no other members; no duplicate keys.  *out is
 * cleared on entry.  Returns 0, CV_E_TOOBIG (over CV_REQUEST_MAX),
 * CV_E_VERSION (another version or an unknown op: reply "unsupported"),
 * CV_E_PROTO (anything else malformed) or CV_E_NOMEM; why gets a reason
 * that never quotes the input.  The record name's syntax is the caller's
 * to check.
 */
int wire_request_decode(const void *p, size_t len, struct wire_request *out,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Encode req as a whole frame (header and body) into buf (cap bytes);
 * *len receives the frame length.  CV_E_INVALID for fields that
 * wire_request_decode() would refuse, CV_E_TOOBIG, CV_E_NOMEM.
 */
int wire_request_encode(const struct wire_request *req, unsigned char *buf,
    size_t cap, size_t *len) __attribute__((warn_unused_result));

/*
 * A reply.  For WIRE_OK to a token request the token fields are set;
 * for WIRE_FAILED, error holds the failure class (docs/protocol.md).
 * token is owned (a secbuf) and freed by wire_reply_clear().
 */
struct wire_reply {
	enum wire_status status;
	char error[CV_ERROR_CLASS_MAX + 1];
	struct secbuf *token;
	char token_type[CV_TOKEN_TYPE_MAX + 1];
	uint32_t expires_in; /* seconds left when the agent answered */
	int64_t expires_at;  /* Unix time */
	char scope[CV_SCOPE_MAX + 1];
};

/* Zero r, freeing its token; accepts NULL. */
void wire_reply_clear(struct wire_reply *r);

/*
 * Encode a whole reply frame into out (reset first; the cap must be at
 * least WIRE_HEADER_BYTES + WIRE_REPLY_MAX).  For WIRE_OK with a token,
 * token (len bytes of visible ASCII) and the other token fields are used;
 * for WIRE_FAILED, error must be a class of [a-z0-9_].  CV_E_INVALID,
 * CV_E_TOOBIG or CV_E_NOMEM.  The token passes through jansson, so
 * jansson must use the wiping allocator.
 */
int wire_reply_encode(enum wire_status status, const char *error,
    const unsigned char *token, size_t toklen, const char *token_type,
    uint32_t expires_in, int64_t expires_at, const char *scope,
    struct secbuf *out) __attribute__((warn_unused_result));

/*
 * Decode a reply body to a request of kind op.  Checks the schema: "v",
 * "status", and for "ok" to "token" an "access_token" of 1..CV_TOKEN_MAX
 * visible ASCII bytes, "token_type", "expires_in", "expires_at" and
 * "scope"; for "failed" an "error" class.  Unknown members are ignored
 * (newer agents may add some).  *out is cleared on entry and left cleared
 * on failure.  CV_E_TOOBIG, CV_E_PROTO, CV_E_VERSION or CV_E_NOMEM.
 */
int wire_reply_decode(const void *p, size_t len, enum wire_op op,
    struct wire_reply *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * What a failure class means: a CV_E_* code (CV_E_UPSTREAM for hook and
 * provider failures and for classes this build does not know) and a short
 * lowercase phrase for messages (static, never NULL).
 */
int wire_class_err(const char *cls);
const char *wire_class_text(const char *cls);

#endif
