#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The agent survives bad input (issue 3, test 6): malformed, oversized and
# truncated requests, clients that disconnect mid-request or while a hook
# runs, a hook printing 10 MB or invalid JSON.  Each gets an error reply
# where there is someone to answer, and a well-formed request right after
# still succeeds.  Raw frames come from a small Python client.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
a_record big ct-shop
a_record junk ct-shop
a_record slow ct-shop
a_stack default "mint required $MINT"
a_hook big '#!/bin/sh
head -c 10485760 /dev/zero | tr "\0" A
exit 0'
a_hook junk '#!/bin/sh
echo "this is not JSON"
exit 0'
a_hook slow '#!/bin/sh
exec sleep 5'
a_stack big "mint required $T/hooks/big"
a_stack junk "mint required $T/hooks/junk"
a_stack slow "mint required $T/hooks/slow"
a_start || exit 1

# raw SCENARIO: one scenario of raw frames; prints the replies' statuses
# and errors, one per line ("status[:error]"), or "closed".
cat >"$T/raw.py" <<'PY'
import json, socket, struct, sys, time
path, scenario = sys.argv[1], sys.argv[2]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    return s

def frame(obj):
    b = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b

def reply(s):
    hdr = b""
    while len(hdr) < 4:
        c = s.recv(4 - len(hdr))
        if not c:
            return "closed"
        hdr += c
    (n,) = struct.unpack(">I", hdr)
    assert 0 < n <= 65536, n
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            return "short"
        body += c
    j = json.loads(body)
    assert j["v"] == 1
    return j["status"] + (":" + j["error"] if "error" in j else "")

def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True

good = {"v": 1, "op": "token", "name": "shop"}
s = conn()
if scenario == "malformed":
    for body in [b"{", b"[1,2]", b"\x00\xff\xfe", b'{"v":1,"op":"token"}',
                 b'{"v":1,"op":"token","name":"shop","x":1}',
                 b'{"v":1,"op":"token","name":"../etc"}',
                 b'{"v":1,"op":"token","name":"shop","name":"b"}',
                 b'{"v":1,"op":"token","name":"shop","scope":"a\\u0001"}']:
        s.sendall(frame(body))
        print(reply(s))
    s.sendall(frame(good))          # same connection, still in sync
    print(reply(s))
elif scenario == "version":
    s.sendall(frame({"v": 9, "op": "token", "name": "shop"}))
    print(reply(s))
    s.sendall(frame({"v": 1, "op": "teleport"}))
    print(reply(s))
elif scenario == "oversized":
    s.sendall(struct.pack(">I", 1 << 20) + b"{" * 1000)
    print(reply(s))
    print("closed" if closed(s) else "open")
elif scenario == "huge-header":
    s.sendall(b"\xff\xff\xff\xff")
    print(reply(s))
elif scenario == "zero":
    s.sendall(struct.pack(">I", 0))
    print(reply(s))
elif scenario == "truncated":
    s.sendall(struct.pack(">I", 100) + b'{"v":1,')
    s.shutdown(socket.SHUT_WR)
    print(reply(s))
elif scenario == "vanish":                   # gone mid-frame
    s.sendall(struct.pack(">I", 100) + b'{"v":1,')
    s.close()
    print("gone")
elif scenario == "vanish-header":
    s.sendall(b"\x00\x00")
    s.close()
    print("gone")
elif scenario == "vanish-waiting":           # gone while a hook runs
    s.sendall(frame({"v": 1, "op": "token", "name": "slow"}))
    time.sleep(0.3)
    s.close()
    print("gone")
elif scenario == "pipelined":
    s.sendall(frame(good) + frame({"v": 1, "op": "token", "name": "nosuch"})
              + frame(good))
    print(reply(s)); print(reply(s)); print(reply(s))
elif scenario == "stall":                    # never finishes its frame
    s.sendall(struct.pack(">I", 50) + b'{"v"')
    t = time.time()
    print(reply(s))
    # The agent checks deadlines once a second: 10 s, give or take one.
    print("after ~10s" if 9.5 <= time.time() - t <= 12 else
          "after %.1fs" % (time.time() - t))
elif scenario == "many":
    socks = [conn() for _ in range(300)]
    for x in socks[:150]:
        x.sendall(struct.pack(">I", 30))    # half a frame each
    s.sendall(frame(good))
    print(reply(s))
    for x in socks:
        x.close()
elif scenario == "good":
    s.sendall(frame(good))
    print(reply(s))
elif scenario == "burst-eof":                # 500 requests, one write, EOF
    s.sendall(frame(good) * 500)
    s.shutdown(socket.SHUT_WR)
    got = [reply(s) for _ in range(500)]
    print("%d ok" % got.count("ok"))
    print("closed" if closed(s) else "open")
elif scenario == "reload":                   # one connection, SIGHUP between
    import os, signal
    stack, pid = sys.argv[3], int(sys.argv[4])
    s.sendall(frame(good)); print(reply(s))
    s.sendall(frame(good)); print(reply(s))  # the same bytes: remembered
    with open(stack, "w") as f:
        f.write("authorize required peer uid=12345\n")
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.3)
    s.sendall(frame(good)); print(reply(s))  # the new stack decides
    os.unlink(stack)
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.3)
    s.sendall(frame(good)); print(reply(s))
PY
raw() {
	srv_py "$T/raw.py" "$SOCK" "$@"
}

# raw_check SCENARIO EXPECTED DESCRIPTION
raw_check() {
	local got
	got=$(raw "$1" 2>&1 | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$2" ]; then ok "$3"; else not_ok "$3: got '$got', want '$2'"; fi
	# After each, the agent still answers a well-formed request.
	if [ "$(raw good 2>&1)" != ok ] || ! kill -0 "$APID" 2>/dev/null; then
		not_ok "agent broken after $1"
	fi
}

raw_check malformed "failed:bad_request failed:bad_request failed:bad_request failed:bad_request failed:bad_request failed:bad_request failed:bad_request failed:bad_request ok" \
	"malformed requests: each answered bad_request, the connection stays in sync"
raw_check version "failed:unsupported failed:unsupported" "other versions and unknown ops: unsupported"
raw_check oversized "failed:too_large closed" "an oversized frame: too_large before its body is read, then closed"
raw_check huge-header "failed:too_large" "a 4 GiB length: too_large"
raw_check zero "failed:bad_request" "an empty frame: bad_request"
raw_check truncated "failed:truncated" "a frame cut short by a half-close: truncated"
raw_check vanish "gone" "a client that disconnects mid-frame"
raw_check vanish-header "gone" "a client that disconnects mid-header"
raw_check vanish-waiting "gone" "a client that disconnects while its hook runs"
raw_check pipelined "ok failed:no_such_record ok" "pipelined requests are answered in order"
raw_check burst-eof "500 ok closed" "500 requests in one write, then EOF: all answered, then closed"
raw_check many "ok" "300 connections at once, half of them mid-frame"
raw_check stall "failed:timeout after ~10s" "a frame never finished: timeout after 10 s"
got=$(raw reload "$VAULT/hooks.d/shop" "$APID" 2>&1 | tr '\n' ' ')
[ "$got" = "ok ok denied ok " ] &&
	ok "on one connection, a repeated request still sees a reloaded stack" ||
	not_ok "reload on one connection: $got"

expect_exit 7 "a hook printing 10 MB: a clear failure" -- a_token big
expect_match "hook_error" "$T_ERR" "\(hook_error\)"
expect_exit 0 "a well-formed request right after" -- a_token shop
expect_exit 7 "a hook printing invalid JSON: a clear failure" -- a_token junk
expect_match "hook_error" "$T_ERR" "\(hook_error\)"
expect_exit 0 "a well-formed request right after" -- a_token shop
expect_match "the log says what the hook did" "$T/agent.log" \
	"record 'junk': mint failed \(hook_error\).*bad mint reply"
sleep 5 # the abandoned slow hook finishes
kill -0 "$APID" && ok "the agent survived all of it" || not_ok "agent died"
a_finish

t_done
