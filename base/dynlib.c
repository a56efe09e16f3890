/* SPDX-License-Identifier: MIT */
/* A library loaded when first needed, not at every start of credvault. */
#include "base/dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "base/err.h"
#include "base/mutex.h"
#include "base/banned.h"

#define DYNLIB_MAX 4

static pthread_mutex_t dynlib_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const char *soname; /* loaded, symbols resolved */
} dynlib_done[DYNLIB_MAX];

static int
dynlib_is_done(const char *soname)
{
	size_t i;

	for (i = 0; i < DYNLIB_MAX; i++)
		if (dynlib_done[i].soname != NULL &&
		    strcmp(dynlib_done[i].soname, soname) == 0)
			return 1;
	return 0;
}

int
dynlib_load(const char *soname, const char *package,
    const struct dynlib_sym *syms, size_t n, char *why, size_t whylen)
{
	void *h, *fn;
	size_t i;
	int rc = 0;

	mutex_lock(&dynlib_mu);
	if (dynlib_is_done(soname))
		goto out;
	/* Never unloaded: the slots point into it for good. */
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		cv_why(why, whylen, "%s is not installed (apt-get install %s)",
		    soname, package);
		rc = CV_E_NOTFOUND;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((fn = dlsym(h, syms[i].name)) == NULL) {
			cv_why(why, whylen, "%s has no %s; install a newer %s",
			    soname, syms[i].name, package);
			rc = CV_E_NOTFOUND;
			goto out;
		}
		*syms[i].slot = fn;
	}
	for (i = 0; i < DYNLIB_MAX; i++) {
		if (dynlib_done[i].soname == NULL) {
			dynlib_done[i].soname = soname;
			break;
		}
	}
out:
	mutex_unlock(&dynlib_mu);
	return rc;
}
