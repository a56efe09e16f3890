# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Test servers for integration tests: the strict fake OAuth2 endpoint
# (tests/fakes/fake_oauth.py) and commercetools-mock (tests/npm/ct-mock.mjs).
# Source it from bash; it needs CV_SOURCE_DIR.  Everything listens on
# 127.0.0.1 and is stopped by PID.
#
#   srv_init [DIR]                 $SRV_DIR = DIR or a new 0700 temp dir;
#                                  stop everything on exit (see below)
#   srv_start_fake NAME CLIENTS [fake flags...]
#   srv_start_ctmock NAME [PROJECT_KEY]
#                                  both set SRV_PORT and write
#                                  $SRV_DIR/NAME.port, NAME.pid, NAME.log
#   srv_port NAME                  print NAME's port
#   srv_stop NAME                  SIGTERM, then SIGKILL after 3 s
#   srv_cleanup                    stop every server; remove $SRV_DIR if
#                                  srv_init made it (unless CV_KEEP_TMP=1).
#                                  Runs from common.sh's t_cleanup_hooks
#                                  when that is loaded, else an EXIT trap.
#   srv_npm_ready                  npm ci in tests/npm when node_modules is
#                                  missing (serialised with flock)
#   srv_fake_ctl NAME PATH [JSON]  POST JSON to the fake (/_control, /_reset)
#   srv_fake_stat NAME KEY         print one counter of GET /_stats
#   srv_http_get URL [TOKEN_FILE]  print the HTTP status of a GET, with
#                                  "Authorization: Bearer <file content>"
#   srv_py ARGS...                 run Python 3 (standard library only)
#
# Shorthands for the usual case, one fake named "fake" whose clients file
# is $SRV_DIR/clients.json:
#   fake_stat KEY                  srv_fake_stat fake KEY
#   secret_of CLIENT [CLIENTS]     print CLIENT's secret from CLIENTS
#                                  (default $SRV_DIR/clients.json); for a
#                                  pipe or a file, never for an argv

: "${CV_SOURCE_DIR:?CV_SOURCE_DIR must point at the source tree}"

SRV_DIR=
SRV_OWN_DIR=0
SRV_PORT=
# The interpreter itself, not a version manager's shim: a pyenv shim costs
# about half a second per call, and helpers here run dozens of times.
SRV_PY=${CV_PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)}
[ -x "$SRV_PY" ] || SRV_PY=python3

# Standard library only: -I -S skip site-packages, which is most of the
# start-up time.
srv_py() {
	"$SRV_PY" -I -S "$@"
}
SRV_NAMES=()
SRV_WAIT_S=${SRV_WAIT_S:-20}

srv_die() {
	echo "servers.sh: $*" >&2
	exit 1
}

# srv_init [DIR]: use DIR (e.g. common.sh's $T_DIR) or a new private one.
# With common.sh loaded, cleanup joins its t_cleanup_hooks instead of
# replacing its EXIT trap.
srv_init() {
	if [ -n "${1:-}" ]; then
		SRV_DIR=$1
		SRV_OWN_DIR=0
	else
		SRV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cv-srv.XXXXXX") ||
			srv_die "cannot create a temporary directory"
		chmod 700 "$SRV_DIR"
		SRV_OWN_DIR=1
	fi
	if declare -p t_cleanup_hooks >/dev/null 2>&1; then
		t_cleanup_hooks+=(srv_cleanup)
	else
		trap srv_cleanup EXIT
	fi
}

# srv_wait_file FILE PID: wait until FILE is non-empty while PID lives.
srv_wait_file() {
	local file=$1 pid=$2 i
	for ((i = 0; i < SRV_WAIT_S * 20; i++)); do
		[ -s "$file" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# srv_started NAME PID: wait for the port file, then remember NAME.
srv_started() {
	local name=$1 pid=$2
	SRV_NAMES+=("$name")
	echo "$pid" >"$SRV_DIR/$name.spid"
	if ! srv_wait_file "$SRV_DIR/$name.port" "$pid"; then
		echo "servers.sh: $name did not start; its log:" >&2
		sed 's/^/    /' "$SRV_DIR/$name.log" >&2 || true
		srv_die "$name: no port file after ${SRV_WAIT_S}s"
	fi
	SRV_PORT=$(<"$SRV_DIR/$name.port")
	[[ $SRV_PORT =~ ^[0-9]+$ ]] || srv_die "$name: bad port file"
}

srv_start_fake() {
	local name=$1 clients=$2
	shift 2
	[ -n "$SRV_DIR" ] || srv_die "call srv_init first"
	rm -f "$SRV_DIR/$name.port" "$SRV_DIR/$name.pid"
	# The interpreter directly, not srv_py: $! must be the server itself.
	"$SRV_PY" -I -S "$CV_SOURCE_DIR/tests/fakes/fake_oauth.py" \
		--clients "$clients" \
		--port-file "$SRV_DIR/$name.port" \
		--pid-file "$SRV_DIR/$name.pid" \
		"$@" </dev/null >"$SRV_DIR/$name.log" 2>&1 &
	srv_started "$name" $!
}

srv_npm_ready() {
	local dir="$CV_SOURCE_DIR/tests/npm"
	[ -d "$dir/node_modules/@labdigital/commercetools-mock" ] && return 0
	command -v npm >/dev/null || srv_die "npm not found: install nodejs and npm"
	(
		flock 9
		if [ ! -d "$dir/node_modules/@labdigital/commercetools-mock" ]; then
			cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund \
				--loglevel=error >&2
		fi
	) 9>"${TMPDIR:-/tmp}/credvault-npm-ci.lock" || srv_die "npm ci in $dir failed"
}

srv_start_ctmock() {
	local name=$1 project=${2:-demo}
	[ -n "$SRV_DIR" ] || srv_die "call srv_init first"
	command -v node >/dev/null || srv_die "node not found: install nodejs"
	srv_npm_ready
	rm -f "$SRV_DIR/$name.port" "$SRV_DIR/$name.pid"
	node "$CV_SOURCE_DIR/tests/npm/ct-mock.mjs" \
		--port-file "$SRV_DIR/$name.port" \
		--pid-file "$SRV_DIR/$name.pid" \
		--project "$project" </dev/null >"$SRV_DIR/$name.log" 2>&1 &
	srv_started "$name" $!
}

srv_port() {
	cat "$SRV_DIR/$1.port"
}

# Only ever the PID we started ($!); the server's own PID file must agree.
srv_stop() {
	local name=$1 pid own i
	[ -f "$SRV_DIR/$name.spid" ] || return 0
	pid=$(<"$SRV_DIR/$name.spid")
	rm -f "$SRV_DIR/$name.spid"
	own=$(cat "$SRV_DIR/$name.pid" 2>/dev/null) || own=$pid
	[ "$own" = "$pid" ] || echo "servers.sh: $name: PID file says $own, started $pid" >&2
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

srv_cleanup() {
	local name
	for name in "${SRV_NAMES[@]}"; do
		srv_stop "$name"
	done
	SRV_NAMES=()
	[ "${SRV_OWN_DIR:-0}" = 1 ] || return 0
	if [ "${CV_KEEP_TMP:-0}" != 1 ]; then
		rm -rf "$SRV_DIR"
	else
		echo "servers.sh: kept $SRV_DIR" >&2
	fi
}

srv_fake_ctl() {
	local port body=${3:-'{}'}
	port=$(srv_port "$1") || return 1
	srv_py - "$port" "$2" "$body" <<'EOF'
import sys, urllib.request
port, path, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), data=body,
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=5) as r:
    r.read()
EOF
}

srv_fake_stat() {
	local port
	port=$(srv_port "$1") || return 1
	srv_py - "$port" "$2" <<'EOF'
import json, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/_stats" % sys.argv[1], timeout=5) as r:
    v = json.load(r).get(sys.argv[2])
print(v if not isinstance(v, (dict, list)) else json.dumps(v, sort_keys=True))
EOF
}

# The token stays in a file, out of every argv.
srv_http_get() {
	srv_py - "$1" "${2:-}" <<'EOF'
import sys, urllib.request, urllib.error
url, tokfile = sys.argv[1], sys.argv[2]
headers = {}
if tokfile:
    with open(tokfile) as f:
        headers["Authorization"] = "Bearer " + f.read().strip()
try:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                timeout=5) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
}

fake_stat() {
	srv_fake_stat fake "$1"
}

# Fails when CLIENTS has no such client.
secret_of() {
	srv_py - "${2:-$SRV_DIR/clients.json}" "$1" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1]))["clients"]:
    if c["client_id"] == sys.argv[2]:
        print(c["client_secret"])
        sys.exit(0)
sys.exit("servers.sh: no client %r in %s" % (sys.argv[2], sys.argv[1]))
EOF
}
