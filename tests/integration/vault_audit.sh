# SPDX-License-Identifier: MIT
# audit --verify passes on an honest vault and exits 6 after an entry is
# edited, deleted, added or the tail is cut.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
printf 'audit-secret\n' | cv add a1 --provider oauth2 --client-id x --auth-url https://idp.example/t 2>/dev/null
cv reveal a1 >/dev/null
cv reveal a1 >/dev/null 2>&1
expect_exit 0 "audit --verify passes" -- cv audit --verify
expect_match "and counts the entries" "$T_OUT" "verified: [0-9]+ entries"
expect_exit 0 "audit prints the trail" -- cv audit
expect_match "init" "$T_OUT" "keyslot:owner	init"
expect_match "add" "$T_OUT" "	add	a1	ok"
expect_match "reveal" "$T_OUT" "	reveal	a1	ok"
expect_match "refused reveal" "$T_OUT" "	reveal	a1	refused"
expect_no_match "never a secret" "$T_OUT" "audit-secret"
expect_exit 0 "audit --json" -- cv audit --json
expect_match "json entries" "$T_OUT" '"action": "reveal"'

snapshot() { cp -p "$VAULT/data.mdb" "$T_DIR/data.bak"; }
# Putting an older copy back on purpose: the copy and, as the refusal
# says, forgetting the high-water mark (vault_rollback.sh tests it).
restore() { cp -p "$T_DIR/data.bak" "$VAULT/data.mdb"; rm -f "$CREDVAULT_STATE_DIR"/*.hwm; }
key() { printf '%016x' "$1"; }
snapshot

"$CV_TAMPER" "$VAULT" flip audit "$(key 3)" 40
expect_exit 6 "an edited entry exits 6" -- cv audit --verify
expect_match "and names it" "$T_ERR" "audit entry 3"
restore

"$CV_TAMPER" "$VAULT" del audit "$(key 2)"
expect_exit 6 "a deleted entry exits 6" -- cv audit --verify
restore

last=$("$CV_TAMPER" "$VAULT" list audit | tail -1 | cut -d' ' -f1)
"$CV_TAMPER" "$VAULT" del audit "$last"
expect_exit 6 "a deleted last entry exits 6" -- cv audit --verify
restore

first=$("$CV_TAMPER" "$VAULT" get audit "$(key 1)")
"$CV_TAMPER" "$VAULT" put audit "$(key 2)" "$first"
expect_exit 6 "an entry replaced by another exits 6" -- cv audit --verify
restore

"$CV_TAMPER" "$VAULT" put audit "ffffffffffffffff" "$first"
expect_exit 6 "an appended forged entry exits 6" -- cv audit --verify
restore

head_key=$(printf 'audit/head' | xxd -p | tr -d '\n')
"$CV_TAMPER" "$VAULT" flip meta "$head_key" 7
expect_exit 6 "a moved head exits 6" -- cv audit --verify
expect_exit 6 "and check fails too" -- cv check
restore
expect_exit 0 "the restored log verifies" -- cv audit --verify

t_done
