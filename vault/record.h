/* SPDX-License-Identifier: MIT */
/* API client records, their secret generations, and the record codec. */
#ifndef CV_VAULT_RECORD_H
#define CV_VAULT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/secmem.h"
#include "base/limits.h"

#define RECORD_VERSION 1

enum generation_state {
	GEN_PENDING = 1, /* created by a rotation, not yet verified */
	GEN_ACTIVE = 2,  /* the one that mints tokens */
	GEN_RETIRED = 3, /* replaced; its secret is wiped after a grace period */
};

#define GEN_F_NO_REVEAL 0x01u /* add --no-reveal: never revealable */
#define GEN_F_WIPED 0x02u     /* the secret was wiped after retirement */
#define GEN_F_DELETED 0x04u   /* its API client was deleted upstream */
#define GEN_F_ALL (GEN_F_NO_REVEAL | GEN_F_WIPED | GEN_F_DELETED)

/* Steps of an automated rotation, each committed before the next begins
 * (vault/rotate.h). */
enum rotation_step {
	ROT_NONE = 0,
	ROT_STARTED = 1,   /* generation number and client name reserved */
	ROT_CREATED = 2,   /* the new secret is stored as a pending generation */
	ROT_ACTIVATED = 3, /* verified and active; the old client still lives */
};

/* An automated rotation in progress. */
struct rotation {
	uint8_t step;
	uint32_t generation; /* the generation being created */
	const char *client_name;
	int64_t started_at;
	uint32_t attempts;
	const char *last_error; /* what stopped the last attempt, or "" */
};

/* Who may rotate this record without a human. */
#define ROTATION_AUTO_INVALID_CLIENT 0x01u /* when the provider rejects it */
#define ROTATION_AUTO_AGE 0x02u            /* when older than max_age */
#define ROTATION_AUTO_ALL (ROTATION_AUTO_INVALID_CLIENT | ROTATION_AUTO_AGE)
#define ROTATION_GRACE_DEFAULT_S (24 * 3600)

struct rotation_policy {
	uint8_t flags;
	uint64_t max_age_s; /* 0: no age limit */
	uint64_t grace_s;   /* retired secrets are wiped after this */
};

/* One write-once secret with the client id it belongs to.  Times are Unix
 * seconds; 0 means "not yet". */
struct generation {
	uint32_t number;
	uint8_t state;
	uint8_t flags;
	int64_t created_at;
	int64_t activated_at;
	int64_t retired_at;
	int64_t revealed_at;
	const char *client_id;
	const char *secret; /* locked memory; secret_len bytes, NUL-terminated */
	size_t secret_len;
};

/*
 * A record.  After record_decode() every pointer points into the decoded
 * plaintext, which the record does not own: the caller keeps that buffer
 * (a secbuf) alive and wipes it.  Records built by hand point wherever the
 * builder likes.
 */
struct record {
	const char *name;
	const char *provider;
	const char *project_key;
	const char *scope;
	const char *api_url;
	const char *auth_url;
	int64_t created_at;
	int64_t updated_at;
	uint32_t ngen;
	struct generation gen[CV_GENERATIONS_MAX];
	struct rotation rot;
	struct rotation_policy policy;
};

/* [a-z0-9][a-z0-9._/-]{0,127}, and no "..", "//" or trailing "/". */
int record_name_is_valid(const char *name);
/* commercetools, commercelayer or oauth2. */
int record_provider_is_valid(const char *provider);
/* Printable ASCII without spaces or controls, 1..CV_SECRET_MAX bytes. */
int record_secret_is_valid(const void *secret, size_t len);
/* Space-separated scope tokens of printable ASCII, bounded. */
int record_scope_is_valid(const char *scope);
/* CV_E_INVALID with *field naming the first bad field, else 0. */
int record_check(const struct record *r, const char **field)
    __attribute__((warn_unused_result));

/* The active generation, or NULL. */
const struct generation *record_active(const struct record *r);
struct generation *record_active_mut(struct record *r);
/* The generation numbered n, or NULL. */
struct generation *record_generation(struct record *r, uint32_t n);
/* Client id of the active generation, or "" when there is none. */
const char *record_client_id(const struct record *r);

/*
 * Encode into out (reset first).  out must have room for CV_RECORD_MAX
 * bytes; CV_E_TOOBIG otherwise, CV_E_INVALID for an invalid record.
 */
int record_encode(const struct record *r, struct secbuf *out)
    __attribute__((warn_unused_result));

/*
 * Decode len bytes at p into *r (cleared first).  Pointers in *r point into
 * p.  Every field is checked as by record_check; CV_E_VERSION for another
 * format version, CV_E_INVALID for anything malformed or trailing.
 */
int record_decode(const unsigned char *p, size_t len, struct record *r)
    __attribute__((warn_unused_result));

const char *record_state_name(uint8_t state);
const char *record_step_name(uint8_t step);

#endif
