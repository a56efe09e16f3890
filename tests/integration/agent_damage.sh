#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent meets a damaged vault (issue 11): a record put back from an
# older copy under the running agent, then the file truncated under it.
# Each request for what is damaged fails with vault_damaged (exit 6), the
# agent keeps serving what it still can (cached tokens, records in other
# buckets), logs each damage once, not once a request, recovers when the
# record is repaired without a restart, and never crashes.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_stack default "mint required $MINT"
a_record other ct-other "view_orders:demo" || exit 1
a_record third ct-shop || exit 1
"$CV_TAMPER" "$VAULT" list records | cut -d' ' -f1 | sort >"$T/keys.before"
a_record shop ct-shop || exit 1
"$CV_TAMPER" "$VAULT" list records | cut -d' ' -f1 | sort >"$T/keys.after"
shop=$(comm -13 "$T/keys.before" "$T/keys.after")
[ -n "$shop" ] && ok "found shop's sealed record" || not_ok "no storage key for shop"
if [ "$(printf '%s\n' "$shop" "$(cat "$T/keys.before")" | cut -c1-4 | sort | uniq -d)" ]; then
	ok "skipped: shop shares a bucket with another record (1 in 30,000)"
	t_done
	exit $?
fi

a_start || exit 1
expect_exit 0 "a token for shop" -- a_token shop
expect_exit 0 "a token for other" -- a_token other

# --- a record put back from an older copy, under the running agent ---
old=$("$CV_TAMPER" "$VAULT" get records "$shop")
expect_exit 0 "reveal shop (its record changes)" -- cv reveal shop
new=$("$CV_TAMPER" "$VAULT" get records "$shop")
"$CV_TAMPER" "$VAULT" put records "$shop" "$old"
log0=$(grep -c "the vault is damaged" "$T/agent.log")
# Another scope is another cache entry: the agent must read the record.
expect_exit 6 "a new mint for the record put back exits 6" -- \
	a_token shop --scope view_products:demo
expect_match "and says the vault is damaged" "$T_ERR" "damaged"
for i in 1 2 3 4 5; do
	a_token shop --scope manage_orders:demo >/dev/null 2>&1
done
log1=$(grep -c "the vault is damaged" "$T/agent.log")
[ $((log1 - log0)) -eq 1 ] && ok "the damage is logged once for six requests" ||
	not_ok "logged $((log1 - log0)) times"
expect_match "the log says what is inconsistent" "$T/agent.log" \
	"the vault is damaged: record 'shop'.*committed to"
expect_exit 0 "the token cached for shop is still served" -- a_token shop
expect_exit 0 "the cached token of another record is served" -- a_token other
expect_exit 0 "a record in another bucket still mints" -- a_token third
kill -0 "$APID" 2>/dev/null && ok "the agent still runs" || not_ok "the agent died"
sleep 1.5 # the audit queue's commit
expect_exit 6 "check agrees" -- cv check

# Repaired under the running agent: served again, no restart.
"$CV_TAMPER" "$VAULT" put records "$shop" "$new"
expect_exit 0 "the repaired record mints again" -- \
	a_token shop --scope view_products:demo
expect_exit 0 "check passes after the repair" -- cv check
sleep 1.5
expect_exit 0 "the audit chain verifies: no entry lost" -- cv audit --verify
cv audit >"$T/audit.txt" 2>/dev/null
expect_match "tokens issued meanwhile are audited" "$T/audit.txt" "token.*third"

# --- the file truncated under the running agent ---
size=$(stat -c %s "$VAULT/data.mdb")
cut=$((size / 2 / 4096 * 4096))
truncate -s "$cut" "$VAULT/data.mdb"
expect_exit 6 "a mint after the truncation exits 6" -- \
	a_token third --scope manage_orders:demo
expect_match "the log names the truncation" "$T/agent.log" "shrank from [0-9]+ to $cut bytes"
# Nothing can be read now, not even whether a record still exists: no
# token is given, cached or not.
expect_exit 6 "no token is given from a truncated vault" -- a_token other
kill -0 "$APID" 2>/dev/null && ok "the agent still runs after the truncation" ||
	not_ok "the agent died after the truncation"
a_stop
[ "$A_RC" -lt 128 ] && ok "and stops on SIGTERM without a crash (exit $A_RC)" ||
	not_ok "the agent ended with signal $((A_RC - 128))"
t_done
