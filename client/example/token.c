/* SPDX-License-Identifier: MIT */
/* Example: print the Authorization header for a record's token. */
/*
 * Build against an installed libcredvault-client:
 *     cc -o token token.c $(pkg-config --cflags --libs credvault-client)
 * Run with the agent's socket in CREDVAULT_SOCKET (or XDG_RUNTIME_DIR):
 *     ./token shop "view_products:demo"
 */
#include <stdio.h>
#include <stdlib.h>

#include <credvault.h>

int
main(int argc, char **argv)
{
	struct credvault_token *t = NULL;
	char cls[CREDVAULT_ERROR_MAX + 1];
	int r;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s RECORD [SCOPES]\n", argv[0]);
		return 2;
	}
	r = credvault_fetch_token(NULL, argv[1], argc == 3 ? argv[2] : NULL,
	    60, &t, cls, sizeof(cls));
	if (r != CREDVAULT_OK) {
		if (r == CREDVAULT_FAILED)
			fprintf(stderr, "%s: no token for '%s': %s (%s)\n",
			    argv[0], argv[1], credvault_describe(cls), cls);
		else if (r == CREDVAULT_NO_AGENT)
			fprintf(stderr, "%s: no token for '%s': no agent; start "
			    "one with 'credvault agent', or set CREDVAULT_SOCKET "
			    "to its socket\n", argv[0], argv[1]);
		else
			fprintf(stderr, "%s: no token for '%s': %s\n", argv[0],
			    argv[1], credvault_strerror(r));
		return 1;
	}
	/* A real program would hand the token to its HTTP client. */
	printf("Authorization: Bearer %s\n", credvault_token_value(t));
	printf("(expires in %u s)\n", credvault_token_expires_in(t));
	credvault_token_free(&t);
	return 0;
}
