#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Authorisation (issue 3, test 4): a stack that allows only group G; a user
# outside G is refused with exit 5 and an audit entry, a user in G gets a
# token, a peer asking for scopes beyond its scopes= limit is refused.
# Users and groups are created here (CI runs as root) and removed after.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

if [ "$(id -u)" != 0 ]; then
	echo "agent_authz: needs root to create users; skipped"
	exit 0
fi
sfx=$$
GSOCK=cvt_sock_$sfx   # may reach the socket
GDEPLOY=cvt_dep_$sfx  # G: may have tokens
UIN=cvt_in_$sfx
UOUT=cvt_out_$sfx
t_cleanup_hooks+=("userdel $UIN 2>/dev/null; userdel $UOUT 2>/dev/null; groupdel $GDEPLOY 2>/dev/null; groupdel $GSOCK 2>/dev/null")
groupadd "$GSOCK" && groupadd "$GDEPLOY" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" -G "$GDEPLOY" "$UIN" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" "$UOUT" ||
	{ not_ok "cannot create test users and groups"; exit 1; }
as() { # as USER CMD...: run CMD as USER with its groups
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$GSOCK" --init-groups "$@"
}

a_setup
chmod 711 "$T" # others may pass through to the socket directory only
a_record shop ct-shop
a_record limited ct-shop
a_record byexe ct-shop
a_stack shop "authorize requisite peer group=$GDEPLOY
mint required $MINT"
a_stack limited "authorize requisite peer group=$GDEPLOY scopes=view_products:demo
mint required $MINT"
a_stack byexe "authorize sufficient peer exe=$CV_BUILD_DIR/bin/credvault uid=$(id -u "$UIN")
authorize requisite peer exe=/nonexistent/tool
mint required $MINT"
a_start --socket-group "$GSOCK" || exit 1
[ "$(stat -c '%a %G' "$SOCK")" = "660 $GSOCK" ] && ok "socket 0660, group $GSOCK" ||
	not_ok "socket $(stat -c '%a %G' "$SOCK")"
[ "$(stat -c '%a %G' "$T/run")" = "710 $GSOCK" ] &&
	ok "socket directory 0710, group $GSOCK" || not_ok "dir $(stat -c '%a %G' "$T/run")"

expect_exit 5 "a user outside the group is refused" -- as "$UOUT" "$CV" token \
	--socket "$SOCK" shop
expect_match "told only that it was denied" "$T_ERR" "denied a token for 'shop'"
expect_no_match "and not why" "$T_ERR" "$GDEPLOY|group"
expect_exit 0 "a user in the group gets a token" -- as "$UIN" "$CV" token \
	--socket "$SOCK" shop
expect_exit 5 "a stack with rules binds the agent's own uid too" -- \
	a_token shop
expect_exit 0 "within the peer's scopes= limit" -- as "$UIN" "$CV" token \
	--socket "$SOCK" limited --scope view_products:demo
expect_exit 5 "beyond the peer's scopes= limit" -- as "$UIN" "$CV" token \
	--socket "$SOCK" limited --scope "view_products:demo manage_orders:demo"
expect_exit 5 "no --scope under a scopes= limit: told to name the scopes" -- \
	as "$UIN" "$CV" token --socket "$SOCK" limited
expect_exit 0 "exe= matches the peer's executable (from /proc)" -- as "$UIN" \
	"$CV" token --socket "$SOCK" byexe
expect_exit 5 "the same executable under another uid does not" -- as "$UOUT" \
	"$CV" token --socket "$SOCK" byexe
expect_exit 5 "lock is for the agent's own user" -- as "$UIN" "$CV" lock \
	--socket "$SOCK"
expect_match "the log says why the outsider was denied" "$T/agent.log" \
	"record 'shop': denied to peer uid=$(id -u "$UOUT") .*group"

sleep 1.3 # the audit group commit
cv audit >"$T/audit.txt" 2>&1
expect_match "the refusal is audited with the peer's uid and executable" \
	"$T/audit.txt" "peer uid=$(id -u "$UOUT") pid=[0-9]+ exe=$CV_BUILD_DIR/bin/credvault	token	shop	denied"
expect_match "the issue is audited" "$T/audit.txt" \
	"peer uid=$(id -u "$UIN") pid=[0-9]+ exe=[^	]*	token	shop	issued"
expect_match "the scope refusal is audited" "$T/audit.txt" \
	"peer uid=$(id -u "$UIN") .*	token	limited	denied scope=manage_orders:demo view_products:demo"

# A user who cannot reach the socket at all (not in its group).
expect_exit 5 "a user outside the socket group cannot even connect" -- \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$CV" token \
	--socket "$SOCK" shop
expect_match "and is told the socket keeps it out" "$T_ERR" "no permission"

a_finish
t_done
