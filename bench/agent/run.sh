#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the agent benchmark (bench/agent/README.md): a throwaway vault and
# agent with a stub mint hook, the raw echo baseline, an ssh-agent for
# `ssh-add -l`, then agent_bench.  Everything is local; nothing listens on
# the network.
#
#   bench/agent/run.sh [BUILD_DIR] [agent_bench options...]
#
# PLACEMENT=same (default): the servers (agent, echo baseline, ssh-agent)
# and the clients all run on the last CPU, so that every round trip costs
# the same two context switches on both sides; on a small VM a wake-up
# across CPUs costs tens of microseconds and whoever gets it loses.
# PLACEMENT=split: servers on CPU 0, clients on the last CPU.
# PLACEMENT=none: wherever the scheduler puts them.
set -euo pipefail

B=$(cd "${1:-build}" && pwd)
shift || true
CV="$B/bin/credvault"
for x in "$CV" "$B/bench/agent_bench" "$B/bench/echo_server" \
	"$B/bench/min_client" "$B/bench/mint_stub"; do
	[ -x "$x" ] || { echo "run.sh: no $x; build first" >&2; exit 1; }
done

last=$(($(nproc) - 1))
case "${PLACEMENT:-same}" in
same) SRV=(taskset -c "$last") CLI=(taskset -c "$last") ;;
split) SRV=(taskset -c 0) CLI=(taskset -c "$last") ;;
none) SRV=() CLI=() ;;
*) echo "run.sh: PLACEMENT is same, split or none" >&2; exit 2 ;;
esac

D=$(mktemp -d "${TMPDIR:-/tmp}/cv-bench.XXXXXX")
chmod 700 "$D"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$D"
}
trap cleanup EXIT
umask 077

printf 'bench\n' >"$D/pass"
cv() { "$CV" --vault "$D/vault" --passphrase-file "$D/pass" "$@"; }
cv init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null
scopes=$(for i in $(seq -w 0 39); do printf 's%s ' "$i"; done)
# The stub mints; the URL is never contacted.
head -c 24 /dev/urandom | base64 | tr -d '/+=' | cv add bench \
	--provider oauth2 --client-id bench --auth-url http://127.0.0.1:9/token \
	--scope "read write" >/dev/null
head -c 24 /dev/urandom | base64 | tr -d '/+=' | cv add cold \
	--provider oauth2 --client-id cold --auth-url http://127.0.0.1:9/token \
	--scope "$scopes" >/dev/null
mkdir -m 700 "$D/vault/hooks.d"
printf 'mint required %s\n' "$B/bench/mint_stub" >"$D/vault/hooks.d/default"
chmod 644 "$D/vault/hooks.d/default"

"${SRV[@]}" "$CV" --vault "$D/vault" --passphrase-file "$D/pass" agent \
	--foreground --socket "$D/run/agent.sock" >/dev/null 2>"$D/agent.log" &
PIDS+=($!)
"${SRV[@]}" "$B/bench/echo_server" "$D/echo.sock" &
PIDS+=($!)
SSH_ADD=()
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
	"${SRV[@]}" ssh-agent -D -a "$D/ssh.sock" >/dev/null 2>&1 &
	PIDS+=($!)
	SSH_ADD=(--ssh-add "$(command -v ssh-add)")
	export SSH_AUTH_SOCK="$D/ssh.sock"
fi
for _ in $(seq 100); do
	[ -S "$D/run/agent.sock" ] && [ -S "$D/echo.sock" ] &&
		{ [ ${#SSH_ADD[@]} = 0 ] || [ -S "$D/ssh.sock" ]; } && break
	sleep 0.05
done
# The cache-hit record: mint once.
"$CV" token --socket "$D/run/agent.sock" bench >/dev/null

echo "credvault $("$CV" --version | cut -d' ' -f2), $(nproc) CPUs, $(uname -r)," \
	"placement ${PLACEMENT:-same}, load $(cut -d' ' -f1-3 /proc/loadavg)"
"${CLI[@]}" "$B/bench/agent_bench" --echo "$D/echo.sock" --agent "$D/run/agent.sock" \
	--record bench --cold-record cold --credvault "$CV" \
	--min-client "$B/bench/min_client" --mint-stub "$B/bench/mint_stub" \
	"${SSH_ADD[@]}" "$@"
