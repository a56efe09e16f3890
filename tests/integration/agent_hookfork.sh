#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing a hook starts outlives its run (issue 11, test 6).  A mint
# hook's grandchild that calls setsid (so it leaves the hook's process
# group and session) and sleeps: gone when the run ends, timeout or not.
# A hook that replies and exits while such a grandchild holds its stdout
# is answered at once, not at the timeout.  A double-forked grandchild
# re-parents to the agent (its subreaper) and is killed with the run,
# without any cgroup.  Zombies do not pile up.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
# escape FILE: a grandchild in a session of its own, holding stdout, that
# writes its pid to FILE; the hook waits until it has (so it has left the
# group for sure).
escape() {
	printf '%s\n' "setsid sh -c 'echo \$\$ > \"$1\"; exec sleep 60' </dev/null &" \
		"while [ ! -s \"$1\" ]; do sleep 0.02; done"
}
a_hook reply "#!/bin/sh
$(escape "$T/pid.reply")
echo '{\"access_token\":\"replied\",\"expires_in\":3600}'"
a_hook hang "#!/bin/sh
$(escape "$T/pid.hang")
sleep 60"
a_hook double "#!/bin/sh
( setsid sh -c 'echo \$\$ > \"$T/pid.double\"; exec sleep 60' </dev/null >/dev/null 2>&1 & )
while [ ! -s \"$T/pid.double\" ]; do sleep 0.02; done
gc=\$(cat \"$T/pid.double\")
# Its parent (the subshell) is gone: whose child is it now?
sleep 0.05
awk '{ print \$4 }' \"/proc/\$gc/stat\" >\"$T/ppid.double\" 2>/dev/null || echo gone >\"$T/ppid.double\"
sleep 0.3
echo '{\"access_token\":\"double\",\"expires_in\":3600}'"
for r in reply hang double; do
	a_record "$r" ct-shop || exit 1
	a_stack "$r" "mint required $T/hooks/$r"
done
a_start || exit 1

# gone NAME PIDFILE: the process in PIDFILE no longer exists, not even as
# a zombie, right now (the agent reaps what it kills).
gone() {
	local pid
	pid=$(cat "$2" 2>/dev/null)
	if [ -z "$pid" ]; then
		not_ok "$1: no pid written"
	elif [ ! -e "/proc/$pid" ]; then
		ok "$1: the grandchild ($pid) is gone"
	else
		not_ok "$1: the grandchild ($pid) is still there: $(cat "/proc/$pid/stat" 2>/dev/null)"
		kill -9 "$pid" 2>/dev/null
	fi
}

t0=$(now_ms)
expect_exit 0 "a hook replies and exits while its setsid grandchild holds stdout" -- a_token reply
t1=$(now_ms)
[ $((t1 - t0)) -lt 3000 ] &&
	ok "answered in $((t1 - t0)) ms, not at the 10 s timeout" ||
	not_ok "answered after $((t1 - t0)) ms"
expect_match "with the hook's reply" "$T_OUT" "^replied$"
gone "after the reply" "$T/pid.reply"

t0=$(now_ms)
expect_exit 7 "a hook that hangs is killed at its timeout" -- a_token hang
t1=$(now_ms)
expect_match "hook_timeout" "$T_ERR" "hook_timeout"
[ $((t1 - t0)) -lt 13000 ] && ok "after $((t1 - t0)) ms" ||
	not_ok "after $((t1 - t0)) ms"
gone "after the timeout" "$T/pid.hang"

expect_exit 0 "a hook whose grandchild was double-forked away" -- a_token double
ppid=$(cat "$T/ppid.double" 2>/dev/null)
if [ "$ppid" = "$APID" ]; then
	ok "the orphaned grandchild re-parented to the agent (its subreaper)"
elif [ "$ppid" = gone ]; then
	ok "the orphaned grandchild was already killed (an orphan sweep came first)"
else
	not_ok "the orphaned grandchild's parent was '$ppid', not the agent ($APID)"
fi
gone "after the double fork" "$T/pid.double"

# Nothing of the agent's is left: no children, no zombies.
sleep 1.2 # a tick: the sweep reaps anything that died on its own
kids=$(cat /proc/"$APID"/task/*/children 2>/dev/null | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
[ -z "$kids" ] && ok "the agent has no children left" ||
	not_ok "the agent still has children: $kids"
a_finish

t_done
