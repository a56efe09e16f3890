#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# credvault check lints hooks.d (DESIGN.md section 11): a stack file with
# an unknown control, a hook that is missing, a group-writable hook, a
# wrong sha256 pin, a stack file named after no record, an admin= naming
# no record and a group-writable stack file each make check exit 1 and
# name the file, the line and the reason, word for word; a clean vault
# passes; the same lint runs when check goes through the agent; a vault
# integrity failure still exits 6.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
a_record other ct-other "view_orders:demo"
a_hook good '#!/bin/sh
exit 0'
a_hook gw '#!/bin/sh
exit 0'
chmod 775 "$T/hooks/gw"
PIN=$(sha256sum "$T/hooks/good" | cut -d' ' -f1)
ZERO=$(printf '0%.0s' {1..64})
F="$VAULT/hooks.d/shop"
clean() {
	a_stack shop "# shop: only root, minted by the good hook
authorize required peer uid=0
mint      required $T/hooks/good sha256=$PIN"
	a_stack other "authorize requisite peer uid=0 scopes=view_orders:demo"
}

# expect_lint DESCRIPTION LINE: check exits 1 and prints exactly LINE.
expect_lint() {
	expect_exit 1 "$1: check fails (exit 1)" -- cv check
	if grep -qxF -- "$2" "$T_ERR"; then ok "$1: '$2'"; else
		not_ok "$1: want the line '$2'"
		sed 's/^/    | /' "$T_ERR" | head -6
	fi
}

clean
expect_exit 0 "a clean vault and clean stack files pass" -- cv check
expect_match "it says so" "$T_OUT" "is intact; its stack files and hooks are sound"

a_stack shop "authorize required peer uid=0
authorize requird peer uid=0"
expect_lint "an unknown control" \
	"$F:2: unknown control 'requird' (want required, requisite, sufficient or optional)"

a_stack shop "authorize required peer uid=0
mint required $T/hooks/missing"
expect_lint "a missing hook" \
	"$F:2: hook '$T/hooks/missing' refused: cannot resolve it: No such file or directory"

a_stack shop "mint required $T/hooks/gw"
expect_lint "a group-writable hook" \
	"$F:1: hook '$T/hooks/gw' refused: '$T/hooks/gw' is writable by its group"

a_stack shop "# a comment line
mint required $T/hooks/good sha256=$ZERO"
expect_lint "a wrong pin" \
	"$F:2: hook '$T/hooks/good' refused: its content does not match its sha256 pin (the file has sha256=$PIN)"

clean
a_stack ghost "authorize required peer uid=0"
expect_lint "a stack file named after no record" \
	"$VAULT/hooks.d/ghost: no record 'ghost' in the vault, so this stack file is never used"
rm -f "$VAULT/hooks.d/ghost"

a_stack other "authorize required peer uid=0
rotate required $T/hooks/good admin=ct-admin"
expect_lint "admin= naming no record" \
	"$VAULT/hooks.d/other:2: admin=ct-admin: no record 'ct-admin' in the vault"

clean
chmod 664 "$F"
expect_lint "a group-writable stack file" \
	"stack file '$F' refused: writable by its group"

# Several problems at once: every one reported, in file and line order.
a_stack shop "authorize required peer uid=0
mint required $T/hooks/gw
notify optional $T/hooks/missing"
a_stack other "authorize requird peer"
expect_exit 1 "three problems in two files" -- cv check
[ "$(grep -c "^$VAULT/hooks.d/" "$T_ERR")" = 3 ] && ok "each on its own line" ||
	not_ok "$(grep -c "^$VAULT/hooks.d/" "$T_ERR") problem lines"
expect_match "the count" "$T_ERR" "3 problem\(s\) in the stack files"
expect_exit 1 "--json" -- cv --json check
srv_py - "$T_OUT" "$VAULT" <<'PYEOF' && ok "--json lists them under \"lint\"" || not_ok "--json output"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["path"] == sys.argv[2] and j["problems"] == [], j
assert len(j["lint"]) == 3, j["lint"]
assert j["lint"][0].startswith(sys.argv[2] + "/hooks.d/other:1: unknown control"), j
assert j["lint"][1].startswith(sys.argv[2] + "/hooks.d/shop:2: hook "), j
assert j["lint"][2].startswith(sys.argv[2] + "/hooks.d/shop:3: hook "), j
PYEOF

# Through the agent: the same lint, run by the agent.
clean
a_stack shop "mint required $T/hooks/good sha256=$ZERO"
a_start || exit 1
CREDVAULT_SOCKET=$SOCK expect_exit 1 "through the agent, a wrong pin fails check" -- \
	"$CV" --vault "$VAULT" --verbose check
expect_match "(it went through the agent)" "$T_ERR" "through the agent at"
grep -qxF -- "$F:1: hook '$T/hooks/good' refused: its content does not match its sha256 pin (the file has sha256=$PIN)" \
	"$T_ERR" && ok "the agent names file, line and reason" ||
	{ not_ok "the agent's lint line"; sed 's/^/    | /' "$T_ERR" | head -5; }
clean
CREDVAULT_SOCKET=$SOCK expect_exit 0 "through the agent, a clean vault passes" -- \
	"$CV" --vault "$VAULT" check
a_finish

# A damaged vault is still an integrity failure (6), lint or not.
a_stack shop "mint required $T/hooks/gw"
key=$("$CV_TAMPER" "$VAULT" list records | head -1 | cut -d' ' -f1)
"$CV_TAMPER" "$VAULT" flip records "$key" 30 >/dev/null 2>&1 ||
	not_ok "cannot damage a record"
expect_exit 6 "a damaged record with a bad hook: still exit 6" -- cv check
expect_match "the hook is still named" "$T_ERR" "hooks.d/shop:1: hook '.*gw' refused"
t_done
