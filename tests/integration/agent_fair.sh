#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Records share the hook workers (issue 11, test 5): eight records with
# slow mint hooks (5 s each, four concurrent mints per record, distinct
# scopes so that each is its own flight) hold at most their per-record cap
# of workers each, and a mint for another record is not delayed beyond
# its own hook's time plus 100 ms.  The slow mints all complete.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

SLOW_RECORDS=8
PER_RECORD_ASKS=4
a_setup
a_hook slow '#!/bin/sh
echo "$$" >>"'"$T"'/slow.started"
sleep 5
echo "{\"access_token\":\"slow-$$\",\"expires_in\":3600}"'
a_hook fast '#!/bin/sh
sleep 0.3
echo "{\"access_token\":\"fast-$$\",\"expires_in\":3600}"'
for i in $(seq "$SLOW_RECORDS"); do
	a_record "slow$i" ct-shop "a b c d" || exit 1
	a_stack "slow$i" "mint required $T/hooks/slow"
done
a_record fast ct-shop "s1 s2 s3 s4 s5 s6 s7 s8" || exit 1
a_stack fast "mint required $T/hooks/fast"
a_start || exit 1
workers=$(sed -n 's/.* \([0-9]*\) hook workers, at most [0-9]* per record.*/\1/p' "$T/agent.log")
cap=$(sed -n 's/.* hook workers, at most \([0-9]*\) per record.*/\1/p' "$T/agent.log")
[ -n "$workers" ] && [ -n "$cap" ] ||
	{ not_ok "no worker count in the log"; t_done; exit 1; }
ok "$workers hook workers, at most $cap per record"
[ $((SLOW_RECORDS * cap)) -lt "$workers" ] ||
	not_ok "$SLOW_RECORDS records at $cap each would take all $workers workers (descriptor limit too low?)"

# ms SCOPE: the wall time of one fresh mint of record fast (a scope not
# asked for before, so its hook runs).
ms() {
	local t0 t1
	t0=$(now_ms)
	a_token fast --scope "$1" >"$T/fast.out" 2>"$T/fast.err" || {
		echo 999999
		return
	}
	t1=$(now_ms)
	echo $((t1 - t0))
}
median3() {
	printf '%s\n' "$@" | sort -n | sed -n 2p
}

# Idle: what a mint of fast costs (its hook's 0.3 s and the rest).
base=$(median3 "$(ms s1)" "$(ms s2)" "$(ms s3)")
[ "$base" -lt 5000 ] && ok "an idle mint of 'fast' takes $base ms" ||
	not_ok "an idle mint of 'fast' failed or took $base ms"

# The slow records: four mints each, at once, all in the background.
: >"$T/slow.started"
pids=()
for i in $(seq "$SLOW_RECORDS"); do
	for s in a b c d; do
		a_token "slow$i" --scope "$s" >"$T/slow.$i.$s.out" 2>&1 &
		pids+=($!)
	done
done
# Wait until the workers they may have are taken.
want=$((SLOW_RECORDS * cap))
for _ in $(seq 100); do
	[ "$(wc -l <"$T/slow.started")" -ge "$want" ] && break
	sleep 0.05
done
sleep 0.3
running=$(wc -l <"$T/slow.started")
[ "$running" = "$want" ] &&
	ok "$running slow hooks run ($cap per record), the other $((SLOW_RECORDS * PER_RECORD_ASKS - running)) wait" ||
	not_ok "$running slow hooks started, want $want"

slack=100
cv_sanitized && slack=250 # process start-up under ASan varies more
loaded=$(median3 "$(ms s4)" "$(ms s5)" "$(ms s6)")
[ "$loaded" -le $((base + slack)) ] &&
	ok "with the slow records' hooks running, a mint of 'fast' takes $loaded ms (idle: $base ms)" ||
	not_ok "with the slow records' hooks running, a mint of 'fast' takes $loaded ms (idle: $base ms, allowed +$slack)"
expect_match "and it is fast's own token" "$T/fast.out" "^fast-[0-9]+$"

failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
[ "$failed" = 0 ] && ok "all $((SLOW_RECORDS * PER_RECORD_ASKS)) slow mints completed" ||
	not_ok "$failed slow mints failed"
[ "$(wc -l <"$T/slow.started")" = $((SLOW_RECORDS * PER_RECORD_ASKS)) ] &&
	ok "each ran its hook once" || not_ok "slow hooks started: $(wc -l <"$T/slow.started")"
a_finish

t_done
