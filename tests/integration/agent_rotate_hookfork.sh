#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The guarantee of agent_hookfork.sh where the CLI runs the hooks
# (credvault rotate, the same executor): every hook of a rotation leaves a
# grandchild in a session of its own that holds its stdout.  The rotation
# still completes without waiting for any timeout, and when the command
# exits none of those grandchildren is left.
set -uo pipefail

# shellcheck source=../lib/rotate.sh
. "$CV_SOURCE_DIR/tests/lib/rotate.sh"

rot_setup
cv_init
secret_of admin-1 | cv add ct-admin --provider commercetools --project-key demo \
	--client-id admin-1 --scope manage_api_clients:demo --auth-url "$FAKE" \
	--api-url "$FAKE" 2>/dev/null
secret_of shop-1 | cv add shop --provider commercetools --project-key demo \
	--client-id shop-1 --scope view_products:demo --auth-url "$FAKE" \
	--api-url "$FAKE" 2>/dev/null

HOOKS="$T_DIR/libexec"
mkdir -m 0700 "$HOOKS"
cat >"$HOOKS/escape" <<SH
#!/bin/sh
# escape REAL [ARGS...]: leave a grandchild behind (own session, our
# stdout, pid appended to $T_DIR/escaped), then become REAL.
f="$T_DIR/escape.\$\$"
setsid sh -c 'echo \$\$ > "\$0"; exec sleep 60' "\$f" </dev/null &
while [ ! -s "\$f" ]; do sleep 0.02; done
cat "\$f" >>"$T_DIR/escaped"
exec "\$@"
SH
chmod 0700 "$HOOKS/escape"
mkdir -m 0700 "$VAULT/hooks.d"
cat >"$VAULT/hooks.d/shop" <<STACK
mint     required  $HOOKS/escape $MINT
rotate   required  $HOOKS/escape $ROT admin=ct-admin
retire   required  $HOOKS/escape $ROT --delete admin=ct-admin
STACK
printf 'mint required %s\n' "$MINT" >"$VAULT/hooks.d/ct-admin"
chmod 0600 "$VAULT/hooks.d/"*

t0=$(now_ms)
expect_exit 0 "credvault rotate, every hook leaving a grandchild behind" -- cv rotate shop
t1=$(now_ms)
[ $((t1 - t0)) -lt 8000 ] && ok "it took $((t1 - t0)) ms: no hook waited for its timeout" ||
	not_ok "it took $((t1 - t0)) ms"
n=$(wc -l <"$T_DIR/escaped" 2>/dev/null || echo 0)
[ "$n" -ge 2 ] && ok "$n hooks ran, each leaving one" || not_ok "only $n hooks left a grandchild"
left=
while read -r pid; do
	[ -e "/proc/$pid" ] && left="$left $pid"
done <"$T_DIR/escaped"
[ -z "$left" ] && ok "none of them outlived the command" ||
	{ not_ok "still there:$left"; for p in $left; do kill -9 "$p"; done; }

t_done
