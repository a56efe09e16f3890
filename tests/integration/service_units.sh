#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shipped systemd units, as `cmake --install` installs them: they
# verify (systemd-analyze verify: syntax, the ExecStart binary, the socket
# they need), and systemd-analyze security --offline=yes rates each
# service "OK" with an exposure of at most 2.0, while the agent keeps the
# network for its hooks and may lock its memory.  The installed tree is
# put at its prefix in a private mount namespace (unshare -m), so that
# ExecStart= names a binary that exists, and nothing on the host changes.
set -uo pipefail

# shellcheck source=../lib/common.sh
. "$CV_SOURCE_DIR/tests/lib/common.sh"

for tool in systemd-analyze unshare; do
	command -v "$tool" >/dev/null || { not_ok "no $tool (tests/setup.sh installs it)"; t_done; exit; }
done
cache="$CV_BUILD_DIR/CMakeCache.txt"
PREFIX=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$cache")
UNITDIR=$(sed -n 's/^CV_SYSTEMD_UNITDIR:[A-Z]*=//p' "$cache")
DEST="$T_DIR/dest"
if DESTDIR="$DEST" cmake --install "$CV_BUILD_DIR" >"$T_DIR/install.log" 2>&1; then
	ok "cmake --install puts the units in $UNITDIR"
else
	not_ok "cmake --install failed"; sed 's/^/    /' "$T_DIR/install.log" | tail -5
fi
U="$DEST$UNITDIR"
for f in credvault-agent.service credvault-agent.socket credvault-agent@.service \
	credvault-agent@.socket; do
	[ -f "$U/$f" ] && ok "installed: $f" || not_ok "not installed: $U/$f"
done
for f in sysusers.d/credvault.conf tmpfiles.d/credvault.conf; do
	[ -n "$(find "$DEST" -path "*/$f" -type f)" ] && ok "installed: $f" ||
		not_ok "not installed: $f"
done
grep -q "^ExecStart=$PREFIX/bin/credvault " "$U/credvault-agent.service" &&
	ok "ExecStart names the installed credvault ($PREFIX/bin/credvault)" ||
	not_ok "ExecStart: $(grep ExecStart "$U/credvault-agent.service")"

# The template is checked as an instance (what systemctl start runs).
cp "$U/credvault-agent@.service" "$T_DIR/credvault-agent@shop.service"
cp "$U/credvault-agent@.socket" "$T_DIR/credvault-agent@shop.socket"
# A copy whose binary does not exist: verify must fail on it.
sed "s|^ExecStart=[^ ]*|ExecStart=$PREFIX/bin/no-such-credvault|" \
	"$U/credvault-agent.service" >"$T_DIR/broken.service"

# In the namespace the installed prefix is at PREFIX.  A prefix that is
# not a directory here cannot be mounted over without changing the host.
if [ "$PREFIX" = /usr ] || [ "$PREFIX" = / ] || [ ! -d "$PREFIX" ]; then
	not_ok "cannot check prefix '$PREFIX' without touching the host: configure with the default /usr/local to run this test"
	t_done
	exit
fi
in_ns() {
	unshare -m bash -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		ns "$DEST$PREFIX" "$PREFIX" "$@"
}
UU="$UNITDIR" # the same path inside the namespace
expect_exit 0 "systemd-analyze verify credvault-agent.service and .socket" -- \
	in_ns systemd-analyze verify "$UU/credvault-agent.service" "$UU/credvault-agent.socket"
[ -s "$T_ERR" ] && { not_ok "verify said something"; sed 's/^/    /' "$T_ERR"; } ||
	ok "... without a warning"
expect_exit 0 "systemd-analyze verify the template as credvault-agent@shop" -- \
	in_ns systemd-analyze verify "$T_DIR/credvault-agent@shop.service" \
	"$T_DIR/credvault-agent@shop.socket"
[ -s "$T_ERR" ] && { not_ok "verify said something"; sed 's/^/    /' "$T_ERR"; } ||
	ok "... without a warning"
in_ns systemd-analyze verify "$T_DIR/broken.service" >"$T_OUT" 2>"$T_ERR"
[ $? != 0 ] && grep -q "no-such-credvault" "$T_ERR" &&
	ok "verify fails for a unit whose ExecStart binary is missing (the check bites)" ||
	not_ok "verify accepted a missing binary"

for unit in "$UU/credvault-agent.service" "$T_DIR/credvault-agent@shop.service"; do
	name=$(basename "$unit")
	in_ns systemd-analyze security --offline=yes --no-pager "$unit" \
		>"$T_OUT" 2>"$T_ERR"
	line=$(grep -a "Overall exposure level" "$T_OUT")
	score=$(sed -n 's/.*: \([0-9.]*\) \([A-Z]*\).*/\1/p' <<<"$line")
	rating=$(sed -n 's/.*: \([0-9.]*\) \([A-Z]*\).*/\2/p' <<<"$line")
	echo "# $name: exposure $score $rating"
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' &&
		[ "$rating" = OK ]; then
		ok "$name: exposure $score, rated $rating (at most 2.0, OK)"
	else
		not_ok "$name: '$line'"
		grep -a "✗" "$T_OUT" | head -20
	fi
done

# What the sandbox must leave: the network for hooks, locked memory, no
# capability at all, and the key file from an encrypted credential.
S="$U/credvault-agent.service"
grep -q '^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6$' "$S" &&
	! grep -q '^PrivateNetwork=yes' "$S" && ! grep -q '^IPAddress' "$S" &&
	ok "hooks keep AF_INET and AF_INET6 (no PrivateNetwork=, no IP filter)" ||
	not_ok "the network is cut off for hooks"
grep -q '^LimitMEMLOCK=infinity$' "$S" && ok "LimitMEMLOCK=infinity: mlockall works without CAP_IPC_LOCK" ||
	not_ok "no LimitMEMLOCK=infinity"
grep -q '^CapabilityBoundingSet=$' "$S" && ok "no capabilities" || not_ok "capabilities left"
grep -q '^Type=notify$' "$S" && ok "Type=notify" || not_ok "not Type=notify"
grep -q '^LoadCredentialEncrypted=agent.key:' "$S" &&
	grep -q -- '--keyfile ${CREDENTIALS_DIRECTORY}/agent.key' "$S" &&
	ok "the key file comes from LoadCredentialEncrypted= to --keyfile" ||
	not_ok "no encrypted credential for the key file"
grep -q '^User=credvault$' "$S" && grep -q '^u credvault ' "$CV_SOURCE_DIR/dist/sysusers.d/credvault.conf" &&
	ok "runs as the system user credvault, which sysusers.d creates" ||
	not_ok "user credvault"
grep -q '^ExecStart=.* --vault /var/lib/credvault/%i ' "$T_DIR/credvault-agent@shop.service" &&
	grep -q '^ListenStream=/run/credvault/%i.sock$' "$T_DIR/credvault-agent@shop.socket" &&
	ok "the template: instance NAME serves /var/lib/credvault/NAME on /run/credvault/NAME.sock" ||
	not_ok "template paths"
t_done
