# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The token agent under test, against the strict fake token endpoint.
# Sourcing it sources common.sh and servers.sh too; it runs nothing by
# itself.
# $T is $T_DIR, $MINT the built oauth2-mint, $SOCK the agent's socket.
#
#   a_setup                 a vault with hooks.d, the fake (clients ct-shop,
#                           ct-other in $T/clients.json; $FAKE_URL)
#   a_record NAME CLIENT [SCOPE [PROVIDER [AUTH_URL]]]
#                           add a record whose secret is CLIENT's
#   a_stack NAME TEXT       write hooks.d/NAME (0644)
#   a_hook NAME TEXT        write an executable hook $T/hooks/NAME (0755)
#   a_start [ARGS...]       start `credvault agent --foreground` on $SOCK;
#                           $APID, log in $T/agent.log; with A_NOFILE=N
#                           set, under `ulimit -n N`
#   a_cpu_ticks PID         utime + stime of PID, in clock ticks
#                           (getconf CLK_TCK a second)
#   a_log_lines             lines in the agent's log so far
#   a_stop                  SIGTERM the agent, wait for it; its exit in $A_RC
#   a_finish                a_stop, and check it stopped cleanly
#   a_token ARGS...         credvault token --socket $SOCK ARGS...
#   a_default_mint          print the mint hook the agent uses when a stack
#                           has no mint line: the build's compiled-in
#                           libexec path, wherever it was configured to go
#   a_hook_is_safe PATH     whether the agent would run PATH as a hook
# The fake's counters and secrets: fake_stat and secret_of (servers.sh).

# shellcheck source=common.sh
declare -F ok >/dev/null || . "$CV_SOURCE_DIR/tests/lib/common.sh"
# shellcheck source=servers.sh
declare -F srv_py >/dev/null || . "$CV_SOURCE_DIR/tests/lib/servers.sh"

MINT="$CV_BUILD_DIR/libexec/oauth2-mint"
T=$T_DIR
SOCK="$T/run/agent.sock"
APID=
A_RC=
cv_sanitizer_exits

a_setup() {
	[ -x "$MINT" ] || srv_die "no $MINT: build the oauth2-mint target"
	srv_init "$T"
	umask 077
	cv_init || exit 1
	mkdir -m 700 "$VAULT/hooks.d" "$T/hooks"
	srv_py - "$T/clients.json" <<'EOF'
import json, secrets, sys
clients = [
    {"client_id": "ct-shop", "client_secret": secrets.token_urlsafe(24),
     "auth": "basic-raw", "style": "commercetools", "expires_in": 3600,
     "scopes": ["view_products:demo", "manage_orders:demo"]},
    {"client_id": "ct-other", "client_secret": secrets.token_urlsafe(24),
     "auth": "basic-raw", "style": "commercetools", "expires_in": 7200,
     "scopes": ["view_orders:demo"]},
]
with open(sys.argv[1], "w") as f:
    json.dump({"clients": clients}, f)
EOF
	srv_start_fake fake "$T/clients.json" --log "$T/fake.requests"
	FAKE_PORT=$SRV_PORT
	FAKE_URL="http://127.0.0.1:$FAKE_PORT"
	t_cleanup_hooks+=(a_stop)
	A_RC=
}

a_record() {
	local name=$1 client=$2 scope=${3:-"view_products:demo manage_orders:demo"}
	local provider=${4:-commercetools} url=${5:-$FAKE_URL}
	secret_of "$client" | cv add "$name" --provider "$provider" \
		--client-id "$client" --auth-url "$url" --api-url "$url" \
		--project-key demo --scope "$scope" >/dev/null 2>"$T/add.err" ||
		{ cat "$T/add.err"; return 1; }
}

a_stack() {
	printf '%s\n' "$2" >"$VAULT/hooks.d/$1"
	chmod 644 "$VAULT/hooks.d/$1"
}

a_hook() {
	printf '%s\n' "$2" >"$T/hooks/$1"
	chmod 755 "$T/hooks/$1"
}

a_start() {
	(
		[ -z "${A_NOFILE:-}" ] || ulimit -n "$A_NOFILE" || exit 1
		exec "$CV" --vault "$VAULT" --passphrase-file "$T/pass" agent \
			--foreground --socket "$SOCK" "$@"
	) >"$T/agent.out" 2>"$T/agent.log" </dev/null &
	APID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		[ -S "$SOCK" ] && grep -q serving "$T/agent.log" && return 0
		kill -0 "$APID" 2>/dev/null || break
		sleep 0.05
	done
	echo "agent did not start:" >&2
	sed 's/^/    /' "$T/agent.log" >&2
	APID=
	return 1
}

a_stop() {
	[ -n "$APID" ] || return 0
	kill -TERM "$APID" 2>/dev/null
	wait "$APID" 2>/dev/null
	A_RC=$?
	APID=
}

# a_finish: stop the agent and check it stopped cleanly: exit 0 on
# SIGTERM, and no sanitizer report (leaks included) in its log.
a_finish() {
	local was=$APID
	a_stop
	[ -n "$was" ] || return 0
	[ "$A_RC" = 0 ] && ok "the agent stopped cleanly on SIGTERM" ||
		not_ok "the agent exited $A_RC on SIGTERM"
	if grep -Eq "Sanitizer|runtime error:" "$T/agent.log"; then
		not_ok "a sanitizer report in the agent's log"
		grep -E -A12 "Sanitizer|runtime error:" "$T/agent.log" | head -30
	fi
}

a_cpu_ticks() {
	# Fields 14 and 15 of /proc/PID/stat, counted after the ") " that
	# ends the command name (which may hold spaces).
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

a_log_lines() {
	wc -l <"$T/agent.log"
}

a_token() {
	"$CV" token --socket "$SOCK" "$@"
}

# The build compiles its hook directory, CMAKE_INSTALL_FULL_LIBEXECDIR
# followed by /credvault, into the agent.  GNUInstallDirs makes that full
# path from the cached prefix and libexec directory (prefix / means /usr).
a_default_mint() {
	local cache="$CV_BUILD_DIR/CMakeCache.txt" prefix dir
	prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$cache")
	dir=$(sed -n 's/^CMAKE_INSTALL_LIBEXECDIR:[A-Z]*=//p' "$cache")
	[ -n "$prefix" ] && [ -n "$dir" ] || return 1
	if [ "${dir#/}" = "$dir" ]; then
		if [ "$prefix" != / ]; then
			dir="$prefix/$dir"
		elif [ "${dir#usr/}" != "$dir" ]; then
			dir="/$dir"
		else
			dir="/usr/$dir"
		fi
	fi
	printf '%s/credvault/oauth2-mint\n' "$dir"
}

# The agent's rules for a hook path: it resolves to a regular, executable
# file; that file and every directory up to / belong to root or to the
# vault's owner (us) and are writable by nobody else, except that a
# root-owned sticky directory above the hook's own may be.
a_hook_is_safe() {
	local p me level=0 uid mode
	p=$(realpath -e -- "$1" 2>/dev/null) || return 1
	me=$(id -u)
	[ -f "$p" ] || return 1
	while :; do
		read -r uid mode < <(stat -c '%u %f' -- "$p") || return 1
		mode=$((16#$mode))
		[ "$level" != 0 ] || (((mode & 8#111) != 0)) || return 1
		[ "$uid" = 0 ] || [ "$uid" = "$me" ] || return 1
		if (((mode & 8#022) != 0)); then
			[ "$level" -ge 2 ] && [ "$uid" = 0 ] && (((mode & 8#1000) != 0)) ||
				return 1
		fi
		[ "$p" = / ] && return 0
		p=$(dirname -- "$p")
		level=$((level + 1))
	done
}
