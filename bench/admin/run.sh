#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Admin commands through the vault's agent against the same commands on the
# files (bench/admin/README.md): whole-process p50 of `credvault list`,
# `show` and `add`, each way, with `credvault --version` (a process that
# does nothing) as the baseline of the same run.  The vault uses the KDF
# cost init calibrates on this machine, as a user's would.
#
#   bench/admin/run.sh [BUILD_DIR] [RUNS]    (RUNS through the agent, 50)
set -euo pipefail

B=$(cd "${1:-build}" && pwd)
RUNS=${2:-50}
CV="$B/bin/credvault"
[ -x "$CV" ] || { echo "run.sh: no $CV; build first" >&2; exit 1; }

D=$(mktemp -d "${TMPDIR:-/tmp}/cv-admin-bench.XXXXXX")
chmod 700 "$D"
APID=
cleanup() {
	[ -z "$APID" ] || { kill -TERM "$APID" 2>/dev/null; wait "$APID" 2>/dev/null; } || true
	rm -rf "$D"
}
trap cleanup EXIT

printf 'an admin benchmark passphrase\n' >"$D/pass"
chmod 600 "$D/pass"
V="$D/vault"
"$CV" --vault "$V" --passphrase-file "$D/pass" init 2>"$D/init.log"
sed 's/^/# /' "$D/init.log"
# 1,000 records, as a team's vault might hold.
python3 - "$D/recs.json" <<'PY'
import json, sys
recs = [{"name": "shop-%04d" % i, "provider": "commercetools",
         "client_id": "client-%04d" % i, "project_key": "demo-%d" % (i % 7),
         "auth_url": "https://auth.europe-west1.gcp.commercetools.com",
         "api_url": "https://api.europe-west1.gcp.commercetools.com",
         "scope": "view_products:demo-%d manage_orders:demo-%d" % (i % 7, i % 7),
         "secret": "secret-%04d-abcdefghijklmnopqrstuvwxyz" % i}
        for i in range(1000)]
json.dump(recs, open(sys.argv[1], "w"))
PY
"$CV" --vault "$V" --passphrase-file "$D/pass" import --json "$D/recs.json" 2>/dev/null
"$CV" --vault "$V" --passphrase-file "$D/pass" agent --foreground \
	--socket "$D/agent.sock" >/dev/null 2>"$D/agent.log" </dev/null &
APID=$!
for _ in $(seq 100); do [ -S "$D/agent.sock" ] && grep -q serving "$D/agent.log" && break; sleep 0.05; done

python3 - "$CV" "$V" "$D" "$RUNS" <<'PY'
import os, statistics, subprocess, sys, time
cv, vault, d, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sock = os.path.join(d, "agent.sock")
secret = b"a-new-secret-abcdefghijklmnopqrstuvwxyz\n"
counter = [0]

def p50(argv, n, env=None, stdin=None, each=None):
    ts = []
    for i in range(n):
        a = each(argv) if each else argv
        t = time.perf_counter()
        r = subprocess.run(a, env=env, input=stdin, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        ts.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit("bench: %s: %s" % (" ".join(a), r.stderr.decode()))
    return statistics.median(ts) * 1000

def fresh_name(argv):
    counter[0] += 1
    return [x.replace("NAME", "bench-%d" % counter[0]) for x in argv]

agent_env = dict(os.environ, CREDVAULT_SOCKET=sock)
files_env = {k: v for k, v in os.environ.items() if k != "CREDVAULT_SOCKET"}
base = [cv, "--vault", vault, "--passphrase-file", os.path.join(d, "pass")]
add = ["add", "NAME", "--provider", "oauth2", "--client-id", "c",
       "--auth-url", "https://auth.example.com/oauth/token"]
cmds = [("list", ["list"]), ("show", ["show", "shop-0500"]), ("add", add)]
idle = p50([cv, "--version"], runs)
print("# %d runs through the agent, 3 on the files; p50 whole-process ms" % runs)
print("%-6s %10s %10s %14s %10s" % ("cmd", "agent", "files", "files/agent",
                                     "agent/idle"))
for name, argv in cmds:
    each = fresh_name if name == "add" else None
    stdin = secret if name == "add" else None
    a = p50(base + argv, runs, env=agent_env, stdin=stdin, each=each)
    f = p50(base + ["--local"] + argv, 3, env=files_env, stdin=stdin, each=each)
    print("%-6s %10.2f %10.1f %14.0f %10.1f" % (name, a, f, f / a, a / idle))
print("%-6s %10.2f   (credvault --version: the cost of a process)" % ("idle", idle))
PY
