#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The token agent end to end against the strict fake token endpoint:
# formats, exec, lock, SIGTERM, SIGHUP, the idle lifetime, detaching, the
# socket directory rules and the audit trail.  Loopback only.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
a_record other ct-other "view_orders:demo"
a_record nomint ct-other "view_orders:demo"
a_stack default "mint required $MINT"
a_stack nomint "authorize required peer uid=0"

# --- the socket directory must be ours and tight ---
mkdir -m 777 "$T/loose"
expect_exit 1 "a group/world-writable socket directory is refused" -- \
	cv agent --foreground --socket "$T/loose/a.sock"
expect_match "the refusal names the directory and why" "$T_ERR" \
	"socket directory '$T/loose' is writable by others"
expect_exit 2 "no XDG_RUNTIME_DIR and no --socket is a usage error" -- \
	env -u XDG_RUNTIME_DIR "$CV" --vault "$VAULT" --passphrase-file \
	"$T/pass" agent --foreground
printf 'wrong\n' >"$T/badpass"
expect_exit 3 "a wrong passphrase stops the agent (exit 3)" -- \
	"$CV" --vault "$VAULT" --passphrase-file "$T/badpass" agent \
	--foreground --socket "$SOCK"

a_start || exit 1
ok "agent started"
[ "$(stat -c %a "$T/run")" = 700 ] && ok "socket directory created 0700" ||
	not_ok "socket directory mode $(stat -c %a "$T/run")"
[ "$(stat -c %a "$SOCK")" = 600 ] && ok "socket is 0600" ||
	not_ok "socket mode $(stat -c %a "$SOCK")"
expect_match "foreground prints the shell line" "$T/agent.out" \
	"^CREDVAULT_SOCKET='$SOCK'; export CREDVAULT_SOCKET;"
expect_exit 1 "a second agent on the same socket is refused" -- \
	cv agent --foreground --socket "$SOCK"
expect_match "it says another agent serves it" "$T_ERR" "another agent is serving"

# --- formats ---
expect_exit 0 "raw token" -- a_token shop
TOKEN=$(cat "$T_OUT")
[[ $TOKEN =~ ^[A-Za-z0-9_-]{20,}$ ]] && ok "raw output is the token" ||
	not_ok "raw output '$TOKEN'"
expect_exit 0 "header format" -- a_token shop --format header
[ "$(cat "$T_OUT")" = "Authorization: Bearer $TOKEN" ] &&
	ok "header is 'Authorization: Bearer' and the cached token" ||
	not_ok "header: $(cat "$T_OUT")"
expect_exit 0 "json format" -- a_token shop --format json
srv_py - "$T_OUT" "$TOKEN" <<'EOF' && ok "json has token, type, expiry, scope" || not_ok "json output"
import json, re, sys
j = json.load(open(sys.argv[1]))
assert j["access_token"] == sys.argv[2]
assert j["token_type"] == "Bearer"
assert 3000 < j["expires_in"] <= 3600
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", j["expires_at"])
assert j["scope"] == "manage_orders:demo view_products:demo"
EOF
expect_exit 0 "exec-credential format" -- a_token shop --format exec-credential
srv_py - "$T_OUT" "$TOKEN" <<'EOF' && ok "a Kubernetes v1 ExecCredential" || not_ok "exec-credential output"
import json, re, sys
j = json.load(open(sys.argv[1]))
assert j["apiVersion"] == "client.authentication.k8s.io/v1"
assert j["kind"] == "ExecCredential"
assert j["status"]["token"] == sys.argv[2]
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", j["status"]["expirationTimestamp"])
EOF
[ "$(fake_stat token_requests)" = 1 ] && ok "four requests, one upstream token request" ||
	not_ok "token_requests $(fake_stat token_requests)"
expect_exit 2 "an unknown format is a usage error" -- a_token shop --format xml

# --- scopes and min-ttl ---
expect_exit 0 "a subset of the record's scopes" -- a_token shop --scope view_products:demo
[ "$(fake_stat last_scope)" = "view_products:demo" ] &&
	ok "the subset was minted for exactly that scope" ||
	not_ok "last_scope $(fake_stat last_scope)"
expect_exit 0 "the same set in another order is the same cache key" -- \
	a_token shop --scope "manage_orders:demo  view_products:demo"
[ "$(cat "$T_OUT")" = "$TOKEN" ] && ok "served from the cache" || not_ok "not the cached token"
expect_exit 5 "a scope the record lacks is denied" -- a_token shop --scope manage_project:demo
expect_exit 1 "min-ttl longer than tokens live" -- a_token shop --min-ttl 7200
expect_match "it says so" "$T_ERR" "ttl_unavailable"
expect_exit 4 "no such record" -- a_token nosuch
expect_exit 2 "a bad record name is a usage error" -- a_token "Bad Name"
expect_exit 5 "no stack file: only the agent's uid; nobody else" -- \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$CV" token \
	--socket "$SOCK" other
expect_match "the socket (0600) keeps other users out" "$T_ERR" "no permission"

# --- exec ---
expect_exit 0 "exec puts the token in CREDVAULT_TOKEN" -- \
	"$CV" exec shop --socket "$SOCK" -- sh -c 'printf %s "$CREDVAULT_TOKEN"'
[ "$(cat "$T_OUT")" = "$TOKEN" ] && ok "the command saw the token" || not_ok "exec env"
expect_exit 0 "exec --env VAR" -- "$CV" exec shop --socket "$SOCK" \
	--env API_TOKEN -- sh -c 'test -n "$API_TOKEN" && test -z "${CREDVAULT_TOKEN:-}"'
expect_exit 3 "exec passes the command's exit code" -- "$CV" exec shop \
	--socket "$SOCK" -- sh -c 'exit 3'
expect_exit 127 "exec of a missing command" -- "$CV" exec shop --socket \
	"$SOCK" -- /nonexistent/cmd
expect_exit 2 "exec without a command" -- "$CV" exec shop --socket "$SOCK" --
expect_exit 2 "exec with a bad --env" -- "$CV" exec shop --socket "$SOCK" \
	--env 1X -- true
CREDVAULT_SOCKET=$SOCK expect_exit 0 "CREDVAULT_SOCKET finds the agent" -- "$CV" token shop

# --- the default mint module, and SIGHUP ---
# No mint line: the shipped oauth2-mint at the path compiled into the build
# under test.  What is there depends on this host: nothing, or a file the
# agent must not run, is refused; a hook it may run mints.
DEFAULT_MINT=$(a_default_mint)
[ -n "$DEFAULT_MINT" ] && grep -qaF -- "${DEFAULT_MINT%/*}" "$CV" &&
	ok "the build's hook directory ${DEFAULT_MINT%/*} is the one compiled in" ||
	not_ok "'${DEFAULT_MINT%/*}' (from CMakeCache.txt) is not in $CV"
reqs=$(fake_stat token_requests)
if a_hook_is_safe "$DEFAULT_MINT"; then
	expect_exit 0 "no mint line: the shipped oauth2-mint at its installed path ($DEFAULT_MINT, here)" -- \
		a_token nomint
	expect_match "the agent's log says the default mint line minted it" "$T/agent.log" \
		"record 'nomint': minted a token .*: minted by \(default mint\) line 1"
	[ "$(fake_stat token_requests)" = $((reqs + 1)) ] &&
		ok "... with one token request upstream" ||
		not_ok "token_requests $(fake_stat token_requests), was $reqs"
else
	expect_exit 7 "no mint line: the shipped oauth2-mint at its installed path (none usable here)" -- \
		a_token nomint
	expect_match "the agent's log names it" "$T/agent.log" \
		"record 'nomint': mint failed \(hook_refused\).*hook '$(ere_quote "$DEFAULT_MINT")' refused"
	[ "$(fake_stat token_requests)" = "$reqs" ] &&
		ok "... and nothing went upstream" ||
		not_ok "token_requests $(fake_stat token_requests), was $reqs"
fi
expect_exit 0 "hooks.d/default (no authorize line): the agent's own uid" -- \
	a_token other
a_stack other "authorize required peer uid=65534
mint required $MINT"
expect_exit 0 "before SIGHUP the stack read first applies" -- a_token other
kill -HUP "$APID"
sleep 0.3
expect_exit 5 "after SIGHUP the new stack denies" -- a_token other
rm -f "$VAULT/hooks.d/other"
kill -HUP "$APID"
sleep 0.3

# --- the audit trail (group commit: at most 1 s late) ---
sleep 1.3
cv audit >"$T/audit.txt" 2>&1
expect_match "issues are audited with the peer" "$T/audit.txt" \
	"peer uid=0 pid=[0-9]+ exe=$CV_BUILD_DIR/bin/credvault	token	shop	issued"
expect_match "denials are audited" "$T/audit.txt" "token	shop	denied scope=manage_project:demo"
expect_match "failures are audited with their class" "$T/audit.txt" \
	"token	nosuch	failed: no_such_record"
expect_exit 0 "the audit chain verifies" -- cv audit --verify

# --- lock ---
expect_exit 5 "another user may not lock the agent" -- setpriv --reuid 65534 \
	--regid 65534 --clear-groups "$CV" lock --socket "$SOCK"
expect_exit 0 "credvault lock" -- "$CV" lock --socket "$SOCK"
expect_exit 3 "a locked agent answers locked (exit 3)" -- a_token shop
expect_match "and says how to get going again" "$T_ERR" "is locked"
kill -0 "$APID" 2>/dev/null && ok "a locked agent keeps running" || not_ok "agent gone"
a_finish
[ ! -e "$SOCK" ] && ok "SIGTERM: the agent removed its socket" || not_ok "socket left behind"
expect_exit 1 "no agent: exit 1" -- a_token shop
expect_match "it says how to start one" "$T_ERR" 'start one: eval "\$\(credvault agent\)"'
cv audit >"$T/audit.txt" 2>&1
expect_match "the lock is audited" "$T/audit.txt" "agent	lock	-	credvault lock from peer uid=0"

# --- idle lifetime, SIGTERM while unlocked ---
a_start --lifetime 1 || exit 1
expect_exit 0 "token before the idle lifetime" -- a_token shop
sleep 2.5
expect_exit 3 "locked after --lifetime seconds idle" -- a_token shop
a_finish
a_start || exit 1
expect_exit 0 "a new agent unlocks again" -- a_token shop
kill -TERM "$APID"
wait "$APID"
rc=$?
APID=
[ "$rc" = 0 ] && ok "SIGTERM stops the agent cleanly (exit 0)" || not_ok "exit $rc on SIGTERM"
cv audit >"$T/audit.txt" 2>&1
expect_match "SIGTERM locks first (audited)" "$T/audit.txt" "agent	lock	-	SIGTERM"
expect_match "the idle lock is audited" "$T/audit.txt" "agent	lock	-	idle for 1 s"

# --- detached, like ssh-agent ---
out=$(cv agent --socket "$SOCK" 2>"$T/daemon.err")
rc=$?
[ "$rc" = 0 ] && ok "detached agent started" || { not_ok "detached agent: exit $rc"; cat "$T/daemon.err"; }
eval "$out" >/dev/null
DPID=$(sed -n 's/^echo credvault agent pid \([0-9]*\);$/\1/p' <<<"$out")
t_cleanup_hooks+=("kill -TERM $DPID 2>/dev/null")
[ "$CREDVAULT_SOCKET" = "$SOCK" ] && ok "eval sets CREDVAULT_SOCKET" || not_ok "CREDVAULT_SOCKET=$CREDVAULT_SOCKET"
expect_exit 0 "a token from the detached agent" -- "$CV" token shop
[ "$(ps -o sid= -p "$DPID" | tr -d ' ')" = "$DPID" ] && ok "it leads its own session" ||
	not_ok "not detached"
grep -Eq '^Max core file size +0 +' /proc/"$DPID"/limits &&
	ok "no core files (RLIMIT_CORE 0)" || not_ok "core files allowed"
lck=$(sed -n 's/^VmLck:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$DPID"/status)
if [ "${lck:-0}" -gt 0 ]; then
	ok "memory locked (mlockall: $lck kB)"
elif cv_sanitized; then
	ok "memory not all locked under a sanitizer (its shadow map is too big)"
else
	not_ok "VmLck ${lck:-?} kB: mlockall did not happen"
fi
kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$DPID" 2>/dev/null && not_ok "detached agent still running" || ok "detached agent stopped on SIGTERM"
unset CREDVAULT_SOCKET

t_done
