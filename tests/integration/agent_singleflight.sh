#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Single-flight (issue 3, test 3): 200 concurrent `credvault token` calls
# for one cold record cause exactly one upstream token request, and all
# 200 get that token.  Loopback only.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

N=200
a_setup
a_record shop ct-shop
a_stack default "mint required $MINT"
a_start || exit 1
# A slow token endpoint keeps the one mint in flight while the others
# arrive; the ones that come later are served from the cache.
srv_fake_ctl fake /_control '{"delay": 1.5}'

mkdir "$T/sf"
pids=()
for ((i = 0; i < N; i++)); do
	"$CV" token --socket "$SOCK" shop >"$T/sf/$i.out" 2>"$T/sf/$i.err" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do
	wait "$p" || fails=$((fails + 1))
done
[ "$fails" = 0 ] && ok "all $N clients exited 0" || {
	not_ok "$fails of $N clients failed"
	cat "$T"/sf/*.err | sort | uniq -c | head -5
}
distinct=$(cat "$T"/sf/*.out | sort -u | wc -l)
count=$(cat "$T"/sf/*.out | grep -c .)
[ "$count" = "$N" ] && [ "$distinct" = 1 ] && ok "all $N got the same token" ||
	not_ok "$count tokens, $distinct distinct"
[ "$(fake_stat token_requests)" = 1 ] && ok "exactly one upstream token request" ||
	not_ok "token_requests $(fake_stat token_requests)"
minted=$(grep -c "record 'shop': minted a token" "$T/agent.log")
[ "$minted" = 1 ] && ok "the agent minted once" || not_ok "minted $minted times"

# The same for a failing mint: one upstream request, every waiter told.
srv_fake_ctl fake /_reset
srv_fake_ctl fake /_control '{"delay": 1.5, "fail_first": -1, "fail_status": 400}'
pids=()
for ((i = 0; i < 50; i++)); do
	"$CV" token --socket "$SOCK" shop --scope view_products:demo \
		>/dev/null 2>"$T/sf/f$i.err" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do
	wait "$p"
	[ $? = 7 ] || fails=$((fails + 1))
done
[ "$fails" = 0 ] && ok "50 waiters of a failed mint all exit 7" ||
	not_ok "$fails did not exit 7"
reqs=$(fake_stat token_requests)
[ "$reqs" -le 2 ] && ok "one flight for them ($reqs upstream request(s))" ||
	not_ok "token_requests $reqs"
kill -0 "$APID" && ok "the agent is still up" || not_ok "agent died"

# Refresh ahead of expiry: 10 s tokens have a 1 s margin and are minted
# again within two margins of expiry, while the old one is still served.
srv_fake_ctl fake /_reset
srv_fake_ctl fake /_control '{"expires_in": 10}'
a_record short ct-shop
expect_exit 0 "a 10 s token" -- a_token short
first=$(cat "$T_OUT")
sleep 8.3
expect_exit 0 "8.3 s later: still served (1.7 s left > 1 s margin)" -- a_token short
[ "$(cat "$T_OUT")" = "$first" ] && ok "the same token, while a refresh starts" ||
	not_ok "a new token already"
sleep 0.7
expect_exit 0 "after the refresh" -- a_token short
[ "$(cat "$T_OUT")" != "$first" ] && ok "a fresh token, minted ahead of expiry" ||
	not_ok "still the old token"
[ "$(fake_stat token_requests)" = 2 ] && ok "exactly one refresh upstream" ||
	not_ok "token_requests $(fake_stat token_requests)"
expect_match "the log says it refreshed" "$T/agent.log" \
	"record 'short': refreshing its token ahead of expiry"

a_finish
t_done
