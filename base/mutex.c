/* SPDX-License-Identifier: MIT */
/* Mutexes that abort on misuse. */
#include "base/mutex.h"

#include <stdlib.h>

#include "base/banned.h"

void
mutex_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) != 0)
		abort();
}

void
mutex_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_unlock(m) != 0)
		abort();
}
