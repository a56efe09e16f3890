# SPDX-License-Identifier: MIT
# init -> add -> list/show never print the secret -> reveal once -> exit 5;
# plus --help everywhere, usage errors and plaintext absence on disk.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

SECRET='Zq8-secret-VALUE-4f1e9a7c2b'
CLIENT='client-id-7d3e55aa'
NAME='shop-eu/storefront.v2'

expect_exit 0 "init" -- cv_init
expect_exit 1 "init twice is refused" -- cv init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_match "init twice says why" "$T_ERR" "already holds a vault"
[ "$(stat -c %a "$VAULT")" = 700 ] && ok "vault dir is 0700" || not_ok "vault dir mode $(stat -c %a "$VAULT")"
[ "$(stat -c %a "$VAULT/data.mdb")" = 600 ] && ok "data file is 0600" || not_ok "data mode"

printf '%s\n' "$SECRET" > "$T_DIR/secret"
expect_exit 0 "add with the secret on stdin" -- sh -c "exec \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add '$NAME' --provider commercetools --client-id '$CLIENT' --auth-url https://auth.europe-west1.gcp.commercetools.com --api-url https://api.europe-west1.gcp.commercetools.com --project-key demo --scope 'view_products:demo manage_orders:demo' < '$T_DIR/secret'" "$CV"
expect_exit 1 "adding the same name again is refused" -- sh -c "printf x | \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add '$NAME' --provider oauth2 --client-id c --auth-url https://x/" "$CV"
expect_match "and says to rotate instead" "$T_ERR" "credvault rotate"

expect_exit 0 "list" -- cv list
expect_match "list shows the name" "$T_OUT" "^$NAME\$"
expect_no_match "list never prints the secret" "$T_OUT" "$SECRET"
expect_exit 0 "list --json" -- cv list --json
expect_match "list --json has the client id" "$T_OUT" "\"client_id\": \"$CLIENT\""
expect_exit 0 "show" -- cv show "$NAME"
expect_match "show has the scopes" "$T_OUT" "view_products:demo manage_orders:demo"
expect_match "show says the secret is hidden" "$T_OUT" "secret: +\(hidden\)"
expect_no_match "show never prints the secret" "$T_OUT" "$SECRET"
expect_exit 0 "show --json" -- cv show "$NAME" --json
expect_no_match "show --json never prints the secret" "$T_OUT" "$SECRET"
expect_match "show --json says revealable" "$T_OUT" '"revealable": true'
expect_exit 0 "global --json works too" -- cv --json show "$NAME"

expect_exit 0 "reveal prints the secret" -- cv reveal "$NAME"
[ "$(cat "$T_OUT")" = "$SECRET" ] && ok "revealed secret is exact" || not_ok "revealed '$(cat "$T_OUT")'"
expect_exit 5 "a second reveal is refused" -- cv reveal "$NAME"
expect_match "and says to rotate" "$T_ERR" "already revealed.*credvault rotate"
expect_no_match "the refusal never prints the secret" "$T_ERR" "$SECRET"
expect_exit 0 "show after reveal" -- cv show "$NAME" --json
expect_match "revealed_at is recorded" "$T_OUT" '"revealable": false'

printf 'other-secret-value\n' | cv add locked --provider oauth2 --client-id c2 --auth-url https://idp.example/token --no-reveal 2>/dev/null
expect_exit 5 "--no-reveal secrets are never revealed" -- cv reveal locked
expect_match "and says why" "$T_ERR" "no-reveal"

expect_exit 4 "show of a missing record exits 4" -- cv show nope
expect_exit 4 "reveal of a missing record exits 4" -- cv reveal nope
expect_exit 4 "rm of a missing record exits 4" -- cv rm nope
expect_exit 0 "rm" -- cv rm locked
expect_exit 4 "removed record is gone" -- cv show locked

expect_exit 2 "unknown command exits 2" -- cv frobnicate
expect_exit 2 "missing arguments exit 2" -- cv add
expect_exit 2 "bad provider exits 2" -- sh -c "printf x | \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add n --provider acme --client-id c --auth-url https://x/" "$CV"
expect_exit 2 "bad name exits 2" -- sh -c "printf x | \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add ../x --provider oauth2 --client-id c --auth-url https://x/" "$CV"
expect_exit 2 "an empty secret is refused" -- sh -c "printf '' | \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add n --provider oauth2 --client-id c --auth-url https://x/" "$CV"
expect_exit 2 "a secret with a space is refused without echoing it" -- sh -c "printf 'has space' | \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add n --provider oauth2 --client-id c --auth-url https://x/" "$CV"
expect_no_match "the refused secret is not echoed" "$T_ERR" "has space"

for cmd in init add import list show reveal rm keyslot rekey audit check; do
	expect_exit 0 "$cmd --help" -- "$CV" "$cmd" --help
	[ -s "$T_OUT" ] || not_ok "$cmd --help printed nothing"
done
expect_exit 0 "credvault --help" -- "$CV" --help

# No passphrase source and no terminal: a clear usage error, not a hang.
expect_exit 2 "no passphrase and no terminal" -- setsid "$CV" --vault "$VAULT" list
expect_match "says how to give one" "$T_ERR" "passphrase-file"

# Vault located through CREDVAULT_DIR and CREDVAULT_PASSPHRASE_FILE.
expect_exit 0 "env vars find the vault" -- env CREDVAULT_DIR="$VAULT" CREDVAULT_PASSPHRASE_FILE="$T_DIR/pass" "$CV" list

# Nothing identifying is stored in the clear.
for f in "$VAULT"/*; do
	for s in "$SECRET" "$CLIENT" "$NAME" "shop-eu" "view_products" "europe-west1"; do
		if grep -aqF -- "$s" "$f"; then not_ok "'$s' appears in $(basename "$f")"; else ok "'$s' not in $(basename "$f")"; fi
	done
done

t_done
