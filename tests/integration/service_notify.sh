#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Readiness (Type=notify): with NOTIFY_SOCKET naming a datagram socket
# the test listens on, the agent says STATUS= while it unlocks, READY=1
# only once it is unlocked and serving (a token request made the moment
# READY=1 arrives succeeds; an agent that cannot unlock never says it),
# a STATUS= line with what it serves, and STOPPING=1 on SIGTERM.  A
# detached agent's parent hands over with MAINPID= and READY=1.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
a_stack default "mint required $MINT"
mkdir -m 700 "$T/run"

# The service manager's side: each datagram as a JSON line with the time
# it came; when READY=1 comes, a token request at once (its exit code and
# whether it printed a token go on the line).
cat >"$T/listen.py" <<'PY'
import json, os, socket, subprocess, sys, time
path, out, cv, sock = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
with open(out, "w") as f:
    while True:
        try:
            data = s.recv(65536).decode()
        except socket.timeout:
            break
        ev = {"t": time.time(), "msg": data}
        if "READY=1" in data.split("\n"):
            r = subprocess.run([cv, "token", "--socket", sock, "shop"],
                               capture_output=True, text=True, timeout=20)
            ev["token_rc"] = r.returncode
            ev["token_ok"] = len(r.stdout.strip()) >= 20
        f.write(json.dumps(ev) + "\n")
        f.flush()
        if "STOPPING=1" in data.split("\n"):
            break
PY
# listen NAME: a listener on $T/NAME.sock writing $T/NAME.json ($LPID).
listen() {
	rm -f "$T/$1.sock" "$T/$1.json"
	"$SRV_PY" -I -S "$T/listen.py" "$T/$1.sock" "$T/$1.json" "$CV" "$SOCK" &
	LPID=$!
	local i
	for ((i = 0; i < 100; i++)); do [ -S "$T/$1.sock" ] && return 0; sleep 0.05; done
	not_ok "the listener did not start"
	return 1
}
t_cleanup_hooks+=('kill "$LPID" 2>/dev/null')
lines() { cat "$T/$1.json" 2>/dev/null; }

# --- a wrong passphrase: never READY ---
listen bad || exit 1
printf 'wrong\n' >"$T/badpass"
NOTIFY_SOCKET="$T/bad.sock" expect_exit 3 "an agent that cannot unlock exits 3" -- \
	"$CV" --vault "$VAULT" --passphrase-file "$T/badpass" agent --foreground --socket "$SOCK"
sleep 0.3
kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
grep -q 'STATUS=unlocking the vault' "$T/bad.json" && ok "it said it was unlocking" ||
	not_ok "no STATUS= while unlocking: $(lines bad)"
grep -q 'READY=1' "$T/bad.json" && not_ok "READY=1 from an agent that never unlocked" ||
	ok "and never READY=1"

# --- a real start ---
listen good || exit 1
NOTIFY_SOCKET="$T/good.sock" a_start || exit 1
for ((i = 0; i < 100; i++)); do grep -q READY "$T/good.json" 2>/dev/null && break; sleep 0.05; done
srv_py - "$T/good.json" <<'PY' && ok "STATUS=unlocking, then READY=1 with STATUS=serving, in that order" || not_ok "messages: $(lines good)"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
msgs = [e["msg"] for e in evs]
ready = [i for i, m in enumerate(msgs) if "READY=1" in m.split("\n")]
assert len(ready) == 1, msgs
assert msgs[:ready[0]] == ["STATUS=unlocking the vault"], msgs
assert "STATUS=serving tokens on " in msgs[ready[0]], msgs
assert "MAINPID=" not in msgs[ready[0]], msgs
PY
srv_py - "$T/good.json" <<'PY' && ok "a token request made when READY=1 arrived got a token" || not_ok "messages: $(lines good)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "READY=1" in l][0]
assert ev["token_rc"] == 0 and ev["token_ok"], ev
PY
grep -q "CREDVAULT_SOCKET=" "$T/agent.out" && not_ok "shell lines printed under a service manager" ||
	ok "no shell lines for eval under a service manager"
sleep 1.5 # a tick: the status line
grep -q 'STATUS=serving 1 record, 1 token cached, 0 clients connected' "$T/good.json" &&
	ok "STATUS= says what it serves (1 record, 1 token cached)" ||
	not_ok "no serving STATUS=: $(lines good)"
n=$(grep -c STATUS= "$T/good.json")
sleep 2.2
[ "$(grep -c STATUS= "$T/good.json")" = "$n" ] && ok "an unchanged status is not sent again" ||
	not_ok "the same STATUS= again: $(lines good)"
a_finish
wait "$LPID" 2>/dev/null
tail -1 "$T/good.json" | grep -q 'STOPPING=1\\nSTATUS=SIGTERM: locking and stopping' &&
	ok "STOPPING=1 on SIGTERM, the last message" || not_ok "no STOPPING=1: $(lines good)"

# --- detached: the parent names the child that serves ---
listen det || exit 1
out=$(NOTIFY_SOCKET="$T/det.sock" cv agent --socket "$SOCK" 2>"$T/det.err")
DPID=$(sed -n 's/^echo credvault agent pid \([0-9]*\);$/\1/p' <<<"$out")
t_cleanup_hooks+=("kill -TERM $DPID 2>/dev/null")
for ((i = 0; i < 100; i++)); do grep -q READY "$T/det.json" 2>/dev/null && break; sleep 0.05; done
grep -q "\"MAINPID=$DPID\\\\nREADY=1" "$T/det.json" &&
	ok "the detaching parent sent MAINPID=$DPID and READY=1" ||
	not_ok "detached: $(lines det)"
grep '"token_rc": 0' "$T/det.json" | grep -q '"token_ok": true' &&
	ok "and the child served a token at that moment" || not_ok "detached token: $(lines det)"
kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do grep -q STOPPING "$T/det.json" && break; sleep 0.05; done
grep -q 'STOPPING=1' "$T/det.json" && ok "the detached agent says STOPPING=1 too" ||
	not_ok "detached stop: $(lines det)"
t_done
