#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Unsafe hooks and stack files are refused (issue 3, test 5), with a log
# message naming the path and the reason: a group-writable hook, a hook in
# a world-writable directory, a relative path, a stack file writable by
# others, a hook whose sha256 pin does not match.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
for r in gw ww rel sw pin ok; do a_record "$r" ct-shop || exit 1; done

# A hook that would work, in several unsafe places.
hook='#!/bin/sh
exec "'"$MINT"'"'
a_hook good "$hook"
a_hook groupw "$hook"
chmod 775 "$T/hooks/groupw"
mkdir -m 755 "$T/wwdir"
printf '%s\n' "$hook" >"$T/wwdir/mint"
chmod 755 "$T/wwdir/mint"
chmod 777 "$T/wwdir"
a_stack gw "mint required $T/hooks/groupw"
a_stack ww "mint required $T/wwdir/mint"
a_stack rel "mint required hooks/good"
a_stack sw "mint required $T/hooks/good"
chmod 666 "$VAULT/hooks.d/sw"
a_stack pin "mint required $T/hooks/good sha256=$(printf '0%.0s' {1..64})"
a_stack ok "mint required $T/hooks/good sha256=$(sha256sum "$T/hooks/good" | cut -d' ' -f1)"
a_start || exit 1

expect_exit 0 "a safe, pinned hook mints" -- a_token ok

expect_exit 7 "a group-writable hook is refused" -- a_token gw
expect_match "the client hears a hook was refused" "$T_ERR" "\(hook_refused\)"
expect_match "the log names the hook and the reason" "$T/agent.log" \
	"hook '$T/hooks/groupw' refused: '$T/hooks/groupw' is writable by (its )?group"

expect_exit 7 "a hook in a world-writable directory is refused" -- a_token ww
expect_match "the log names the directory and the reason" "$T/agent.log" \
	"hook '$T/wwdir/mint' refused: '$T/wwdir' is writable by others"

expect_exit 5 "a relative hook path makes the stack unusable: denied" -- a_token rel
expect_match "the log names the stack file, line and reason" "$T/agent.log" \
	"record 'rel': stack file refused.*hooks.d/rel:1: module 'hooks/good' is neither a built-in \(peer, passphrase\) nor an absolute path"

expect_exit 5 "a stack file writable by others is refused: denied" -- a_token sw
expect_match "the log names the stack file and the reason" "$T/agent.log" \
	"stack file '$VAULT/hooks.d/sw' refused: writable by others"

expect_exit 7 "a hook whose sha256 pin does not match is refused" -- a_token pin
expect_match "the log says the pin does not match" "$T/agent.log" \
	"hook '$T/hooks/good' refused: .*(sha256|pin)"

[ "$(fake_stat token_requests)" = 1 ] && ok "no unsafe hook ever ran" ||
	not_ok "token_requests $(fake_stat token_requests)"

# Fixed and reloaded (SIGHUP): served.
chmod 644 "$VAULT/hooks.d/sw"
kill -HUP "$APID"
sleep 0.3
expect_exit 0 "after chmod and SIGHUP the stack is used" -- a_token sw

a_finish
t_done
