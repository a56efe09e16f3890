# SPDX-License-Identifier: MIT
# Wrong passphrase exits 3 and changes nothing; every flipped byte of a
# sealed record or a keyslot exits 6 naming it; other records stay readable.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
add() { printf '%s\n' "$2" | cv add "$1" --provider oauth2 --client-id "id-$1" --auth-url https://idp.example/token --scope "a b" 2>/dev/null; }
add alpha secret-alpha-1
add beta secret-beta-2

printf 'wrong passphrase\n' > "$T_DIR/wrong"
before=$(sha256sum "$VAULT/data.mdb" | cut -d' ' -f1)
expect_exit 3 "a wrong passphrase exits 3" -- "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/wrong" list
expect_match "and says what failed" "$T_ERR" "unlock failed"
expect_exit 3 "reveal with a wrong passphrase exits 3" -- "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/wrong" reveal alpha
after=$(sha256sum "$VAULT/data.mdb" | cut -d' ' -f1)
[ "$before" = "$after" ] && ok "the vault file is unchanged" || not_ok "the vault file changed"
expect_exit 0 "the secret is still revealable" -- cv show alpha --json
expect_match "not revealed by the failed attempt" "$T_OUT" '"revealable": true'

# Find alpha's sealed record: the one whose flip breaks `show alpha`.
keys=$("$CV_TAMPER" "$VAULT" list records | cut -d' ' -f1)
alpha_key=
for k in $keys; do
	"$CV_TAMPER" "$VAULT" flip records "$k" 30
	if ! cv show alpha >/dev/null 2>&1; then alpha_key=$k; fi
	"$CV_TAMPER" "$VAULT" flip records "$k" 30
done
[ -n "$alpha_key" ] && ok "found alpha's sealed record" || not_ok "alpha's record not found"
len=$("$CV_TAMPER" "$VAULT" list records | awk -v k="$alpha_key" '$1 == k { print $2 }')

bad=0
for off in $(seq 0 $((len - 1))); do
	"$CV_TAMPER" "$VAULT" flip records "$alpha_key" "$off"
	cv show alpha >"$T_OUT" 2>"$T_ERR"
	rc=$?
	if [ $rc -ne 6 ] || ! grep -q "record 'alpha'" "$T_ERR"; then
		bad=$((bad + 1)); echo "    byte $off: exit $rc: $(head -1 "$T_ERR")"
	fi
	if [ $off -eq 0 ] || [ $off -eq $((len - 1)) ]; then
		cv show beta >/dev/null 2>&1 || bad=$((bad + 1))
	fi
	"$CV_TAMPER" "$VAULT" flip records "$alpha_key" "$off"
done
[ $bad -eq 0 ] && ok "each of $len flipped record bytes exits 6 naming 'alpha'" || not_ok "$bad flipped bytes went unnoticed"

"$CV_TAMPER" "$VAULT" flip records "$alpha_key" 50
expect_exit 6 "reveal of a tampered record exits 6" -- cv reveal alpha
expect_exit 0 "the other record stays readable" -- cv show beta
expect_exit 6 "list reports the tampered record" -- cv list
expect_match "list still lists the intact one" "$T_OUT" "^beta$"
expect_exit 6 "check reports it" -- cv check
expect_match "check names a failing record" "$T_ERR" "fails authentication"
"$CV_TAMPER" "$VAULT" flip records "$alpha_key" 50
expect_exit 0 "restored record passes check" -- cv check

# Swapping two sealed records (same vault) is detected: AD binds the name.
a=$("$CV_TAMPER" "$VAULT" get records "$alpha_key")
beta_key=$(printf '%s\n' $keys | grep -v "$alpha_key")
b=$("$CV_TAMPER" "$VAULT" get records "$beta_key")
"$CV_TAMPER" "$VAULT" put records "$alpha_key" "$b"
expect_exit 6 "a record moved under another name exits 6" -- cv show alpha
"$CV_TAMPER" "$VAULT" put records "$alpha_key" "$a"

# Keyslot: every flipped byte makes unlock exit 6 naming the slot.
slot_key=$(printf 'slot/owner' | xxd -p | tr -d '\n')
slen=$("$CV_TAMPER" "$VAULT" list meta | awk -v k="$slot_key" '$1 == k { print $2 }')
bad=0
for off in $(seq 0 $((slen - 1))); do
	"$CV_TAMPER" "$VAULT" flip meta "$slot_key" "$off"
	cv list >/dev/null 2>"$T_ERR"
	rc=$?
	if [ $rc -ne 6 ] || ! grep -q "keyslot 'owner'" "$T_ERR"; then
		bad=$((bad + 1)); echo "    slot byte $off: exit $rc: $(head -1 "$T_ERR")"
	fi
	"$CV_TAMPER" "$VAULT" flip meta "$slot_key" "$off"
done
[ $bad -eq 0 ] && ok "each of $slen flipped keyslot bytes exits 6 naming 'owner'" || not_ok "$bad flipped slot bytes"

# With a second slot, the damaged one is reported by check, others unlock.
printf 'second pass\n' > "$T_DIR/pass2"
cv keyslot add second --new-passphrase-file "$T_DIR/pass2" --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 2>/dev/null
"$CV_TAMPER" "$VAULT" flip meta "$slot_key" 100
expect_exit 0 "another keyslot still unlocks" -- "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass2" show beta
expect_exit 6 "check reports the damaged keyslot" -- "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass2" check
expect_match "check names it" "$T_ERR" "keyslot 'owner'"
expect_exit 0 "keyslot list marks it" -- "$CV" --vault "$VAULT" keyslot list
expect_match "as damaged" "$T_OUT" "owner +damaged"
"$CV_TAMPER" "$VAULT" flip meta "$slot_key" 100

# A foreign or mangled meta entry.
vid_key=$(printf 'vault_id' | xxd -p | tr -d '\n')
"$CV_TAMPER" "$VAULT" flip meta "$vid_key" 3
# Damage to what unlocking reads is damage (exit 6), never a wrong
# passphrase (exit 3): the meta checksum tells them apart.
expect_exit 6 "a changed vault id opens no keyslot and is reported as damage" -- cv show beta
expect_match "it says the vault is damaged" "$T_ERR" "damaged or was altered"
"$CV_TAMPER" "$VAULT" flip meta "$vid_key" 3
expect_exit 0 "and restoring it heals" -- cv check

t_done
