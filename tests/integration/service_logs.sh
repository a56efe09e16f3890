#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where the agent's log goes, and that the reason for a denial is always
# there (README "Run it as a service", docs/service.md):
#   --log-file FILE: 0600, one stamped line per event naming the record
#     and the peer's uid, never a secret or a token; a symbolic link or a
#     loose file is refused; SIGHUP opens it again (logrotate);
#   detached with no syslog on /dev/log (a private mount namespace hides
#     it): agent.log in the state directory;
#   the journal when stderr is the journal's stream (JOURNAL_STREAM):
#     native entries with PRIORITY and CREDVAULT_* fields, captured on a
#     journal socket of the test's own in a private /run.
# A denied peer is still told only "denied".
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

command -v unshare >/dev/null || { not_ok "no unshare (util-linux)"; t_done; exit; }
a_setup
a_record shop ct-shop
a_stack shop "authorize requisite peer uid=0
mint required $MINT"
SECRET=$(secret_of ct-shop)
chmod 711 "$T" # others pass through to the socket directory only
mkdir -m 700 "$T/logs"
LOG="$T/logs/agent.log"
unset JOURNAL_STREAM

# as_nobody ARGS...: credvault as uid/gid 65534 (the socket's group).
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$CV" "$@"; }
# wait_for FILE REGEX: up to 10 s.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# A log line is "TIME IDENT[PID] LEVEL: FUNC: MESSAGE", TIME ISO 8601.
STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z credvault-agent\[[0-9]+\] '

# --- --log-file ---
ln -s "$LOG" "$T/logs/link.log"
expect_exit 1 "a --log-file that is a symbolic link is refused" -- \
	cv agent --foreground --socket "$SOCK" --log-file "$T/logs/link.log"
expect_match "it says why" "$T_ERR" "log file '.*link.log' is a symbolic link"
[ ! -e "$LOG" ] && ok "nothing was written through the link" || not_ok "the link's target was created"
rm -f "$T/logs/link.log"
install -m 620 /dev/null "$T/logs/loose.log"
expect_exit 1 "a group-writable log file is refused" -- \
	cv agent --foreground --socket "$SOCK" --log-file "$T/logs/loose.log"
expect_match "it says what to do" "$T_ERR" "has mode 0620.*chmod 600"

"$CV" --vault "$VAULT" --passphrase-file "$T/pass" agent --foreground \
	--socket "$SOCK" --socket-group 65534 --log-file "$LOG" \
	>"$T/agent.out" 2>"$T/agent.log" </dev/null &
APID=$!
wait_for "$LOG" "serving tokens" && ok "the agent logs to --log-file" ||
	{ not_ok "no 'serving' in $LOG"; cat "$T/agent.log" "$LOG"; }
[ "$(stat -c %a "$LOG")" = 600 ] && ok "the log file is 0600" || not_ok "log mode $(stat -c %a "$LOG")"
expect_exit 0 "the owner gets a token" -- a_token shop
TOKEN=$(cat "$T_OUT")
expect_exit 5 "another uid is denied" -- as_nobody token --socket "$SOCK" shop
expect_match "and told only that it was denied" "$T_ERR" "denied"
expect_no_match "... not why" "$T_ERR" "requisite|uid=0|line 1"
wait_for "$LOG" "denied to peer uid=65534" || true
expect_match "the log file names the record, the peer's uid and the deciding line" "$LOG" \
	"${STAMP}notice: token_deny: record 'shop': denied to peer uid=65534 pid=[0-9]+ .*: .*hooks\.d/shop:1: peer: uid 65534 not in uid="
expect_match "every line is stamped (ISO 8601, ms, UTC)" "$LOG" "$STAMP"
bad=$(grep -Evc "$STAMP" "$LOG")
[ "$bad" = 0 ] && ok "one stamped line per event" || not_ok "$bad lines without a stamp"
grep -qF -- "$SECRET" "$LOG" && not_ok "the secret is in the log" || ok "no secret in the log"
grep -qF -- "$TOKEN" "$LOG" && not_ok "the token is in the log" || ok "no token in the log"
[ ! -s "$T/agent.log" ] && ok "nothing on stderr meanwhile" || not_ok "stderr: $(head -3 "$T/agent.log")"

# logrotate: move it away, SIGHUP, a new file.
mv "$LOG" "$LOG.1"
kill -HUP "$APID"
wait_for "$LOG" "SIGHUP" && ok "SIGHUP opened a new log file" || not_ok "no new $LOG after SIGHUP"
[ "$(stat -c %a "$LOG" 2>/dev/null)" = 600 ] && ok "the new file is 0600" ||
	not_ok "new log mode $(stat -c %a "$LOG" 2>/dev/null)"
expect_exit 5 "another denial" -- as_nobody token --socket "$SOCK" shop
wait_for "$LOG" "denied to peer uid=65534" &&
	ok "the denial after SIGHUP is in the new file" || not_ok "not in the new file"
[ "$(grep -c "denied to peer" "$LOG.1")" = 1 ] && ok "the old file got nothing more" ||
	not_ok "the old file: $(grep -c "denied to peer" "$LOG.1") denials"
# A SIGHUP that cannot open the file: the old one stays in use.
mv "$LOG" "$LOG.2"
ln -s "$LOG.2" "$LOG"
kill -HUP "$APID"
wait_for "$LOG.2" "SIGHUP: .*is a symbolic link.*; still writing to the old file" &&
	ok "a symbolic link at reopen is refused, and the old file kept" ||
	not_ok "reopen through a symlink: $(tail -2 "$LOG.2")"
rm -f "$LOG"
a_finish

# --- detached, no syslog reachable: agent.log in the state directory ---
SLOG="$CREDVAULT_STATE_DIR/agent.log"
rm -f "$SLOG"
unshare -m bash -c '
	if [ -e /dev/log ]; then mount --bind /dev/null /dev/log || exit 99; fi
	exec "$@"' ns "$CV" --vault "$VAULT" --passphrase-file "$T/pass" agent \
	--socket "$SOCK" --socket-group 65534 >"$T/det.out" 2>"$T/det.err" </dev/null
rc=$?
[ "$rc" = 0 ] && ok "a detached agent starts with no syslog" || { not_ok "exit $rc"; cat "$T/det.err"; }
DPID=$(sed -n 's/^echo credvault agent pid \([0-9]*\);$/\1/p' "$T/det.out")
t_cleanup_hooks+=("kill -TERM $DPID 2>/dev/null")
expect_match "it says on the terminal where its log goes" "$T/det.err" \
	"no syslog listens on /dev/log: logging to '$(ere_quote "$SLOG")'"
expect_exit 5 "a denial" -- as_nobody token --socket "$SOCK" shop
wait_for "$SLOG" "denied to peer uid=65534" &&
	ok "the reason for the denial is in the state directory's agent.log" ||
	not_ok "no denial in $SLOG: $(tail -3 "$SLOG" 2>/dev/null)"
expect_match "with the deciding line" "$SLOG" "record 'shop': denied to peer uid=65534 .*hooks\.d/shop:1: peer: "
[ "$(stat -c %a "$SLOG")" = 600 ] && ok "agent.log is 0600" || not_ok "agent.log mode $(stat -c %a "$SLOG")"
kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done

# --- the journal, when stderr is its stream ---
cat >"$T/journald.py" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "w") as f:
    while True:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            break
        ev, i = {}, 0
        while i < len(d):  # the native protocol: KEY=VALUE\n, or KEY\n<le64><data>\n
            nl = d.index(b"\n", i)
            line = d[i:nl]
            if b"=" in line:
                k, v = line.split(b"=", 1)
                i = nl + 1
            else:
                k = line
                (n,) = struct.unpack("<Q", d[nl + 1:nl + 9])
                v = d[nl + 9:nl + 9 + n]
                i = nl + 9 + n + 1
            ev[k.decode()] = v.decode("utf-8", "replace")
        f.write(json.dumps(ev) + "\n")
        f.flush()
PY
JOUT="$T/journal.json"
: >"$T/jerr"
JS="$(stat -c %d "$T/jerr"):$(stat -c %i "$T/jerr")"
PYBIN=$(command -v python3)
env JOURNAL_STREAM="$JS" PYBIN="$PYBIN" JPY="$T/journald.py" JOUT="$JOUT" \
	JPID="$T/jpid" unshare -m bash -c '
	mount -t tmpfs -o mode=755 tmpfs /run || exit 99
	mkdir -p /run/systemd/journal
	# Not the agent'"'"'s child: it reaps what its hooks leave behind.
	("$PYBIN" "$JPY" /run/systemd/journal/socket "$JOUT" </dev/null 2>"$JOUT.err" &
	echo $! >"$JPID")
	for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
	exec "$@"' ns "$CV" --vault "$VAULT" --passphrase-file "$T/pass" agent \
	--foreground --socket "$SOCK" --socket-group 65534 >"$T/agent.out" 2>>"$T/jerr" </dev/null &
APID=$!
t_cleanup_hooks+=('[ -s "$T/jpid" ] && kill "$(cat "$T/jpid")" 2>/dev/null')
wait_for "$JOUT" "serving tokens" && ok "stderr is the journal's stream: entries go to the journal" ||
	{ not_ok "no journal entry: $(cat "$T/jerr")"; }
expect_exit 0 "the owner gets a token" -- a_token shop
TOKEN=$(cat "$T_OUT")
expect_exit 5 "another uid is denied" -- as_nobody token --socket "$SOCK" shop
wait_for "$JOUT" "denied to peer uid=65534" || true
srv_py - "$JOUT" <<'PY' && ok "the denial's entry: PRIORITY=5, CREDVAULT_EVENT=denied, CREDVAULT_RECORD=shop, CREDVAULT_PEER_UID=65534, the reason in MESSAGE" || { not_ok "journal entries"; tail -3 "$JOUT"; }
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
d = [e for e in evs if e.get("CREDVAULT_EVENT") == "denied"]
assert len(d) == 1, evs
e = d[0]
assert e["PRIORITY"] == "5", e
assert e["CREDVAULT_RECORD"] == "shop", e
assert e["CREDVAULT_PEER_UID"] == "65534", e
assert e["CREDVAULT_PEER_GID"] == "65534", e
assert int(e["CREDVAULT_PEER_PID"]) > 0, e
assert e["SYSLOG_IDENTIFIER"] == "credvault-agent", e
assert e["SYSLOG_FACILITY"] == "10", e
assert e["CODE_FUNC"] == "token_deny", e
assert e["MESSAGE"].startswith("record 'shop': denied to peer uid=65534 "), e
assert "hooks.d/shop:1: peer: uid 65534 not in" in e["MESSAGE"], e
assert all("PRIORITY" in x and "MESSAGE" in x for x in evs), evs
PY
grep -qF -- "$SECRET" "$JOUT" && not_ok "the secret is in the journal" || ok "no secret in the journal"
grep -qF -- "$TOKEN" "$JOUT" && not_ok "the token is in the journal" || ok "no token in the journal"
[ ! -s "$T/jerr" ] && ok "nothing went to stderr instead" || not_ok "stderr: $(head -3 "$T/jerr")"
a_finish
t_done
