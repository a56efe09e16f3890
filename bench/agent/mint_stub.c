/* SPDX-License-Identifier: MIT */
/* A mint hook that does nothing but the protocol: read the request,
 * print a token.  Its run time is what the agent's overhead is measured
 * against. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

int
main(void)
{
	char buf[65536], out[256];
	struct timespec ts;
	ssize_t k;
	int n;

	while ((k = read(0, buf, sizeof(buf))) > 0)
		;
	memset(buf, 0, sizeof(buf)); /* the request held a secret */
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(out, sizeof(out), "{\"access_token\":\"stub-%ld-%ld-%ld\","
	    "\"token_type\":\"Bearer\",\"expires_in\":3600}\n", (long)getpid(),
	    (long)ts.tv_sec, ts.tv_nsec);
	return write(1, out, (size_t)n) == n ? 0 : 1;
}
