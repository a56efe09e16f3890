# SPDX-License-Identifier: MIT
# The agent rotates a record whose secret the provider rejects
# (invalid_client) when its policy allows it, and answers with a token from
# the new generation; without the policy it fails with exit 7 and says to
# rotate.  An agent-triggered rotation racing `credvault rotate` creates
# exactly one new client upstream.
. "$CV_SOURCE_DIR/tests/lib/rotate.sh"

SOCK="$T_DIR/run/agent.sock"
rot_setup
mkdir -m 0700 "$T_DIR/run"

cv_init
printf '%s\n' "$(secret_of admin-1)" | cv add ct-admin --provider commercetools --project-key demo --client-id admin-1 --scope manage_api_clients:demo --auth-url "$FAKE" --api-url "$FAKE" 2>/dev/null
printf '%s\n' "$(secret_of shop-1)" | cv add shop --provider commercetools --project-key demo --client-id shop-1 --scope view_products:demo --auth-url "$FAKE" --api-url "$FAKE" 2>/dev/null
mkdir -m 0700 "$VAULT/hooks.d"
cat > "$VAULT/hooks.d/shop" <<STACK
mint     required  $MINT
rotate   required  $ROT admin=ct-admin
retire   required  $ROT --delete admin=ct-admin
STACK
printf 'mint required %s\n' "$MINT" > "$VAULT/hooks.d/ct-admin"
chmod 0600 "$VAULT/hooks.d/"*

# Delete the active client upstream, as if its secret leaked and someone
# revoked it: the vault still holds the old secret.
admin_token() {
	printf '{"version":1,"phase":"mint","record":{"name":"ct-admin","provider":"commercetools","project_key":"demo","client_id":"admin-1","scope":"manage_api_clients:demo","auth_url":"%s","api_url":"%s","generation":1},"secret":"%s"}' \
		"$FAKE" "$FAKE" "$(secret_of admin-1)" | "$MINT" | srv_py -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
delete_upstream() {
	curl -s -o /dev/null -w '%{http_code}' -X DELETE \
		-H "Authorization: Bearer $(admin_token)" "$FAKE/demo/api-clients/$1"
}
active_id() { cv show shop --json | srv_py -c 'import json,sys; print(json.load(sys.stdin)["client_id"])'; }

# A fresh agent each time: its token cache would otherwise answer.
APID=
start_agent() {
	[ -n "$APID" ] && { kill "$APID"; wait "$APID" 2>/dev/null; }
	local n
	n=$(grep -c serving "$T_DIR/agent.log" 2>/dev/null)
	"$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass" agent --foreground \
		--socket "$SOCK" > "$T_DIR/agent.out" 2>> "$T_DIR/agent.log" < /dev/null &
	APID=$!
	for i in $(seq 1 100); do
		[ "$(grep -c serving "$T_DIR/agent.log")" -gt "${n:-0}" ] && break
		sleep 0.1
	done
}
t_cleanup_hooks+=('[ -n "$APID" ] && kill "$APID" 2>/dev/null')
tok() { "$CV" token shop --socket "$SOCK" "$@"; }

start_agent
code=$(delete_upstream shop-1)
[ "$code" = 200 ] && ok "the active client was deleted upstream" || not_ok "delete: HTTP $code"

# Not allowed by policy: exit 7, told to rotate.
expect_exit 7 "a rejected secret without an auto-rotate policy exits 7" -- tok
expect_match "naming invalid_client and credvault rotate" "$T_ERR" "invalid_client.*credvault rotate shop"
[ "$(active_id)" = shop-1 ] && ok "nothing was rotated" || not_ok "active $(active_id)"

# Allowed: the request that hit the rejection gets a token from the new one.
expect_exit 0 "policy --auto-rotate invalid-client" -- cv policy shop --auto-rotate invalid-client
created=$(fake_stat api_clients_created)
expect_exit 0 "the next request rotates and returns a token" -- tok --format json
new=$(active_id)
[ "$new" != shop-1 ] && ok "a new generation is active ($new)" || not_ok "still shop-1"
[ "$(fake_stat api_clients_created)" = $((created + 1)) ] && ok "exactly one new client upstream" || not_ok "created $(fake_stat api_clients_created), was $created"
token=$(srv_py -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$T_OUT")
printf '%s' "$token" > "$T_DIR/token"
[ "$(srv_http_get "$FAKE/demo/products" "$T_DIR/token")" = 200 ] && ok "the token works upstream" || not_ok "token rejected"
expect_exit 0 "show" -- cv show shop
expect_match "the lost generation is retired" "$T_OUT" "#1 +retired .*client_id=shop-1"
expect_exit 0 "audit" -- cv audit
expect_match "the agent's rotation is audited" "$T_OUT" "agent	rotate activate	shop	ok"
expect_exit 0 "the new secret can be revealed once" -- cv reveal shop
expect_exit 5 "and only once" -- cv reveal shop

# A race: the agent (after an invalid_client) and `credvault rotate`.
code=$(delete_upstream "$new")
[ "$code" = 200 ] && ok "the active client deleted upstream again" || not_ok "delete: HTTP $code"
created=$(fake_stat api_clients_created)
start_agent
tok > /dev/null 2> "$T_DIR/tok.err" &
tpid=$!
cv rotate shop > /dev/null 2> "$T_DIR/rot.err" &
rpid=$!
wait $tpid; trc=$?
wait $rpid; rrc=$?
[ $trc -eq 0 ] && ok "the racing token request got a token" || { not_ok "token exit $trc"; cat "$T_DIR/tok.err"; }
[ $rrc -eq 0 ] && ok "the racing rotate succeeded" || { not_ok "rotate exit $rrc"; cat "$T_DIR/rot.err"; }
[ "$(fake_stat api_clients_created)" = $((created + 1)) ] && ok "the race created exactly one new client" || { not_ok "created $(( $(fake_stat api_clients_created) - created )) clients"; cat "$T_DIR/rot.err"; grep -i rotat "$T_DIR/agent.log"; cv audit | tail -12; }
expect_exit 0 "the vault is intact after the race" -- cv check
expect_no_match "no secret in the agent's log" "$T_DIR/agent.log" "$(secret_of shop-1)"

# Retired secrets are wiped by the agent once their grace period is over.
expect_exit 0 "show before the grace period ends" -- cv show shop --json
expect_no_match "no secret wiped yet (24 h grace)" "$T_OUT" '"secret_wiped": true'
expect_exit 0 "policy --grace 0" -- cv policy shop --grace 0
expect_match "policy shows it" "$T_OUT" "grace: +0 s"
start_agent
for i in $(seq 1 50); do
	cv show shop --json > "$T_OUT" 2>/dev/null
	grep -q '"secret_wiped": true' "$T_OUT" && break
	sleep 0.2
done
expect_match "the agent wiped the retired secrets" "$T_OUT" '"secret_wiped": true'
expect_exit 0 "audit" -- cv audit
expect_match "and audited it" "$T_OUT" "agent	wipe retired secrets	shop	ok"
expect_exit 0 "check passes" -- cv check

t_done
