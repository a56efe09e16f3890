#!/bin/bash
# SPDX-License-Identifier: MIT
# The main job end to end on one machine: install and build, start a local
# OAuth2 server (commercetools-mock on 127.0.0.1), store an API client in a
# new vault, start the agent, get a token through it, and call the API
# with that token.  Everything it starts is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

bash tests/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
CV="$ROOT/build/bin/credvault"
MINT="$ROOT/build/libexec/oauth2-mint"

WORK=$(mktemp -d /tmp/credvault-quickstart.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_file() {
	local i
	for i in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
	echo "quickstart: timed out waiting for $1" >&2
	exit 1
}

say "1. a local OAuth2 server: commercetools-mock on 127.0.0.1"
node tests/npm/ct-mock.mjs --port-file "$WORK/ct.port" --pid-file "$WORK/ct.pid" \
	--project demo >"$WORK/ct.log" 2>&1 &
pids+=($!)
wait_file "$WORK/ct.port"
PORT=$(cat "$WORK/ct.port")
URL="http://127.0.0.1:$PORT"
echo "listening on $URL"

say "2. a new vault (Argon2id calibrated to about 1 s)"
export CREDVAULT_DIR="$WORK/vault"
printf 'a long quickstart passphrase\n' > "$WORK/passphrase"
chmod 600 "$WORK/passphrase"
export CREDVAULT_PASSPHRASE_FILE="$WORK/passphrase"
"$CV" init

say "3. store the API client; the secret comes on stdin"
printf 'quickstart-client-secret-0123456789\n' | "$CV" add shop \
	--provider commercetools --project-key demo \
	--client-id quickstart-client --scope "view_products:demo" \
	--auth-url "$URL" --api-url "$URL"
"$CV" show shop

say "4. who may get tokens, and how they are minted (hooks.d/shop)"
mkdir -p "$CREDVAULT_DIR/hooks.d"
cat > "$CREDVAULT_DIR/hooks.d/shop" <<STACK
# phase     control   module    arguments
authorize   required  peer      uid=$(id -u) scopes=view_products:demo
mint        required  $MINT
STACK
cat "$CREDVAULT_DIR/hooks.d/shop"

say "5. the agent unlocks once and serves tokens on a Unix socket"
export CREDVAULT_SOCKET="$WORK/agent.sock"
"$CV" agent --foreground --socket "$CREDVAULT_SOCKET" >"$WORK/agent.log" 2>&1 &
pids+=($!)
for i in $(seq 1 100); do [ -S "$CREDVAULT_SOCKET" ] && break; sleep 0.1; done
[ -S "$CREDVAULT_SOCKET" ] || { cat "$WORK/agent.log"; exit 1; }
echo "agent on $CREDVAULT_SOCKET"

say "6. a process asks for a token (never the secret)"
"$CV" token shop --format json | sed -E 's/("access_token": ?")[^"]*"/\1(hidden here)"/'
"$CV" token shop > "$WORK/token"
status=$(curl -s -o "$WORK/products.json" -w '%{http_code}' \
	-H "Authorization: Bearer $(cat "$WORK/token")" "$URL/demo/products")
echo "GET $URL/demo/products with the token: HTTP $status"
[ "$status" = 200 ]

say "7. the same request again is served from the agent's cache"
"$CV" token shop --format header | sed -E 's/(Bearer ).{6}.*/\1…/'
"$CV" exec shop --env CTP_TOKEN -- sh -c 'echo "a child process got a token of ${#CTP_TOKEN} characters in \$CTP_TOKEN"'

say "8. the audit trail (the agent commits token entries within 1 s)"
sleep 1.2
"$CV" audit | tail -6
"$CV" audit --verify

say "done: the secret stayed in the vault; processes got short-lived tokens"
