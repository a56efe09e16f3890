# SPDX-License-Identifier: MIT
# Team flow: second keyslot, unlock with either, remove the first, rekey;
# the removed passphrase no longer unlocks even with its old slot bytes
# put back; every record still opens; key-file slots.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

KDF="--kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1"
cv_init --label alice
for i in 1 2 3; do
	printf 'secret-%s-value\n' "$i" | cv add "rec$i" --provider commercelayer --client-id "cl$i" --auth-url https://auth.commercelayer.io --scope "market:id:x$i" 2>/dev/null
done
printf 'bob passphrase\n' > "$T_DIR/bob"
bob() { "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/bob" "$@"; }

expect_exit 0 "keyslot add bob" -- cv keyslot add bob --new-passphrase-file "$T_DIR/bob" $KDF
expect_exit 1 "a duplicate label is refused" -- cv keyslot add bob --new-passphrase-file "$T_DIR/bob" $KDF
expect_exit 0 "keyslot list (no unlock needed)" -- "$CV" --vault "$VAULT" keyslot list
expect_match "lists alice" "$T_OUT" "^alice +passphrase"
expect_match "lists bob" "$T_OUT" "^bob +passphrase"
expect_exit 0 "keyslot list --json" -- "$CV" --vault "$VAULT" keyslot list --json
expect_match "json has labels" "$T_OUT" '"label": "bob"'
expect_exit 0 "alice unlocks" -- cv show rec1
expect_exit 0 "bob unlocks" -- bob show rec1
expect_exit 0 "--keyslot picks one slot" -- bob --keyslot bob show rec2
expect_exit 3 "--keyslot with another's passphrase fails" -- bob --keyslot alice show rec2

# Save alice's slot as an attacker would, then remove it and rekey.
alice_key=$(printf 'slot/alice' | xxd -p | tr -d '\n')
alice_slot=$("$CV_TAMPER" "$VAULT" get meta "$alice_key")
expect_exit 0 "bob removes alice" -- bob keyslot remove alice
expect_match "and is told to rekey" "$T_ERR" "credvault rekey"
expect_exit 3 "alice no longer unlocks" -- cv show rec1
expect_exit 0 "bob rekeys" -- bob rekey
expect_exit 3 "alice still cannot unlock" -- cv show rec1

"$CV_TAMPER" "$VAULT" put meta "$alice_key" "$alice_slot"
# A keyslot put back is a partial rollback: exit 6, not a wrong passphrase.
expect_exit 6 "alice's old slot put back does not unlock the rekeyed vault" -- cv show rec1
expect_match "it says the vault was altered" "$T_ERR" "damaged or was altered"
expect_no_match "and reveals nothing" "$T_OUT" "secret-"
"$CV_TAMPER" "$VAULT" del meta "$alice_key"

for i in 1 2 3; do
	expect_exit 0 "rec$i opens after rekey" -- bob show "rec$i"
done
expect_exit 0 "reveal after rekey" -- bob reveal rec3
[ "$(cat "$T_OUT")" = "secret-3-value" ] && ok "the secret survived rekey" || not_ok "secret after rekey: $(cat "$T_OUT")"
expect_exit 0 "audit verifies after rekey" -- bob audit --verify
expect_exit 0 "check passes after rekey" -- bob check
expect_exit 0 "the audit log kept its history" -- bob audit
expect_match "including alice's adds" "$T_OUT" "keyslot:alice	add	rec1"
expect_match "and the rekey" "$T_OUT" "keyslot:bob	rekey"
expect_exit 5 "the last keyslot cannot be removed" -- bob keyslot remove bob

# Key-file slots let a service (the agent) unlock unattended.
expect_exit 0 "keyslot add with a new key file" -- bob keyslot add agent --keyfile "$T_DIR/agent.key"
[ "$(stat -c %a "$T_DIR/agent.key")" = 600 ] && ok "the key file is 0600" || not_ok "key file mode"
[ "$(stat -c %s "$T_DIR/agent.key")" = 32 ] && ok "it holds 32 random bytes" || not_ok "key file size"
expect_exit 0 "the key file unlocks" -- "$CV" --vault "$VAULT" --keyfile "$T_DIR/agent.key" show rec1
head -c 32 /dev/urandom > "$T_DIR/other.key"
expect_exit 3 "another key file does not" -- "$CV" --vault "$VAULT" --keyfile "$T_DIR/other.key" show rec1
expect_exit 3 "a passphrase does not open a key-file slot" -- "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/agent.key" show rec1
expect_exit 0 "rekey keeps the key-file slot" -- bob rekey
expect_exit 0 "the key file still unlocks" -- "$CV" --vault "$VAULT" --keyfile "$T_DIR/agent.key" show rec2

t_done
