#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Upstream and hook failures through the agent (issue 3, test 2): a wrong
# secret exits 7 naming invalid_client; 503 then 200 is retried; a hook
# slower than its timeout is killed with its whole process group and the
# client hears "hook timed out".  Loopback only.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
# The secret of another client: the fake rejects it.
secret_of ct-other | cv add wrong --provider commercetools --client-id ct-shop \
	--auth-url "$FAKE_URL" --project-key demo --scope view_products:demo \
	>/dev/null 2>&1 || { not_ok "add wrong"; exit 1; }
a_stack default "mint required $MINT"
a_start || exit 1

# --- a wrong secret ---
expect_exit 7 "a wrong secret: exit 7" -- a_token wrong
expect_match "the message names invalid_client and says to rotate" "$T_ERR" \
	"failed to mint a token for 'wrong': upstream rejected the client secret \(invalid_client\); rotate it: credvault rotate wrong"
expect_match "the agent's log has the class" "$T/agent.log" \
	"record 'wrong': mint failed \(invalid_client\)"
expect_exit 7 "failures are not cached: asked again, minted again" -- a_token wrong
[ "$(fake_stat token_errors)" = 2 ] && ok "two upstream attempts for two requests" ||
	not_ok "token_errors $(fake_stat token_errors)"

# --- 503, then 200 ---
srv_fake_ctl fake /_reset
srv_fake_ctl fake /_control '{"fail_first": 1, "fail_status": 503}'
expect_exit 0 "503 then 200: retried by the hook, a token" -- a_token shop
[ "$(fake_stat token_requests)" = 2 ] && [ "$(fake_stat faults_injected)" = 1 ] &&
	ok "one 503, one retry" || not_ok "token_requests $(fake_stat token_requests)"
srv_fake_ctl fake /_reset
srv_fake_ctl fake /_control '{"fail_first": -1, "fail_status": 503}'
expect_exit 7 "503 for good: a clear upstream failure" -- a_token shop \
	--scope view_products:demo
expect_match "it names temporarily_unavailable" "$T_ERR" \
	"upstream is temporarily unavailable \(temporarily_unavailable\); try again later"
srv_fake_ctl fake /_reset

# --- a hook slower than its timeout ---
a_record slow ct-shop
a_hook slow-mint '#!/bin/sh
# A child in the same process group that outlives the hook unless the
# whole group is killed.
sleep 300 &
echo $! >"'"$T"'/slow.child"
echo $$ >"'"$T"'/slow.pid"
exec sleep 300'
a_stack slow "mint required $T/hooks/slow-mint"
start=$(date +%s)
expect_exit 7 "a hook past its timeout: exit 7" -- a_token slow
took=$(($(date +%s) - start))
expect_match "the client hears the hook timed out" "$T_ERR" \
	"the hook timed out and was killed \(hook_timeout\)"
[ "$took" -ge 9 ] && [ "$took" -le 20 ] && ok "after the 10 s timeout (${took}s)" ||
	not_ok "took ${took}s"
# Gone, or a zombie waiting for init to reap it: either way, killed.
alive() { ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'; }
dead=1
for p in "$(cat "$T/slow.pid")" "$(cat "$T/slow.child")"; do
	alive "$p" && dead=0
done
[ "$dead" = 1 ] && ok "the hook and its child (its process group) were killed" ||
	not_ok "hook processes still alive"
expect_match "the agent's log names the hook" "$T/agent.log" \
	"record 'slow': mint failed \(hook_timeout\).*$T/hooks/slow-mint"

# --- one slow hook does not block others ---
a_hook slow-mint2 '#!/bin/sh
exec sleep 300'
a_stack slow "mint required $T/hooks/slow-mint2"
kill -HUP "$APID"
sleep 0.2
a_token slow >/dev/null 2>&1 &
slowpid=$!
sleep 0.5
start=$(date +%s%N)
expect_exit 0 "while a hook hangs, other records are served" -- a_token shop \
	--scope manage_orders:demo
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 3000 ] && ok "promptly (${ms} ms)" || not_ok "took ${ms} ms"
wait "$slowpid"

a_finish
t_done
