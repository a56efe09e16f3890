# SPDX-License-Identifier: MIT
# credvault rotate against the strict fake commercetools (token endpoint and
# API Clients API): the happy path, SIGKILL at every step then resume,
# provider down, failed verification, manual rotation and abort.
. "$CV_SOURCE_DIR/tests/lib/rotate.sh"

rot_setup

# Live API clients upstream named like this record's rotations, plus the
# original one if it still lives.
live_clients() {
	curl -s "$FAKE/_stats" | srv_py -c 'import json,sys
s = json.load(sys.stdin)
cl = s.get("api_clients") or s.get("clients") or []
if isinstance(cl, dict): cl = list(cl.values())
print(" ".join(sorted(c.get("id", c.get("client_id", "")) for c in cl if isinstance(c, dict) and c.get("live", True) and not c.get("deleted") and (c.get("name","").startswith("credvault-shop") or c.get("id", c.get("client_id")) == "shop-1"))))'
}

cv_init
printf '%s\n' "$(secret_of admin-1)" | cv add ct-admin --provider commercetools --project-key demo --client-id admin-1 --scope manage_api_clients:demo --auth-url "$FAKE" --api-url "$FAKE" 2>/dev/null
printf '%s\n' "$(secret_of shop-1)" | cv add shop --provider commercetools --project-key demo --client-id shop-1 --scope view_products:demo --auth-url "$FAKE" --api-url "$FAKE" 2>/dev/null

# Hooks live in a private directory; a wrapper can kill the CLI (its parent)
# at a chosen point, once, to simulate a crash at every step.
HOOKS="$T_DIR/libexec"
mkdir -m 0700 "$HOOKS"
cat > "$HOOKS/crash" <<SH
#!/bin/sh
# crash WHEN REAL [ARGS...]: fail while $T_DIR/fail-WHEN exists; kill the
# caller with SIGKILL before or after running REAL, if
# $T_DIR/crash-before-WHEN or crash-after-WHEN exists (then remove it).
when=\$1; shift
if [ -e "$T_DIR/fail-\$when" ]; then
	echo '{"error":"invalid_client","error_description":"rejected by the test"}'
	exit 1
fi
if [ -e "$T_DIR/crash-before-\$when" ]; then rm -f "$T_DIR/crash-before-\$when"; kill -9 \$PPID; exit 3; fi
if [ -e "$T_DIR/crash-after-\$when" ]; then
	rm -f "$T_DIR/crash-after-\$when"
	"\$@" > /dev/null
	kill -9 \$PPID; exit 3
fi
exec "\$@"
SH
chmod 0700 "$HOOKS/crash"
mkdir -m 0700 "$VAULT/hooks.d"
cat > "$VAULT/hooks.d/shop" <<STACK
mint     required  $HOOKS/crash mint $MINT
rotate   required  $HOOKS/crash create $ROT admin=ct-admin
retire   required  $HOOKS/crash retire $ROT --delete admin=ct-admin
STACK
printf 'mint required %s\n' "$MINT" > "$VAULT/hooks.d/ct-admin"
chmod 0600 "$VAULT/hooks.d/"*

active_gen() { cv show shop --json 2>/dev/null | srv_py -c 'import json,sys; r=json.load(sys.stdin); print([g for g in r["generations"] if g["state"]=="active"][0]["number"])'; }
step() { cv show shop --json 2>/dev/null | srv_py -c 'import json,sys; print(json.load(sys.stdin)["rotation"]["step"])'; }
mint_active() { # mint a token with the active secret, straight through oauth2-mint
	cv reveal shop > "$T_DIR/s" 2>/dev/null
}

# 1. The happy path.
expect_exit 0 "rotate creates, verifies, activates and retires" -- cv rotate shop
expect_match "and says so" "$T_ERR" "generation #2 is active"
[ "$(active_gen)" = 2 ] && ok "generation 2 is active" || not_ok "active generation $(active_gen)"
expect_exit 0 "show lists both generations" -- cv show shop
expect_match "the old one retired, its client deleted" "$T_OUT" "#1 +retired .*client_id=shop-1.*client deleted"
expect_match "the new one active" "$T_OUT" "#2 +active .*client_id="
new_id=$(cv show shop --json | srv_py -c 'import json,sys; r=json.load(sys.stdin); print(r["client_id"])')
live=$(live_clients)
[ "$live" = "$new_id" ] && ok "upstream: exactly the new client lives ($live)" || not_ok "upstream live: '$live', want '$new_id'"
expect_exit 0 "the new secret can be revealed once" -- cv reveal shop
printf '{"version":1,"phase":"mint","record":{"name":"shop","provider":"commercetools","project_key":"demo","client_id":"%s","scope":"view_products:demo","auth_url":"%s","api_url":"%s","generation":2},"secret":"%s"}' "$new_id" "$FAKE" "$FAKE" "$(cat "$T_OUT")" > "$T_DIR/mintreq"
expect_exit 0 "and it mints a token upstream" -- sh -c "'$MINT' < '$T_DIR/mintreq'"
expect_exit 5 "but not twice" -- cv reveal shop
expect_exit 0 "audit" -- cv audit
for a in "rotate start" "rotate create" "rotate activate" "rotate retire"; do
	expect_match "audit trail: $a" "$T_OUT" "	$a	shop	ok"
done
expect_no_match "no secret in the audit" "$T_OUT" "$(secret_of shop-1)"

# 2. SIGKILL at every step, then resume: one live client, nothing lost.
for point in before-create after-create before-mint after-mint before-retire after-retire; do
	before=$(active_gen)
	touch "$T_DIR/crash-$point"
	cv rotate shop --force >/dev/null 2>"$T_ERR"
	rc=$?
	[ $rc -ne 0 ] && [ ! -e "$T_DIR/crash-$point" ] && ok "killed at $point (exit $rc, step $(step))" || not_ok "not killed at $point (exit $rc)"
	expect_exit 0 "after a kill at $point the vault is intact" -- cv check
	expect_exit 0 "rerunning rotate completes it" -- cv rotate shop
	now=$(active_gen)
	[ "$now" -gt "$before" ] && ok "a new generation ($before -> $now)" || not_ok "generation $before -> $now"
	id=$(cv show shop --json | srv_py -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
	live=$(live_clients)
	[ "$live" = "$id" ] && ok "upstream: exactly one live client after $point" || not_ok "upstream after $point: '$live', active '$id'"
done

# 3. Provider down on create: exit 7, nothing changes, old secret works.
gen=$(active_gen)
srv_fake_ctl fake /_control '{"api_fail_first": 100, "api_fail_status": 503, "api_fail_methods": "POST"}' >/dev/null
expect_exit 0 "a fresh generation is not rotated again without --force" -- cv rotate shop
expect_match "and says so" "$T_ERR" "was rotated [0-9]+ s ago.*--force"
expect_exit 7 "503 on create exits 7" -- cv rotate shop --force
expect_match "with a clear message" "$T_ERR" "creating the new client failed"
expect_match "and says how to continue" "$T_ERR" "credvault rotate shop"
[ "$(active_gen)" = "$gen" ] && ok "the old generation stays active" || not_ok "active changed"
[ "$(step)" = started ] && ok "the rotation waits at 'started'" || not_ok "step $(step)"
expect_exit 0 "an abort before any client was created" -- cv rotate shop --abort
expect_match "says none was deleted" "$T_ERR" "abandoned the rotation of 'shop'; no client had been created yet, so none was deleted"
srv_fake_ctl fake /_control '{"api_fail_first": 0}' >/dev/null
expect_exit 0 "with the provider back, rotate completes" -- cv rotate shop --force
expect_match "(a new generation)" "$T_ERR" "generation #$((gen + 1)) is active"

# 4. Verification fails: the new secret is kept pending, old one active.
gen=$(active_gen)
touch "$T_DIR/fail-mint"
expect_exit 7 "a failed verification exits 7" -- cv rotate shop --force
expect_match "saying the new secret did not mint" "$T_ERR" "did not mint a token"
[ "$(step)" = created ] && ok "the pending generation is kept" || not_ok "step $(step)"
[ "$(active_gen)" = "$gen" ] && ok "the old generation stays active" || not_ok "active changed"
expect_exit 0 "show reports the pending rotation" -- cv show shop
expect_match "with how to resume" "$T_OUT" "rotation: +created.*credvault rotate shop"
rm -f "$T_DIR/fail-mint"
expect_exit 0 "rerun verifies and completes" -- cv rotate shop

# 5. Abort an unfinished rotation: the pending client is deleted.
touch "$T_DIR/fail-mint"
expect_exit 7 "another failed verification" -- cv rotate shop --force
rm -f "$T_DIR/fail-mint"
expect_exit 5 "manual rotation waits for the automated one" -- sh -c "echo hand-made-secret | '$CV' --vault '$VAULT' --passphrase-file '$T_DIR/pass' rotate shop --secret-stdin"
expect_exit 0 "rotate --abort" -- cv rotate shop --abort
expect_match "says the pending client was deleted" "$T_ERR" "abandoned the rotation of 'shop'; the pending client was deleted"
[ "$(step)" = none ] && ok "no rotation pending" || not_ok "step $(step)"
id=$(cv show shop --json | srv_py -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
[ "$(live_clients)" = "$id" ] && ok "the pending client was deleted upstream" || not_ok "upstream: $(live_clients)"

# 6. Manual rotation.
gen=$(active_gen)
expect_exit 0 "rotate --secret-stdin" -- sh -c "echo hand-made-secret-42 | '$CV' --vault '$VAULT' --passphrase-file '$T_DIR/pass' rotate shop --secret-stdin --client-id hand-client"
[ "$(active_gen)" = $((gen + 1)) ] && ok "the hand-made secret is active" || not_ok "active $(active_gen)"
expect_exit 0 "show" -- cv show shop --json
expect_match "with its client id" "$T_OUT" '"client_id": "hand-client"'
expect_exit 0 "it can be revealed once" -- cv reveal shop
[ "$(cat "$T_OUT")" = hand-made-secret-42 ] && ok "exact secret" || not_ok "revealed $(cat "$T_OUT")"
expect_exit 0 "audit verifies after all this" -- cv audit --verify

t_done
