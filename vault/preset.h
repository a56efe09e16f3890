/* SPDX-License-Identifier: MIT */
/* The commercetools Merchant Center environment preset (.env) parser. */
#ifndef CV_VAULT_PRESET_H
#define CV_VAULT_PRESET_H

#include <stddef.h>

#include "crypto/secmem.h"

/*
 * Values point into the text passed to preset_parse, which is edited in
 * place (NUL terminators, unquoting) and must outlive the preset; it holds
 * the secret, so it is a secbuf.
 */
struct preset {
	const char *project_key; /* CTP_PROJECT_KEY */
	const char *client_id;   /* CTP_CLIENT_ID */
	const char *secret;      /* CTP_CLIENT_SECRET */
	size_t secret_len;
	const char *auth_url;    /* CTP_AUTH_URL */
	const char *api_url;     /* CTP_API_URL */
	const char *scope;       /* CTP_SCOPES */
};

/*
 * Lines are `NAME=value` or `export NAME=value`, values optionally in
 * single or double quotes (no escapes, no expansion); `#` comments and
 * blank lines are skipped; variables not starting with CTP_ are ignored.
 * All six CTP_ variables are required, each once.  On error *line is the
 * 1-based line (0 for the file as a whole) and *why a static message that
 * never quotes the input.
 */
int preset_parse(struct secbuf *text, struct preset *p, unsigned *line,
    const char **why) __attribute__((warn_unused_result));

#endif
