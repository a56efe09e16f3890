/* SPDX-License-Identifier: MIT */
/* The built-in `peer` module: a rule over the peer's identity. */
#ifndef CV_HOOKS_PEER_RULE_H
#define CV_HOOKS_PEER_RULE_H

#include <stddef.h>
#include <sys/types.h>

#include "hooks/peer_ident.h"
#include "hooks/proto.h"
#include "base/limits.h"

/*
 * The arguments of one `peer` line, validated when the stack is loaded.
 * Each pointer is NULL when the argument was not given, else the text
 * after "key=": one value or comma-separated alternatives.  The pointers
 * are borrowed from the argument strings given to peer_rule_parse() and
 * stay valid as long as those do (the stack that owns them).
 */
struct peer_rule {
	const char *uid;    /* uid=N[,N...] */
	const char *user;   /* user=NAME[,NAME...] */
	const char *gid;    /* gid=N[,N...]  primary or supplementary */
	const char *group;  /* group=NAME[,NAME...]  primary or supplementary */
	const char *exe;    /* exe=/abs/path[,...]  the peer's executable */
	const char *scopes; /* scopes=S1[,S2...]  allowed requested scopes */
	const char *ops;    /* ops=OP[,OP...]  admin operations (proto.h) */
	const char *records; /* records=GLOB[,GLOB...]  the record operated on */
};

/*
 * What the peer asks for: a token's scopes (op NULL), or an admin
 * operation (proto_admin_op_parse()) on record (NULL or "" when the
 * operation names none).
 */
struct peer_ask {
	const char *scope;
	const char *op;
	const char *record;
};

/*
 * Parse the n arguments of a `peer` line into *rule (cleared on entry).
 * Unknown or repeated keys, empty values, more than CV_PEER_ALTS_MAX
 * alternatives, bad numbers, relative exe paths and user or group names
 * outside [A-Za-z0-9._-] (an optional trailing '$') are CV_E_INVALID with a
 * reason in why.  A line without arguments matches every peer (it is
 * allowed: `peer` then only checks that a peer is present).
 */
int peer_rule_parse(struct peer_rule *rule, const char *const *args,
    size_t n, char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Match a peer against a rule: every argument given must match, and an
 * argument matches when any of its alternatives does.  user= and group=
 * are looked up with getpwnam_r()/getgrnam_r() at each call (a name that
 * does not exist matches nobody).  ask->scope is the requested scope
 * list, space-separated; scopes= requires each of them to be one of the
 * allowed values (an empty request always passes).  ops= matches an
 * admin operation only (never a token request), records= a record name
 * (fnmatch(3) globs, no flags) only (never an operation on no one record,
 * such as list).  id NULL (no peer) never matches; ask NULL asks nothing.
 *
 * Returns PROTO_SUCCESS on a match, PROTO_FAIL on a mismatch and
 * PROTO_ERROR when a lookup failed; why says which argument did not match
 * (for the log, never for the peer).  Thread-safe.
 */
enum proto_result peer_rule_match(const struct peer_rule *rule,
    const struct peer_ident *id, const struct peer_ask *ask, char *why,
    size_t whylen)
    __attribute__((warn_unused_result));

#endif
