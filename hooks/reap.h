/* SPDX-License-Identifier: MIT */
/* Nothing a hook starts outlives its run: subreaper, running hooks, orphans. */
#ifndef CV_HOOKS_REAP_H
#define CV_HOOKS_REAP_H

#include <sys/types.h>

/*
 * A hook's process group is killed when the hook ends (hooks/exec.h), but
 * a process can leave its group and session (setsid, setpgid) or be
 * double-forked away from its parent.  So the first hook a process starts
 * makes it a child subreaper (PR_SET_CHILD_SUBREAPER): a descendant of a
 * hook whose parent exits re-parents to this process instead of init,
 * whatever group or session it is in.  Such a child, one that no running
 * exec_run() started, is an orphan of some hook's tree: it is killed with
 * SIGKILL and reaped, and its own children surface the same way when it
 * dies, until none is left.
 *
 * This cannot tell which hook an orphan came from, so every orphan goes:
 * at the end of every hook run (reap_run_end()) and whenever the process
 * asks (reap_orphans(), the agent once a second).  Hence the rules for a
 * process that runs hooks: it has no children of its own besides the
 * hooks exec_run() starts (everything else is taken for an orphan), it
 * does not ignore SIGCHLD, and it never waits for "any child" (waitpid(-1)
 * or P_ALL): only pids it knows.  Reaping here is by pid only, and only
 * of children that are not running hook leaders, so it never takes a
 * hook's exit status from the exec_run() that waits for it.
 *
 * Limits: processes a hook has another service start (systemd-run, at, a
 * D-Bus activation) are not its descendants; a process in uninterruptible
 * sleep dies only when it wakes (reap_run_end() waits CV_HOOK_REAP_MS for
 * it, later sweeps reap it).  Without PR_SET_CHILD_SUBREAPER (Linux before
 * 3.4) orphans go to init and only the process group is killed.
 *
 * All functions are thread-safe: one process-wide lock, held while a hook
 * is spawned and registered and while orphans are listed, killed and
 * reaped (a child that is not reaped keeps its pid, so a pid listed under
 * the lock cannot be reused before it is killed).
 */

/* A running hook leader, owned by its exec_run() (on its stack). */
struct reap_run {
	struct reap_run *next;
	pid_t pid;
};

/* Before posix_spawn() of a hook: become a subreaper (once) and take the
 * lock.  Always followed by reap_spawn_end(). */
void reap_spawn_begin(void);

/* After posix_spawn(): register r for pid (pid <= 0: the spawn failed,
 * nothing is registered) and release the lock. */
void reap_spawn_end(struct reap_run *r, pid_t pid);

/* The leader of r was reaped: forget it, then kill and reap every orphan,
 * waiting up to wait_ms for those that do not die at once. */
void reap_run_end(struct reap_run *r, unsigned wait_ms);

/* Kill and reap every orphan (as above), waiting up to wait_ms (0: only
 * those already dead are reaped, the others at the next call). */
void reap_orphans(unsigned wait_ms);

#endif
