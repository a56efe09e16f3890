/* SPDX-License-Identifier: MIT */
/* Passphrases and secrets: no-echo prompts, files, descriptors, stdin. */
#ifndef CV_CLI_PROMPT_H
#define CV_CLI_PROMPT_H

#include <stddef.h>

#include "crypto/secmem.h"

/*
 * Read the whole of fd (at most max bytes, else CV_E_TOOBIG) into a new
 * secbuf, removing one trailing newline ("\n" or "\r\n").  The caller frees
 * *out with secbuf_free().
 */
int prompt_read_fd(int fd, size_t max, struct secbuf **out)
    __attribute__((warn_unused_result));

/* Same for a file; refuses a path that is not a regular file. */
int prompt_read_file(const char *path, size_t max, struct secbuf **out)
    __attribute__((warn_unused_result));

/*
 * Ask on the controlling terminal with echo off.  With confirm, ask twice
 * and fail with CV_E_INVALID on a mismatch.  CV_E_NOTFOUND when there is no
 * terminal.
 */
int prompt_tty(const char *question, int confirm, size_t max,
    struct secbuf **out) __attribute__((warn_unused_result));

/* Ask a yes/no question on the controlling terminal (echo on): 1 for
 * "y" or "yes", 0 for anything else, CV_E_NOTFOUND with no terminal. */
int prompt_confirm(const char *question);

/* 1 when standard input is a terminal. */
int prompt_stdin_is_tty(void);

#endif
