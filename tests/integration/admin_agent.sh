#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Team vaults through the agent (issue 12, test 1): a vault owned by a
# service user and an agent running as that user; two members in
# different groups.  The one hooks.d/admin allows adds, shows and lists
# through the agent; the other is refused (exit 5); neither can read or
# write the files; the audit names each member as the actor.  A
# `passphrase` line makes a reveal ask for the member's own keyslot
# passphrase (issue 12, test 2): a wrong one exits 3, a second reveal
# within the timestamp does not ask again, after it does.
set -uo pipefail

# shellcheck source=../lib/common.sh
. "$CV_SOURCE_DIR/tests/lib/common.sh"

if [ "$(id -u)" != 0 ]; then
	echo "admin_agent: needs root to create users; skipped"
	exit 0
fi
sfx=$$
USVC=cvt_svc_$sfx
GSOCK=cvt_sock_$sfx  # may reach the socket
GADM=cvt_adm_$sfx    # may administer
UIN=cvt_alice_$sfx
UOUT=cvt_bob_$sfx
t_cleanup_hooks+=("[ -z \"\${APID:-}\" ] || kill \$APID 2>/dev/null; userdel $UIN 2>/dev/null; userdel $UOUT 2>/dev/null; userdel $USVC 2>/dev/null; groupdel $GADM 2>/dev/null; groupdel $GSOCK 2>/dev/null")
groupadd "$GSOCK" && groupadd "$GADM" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" "$USVC" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" -G "$GADM" "$UIN" &&
	useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" "$UOUT" ||
	{ not_ok "cannot create test users and groups"; exit 1; }
as() { # as USER CMD...: run CMD as USER with its groups
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$GSOCK" --init-groups \
		env CREDVAULT_STATE_DIR="$T_DIR/state-$u" "$@"
}

chmod 711 "$T_DIR"
SVC="$T_DIR/svc"
VAULT="$SVC/vault"
SOCK="$SVC/run/agent.sock"
install -d -m 711 -o "$USVC" "$SVC"
install -d -m 700 -o "$USVC" "$SVC/state"
install -m 600 -o "$USVC" "$T_DIR/pass" "$SVC/pass"
svc() { setpriv --reuid "$USVC" --regid "$GSOCK" --init-groups \
	env CREDVAULT_STATE_DIR="$SVC/state" "$CV" --vault "$VAULT" \
	--passphrase-file "$SVC/pass" "$@"; }
mkdir -p "$T_DIR/in"
chmod 755 "$T_DIR/in"
printf 'alice own passphrase 7\n' >"$T_DIR/in/alice.pass"
chown "$UIN" "$T_DIR/in/alice.pass" && chmod 600 "$T_DIR/in/alice.pass"
printf 'not alice passphrase\n' >"$T_DIR/in/wrong.pass"
chown "$UIN" "$T_DIR/in/wrong.pass" && chmod 600 "$T_DIR/in/wrong.pass"
printf 'secret-of-shop\n' >"$T_DIR/in/secret"
chmod 644 "$T_DIR/in/secret"

svc init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null 2>&1 ||
	{ not_ok "the service user cannot create its vault"; exit 1; }
install -m 600 -o "$USVC" "$T_DIR/in/alice.pass" "$SVC/alice.pass"
svc keyslot add "$UIN" --new-passphrase-file "$SVC/alice.pass" \
	--kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null 2>&1 ||
	{ not_ok "cannot add alice's keyslot"; exit 1; }
install -d -m 700 -o "$USVC" "$VAULT/hooks.d"
printf '%s\n' "admin requisite peer group=$GADM" \
	"admin sufficient peer ops=list,show,add,keyslot_list" \
	"admin required passphrase keyslot=user timestamp=3" \
	>"$VAULT/hooks.d/admin"
chown "$USVC" "$VAULT/hooks.d/admin" && chmod 644 "$VAULT/hooks.d/admin"

setpriv --reuid "$USVC" --regid "$GSOCK" --init-groups \
	env CREDVAULT_STATE_DIR="$SVC/state" "$CV" --vault "$VAULT" \
	--passphrase-file "$SVC/pass" agent --foreground --socket "$SOCK" \
	--socket-group "$GSOCK" >"$T_DIR/agent.out" 2>"$T_DIR/agent.log" </dev/null &
APID=$!
for _ in $(seq 1 200); do
	[ -S "$SOCK" ] && grep -q serving "$T_DIR/agent.log" && break
	sleep 0.05
done
[ -S "$SOCK" ] && ok "the agent runs as the service user" ||
	{ not_ok "the agent did not start"; cat "$T_DIR/agent.log"; exit 1; }

member() { # member USER CMD...: the CLI as USER, through the agent
	local u=$1
	shift
	as "$u" env CREDVAULT_SOCKET="$SOCK" "$CV" "$@"
}
addshop() { member "$UIN" add "$1" --provider oauth2 --client-id "c-$1" \
	--auth-url https://idp.example/token --scope "read write" <"$T_DIR/in/secret"; }

expect_exit 0 "the allowed member adds through the agent" -- addshop shop
expect_exit 0 "and adds another" -- addshop other
expect_exit 0 "and lists" -- member "$UIN" list
expect_match "both records" "$T_OUT" "^shop$"
expect_exit 0 "and shows one" -- member "$UIN" show shop
expect_match "with its fields" "$T_OUT" "client_id: +c-shop"
expect_exit 0 "--verbose says it went through the agent" -- member "$UIN" --verbose show shop
expect_match "naming the socket" "$T_ERR" "through the agent at '$(ere_quote "$SOCK")'"

expect_exit 5 "the other member is refused" -- member "$UOUT" list
expect_match "and told the admin rules refuse" "$T_ERR" "refused: its admin rules"
expect_exit 5 "also for a show" -- member "$UOUT" show shop
expect_match "the log says why" "$T_DIR/agent.log" "denied: .*group="
expect_exit 2 "a bad name is invalid before anything runs" -- member "$UIN" show 'Bad Name'

for u in "$UIN" "$UOUT"; do
	as "$u" cat "$VAULT/data.mdb" >/dev/null 2>&1 &&
		not_ok "$u can read the vault file" || ok "$u cannot read the vault file"
	as "$u" sh -c "echo x >> '$VAULT/data.mdb'" 2>/dev/null &&
		not_ok "$u can write the vault file" || ok "$u cannot write the vault file"
done
expect_exit 1 "--local as a member cannot open the files" -- \
	as "$UIN" "$CV" --vault "$VAULT" --local list

# The passphrase line: a reveal asks for alice's own keyslot passphrase.
expect_exit 3 "a wrong passphrase is refused" -- \
	member "$UIN" --passphrase-file "$T_DIR/in/wrong.pass" reveal shop
expect_match "the agent asked for it" "$T_ERR" "asks for the passphrase of keyslot '$UIN'"
expect_exit 0 "the right one reveals" -- \
	member "$UIN" --passphrase-file "$T_DIR/in/alice.pass" reveal shop
expect_match "the secret" "$T_OUT" "^secret-of-shop$"
expect_exit 4 "a second reveal within the timestamp does not ask" -- \
	member "$UIN" --passphrase-file /nonexistent reveal nosuch
expect_no_match "(no passphrase read)" "$T_ERR" "asks for the passphrase"
sleep 3.2
expect_exit 2 "after the timestamp it asks again" -- \
	member "$UIN" --passphrase-file /nonexistent reveal other
expect_match "(and needs the passphrase)" "$T_ERR" "asks for the passphrase of keyslot"

# The other operations, each behind the passphrase line.
mem() { member "$UIN" --passphrase-file "$T_DIR/in/alice.pass" "$@"; }
expect_exit 0 "a policy set through the agent" -- mem policy shop --auto-rotate invalid-client
expect_match "(and shown)" "$T_OUT" "auto_rotate: +invalid-client"
printf 'hand-made-secret-2\n' >"$T_DIR/in/secret2"
chmod 644 "$T_DIR/in/secret2"
mem_from() { local f=$1; shift; mem "$@" <"$f"; }
expect_exit 0 "a rotation by hand through the agent" -- \
	mem_from "$T_DIR/in/secret2" rotate shop --secret-stdin
expect_match "(generation 2)" "$T_ERR" "'shop' now uses generation #2"
expect_exit 0 "a check through the agent" -- mem check
expect_match "(intact)" "$T_OUT" "is intact"
expect_exit 2 "a backup is not placed by a member" -- mem backup ../../escape
expect_match "(told why)" "$T_ERR" "backups/ directory"
expect_exit 0 "a backup by name" -- mem backup first.cvb
[ "$(stat -c %U "$VAULT/backups/first.cvb" 2>/dev/null)" = "$USVC" ] &&
	ok "(in the vault's backups/, owned by the service user)" ||
	not_ok "(in the vault's backups/, owned by the service user)"
printf 'carol new passphrase 9\n' >"$T_DIR/in/carol.pass"
chown "$UIN" "$T_DIR/in/carol.pass" && chmod 600 "$T_DIR/in/carol.pass"
expect_exit 0 "a keyslot added through the agent" -- mem keyslot add carol \
	--new-passphrase-file "$T_DIR/in/carol.pass" \
	--kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_exit 0 "(listed)" -- member "$UIN" keyslot list
expect_match "(carol)" "$T_OUT" "carol"
install -m 600 -o "$USVC" "$T_DIR/in/carol.pass" "$SVC/carol.pass"
carol() { setpriv --reuid "$USVC" --regid "$GSOCK" --init-groups \
	env CREDVAULT_STATE_DIR="$SVC/state" "$CV" --vault "$VAULT" --local \
	--passphrase-file "$SVC/carol.pass" "$@"; }
expect_exit 0 "the new slot opens the vault" -- carol list
expect_exit 0 "removed through the agent" -- mem keyslot remove carol
expect_exit 0 "and a rekey" -- mem rekey
expect_exit 3 "the removed slot no longer opens it" -- carol list

svc --local audit >"$T_DIR/audit.txt" 2>&1
expect_match "the audit names the member who added" "$T_DIR/audit.txt" \
	"peer uid=$(id -u "$UIN") user=$UIN pid=[0-9]+ exe=[^	]*	add	shop	ok"
expect_match "and the member who rotated" "$T_DIR/audit.txt" \
	"peer uid=$(id -u "$UIN") user=$UIN .*	rotate manual	shop	ok"
expect_match "and the keyslot proved for the reveal" "$T_DIR/audit.txt" \
	"peer uid=$(id -u "$UIN") user=$UIN .*keyslot=$UIN	reveal	shop"
expect_match "and the refusal of the other" "$T_DIR/audit.txt" \
	"peer uid=$(id -u "$UOUT") .*	admin list	-	denied"
expect_no_match "members' reads add no unlock entries" "$T_DIR/audit.txt" \
	"peer uid=.*	unlock"

kill "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
APID=
t_done
