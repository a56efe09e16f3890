/* SPDX-License-Identifier: MIT */
/* Taking and releasing a mutex, where failing to is a programmer error. */
#ifndef CV_BASE_MUTEX_H
#define CV_BASE_MUTEX_H

#include <pthread.h>

/* pthread_mutex_lock/unlock, aborting when they fail (an uninitialised
 * or destroyed mutex, a recursive lock, an unlock by another thread): a
 * bug, never a runtime condition (sodium_misuse, ssh fatal). */
void mutex_lock(pthread_mutex_t *m);
void mutex_unlock(pthread_mutex_t *m);

#endif
