#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Socket activation: systemd-socket-activate binds the socket and starts
# the agent on the first connection with it as LISTEN_FDS, as a .socket
# unit does (PID 1 need not be systemd).  The agent serves tokens on that
# socket without binding or locking one of its own, leaves it in place
# when it stops, checks it like its own (its directory, what it is bound
# to), and still checks and authorises every peer.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

command -v systemd-socket-activate >/dev/null ||
	{ not_ok "no systemd-socket-activate (tests/setup.sh installs systemd)"; t_done; exit; }
a_setup
a_record shop ct-shop
a_stack default "mint required $MINT"
a_stack shop "authorize requisite peer uid=0
mint required $MINT"
mkdir -m 700 "$T/run"

# act SOCKET [AGENT ARGS...]: the activator in the background ($ACT).
act() {
	local sock=$1
	shift
	rm -f "$sock" # the last one's: wait for this one's
	systemd-socket-activate -l "$sock" "$CV" --vault "$VAULT" \
		--passphrase-file "$T/pass" agent --foreground "$@" \
		>"$T/act.out" 2>"$T/agent.log" </dev/null &
	ACT=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	not_ok "systemd-socket-activate did not bind $sock"
	return 1
}
act_stop() {
	kill -TERM "$ACT" 2>/dev/null
	wait "$ACT"
	A_RC=$?
	ACT=
}
t_cleanup_hooks+=('[ -z "${ACT:-}" ] || kill -TERM "$ACT" 2>/dev/null')

act "$SOCK" || exit 1
grep -q "credvault-agent" "$T/agent.log" && not_ok "the agent ran before the first connection" ||
	ok "nothing runs until the first connection"
expect_exit 0 "the first connection starts the agent, which serves a token" -- a_token shop
TOKEN=$(cat "$T_OUT")
[[ $TOKEN =~ ^[A-Za-z0-9_-]{20,}$ ]] && ok "a token from the fake provider" ||
	not_ok "token '$TOKEN'"
expect_match "the agent took the socket systemd passed" "$T/agent.log" \
	"serving tokens on '$(ere_quote "$SOCK")' \(socket from the service manager\)"
[ ! -e "$SOCK.lock" ] && ok "it bound nothing itself (no $SOCK.lock)" ||
	not_ok "it made $SOCK.lock"
expect_exit 0 "a second request on the same inherited socket (cached)" -- a_token shop
[ "$(cat "$T_OUT")" = "$TOKEN" ] && ok "the cached token" || not_ok "not the cached token"
[ "$(fake_stat token_requests)" = 1 ] && ok "one upstream token request" ||
	not_ok "token_requests $(fake_stat token_requests)"
kill -TERM "$(pgrep -P "$ACT" 2>/dev/null || echo "$ACT")" 2>/dev/null
for ((i = 0; i < 100; i++)); do grep -q "stopped" "$T/agent.log" && break; sleep 0.05; done
[ -S "$SOCK" ] && ok "the agent left systemd's socket in place when it stopped" ||
	not_ok "the agent removed the socket it was given"
act_stop
[ "$A_RC" = 0 ] && ok "SIGTERM stops it cleanly" || not_ok "exit $A_RC on SIGTERM"
grep -Eq "Sanitizer|runtime error:" "$T/agent.log" && not_ok "a sanitizer report" ||
	ok "no sanitizer report"

# act_wait: the activator's exit (the agent's), within 10 s.
act_wait() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$ACT" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$ACT" 2>/dev/null
	wait "$ACT"
	rc=$?
	ACT=
}

# --- the same checks as for a socket of its own ---
act "$SOCK" --socket "$T/run/other.sock" || exit 1
a_token shop >/dev/null 2>&1
act_wait
[ "$rc" = 1 ] && ok "an inherited socket other than --socket is refused (exit 1)" ||
	not_ok "exit $rc for a socket other than --socket"
expect_match "it names both" "$T/agent.log" \
	"the socket systemd passed is '$(ere_quote "$SOCK")', not --socket '$(ere_quote "$T/run/other.sock")'"

act "$SOCK" --socket-group 0 || exit 1
a_token shop >/dev/null 2>&1
act_wait
[ "$rc" = 2 ] && ok "--socket-group with an inherited socket is a usage error (exit 2)" ||
	not_ok "exit $rc for --socket-group"
expect_match "it says to set SocketGroup=" "$T/agent.log" "SocketGroup="

mkdir -m 777 "$T/loose"
act "$T/loose/a.sock" || exit 1
"$CV" token --socket "$T/loose/a.sock" shop >/dev/null 2>&1
act_wait
[ "$rc" != 0 ] && ok "a socket in a world-writable directory is refused (exit $rc)" ||
	not_ok "a world-writable socket directory was accepted"
expect_match "it names the directory rule" "$T/agent.log" \
	"the directory of socket '$(ere_quote "$T/loose/a.sock")' must be owned by root or by this user"

systemd-socket-activate --datagram -l "$T/run/dgram.sock" "$CV" --vault "$VAULT" \
	--passphrase-file "$T/pass" agent --foreground >/dev/null 2>"$T/agent.log" </dev/null &
ACT=$!
for ((i = 0; i < 100; i++)); do [ -S "$T/run/dgram.sock" ] && break; sleep 0.05; done
sleep 0.2
srv_py - "$T/run/dgram.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"x", sys.argv[1])
PY
act_wait
[ "$rc" = 1 ] && ok "a datagram socket is refused (exit 1)" || not_ok "exit $rc for a datagram socket"
expect_match "it says what it needs" "$T/agent.log" "not a listening Unix stream socket"

# --- every peer is still identified and authorised ---
chmod 711 "$T" "$T/run"
act "$SOCK" || exit 1
chmod 666 "$SOCK"
expect_exit 5 "another uid on the inherited socket is denied by the stack" -- \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$CV" token --socket "$SOCK" shop
expect_match "the log names the peer the kernel reported" "$T/agent.log" \
	"record 'shop': denied to peer uid=65534 "
expect_match "it warned that every local user may connect to a 0666 socket" \
	"$T/agent.log" "has mode 0666: every local user can connect"
expect_exit 0 "the agent's own uid still gets its token" -- a_token shop
act_stop
[ "$A_RC" = 0 ] && ok "SIGTERM stops it cleanly" || not_ok "exit $A_RC on SIGTERM"
chmod 700 "$T/run"
t_done
