/* SPDX-License-Identifier: MIT */
/* Every limit on untrusted or growable input, in one place. */
#ifndef CV_LIMITS_H
#define CV_LIMITS_H

/* Records (DESIGN.md section 4). */
#define CV_NAME_MAX 128          /* [a-z0-9][a-z0-9._/-]{0,127} */
#define CV_PROVIDER_MAX 32
#define CV_PROJECT_KEY_MAX 256
#define CV_CLIENT_ID_MAX 256
#define CV_SCOPE_MAX 4096        /* space-separated scope list */
#define CV_SCOPES_MAX 64         /* scopes in one list */
#define CV_URL_MAX 2048
#define CV_SECRET_MAX 1024
#define CV_GENERATIONS_MAX 16    /* generations kept in one record */
#define CV_RECORD_MAX 32768      /* encoded plaintext record */

/* Keyslots and the vault. */
#define CV_LABEL_MAX 64
#define CV_KEYSLOTS_MAX 64
#define CV_PASSPHRASE_MAX 1024
#define CV_KEYFILE_MIN 32
#define CV_KEYFILE_MAX 4096
#define CV_KDF_MEMORY_MIN_KIB (64u * 1024u) /* calibrated floor */
#define CV_KDF_MEMORY_MAX_KIB (4u * 1024u * 1024u)
#define CV_KDF_ITERATIONS_MAX 1000u
#define CV_KDF_PARALLELISM_MAX 16u
#define CV_KDF_TARGET_MS 1000u
#define CV_MAP_SIZE_INITIAL (64ull << 20)
#define CV_MAP_SIZE_MAX (1ull << 40)

/* Audit entries. */
#define CV_AUDIT_FIELD_MAX 512
#define CV_AUDIT_ENTRY_MAX 4096

/* The commercetools environment preset. */
#define CV_ENV_FILE_MAX 65536
#define CV_ENV_LINE_MAX 4096

/* Hook stacks and hook execution (DESIGN.md section 6). */
#define CV_STACK_FILE_MAX 65536
#define CV_STACK_LINE_MAX 1024
#define CV_STACK_LINES_MAX 64    /* modules in one stack file */
#define CV_STACK_ARGS_MAX 16     /* arguments on one line */
#define CV_HOOK_OUTPUT_MAX 65536 /* stdout and stderr, each */
#define CV_HOOK_INPUT_MAX 65536
#define CV_HOOK_TIMEOUT_MS 10000
#define CV_HOOKS_CONCURRENT_MAX 8

/* Tokens and the agent (DESIGN.md section 7). */
#define CV_TOKEN_MAX 8192
#define CV_FRAME_MAX 65536       /* one agent frame body, either way */
#define CV_REQUEST_MAX 8192      /* one agent request body */
#define CV_AGENT_CLIENTS_MAX 1024
#define CV_CACHE_ENTRIES_MAX 4096
#define CV_TOKEN_MARGIN_MAX_S 300 /* min(5 min, 10 % of expires_in) */

#endif
