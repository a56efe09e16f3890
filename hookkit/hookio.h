/* SPDX-License-Identifier: MIT */
/* The hook side of the hook protocol (docs/hooks.md): request in, reply out. */
#ifndef CV_HOOKKIT_HOOKIO_H
#define CV_HOOKKIT_HOOKIO_H

#include <stddef.h>

#include <jansson.h>

#include "crypto/secmem.h"
#include "base/limits.h"

#define HOOKIO_PHASE_MAX 16

/*
 * One decoded request.  Text fields are NUL-terminated, bounded by the
 * limits in base/limits.h, free of control characters, and "" when the
 * request left them out.  secret and admin_token are owned (secbuf_free
 * via hookio_request_clear) and NULL when the request had none.
 *
 * rotate and retire requests (docs/ct-rotate.md) may also carry
 *   "admin":    {"access_token": T, "token_type": "Bearer"}, a token the
 *               vault minted from the admin record named by admin=NAME;
 *   "rotation": {"client_name": N, "generation": G}, what to create;
 *   "retire":   {"client_id": ID}, what to delete.
 */
struct hookio_request {
	long long version;
	char phase[HOOKIO_PHASE_MAX + 1];
	char name[CV_NAME_MAX + 1];
	char provider[CV_PROVIDER_MAX + 1];
	char project_key[CV_PROJECT_KEY_MAX + 1];
	char client_id[CV_CLIENT_ID_MAX + 1];
	char record_scope[CV_SCOPE_MAX + 1];
	char api_url[CV_URL_MAX + 1];
	char auth_url[CV_URL_MAX + 1];
	long long generation; /* -1 when absent */
	char scope[CV_SCOPE_MAX + 1]; /* the requested scope */
	struct secbuf *secret;
	/* "admin": access_token is 1..CV_TOKEN_MAX visible ASCII bytes
	 * without spaces; token_type is [A-Za-z0-9._-], "" when absent. */
	struct secbuf *admin_token;
	char admin_token_type[CV_TOKEN_TYPE_MAX + 1];
	/* "rotation" and "retire"; generation is -1 when absent. */
	char rotation_client_name[CV_CT_CLIENT_NAME_MAX + 1];
	long long rotation_generation;
	char retire_client_id[CV_CLIENT_ID_MAX + 1];
};

/*
 * Read all of fd (stdin) into a new secbuf, at most CV_HOOK_INPUT_MAX
 * bytes: CV_E_TOOBIG beyond that, CV_E_IO on a read error.  *out is the
 * caller's (secbuf_free) and NULL on failure.
 */
int hookio_read(int fd, struct secbuf **out) __attribute__((warn_unused_result));

/*
 * Decode one request object from in[0..n).  Version must be 1; record must
 * be an object; unknown members are ignored for forward compatibility.
 * req is cleared on entry and copies what it keeps: in may be wiped and
 * freed once this returns.  On CV_E_INVALID, why says which member is
 * wrong without quoting any input.  The caller clears req in every case.
 */
int hookio_request_decode(const unsigned char *in, size_t n,
    struct hookio_request *req, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/* Make *req empty without reading it (for a fresh, uninitialised struct). */
void hookio_request_init(struct hookio_request *req);

/* Wipe the secret and the admin token, and reset every field. */
void hookio_request_clear(struct hookio_request *req);

/*
 * Write obj (borrowed; still the caller's) as one compact JSON line to
 * fd.  The text is rendered into a secbuf (replies carry tokens and
 * secrets) and wiped afterwards.
 * 0, CV_E_TOOBIG over CV_HOOK_OUTPUT_MAX, or CV_E_IO.
 */
int hookio_reply_write(int fd, const json_t *obj)
    __attribute__((warn_unused_result));

#endif
