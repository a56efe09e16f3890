/* SPDX-License-Identifier: MIT */
/* The lint of hooks.d: the agent's own loader and checks, file by file. */
#include "hooks/lint.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/exec.h"
#include "hooks/proto.h"
#include "hooks/stack.h"
#include "vault/record.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/banned.h"

#define LINT_FILES_MAX 4096 /* files in hooks.d looked at */
#define LINT_MSG_MAX (CV_PATH_MAX + CV_HOOK_REASON_MAX + 256)

struct lint {
	const struct lint_ops *ops;
	size_t n;
	char msg[LINT_MSG_MAX];
};

static void lint_say(struct lint *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lint_say(struct lint *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
	va_end(ap);
	l->ops->problem(l->ops->arg, l->msg);
	l->n++;
}

static int
lint_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of one parsed stack file. */
static void
lint_lines(struct lint *l, const struct stack *st, int is_admin,
    uid_t owner)
{
	char why[CV_HOOK_REASON_MAX];
	const struct stack_entry *e;
	const char *name;
	size_t i, j;

	for (i = 0; i < st->n; i++) {
		e = &st->entries[i];
		if (is_admin && e->phase != PROTO_ADMIN)
			lint_say(l, "%s:%u: only admin lines are read from "
			    "hooks.d/admin; this %s line is never run",
			    st->file, e->line, proto_phase_name(e->phase));
		else if (!is_admin && e->phase == PROTO_ADMIN)
			lint_say(l, "%s:%u: admin lines are read only from "
			    "hooks.d/admin; this one is never run", st->file,
			    e->line);
		if (e->module == STACK_MODULE_EXEC &&
		    exec_hook_check(e->path, owner, e->pinned ? e->sha256 :
		    NULL, NULL, why, sizeof(why)) != 0)
			lint_say(l, "%s:%u: hook '%s' refused: %s", st->file,
			    e->line, e->path, why);
		if (e->phase != PROTO_ROTATE && e->phase != PROTO_RETIRE)
			continue;
		for (j = 0; j < e->nargs; j++) {
			if (strncmp(e->args[j], "admin=", 6) != 0)
				continue;
			name = e->args[j] + 6;
			if (!record_name_is_valid(name))
				lint_say(l, "%s:%u: admin= does not name a "
				    "record", st->file, e->line);
			else if (!l->ops->has_record(l->ops->arg, name))
				lint_say(l, "%s:%u: admin=%s: no record '%s' "
				    "in the vault", st->file, e->line, name,
				    name);
		}
	}
}

/* One file of hooks.d. */
static void
lint_file(struct lint *l, const char *hooksdir, const char *file,
    uid_t owner)
{
	char why[CV_HOOK_REASON_MAX + CV_PATH_MAX];
	char record[CV_NAME_MAX + 1];
	struct stack *st = NULL;
	int is_admin = strcmp(file, "admin") == 0;

	if (!is_admin && strcmp(file, "default") != 0) {
		if (stack_record_of_file(file, record, sizeof(record)) != 0)
			lint_say(l, "%s/%s: no record can use this file (a "
			    "record's stack file is named after it, each '/' "
			    "written %%2F)", hooksdir, file);
		else if (!l->ops->has_record(l->ops->arg, record))
			lint_say(l, "%s/%s: no record '%s' in the vault, so "
			    "this stack file is never used", hooksdir, file,
			    record);
	}
	if (stack_load_file(hooksdir, file, owner, &st, why,
	    sizeof(why)) != 0) {
		lint_say(l, "%s", why);
		return;
	}
	lint_lines(l, st, is_admin, owner);
	stack_free(&st);
}

int
lint_hooks(const char *vault_dir, uid_t owner, const struct lint_ops *ops,
    size_t *nproblems)
{
	char hooksdir[CV_PATH_MAX], why[CV_HOOK_REASON_MAX], eb[128];
	char **names = NULL;
	struct lint l;
	struct dirent *de;
	DIR *d = NULL;
	size_t i, n = 0, skipped = 0;
	int r;

	*nproblems = 0;
	memset(&l, 0, sizeof(l));
	l.ops = ops;
	if (snprintf(hooksdir, sizeof(hooksdir), "%s/hooks.d", vault_dir) >=
	    (int)sizeof(hooksdir)) {
		lint_say(&l, "%s/hooks.d: path is too long", vault_dir);
		goto done;
	}
	r = exec_path_check(hooksdir, owner, EXEC_PATH_DIR, NULL, why,
	    sizeof(why));
	if (r == CV_E_NOTFOUND)
		goto done; /* no hooks.d: no stack, no rule */
	if (r != 0) {
		/* Every stack file in it would be refused. */
		lint_say(&l, "%s: hooks directory refused: %s", hooksdir, why);
		goto done;
	}
	if ((d = opendir(hooksdir)) == NULL) {
		(void)strerror_r(errno, eb, sizeof(eb));
		lint_say(&l, "%s: cannot read it: %s", hooksdir, eb);
		goto done;
	}
	if ((names = calloc(LINT_FILES_MAX, sizeof(*names))) == NULL) {
		(void)closedir(d);
		return CV_E_NOMEM;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == LINT_FILES_MAX) {
			skipped++;
			continue;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			r = CV_E_NOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), lint_cmp);
	for (i = 0; i < n; i++)
		lint_file(&l, hooksdir, names[i], owner);
	if (skipped > 0)
		lint_say(&l, "%s: more than %u files; %zu not looked at",
		    hooksdir, (unsigned)LINT_FILES_MAX, skipped);
done:
	r = 0;
	*nproblems = l.n;
out:
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		(void)closedir(d);
	return r;
}
