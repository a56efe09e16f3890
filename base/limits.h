/* SPDX-License-Identifier: MIT */
/* Every limit on untrusted or growable input, in one place. */
#ifndef CV_BASE_LIMITS_H
#define CV_BASE_LIMITS_H

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
#define CV_HOOKS_CONCURRENT_MAX 32 /* hook runs at once: the agent's workers */
#define CV_HOOKS_PER_RECORD_MAX 3 /* one record's hook runs at once (and at
                                     most a tenth of the workers) */
#define CV_HOOK_REAP_MS 1000     /* waiting for a finished hook's orphans */

/* Tokens and the agent (DESIGN.md section 7). */
#define CV_TOKEN_MAX 8192
#define CV_FRAME_MAX 65536       /* one agent frame body, either way */
/* An admin reply (a page of a list or of the audit log) may be larger. */
#define CV_ADMIN_REPLY_MAX (4u << 20)
#define CV_REQUEST_MAX 16384     /* one agent request body (an admin add
                                    with every field at its longest fits) */
#define CV_AGENT_CLIENTS_MAX 1024 /* and no more than descriptors allow */
#define CV_AGENT_CLIENTS_PER_UID 128 /* default; uids but the agent's and root */
#define CV_AGENT_OWNER_SLOTS_MIN 8 /* kept for the agent's uid and root (or an
                                      eighth of the clients, if more) */
#define CV_CACHE_ENTRIES_MAX 4096
#define CV_TOKEN_MARGIN_MAX_S 300 /* min(5 min, 10 % of expires_in) */

/* Hooks (hooks/): peers, replies and reasons. */
#define CV_PATH_MAX 4096            /* a file system path, with its NUL */
#define CV_VAULT_DIR_MAX (CV_PATH_MAX - 64) /* leaves room for the names of
                                               the files inside */
#define CV_PEER_GROUPS_MAX 256      /* supplementary groups kept per peer */
#define CV_PEER_ALTS_MAX 32         /* comma-separated values of one peer argument */
#define CV_HOOK_TIMEOUT_MAX_MS 600000
#define CV_HOOK_REASON_MAX 512      /* one human-readable reason, with its NUL */
#define CV_TOKEN_TYPE_MAX 32
#define CV_EXPIRES_IN_MAX 31536000  /* one year, in seconds */
#define CV_OAUTH_ERROR_MAX 64       /* RFC 6749 "error" code */
#define CV_OAUTH_ERROR_DESC_MAX 512 /* RFC 6749 "error_description" */
#define CV_EVENT_MAX 64             /* notify event name */

/* HTTP in the shipped hook executables (hookkit/, for libexec/). */
#define CV_HTTP_BODY_MAX 16384           /* request body we send (form or JSON) */
#define CV_HTTP_RESPONSE_MAX 65536       /* response body we accept */
#define CV_HTTP_CONNECT_TIMEOUT_MS 3000  /* one connection attempt */
#define CV_HTTP_TIMEOUT_DEFAULT_MS 8000  /* all attempts; under CV_HOOK_TIMEOUT_MS */
#define CV_HTTP_TIMEOUT_MAX_MS 60000
#define CV_HTTP_RETRIES_DEFAULT 3        /* attempts after the first */
#define CV_HTTP_RETRIES_MAX 10
#define CV_HTTP_BACKOFF_BASE_MS 250      /* doubled per attempt, with jitter */
#define CV_HTTP_BACKOFF_MAX_MS 2000
#define CV_HTTP_RETRY_AFTER_MAX_S 5      /* longer Retry-After: give up */

/* The commercetools API Clients API in ct-rotate (hookkit/ctapi.c). */
#define CV_CT_CLIENT_NAME_MAX 256 /* an API client's name */
#define CV_CT_PAGE_LIMIT 20       /* API clients per query page */
#define CV_CT_PAGES_MAX 50        /* pages read when looking for a name */
#define CV_CT_ORPHANS_MAX 8       /* same-named clients deleted in one run */
#define CV_CT_CREATE_ROUNDS 2     /* create attempts after a name conflict */

/* The agent (agent/) and its clients. */
#define CV_ERROR_CLASS_MAX 64           /* a failure class on the wire */
#define CV_AGENT_FRAME_TIMEOUT_MS 10000 /* to finish a frame once begun */
#define CV_AGENT_IDLE_CONN_S 300        /* an idle connection is closed */
#define CV_AGENT_FIRST_REQUEST_MS 5000  /* a connection that sent nothing */
#define CV_AGENT_FDS_BASE 32            /* descriptors the agent keeps for itself */
#define CV_AGENT_FDS_PER_HOOK 8         /* a running hook: pipes, pidfd, pin check */
#define CV_AGENT_CLIENTS_MIN 16         /* clients, however low RLIMIT_NOFILE is */
#define CV_AGENT_JOBS_MAX 1152          /* queued hook runs (authorize, mint) */
#define CV_AGENT_THREAD_STACK (512u * 1024u) /* worker threads */
#define CV_AGENT_LIFETIME_MAX_S 31536000u /* --lifetime, one year */
#define CV_AGENT_REFRESH_RETRY_S 10     /* after a failed refresh ahead */
#define CV_AGENT_RECORD_TTL_MS 1000     /* a record's generation and scopes are
                                           read from the vault again after this */
#define CV_AGENT_AUDIT_DELAY_MS 1000    /* group commit: at most this late */
#define CV_AGENT_AUDIT_BATCH_MAX 256    /* ... or at this many entries */
#define CV_AGENT_AUDIT_PENDING_MAX 1024 /* then the agent refuses to issue */
#define CV_CLIENT_TIMEOUT_MS 120000     /* a client waits this long for a reply */
#define CV_CLIENT_CONNECT_TIMEOUT_MS 3000 /* ... and this long for a full backlog */

#endif
