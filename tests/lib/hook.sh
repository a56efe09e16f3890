# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Running a shipped hook (oauth2-mint, ct-rotate) directly, as the agent
# would: a request file on stdin, then checks on its exit code and its JSON
# reply.  Source it after common.sh and servers.sh.
#
#   hook_run HOOK NAME [ARGS...]   run HOOK ARGS... on $T_DIR/NAME.req into
#                                  NAME.out and NAME.err; sets RC and LAST,
#                                  and appends both to all.out and all.err
#                                  (for the checks that nothing leaked)
#   field NAME KEY                 a member of NAME's reply ("" when absent;
#                                  booleans and lists as JSON)
#   expect_error CLASS             the last run exited 1 with error CLASS
#   check DESCRIPTION CMD...       ok when CMD succeeds; otherwise not ok,
#                                  with the last run's stderr and stdout
#
# A hook the agent runs is killed after its 10 s hook timeout
# (CV_HOOK_TIMEOUT_MS), so a hook run here must end before that too:
# hook_run stops a hung one then (exit 124) rather than waiting for
# ctest's time limit.  That limit catches a hang and nothing else.

declare -F ok >/dev/null || { echo "hook.sh: source common.sh first" >&2; exit 1; }
declare -F srv_py >/dev/null || { echo "hook.sh: source servers.sh first" >&2; exit 1; }

HOOK_HANG_S=10
cv_sanitizer_exits

hook_run() {
	local hook=$1 name=$2
	shift 2
	LAST=$name
	timeout -k 2 "$HOOK_HANG_S" "$hook" "$@" <"$T_DIR/$name.req" \
		>"$T_DIR/$name.out" 2>"$T_DIR/$name.err"
	RC=$?
	[ "$RC" != 124 ] ||
		echo "hook.sh: $hook still running after ${HOOK_HANG_S}s: stopped" >>"$T_DIR/$name.err"
	cat "$T_DIR/$name.out" >>"$T_DIR/all.out"
	cat "$T_DIR/$name.err" >>"$T_DIR/all.err"
}

field() {
	srv_py -c 'import json,sys
v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
print(json.dumps(v) if isinstance(v, (bool, list)) else v)' "$T_DIR/$1.out" "$2" 2>/dev/null
}

expect_error() {
	[ "$RC" = 1 ] && [ "$(field "$LAST" error)" = "$1" ]
}

check() {
	local what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		not_ok "$what"
		[ -n "${LAST:-}" ] && sed 's/^/    # /' "$T_DIR/$LAST.err" "$T_DIR/$LAST.out" 2>/dev/null
	fi
	return 0
}
