#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# credvault explain (DESIGN.md section 11) gives the answer a real token
# request gets, without minting: for users created here, an allowed and
# a denied peer, a rule limiting scopes, a scope beyond the record's, no
# stack file, no such record, and an authorize hook (not run: undecided;
# --run-hooks: run).  Each case is asked of explain and then of the agent
# with `credvault token` as that user; the exit codes must agree (0, 5,
# 4).  It names the stack file and line that decide.  Through the agent
# it follows the stack files as the agent loaded them (before a SIGHUP).
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

if [ "$(id -u)" != 0 ]; then
	echo "explain: needs root to create users; skipped"
	exit 0
fi
sfx=$$
GSOCK=cvt_sock_$sfx
GDEP=cvt_dep_$sfx
UIN=cvt_in_$sfx
UOUT=cvt_out_$sfx
t_cleanup_hooks+=("userdel $UIN 2>/dev/null; userdel $UOUT 2>/dev/null; groupdel $GDEP 2>/dev/null; groupdel $GSOCK 2>/dev/null")
groupadd "$GSOCK" && groupadd "$GDEP" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" -G "$GDEP" "$UIN" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" "$UOUT" ||
	{ not_ok "cannot create test users and groups"; exit 1; }

a_setup
chmod 711 "$T"
a_record shop ct-shop
a_record limited ct-shop
a_record plain ct-other "view_orders:demo"
a_record hooked ct-shop
a_record nofile ct-other "view_orders:demo"
a_hook allow '#!/bin/sh
cat >/dev/null
exit 0'
a_stack shop "# shop: the deploy group only
authorize requisite peer group=$GDEP
mint required $MINT"
a_stack limited "authorize requisite peer group=$GDEP scopes=view_products:demo
mint required $MINT"
a_stack plain "mint required $MINT"
a_stack hooked "authorize required peer user=$UIN
authorize required $T/hooks/allow
mint required $MINT"
a_start --socket-group "$GSOCK" || exit 1
export CREDVAULT_SOCKET=$SOCK

as() { local u=$1; shift; setpriv --reuid "$u" --regid "$GSOCK" --init-groups "$@"; }
# same USER WANT DESCRIPTION RECORD [TOKEN ARGS...]: explain for USER
# ("me": this process) exits WANT, and so does a real token request.
same() {
	local u=$1 want=$2 desc=$3 name=$4 got_e got_t
	shift 4
	if [ "$u" = me ]; then
		"$CV" --vault "$VAULT" explain "$name" "$@" >"$T/explain.out" 2>"$T/explain.err"
		got_e=$?
		"$CV" token "$name" "$@" >/dev/null 2>"$T/token.err"
		got_t=$?
	else
		"$CV" --vault "$VAULT" explain "$name" --user "$u" "$@" >"$T/explain.out" 2>"$T/explain.err"
		got_e=$?
		as "$u" "$CV" token --socket "$SOCK" "$name" "$@" >/dev/null 2>"$T/token.err"
		got_t=$?
	fi
	if [ "$got_e" = "$want" ] && [ "$got_t" = "$want" ]; then
		ok "$desc: explain and token both exit $want"
	else
		not_ok "$desc: explain exit $got_e, token exit $got_t, want $want"
		sed 's/^/    explain: /' "$T/explain.out" "$T/explain.err" | head -12
		sed 's/^/    token: /' "$T/token.err" | head -3
	fi
}

same "$UIN" 0 "a member of the group" shop
expect_match "(verdict allowed)" "$T/explain.out" "^verdict +allowed$"
expect_match "(decided by line 2 of the stack file)" "$T/explain.out" \
	"^decided +$(ere_quote "$VAULT/hooks.d/shop"):2: authorize requisite peer group=$GDEP$"
same "$UOUT" 5 "a user outside the group" shop
expect_match "(verdict denied)" "$T/explain.out" "^verdict +denied$"
expect_match "(the deciding line)" "$T/explain.out" \
	"^decided +$(ere_quote "$VAULT/hooks.d/shop"):2: authorize requisite peer group=$GDEP$"
expect_match "(the module ran, and why it failed)" "$T/explain.out" \
	"^  line 2 +requisite +peer group=$GDEP +fail: "
expect_match "(the conclusion)" "$T/explain.out" "would be denied$"
same me 5 "the agent's own uid, outside the group (rules bind it too)" shop
same "$UIN" 0 "within a scopes= limit" limited --scope view_products:demo
same "$UIN" 5 "beyond a scopes= limit" limited --scope "view_products:demo manage_orders:demo"
same "$UIN" 5 "no --scope: all the record's scopes, beyond the limit" limited
expect_match "(the record's scopes were taken)" "$T/explain.out" \
	"^scope +manage_orders:demo view_products:demo \(the record's\)$"
same "$UIN" 5 "a scope the record does not have" shop --scope manage_project:demo
expect_match "(said so)" "$T/explain.out" "scopes beyond the record's"
same me 0 "no authorize line: the agent's own uid" plain
expect_match "(by the default rule)" "$T/explain.out" \
	"^stack +$(ere_quote "$VAULT/hooks.d/plain"); no authorize line$"
same "$UOUT" 5 "no authorize line: anyone else" plain
same "$UOUT" 5 "no stack file at all: anyone else" nofile
same me 4 "no such record (allowed, then not found)" nosuch
expect_match "(said so)" "$T/explain.out" "no such record"

# An authorize hook: not run without --run-hooks.
expect_exit 1 "a hook in the way: undecided without --run-hooks" -- \
	"$CV" --vault "$VAULT" explain hooked --user "$UIN"
expect_match "(the hook is listed as not run)" "$T_OUT" \
	"^  line 2 +required +$(ere_quote "$T/hooks/allow") +not run$"
expect_match "(and it says the verdict depends on it)" "$T_OUT" "depends"
expect_match "(no line decides yet)" "$T_OUT" \
	"^decided +not yet: allowed if the hooks that were not run succeed, denied if they fail$"
expect_exit 0 "with --run-hooks the hook runs" -- \
	"$CV" --vault "$VAULT" explain hooked --user "$UIN" --run-hooks
expect_match "(it ran and succeeded)" "$T_OUT" \
	"^  line 2 +required +$(ere_quote "$T/hooks/allow") +success$"
as "$UIN" "$CV" token --socket "$SOCK" hooked >/dev/null 2>&1
[ $? = 0 ] && ok "(and a real request gets a token)" || not_ok "real request for hooked as $UIN"
expect_exit 5 "the hook cannot save a peer the requisite... required line denies" -- \
	"$CV" --vault "$VAULT" explain hooked --user "$UOUT"
expect_match "(decided without the hook)" "$T_OUT" "^verdict +denied$"
as "$UOUT" "$CV" token --socket "$SOCK" hooked >/dev/null 2>&1
[ $? = 5 ] && ok "(and a real request is denied too)" || not_ok "real request for hooked as $UOUT"

# --json: the whole answer, stable keys.
expect_exit 5 "--json" -- "$CV" --vault "$VAULT" --json explain shop --user "$UOUT"
srv_py - "$T_OUT" "$VAULT" "$GDEP" <<'PYEOF' && ok "--json has the verdict, the line and the modules" || not_ok "--json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["verdict"] == "denied" and j["outcome"] == "denied", j
assert j["file"] == sys.argv[2] + "/hooks.d/shop", j
d = j["decided_by"]
assert d["line"] == 2 and d["control"] == "requisite" and d["module"] == "peer", d
assert d["args"] == ["group=" + sys.argv[3]] and d["result"] == "fail", d
assert [m["line"] for m in j["modules"]] == [2], j["modules"]
assert j["exists"] is True and j["scope_of"] == "record", j
PYEOF

# Through the agent, the stack files as it loaded them.
a_stack limited "authorize required peer
mint required $MINT"
same "$UIN" 5 "an edited stack file before SIGHUP: the agent's loaded one" limited
cv --local explain limited --user "$UIN" >/dev/null 2>&1
[ $? = 0 ] && ok "--local reads the file as it is now (allowed)" || not_ok "--local explain"
kill -HUP "$APID"
sleep 0.3
same "$UIN" 0 "after SIGHUP: the new stack" limited
expect_exit 2 "a relative --exe is a usage error" -- "$CV" --vault "$VAULT" explain shop --exe bin/x
expect_exit 2 "no such user" -- "$CV" --vault "$VAULT" explain shop --user cvt_nobody_$sfx
sleep 1.3
cv audit >"$T/audit.txt" 2>&1
expect_no_match "explain mints nothing: no token issue audited for hooked as the outsider" \
	"$T/audit.txt" "uid=$(id -u "$UOUT") .*	token	hooked	issued"
a_finish
t_done
