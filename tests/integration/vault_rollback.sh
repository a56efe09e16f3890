#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rollback (issue 11): one record put back from before its reveal, a
# keyslot put back, the audit tail cut off with an old head put back, a
# mix of them: each exits 6 on check and on the command that reads it, and
# reveal-once holds.  The whole vault put back is caught by the high-water
# mark.  Backup and restore: verified copies, refused when damaged, busy
# or foreign, and the way back from damage.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
printf 'secret-one\n' | cv add one --provider oauth2 --client-id c1 --auth-url https://idp.example/t 2>/dev/null
printf 'secret-two\n' | cv add two --provider oauth2 --client-id c2 --auth-url https://idp.example/t 2>/dev/null
snapshot() { cp "$VAULT/data.mdb" "$T_DIR/$1"; }
put_back() { cp "$T_DIR/$1" "$VAULT/data.mdb"; rm -f "$VAULT/lock.mdb" "$CREDVAULT_STATE_DIR"/*.hwm; }
key_of() { # the storage key whose flip breaks `show NAME`
	local k
	for k in $("$CV_TAMPER" "$VAULT" list records | cut -d' ' -f1); do
		"$CV_TAMPER" "$VAULT" flip records "$k" 30
		if ! cv show "$1" >/dev/null 2>&1; then echo "$k"; fi
		"$CV_TAMPER" "$VAULT" flip records "$k" 30
	done
}
snapshot clean
one=$(key_of one)
[ -n "$one" ] && ok "found one's sealed record" || not_ok "no key for one"

# --- one record put back from before its reveal ---
old=$("$CV_TAMPER" "$VAULT" get records "$one")
expect_exit 0 "reveal one" -- cv reveal one
expect_match "prints its secret" "$T_OUT" "^secret-one$"
"$CV_TAMPER" "$VAULT" put records "$one" "$old"
expect_exit 6 "check finds the record put back" -- cv check
expect_match "and says what is inconsistent" "$T_ERR" "not the ones the vault committed to"
expect_exit 6 "reveal of the record put back exits 6" -- cv reveal one
expect_no_match "and does not print the secret again" "$T_OUT" "secret-one"
expect_match "it names the record" "$T_ERR" "record 'one'"
expect_exit 6 "show of it exits 6" -- cv show one
expect_exit 0 "the other record still reads" -- cv show two
expect_exit 6 "list exits 6" -- cv list
expect_match "and still lists the other" "$T_OUT" "^two$"
put_back clean

# --- a keyslot put back ---
printf 'bob old passphrase\n' >"$T_DIR/bob-old"
printf 'bob new passphrase\n' >"$T_DIR/bob-new"
slot=$(printf 'slot/bob' | xxd -p | tr -d '\n')
cv keyslot add bob --new-passphrase-file "$T_DIR/bob-old" --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 2>/dev/null
bob_old=$("$CV_TAMPER" "$VAULT" get meta "$slot")
cv keyslot remove bob 2>/dev/null
cv keyslot add bob --new-passphrase-file "$T_DIR/bob-new" --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 2>/dev/null
"$CV_TAMPER" "$VAULT" put meta "$slot" "$bob_old"
expect_exit 6 "bob's old passphrase in his old keyslot put back exits 6" -- \
	"$CV" --vault "$VAULT" --passphrase-file "$T_DIR/bob-old" show one
expect_match "naming the keyslot" "$T_ERR" "keyslot 'bob'|damaged or was altered"
expect_exit 6 "check names the keyslot put back" -- cv check
expect_match "as not committed" "$T_ERR" "keyslot 'bob' is not the one"
expect_exit 0 "the owner's keyslot still opens the vault" -- cv show one
put_back clean

# --- the audit tail cut off, its old head put back ---
head_key=$(printf 'audit/head' | xxd -p | tr -d '\n')
old_head=$("$CV_TAMPER" "$VAULT" get meta "$head_key")
n_before=$("$CV_TAMPER" "$VAULT" list audit | wc -l)
expect_exit 0 "a reveal to hide" -- cv reveal two
for k in $("$CV_TAMPER" "$VAULT" list audit | cut -d' ' -f1 | tail -n +$((n_before + 1))); do
	"$CV_TAMPER" "$VAULT" del audit "$k"
done
"$CV_TAMPER" "$VAULT" put meta "$head_key" "$old_head"
expect_exit 6 "audit --verify finds the tail cut off" -- cv audit --verify
expect_match "and says so" "$T_ERR" "cut off or put back"
expect_exit 6 "check too" -- cv check
expect_exit 6 "and every command that reads the vault" -- cv show one
put_back clean

# --- a mix: the record before its reveal, and the audit tail with it ---
old_head=$("$CV_TAMPER" "$VAULT" get meta "$head_key")
old=$("$CV_TAMPER" "$VAULT" get records "$one")
n_before=$("$CV_TAMPER" "$VAULT" list audit | wc -l)
expect_exit 0 "reveal one again, on the clean copy" -- cv reveal one
"$CV_TAMPER" "$VAULT" put records "$one" "$old"
for k in $("$CV_TAMPER" "$VAULT" list audit | cut -d' ' -f1 | tail -n +$((n_before + 1))); do
	"$CV_TAMPER" "$VAULT" del audit "$k"
done
"$CV_TAMPER" "$VAULT" put meta "$head_key" "$old_head"
expect_exit 6 "record and audit tail put back: check exits 6" -- cv check
expect_exit 6 "reveal exits 6" -- cv reveal one
expect_no_match "without the secret" "$T_OUT" "secret-one"
put_back clean

# --- the whole vault put back: the high-water mark ---
expect_exit 0 "use the clean copy" -- cv show one
snapshot whole
expect_exit 0 "reveal one" -- cv reveal one
cp "$T_DIR/whole" "$VAULT/data.mdb"
rm -f "$VAULT/lock.mdb"
expect_exit 6 "the whole vault put back exits 6" -- cv reveal one
expect_no_match "and reveals nothing" "$T_OUT" "secret-one"
expect_match "saying it is older than one used here" "$T_ERR" "older than one used here before"
expect_exit 6 "check too" -- cv check
CREDVAULT_STATE_DIR="$T_DIR/elsewhere" expect_exit 0 \
	"a user who never saw the newer vault cannot tell (the limit)" -- cv show one
put_back clean

# --- backup and restore ---
expect_exit 0 "backup" -- cv backup "$T_DIR/b1"
expect_match "verified" "$T_ERR" "verified"
[ "$(stat -c %a "$T_DIR/b1")" = 600 ] && ok "the backup is 0600" || not_ok "backup mode $(stat -c %a "$T_DIR/b1")"
expect_no_match "the backup holds no plaintext secret" "$T_DIR/b1" "secret-(one|two)"
expect_exit 1 "a backup over an existing file is refused" -- cv backup "$T_DIR/b1"
expect_exit 0 "the audit log has the backup" -- cv audit
expect_match "with where it went" "$T_OUT" "backup	-	to $T_DIR/b1"
expect_exit 0 "reveal two after the backup" -- cv reveal two
expect_exit 0 "restore the backup" -- cv restore "$T_DIR/b1"
expect_match "it says so" "$T_ERR" "restored .*verified"
expect_exit 0 "the restored vault opens" -- cv check
expect_exit 0 "and is the backed-up state: two is revealable again" -- cv show two --json
expect_match "revealable" "$T_OUT" '"revealable": true'
expect_exit 0 "the restore is audited" -- cv audit
expect_match "restore entry" "$T_OUT" "restore	-	from $T_DIR/b1"

cp "$T_DIR/b1" "$T_DIR/b1-bad"
# The last byte: node data at the end of the last page.
python3 -c 'import sys; p=sys.argv[1]; d=bytearray(open(p,"rb").read()); d[-1]^=1; open(p,"wb").write(d)' "$T_DIR/b1-bad"
before=$(sha256sum "$VAULT/data.mdb" | cut -d' ' -f1)
cv restore "$T_DIR/b1-bad" >"$T_OUT" 2>"$T_ERR"
rc=$?
[ $rc -ne 0 ] && ok "a damaged backup is refused (exit $rc)" || not_ok "a damaged backup was restored"
[ "$(sha256sum "$VAULT/data.mdb" | cut -d' ' -f1)" = "$before" ] &&
	ok "and nothing was replaced" || not_ok "the vault changed"
rm -f "$T_DIR/held"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_SH); open(sys.argv[2], "w").close(); time.sleep(5)' "$VAULT/open.lock" "$T_DIR/held" &
holder=$!
for _ in $(seq 1 100); do [ -e "$T_DIR/held" ] && break; sleep 0.05; done
expect_exit 1 "restore while the vault is open elsewhere is refused" -- cv restore "$T_DIR/b1"
expect_match "it says the vault is in use" "$T_ERR" "in use"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
head -c 8192 "$VAULT/data.mdb" >"$T_DIR/trunc" && cp "$T_DIR/trunc" "$VAULT/data.mdb"
expect_exit 6 "a truncated vault exits 6" -- cv list
expect_match "naming the damage and the way back" "$T_ERR" "truncated.*credvault restore"
expect_exit 0 "restore brings it back" -- cv restore "$T_DIR/b1"
expect_exit 0 "and it verifies" -- cv check
printf 'other vault passphrase\n' >"$T_DIR/opass"
"$CV" --vault "$T_DIR/other" --passphrase-file "$T_DIR/opass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null 2>&1
"$CV" --vault "$T_DIR/other" --passphrase-file "$T_DIR/opass" backup "$T_DIR/ob" 2>/dev/null
expect_exit 5 "a backup of another vault is refused" -- "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/opass" restore "$T_DIR/ob"
expect_match "saying whose it is" "$T_ERR" "another vault"
expect_exit 0 "into an empty directory it restores" -- "$CV" --vault "$T_DIR/fresh" --passphrase-file "$T_DIR/opass" restore "$T_DIR/ob"
t_done
