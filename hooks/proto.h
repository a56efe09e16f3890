/* SPDX-License-Identifier: MIT */
/* The hook protocol: phases, exit codes, the JSON request and the replies. */
#ifndef CV_HOOKS_PROTO_H
#define CV_HOOKS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/secmem.h"
#include "base/limits.h"

struct peer_ident; /* hooks/peer_rule.h */

/*
 * Every function here that touches JSON requires jansson to use the
 * wiping allocator (base/wipealloc.h) (jansson then wipes every block it frees, and the request and
 * the replies carry secrets).  Calling one without it is a programmer
 * error and aborts.  Error reasons ("why") never quote the input: jansson
 * puts the text near a syntax error into its messages, so only the
 * position is reported.  All functions are thread-safe.
 */

/* The phases of DESIGN.md section 6, in the order a token's life sees them. */
enum proto_phase {
	PROTO_AUTHORIZE = 0,
	PROTO_MINT,
	PROTO_ROTATE,
	PROTO_RETIRE,
	PROTO_NOTIFY,
	PROTO_ADMIN,   /* may this peer run this operation (hooks.d/admin) */
};
#define PROTO_PHASES 6

/* "authorize", ...; a static string, or NULL for a value out of range. */
const char *proto_phase_name(enum proto_phase phase);

/* The phase named by the first n bytes of s; 0 or CV_E_INVALID. */
int proto_phase_parse(const char *s, size_t n, enum proto_phase *out)
    __attribute__((warn_unused_result));

/*
 * The operations of the admin phase: what a member may be allowed to do
 * to the vault through the agent (DESIGN.md section 9).  A stack's ops=
 * names them; a hook of the admin phase gets the one asked for.
 */
#define PROTO_ADMIN_OPS_TEXT "list, show, add, import, rm, reveal, " \
	"rotate, policy, keyslot_add, keyslot_remove, keyslot_list, rekey, " \
	"audit, check, backup, explain"

/* The operation named by the first n bytes of s (a static string), or
 * NULL when there is none. */
const char *proto_admin_op_parse(const char *s, size_t n);

/* Whether a successful module of this phase must print a reply (mint, rotate). */
int proto_phase_has_reply(enum proto_phase phase);

/*
 * What one module said.  The numeric values of the first three are the
 * hook's exit codes; PROTO_ERROR is anything else: another exit code, a
 * signal, a timeout, overlong or malformed output, or a hook that could
 * not be run.  An error always counts as a failure, never as success.
 */
enum proto_result {
	PROTO_SUCCESS = 0,
	PROTO_FAIL = 1,
	PROTO_IGNORE = 2,
	PROTO_ERROR = 3,
};

/* "success", "fail", "ignore" or "error". */
const char *proto_result_name(enum proto_result r);

/* The result for a wait status from waitpid(). */
enum proto_result proto_result_from_wait(int wstatus);

/* Record fields sent to hooks; every pointer is borrowed, NULL omits it. */
struct proto_record {
	const char *name;
	const char *provider;
	const char *project_key;
	const char *client_id; /* the client id of the generation in use */
	const char *scope;     /* the record's space-separated scopes */
	const char *api_url;
	const char *auth_url;
	uint64_t generation;
};

struct record;
struct generation;

/* The fields of record r a hook sees, with generation g's client id and
 * number (g NULL: none); *pr borrows r's and g's strings. */
void proto_record_of(struct proto_record *pr, const struct record *r,
    const struct generation *g);

/*
 * One request.  Everything is borrowed for the duration of the call.
 * secret: mint and rotate only (CV_E_INVALID for other phases), else NULL.
 * scope: the requested (effective) scopes, authorize and mint only.
 * peer: the client the request is for, or NULL.
 * event: notify only, e.g. "rotated".
 * admin_token: rotate and retire only, a token allowed to manage the
 * provider's API clients (minted from the record named by `admin=`).
 * client_name, new_generation: rotate only, the new client to create.
 * retire_client_id: retire only, the old client to delete.
 * admin_op: admin only (and required there), the operation asked for
 * (proto_admin_op_parse()); record then carries only the name of the
 * record it is on ("" when none): {"operation": OP, "record": {"name"}}.
 */
struct proto_request {
	enum proto_phase phase;
	const struct proto_record *record;
	const struct secbuf *secret;
	const char *scope;
	const struct peer_ident *peer;
	const char *event;
	const struct secbuf *admin_token;
	const char *client_name;
	uint64_t new_generation;
	const char *retire_client_id;
	const char *admin_op;
};

/*
 * Encode req as one compact JSON object and a newline, the whole of the
 * hook's stdin.  *out is cleared on entry and on success holds a new
 * secbuf (at most CV_HOOK_INPUT_MAX bytes) that the caller frees with
 * secbuf_free().  Returns 0, CV_E_INVALID (a field that breaks the rules
 * above or is not UTF-8), CV_E_TOOBIG or CV_E_NOMEM.
 */
int proto_request_encode(const struct proto_request *req, struct secbuf **out)
    __attribute__((warn_unused_result));

/* A successful mint reply.  Clear it with proto_mint_reply_clear(). */
struct proto_mint_reply {
	struct secbuf *access_token; /* owned; visible ASCII, <= CV_TOKEN_MAX */
	char token_type[CV_TOKEN_TYPE_MAX + 1]; /* "Bearer" when not given */
	uint32_t expires_in;         /* seconds, 1..CV_EXPIRES_IN_MAX */
	char scope[CV_SCOPE_MAX + 1]; /* granted scopes; "" when not given */
};

/* A successful rotate reply.  Clear it with proto_rotate_reply_clear(). */
struct proto_rotate_reply {
	char client_id[CV_CLIENT_ID_MAX + 1];
	struct secbuf *secret; /* owned, <= CV_SECRET_MAX */
};

/* The RFC 6749 section 5.2 error codes a caller may act on. */
enum proto_oauth_error {
	PROTO_OAUTH_OTHER = 0,
	PROTO_OAUTH_INVALID_REQUEST,
	PROTO_OAUTH_INVALID_CLIENT,
	PROTO_OAUTH_INVALID_GRANT,
	PROTO_OAUTH_UNAUTHORIZED_CLIENT,
	PROTO_OAUTH_UNSUPPORTED_GRANT_TYPE,
	PROTO_OAUTH_INVALID_SCOPE,
};

/* The optional error object of a failing (exit 1) hook.  No secrets. */
struct proto_error_reply {
	enum proto_oauth_error code;
	char error[CV_OAUTH_ERROR_MAX + 1];            /* as sent */
	char description[CV_OAUTH_ERROR_DESC_MAX + 1]; /* "" when not given */
};

/*
 * Decoders of a hook's stdout (p, len): exactly one JSON object, optional
 * whitespace around it, at most CV_HOOK_OUTPUT_MAX bytes.  Members not
 * named here are ignored; the named ones must have the right type and
 * size.  *out is cleared on entry and left cleared on failure.  Return 0,
 * CV_E_TOOBIG (input too long), CV_E_PROTO (not JSON, trailing bytes,
 * wrong type, missing or out-of-range member) or CV_E_NOMEM, with a reason
 * (never quoting the input) in why when why is not NULL.
 */
int proto_mint_decode(const void *p, size_t len, struct proto_mint_reply *out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int proto_rotate_decode(const void *p, size_t len,
    struct proto_rotate_reply *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
int proto_error_decode(const void *p, size_t len,
    struct proto_error_reply *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Free what a reply owns and zero it; accept NULL and cleared replies. */
void proto_mint_reply_clear(struct proto_mint_reply *r);
void proto_rotate_reply_clear(struct proto_rotate_reply *r);

#endif
