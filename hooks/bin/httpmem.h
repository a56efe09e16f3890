/* SPDX-License-Identifier: MIT */
/* Initialises libcurl with allocators that wipe every block they free. */
#ifndef CV_HTTPMEM_H
#define CV_HTTPMEM_H

/*
 * libcurl keeps its own copies of what it sends and receives: the user name
 * and password, the Authorization header it builds, bearer tokens, received
 * bytes.  httpmem_init() installs size-prefixed allocators with
 * curl_global_init_mem() so those copies are zeroed before they go back to
 * the C library.  (The TLS library's own buffers are not covered.)
 *
 * Call once, before any other libcurl function; CV_E_INTERNAL on failure.
 * httpmem_cleanup() undoes it (curl_global_cleanup); both are idempotent.
 */
int httpmem_init(void) __attribute__((warn_unused_result));
void httpmem_cleanup(void);

#endif
