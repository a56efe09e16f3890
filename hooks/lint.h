/* SPDX-License-Identifier: MIT */
/* The lint of hooks.d: every stack file, and the hooks each names. */
#ifndef CV_HOOKS_LINT_H
#define CV_HOOKS_LINT_H

#include <stddef.h>
#include <sys/types.h>

/*
 * What the lint reports to and asks of its caller (credvault check, run
 * by the CLI or by the agent).  Everything is borrowed.
 */
struct lint_ops {
	/* One problem, one line with no newline: "FILE:LINE: reason" for a
	 * line of a stack file, "FILE: reason" for the file as a whole. */
	void (*problem)(void *arg, const char *msg);
	/* 1 when the vault has a record called name, else 0. */
	int (*has_record)(void *arg, const char *name);
	void *arg;
};

/*
 * Lint every file in vault_dir/hooks.d, in name order, with the very
 * loader, parser and path checks the agent uses (stack_load_file(),
 * exec_hook_check()), for a vault owned by owner:
 *   - the directory and each file as stack_load() refuses them (owner,
 *     group- or world-writable, symbolic links, size), and the syntax of
 *     each file, with its line;
 *   - each executable a line names: the checks before it would run
 *     (missing, owner, writable directories, not executable) and its
 *     sha256= pin, recomputed;
 *   - files named after no record of the vault (never used: "default"
 *     and "admin" excepted), file names no record name maps to, and
 *     admin=NAME arguments of rotate and retire lines naming no record;
 *   - admin lines outside hooks.d/admin and other phases inside it (the
 *     agent never runs either).
 * A vault without hooks.d has nothing to lint.  Returns 0 with the
 * number of problems reported in *nproblems, or CV_E_NOMEM.
 */
int lint_hooks(const char *vault_dir, uid_t owner, const struct lint_ops *ops,
    size_t *nproblems) __attribute__((warn_unused_result));

#endif
