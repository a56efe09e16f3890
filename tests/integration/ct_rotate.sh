#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ct-rotate, driven directly with hook requests on stdin, against the strict
# fake's commercetools API Clients API (tests/fakes/fake_oauth.py).
# Loopback only; every server is started and stopped by PID.
set -uo pipefail

# shellcheck source=../lib/common.sh
. "$CV_SOURCE_DIR/tests/lib/common.sh"
# shellcheck source=../lib/servers.sh
. "$CV_SOURCE_DIR/tests/lib/servers.sh"
# shellcheck source=../lib/hook.sh
. "$CV_SOURCE_DIR/tests/lib/hook.sh"

ROT="$CV_BUILD_DIR/libexec/ct-rotate"
MINT="$CV_BUILD_DIR/libexec/oauth2-mint"
[ -x "$ROT" ] || srv_die "no $ROT: build the ct-rotate target first"
[ -x "$MINT" ] || srv_die "no $MINT: build the oauth2-mint target first"

srv_init "$T_DIR"
T=$T_DIR
umask 077

# Secrets are random per run and live only in clients.json (0600).
srv_py - "$T/clients.json" <<'EOF'
import json, secrets, sys
def c(cid, scopes):
    return {"client_id": cid, "client_secret": secrets.token_urlsafe(24),
            "auth": "basic-raw", "style": "commercetools", "scopes": scopes}
clients = [
    c("ct-shop", ["view_products:demo", "manage_orders:demo"]),
    c("ct-admin", ["manage_api_clients:demo"]),
    c("ct-viewer", ["view_api_clients:demo"]),
    c("ct-project", ["manage_project:demo"]),
]
with open(sys.argv[1], "w") as f:
    json.dump({"clients": clients}, f)
EOF

srv_start_fake fake "$T/clients.json" --log "$T/fake.requests"
FAKE="http://127.0.0.1:$SRV_PORT"

# A small client of the fake for the test itself: tokens come from files,
# never from argv.
cat >"$T/ctl.py" <<'EOF'
import json, sys, urllib.request, urllib.error
base, tokfile, cmd = sys.argv[1], sys.argv[2], sys.argv[3]
args = sys.argv[4:]
def call(method, path, body=None):
    tok = open(tokfile).read().strip()
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
        headers={"Authorization": "Bearer " + tok,
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None
def stats():
    with urllib.request.urlopen(base + "/_stats", timeout=5) as r:
        return json.load(r)
if cmd == "create":          # create NAME SCOPE -> prints the id
    st, c = call("POST", "/demo/api-clients", {"name": args[0], "scope": args[1]})
    assert st == 201, st
    print(c["id"])
elif cmd == "count":         # count NAME -> clients with that name
    print(sum(1 for c in stats()["clients"] if c["name"] == args[0]))
elif cmd == "ids":           # ids NAME -> their ids
    print(" ".join(c["client_id"] for c in stats()["clients"] if c["name"] == args[0]))
elif cmd == "exists":        # exists ID -> yes/no
    print("yes" if any(c["client_id"] == args[0] for c in stats()["clients"]) else "no")
elif cmd == "scopes":        # scopes ID -> sorted scopes
    print(" ".join(sorted(next(c["scopes"] for c in stats()["clients"]
                               if c["client_id"] == args[0]))))
EOF
ctl() {
	srv_py "$T/ctl.py" "$FAKE" "$T/admin.tok" "$@"
}
faults() {
	srv_fake_ctl fake /_control "$1"
}
faults_off() {
	faults '{"api_fail_first": 0, "api_fail_status": 503, "api_fail_methods": "*",
		"api_delay": 0, "api_where": true, "api_response": "normal"}'
}

# token CLIENT FILE: mint a token for a client of clients.json with
# oauth2-mint (itself tested in oauth2_mint.sh) into FILE.
token() {
	srv_py - "$T/clients.json" "$1" "$FAKE" >"$T/mint-$1.req" <<'EOF'
import json, sys
clients = {c["client_id"]: c for c in json.load(open(sys.argv[1]))["clients"]}
c = clients[sys.argv[2]]
print(json.dumps({"version": 1, "phase": "mint",
                  "record": {"name": "admin", "provider": "commercetools",
                             "project_key": "demo", "client_id": c["client_id"],
                             "scope": " ".join(c["scopes"]),
                             "auth_url": sys.argv[3]},
                  "secret": c["client_secret"]}))
EOF
	"$MINT" <"$T/mint-$1.req" >"$T/mint-$1.out" 2>>"$T/all.err" || return 1
	srv_py -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' \
		"$T/mint-$1.out" >"$2"
}
token ct-admin "$T/admin.tok" || srv_die "cannot mint the admin token"
token ct-viewer "$T/viewer.tok" || srv_die "cannot mint the viewer token"
token ct-project "$T/project.tok" || srv_die "cannot mint the project token"
printf 'not-a-token-%s\n' "$RANDOM$RANDOM" >"$T/bogus.tok"

SCOPE="view_products:demo manage_orders:demo"

# rreq NAME PHASE CLIENT_NAME_OR_ID [TOKEN_FILE [PATCH_JSON]]: write
# $T/NAME.req.  rotate: CLIENT_NAME is rotation.client_name; retire: the
# id to delete.  PATCH_JSON is merged into the request ("record.KEY" into
# the record; null deletes a member).
rreq() {
	srv_py - "$T/clients.json" "$FAKE" "$SCOPE" "$@" >"$T/$1.req" <<'EOF'
import json, sys
clients = {c["client_id"]: c for c in json.load(open(sys.argv[1]))["clients"]}
fake, scope, name, phase, target = sys.argv[2:7]
tokfile = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
patch = json.loads(sys.argv[8]) if len(sys.argv) > 8 else {}
req = {"version": 1, "phase": phase,
       "record": {"name": "shop", "provider": "commercetools",
                  "project_key": "demo", "client_id": "ct-shop",
                  "scope": scope, "api_url": fake, "auth_url": fake,
                  "generation": 3},
       "secret": clients["ct-shop"]["client_secret"]}
if tokfile:
    req["admin"] = {"access_token": open(tokfile).read().strip(),
                    "token_type": "Bearer"}
if phase == "retire":
    del req["secret"]
    req["retire"] = {"client_id": target}
else:
    req["rotation"] = {"client_name": target, "generation": 4}
for k, v in patch.items():
    where = req
    if k.startswith("record."):
        where, k = req["record"], k[len("record."):]
    if v is None:
        where.pop(k, None)
    else:
        where[k] = v
print(json.dumps(req))
EOF
}

# rot NAME [ARGS...]: ct-rotate on $T/NAME.req (hook_run).
rot() {
	hook_run "$ROT" "$@"
}

# --- 1. create ---------------------------------------------------------------

rreq r1 rotate credvault-shop-g4 "$T/admin.tok"
rot r1 admin=ct-admin
NEW1=$(field r1 client_id)
check "create: exit 0 with a new client id and secret" \
	test "$RC" = 0 -a -n "$NEW1" -a -n "$(field r1 secret)"
check "create: the reply names the client and its scope" \
	test "$(field r1 client_name)/$(field r1 scope)" = "credvault-shop-g4/$SCOPE"
check "create: no orphan was replaced" test -z "$(field r1 replaced_orphan)"
check "create: the fake has the new client under that name" \
	test "$(ctl ids credvault-shop-g4)" = "$NEW1"
check "create: ... with the record's scopes" \
	test "$(ctl scopes "$NEW1")" = "manage_orders:demo view_products:demo"
check "create: one create, one query, no delete upstream" \
	test "$(fake_stat api_clients_created)/$(fake_stat api_clients_queries)/$(fake_stat api_clients_deleted)" = "1/1/0"

# The new secret works at the token endpoint (through oauth2-mint).
srv_py - "$T/r1.out" "$FAKE" "$SCOPE" >"$T/m1.req" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"version": 1, "phase": "mint",
                  "record": {"name": "shop", "provider": "commercetools",
                             "project_key": "demo", "client_id": r["client_id"],
                             "scope": sys.argv[3], "auth_url": sys.argv[2]},
                  "secret": r["secret"], "scope": "view_products:demo"}))
EOF
"$MINT" <"$T/m1.req" >"$T/m1.out" 2>>"$T/all.err"
check "create: the new secret mints a token" test "$?" = 0
srv_py -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' \
	"$T/m1.out" >"$T/m1.tok" 2>/dev/null
check "create: ... that opens GET /demo/products" \
	test "$(srv_http_get "$FAKE/demo/products" "$T/m1.tok")" = 200

rreq r1b rotate credvault-shop-g4b "$T/admin.tok" '{"record.scope": " manage_orders:demo   view_products:demo "}'
rot r1b
check "create: the record's scope list is normalised" \
	test "$RC/$(field r1b scope)" = "0/manage_orders:demo view_products:demo"

# --- 2. orphans: crash safety -------------------------------------------------

ORPHAN=$(ctl create credvault-shop-g5 "$SCOPE")
rreq r2 rotate credvault-shop-g5 "$T/admin.tok"
del0=$(fake_stat api_clients_deleted)
rot r2
NEW2=$(field r2 client_id)
check "orphan: rotation succeeds" test "$RC" = 0 -a -n "$NEW2"
check "orphan: the reply reports replaced_orphan" \
	test "$(field r2 replaced_orphan)" = "$ORPHAN"
check "orphan: ... and replaced_orphans" \
	test "$(field r2 replaced_orphans)" = "[\"$ORPHAN\"]"
check "orphan: the orphan is gone upstream" test "$(ctl exists "$ORPHAN")" = no
check "orphan: exactly one client has the name, the new one" \
	test "$(ctl ids credvault-shop-g5)" = "$NEW2"
check "orphan: one delete upstream" \
	test "$(($(fake_stat api_clients_deleted) - del0))" = 1

# The vault crashed before storing r2's secret and runs the hook again.
rot r2
NEW3=$(field r2 client_id)
check "resume: a second run for the same generation succeeds" \
	test "$RC" = 0 -a -n "$NEW3" -a "$NEW3" != "$NEW2"
check "resume: ... replacing the first run's client" \
	test "$(field r2 replaced_orphan)" = "$NEW2"
check "resume: still exactly one client with the name" \
	test "$(ctl ids credvault-shop-g5)" = "$NEW3"

# A name clash with the record's active client is refused, not "fixed".
rreq r3 rotate credvault-shop-g5 "$T/admin.tok" "{\"record.client_id\": \"$NEW3\"}"
rot r3
check "clash: the active client's own name is name_conflict, exit 1" \
	expect_error name_conflict
check "clash: ... and the active client is untouched" test "$(ctl exists "$NEW3")" = yes

# --- 3. retire ----------------------------------------------------------------

rreq d1 retire "$NEW1" "$T/admin.tok"
rot d1 --delete admin=ct-admin
check "delete: exit 0, deleted true" test "$RC/$(field d1 deleted)" = "0/true"
check "delete: the client is gone upstream" test "$(ctl exists "$NEW1")" = no
rot d1 --delete
check "delete: again is idempotent (404), exit 0" \
	test "$RC/$(field d1 deleted)/$(field d1 reason)" = "0/false/not_found"
rreq d2 retire "$NEW3" "$T/admin.tok"
rot d2
check "delete: phase retire without --delete works too" \
	test "$RC/$(field d2 deleted)/$(ctl exists "$NEW3")" = "0/true/no"
rreq d3 retire ct-shop "$T/admin.tok"
rot d3 --delete
check "delete: the record's active client is refused, exit 3" \
	test "$RC/$(ctl exists ct-shop)" = "3/yes"
rot r1 --delete
check "usage: --delete with a rotate request is exit 3" test "$RC" = 3
rreq d4 retire "$NEW2" "$T/admin.tok" "{\"record.api_url\": \"$FAKE/nothing\"}"
rot d4 --delete
check "delete: a 404 from a wrong api_url is not 'gone' (invalid_response)" \
	expect_error invalid_response

# --- 4. the admin token -------------------------------------------------------

c0=$(fake_stat api_clients_created)
rreq a1 rotate credvault-shop-a1 "$T/bogus.tok"
rot a1
check "admin: an unknown token is invalid_token, exit 1" expect_error invalid_token
rreq a2 rotate credvault-shop-a2 "$T/project.tok"
rot a2
check "admin: manage_project is not enough (insufficient_scope)" \
	expect_error insufficient_scope
rreq a3 rotate credvault-shop-a3 "$T/viewer.tok"
rot a3
check "admin: view_api_clients may list but not create (insufficient_scope)" \
	expect_error insufficient_scope
rreq a4 retire ct-admin "$T/viewer.tok"
rot a4 --delete
check "admin: ... nor delete" expect_error insufficient_scope
check "admin: nothing was created" test "$(fake_stat api_clients_created)" = "$c0"
rreq a5 rotate credvault-shop-a5 ""
rot a5
check "usage: a request without an admin token is exit 3" test "$RC" = 3
check "usage: ... saying to put admin=NAME on the stack line" grep -q "admin=NAME" "$T/a5.err"
rreq a6 rotate credvault-shop-a6 "$T/admin.tok" '{"admin": {"access_token": "x", "token_type": "MAC"}}'
rot a6
check "usage: an admin token that is not Bearer is exit 3" test "$RC" = 3

# --- 5. provider faults --------------------------------------------------------

faults '{"api_fail_first": 1, "api_fail_methods": "POST"}'
rreq f1 rotate credvault-shop-f1 "$T/admin.tok"
rot f1
check "faults: 503 on create, then success" test "$RC" = 0 -a -n "$(field f1 secret)"
check "faults: ... one client with the name" test "$(ctl count credvault-shop-f1)" = 1
faults_off

faults '{"api_fail_first": -1, "api_fail_methods": "POST"}'
rreq f2 rotate credvault-shop-f2 "$T/admin.tok"
t0=$(now_ms)
rot f2
t1=$(now_ms)
check "faults: always 503 on create is temporarily_unavailable, exit 1" \
	expect_error temporarily_unavailable
check "faults: ... within the time limit" test $((t1 - t0)) -lt 9000
check "faults: ... and no client with the name" test "$(ctl count credvault-shop-f2)" = 0
faults_off

faults '{"api_fail_first": 1, "api_fail_methods": "POST", "api_fail_status": 500}'
rreq f2b rotate credvault-shop-f2b "$T/admin.tok"
rot f2b
# Only the first POST fails: a retry would have succeeded.
check "faults: 500 on create is not sent twice: temporarily_unavailable" \
	expect_error temporarily_unavailable
check "faults: ... saying why" grep -q "not sent twice" "$T/f2b.err"
check "faults: ... and no client with the name" test "$(ctl count credvault-shop-f2b)" = 0
faults_off

faults '{"api_fail_first": -1, "api_fail_methods": "*", "api_fail_status": 502}'
rot f2 retries=1
check "faults: API down (502 everywhere) is temporarily_unavailable" \
	expect_error temporarily_unavailable
faults_off

LIVE=$(field f1 client_id)
faults '{"api_fail_first": -1, "api_fail_methods": "DELETE"}'
rreq f3 retire "$LIVE" "$T/admin.tok"
rot f3 --delete retries=1
check "faults: delete under 503 is temporarily_unavailable, exit 1" \
	expect_error temporarily_unavailable
check "faults: ... and the client is still there" test "$(ctl exists "$LIVE")" = yes
faults_off
rot f3 --delete
check "faults: ... and deleted once the API is back" \
	test "$RC/$(field f3 deleted)/$(ctl exists "$LIVE")" = "0/true/no"

faults '{"api_delay": 3}'
rreq f4 rotate credvault-shop-f4 "$T/admin.tok"
t0=$(now_ms)
rot f4 timeout=1
t1=$(now_ms)
check "faults: an API slower than timeout=1 is temporarily_unavailable" \
	expect_error temporarily_unavailable
check "faults: ... within about a second" test $((t1 - t0)) -lt 2500
faults_off

# Bad answers to create: the client may exist upstream without a usable
# secret, so the hook deletes it before failing.
for mode in malformed huge no-secret html renamed; do
	faults "{\"api_response\": \"$mode\"}"
	rreq "b-$mode" rotate "credvault-shop-b-$mode" "$T/admin.tok"
	rot "b-$mode"
	check "bad create reply '$mode' is invalid_response, exit 1" \
		expect_error invalid_response
	check "bad create reply '$mode': no client left under the name" \
		test "$(ctl count "credvault-shop-b-$mode")/$(ctl count "credvault-shop-b-$mode-x")" = 0/0
done
check "bad create reply 'huge': rejected for its size" grep -q "larger than" "$T/b-huge.err"
faults '{"api_response": "fewer-scopes"}'
rreq b-scopes rotate credvault-shop-b-scopes "$T/admin.tok"
rot b-scopes
check "bad create reply: fewer scopes than the record is invalid_scope" \
	expect_error invalid_scope
check "bad create reply: ... and that client is deleted" \
	test "$(ctl count credvault-shop-b-scopes)" = 0
faults '{"api_response": "race"}'
rreq b-race rotate credvault-shop-b-race "$T/admin.tok"
rot b-race
check "race: a client named alike appearing before create is replaced" \
	test "$RC" = 0 -a -n "$(field b-race replaced_orphan)"
check "race: ... leaving exactly one client with the name" \
	test "$(ctl ids credvault-shop-b-race)" = "$(field b-race client_id)"
faults '{"api_response": "status-200"}'
rreq b-200 rotate credvault-shop-b-200 "$T/admin.tok"
rot b-200
check "create answered 200 instead of 201 is accepted" test "$RC" = 0
faults_off

# --- 6. finding orphans without a where predicate, across pages ---------------

for i in $(seq 1 24); do
	ctl create "filler-$i" "view_products:demo" >/dev/null
done
ORPHAN=$(ctl create credvault-shop-g9 "$SCOPE")
faults '{"api_where": false}'
rreq p1 rotate credvault-shop-g9 "$T/admin.tok"
q0=$(fake_stat api_clients_queries)
rot p1
check "scan: a refused where predicate falls back to reading all clients" \
	test "$RC/$(field p1 replaced_orphan)" = "0/$ORPHAN"
check "scan: ... over more than one page" \
	test "$(($(fake_stat api_clients_queries) - q0))" -ge 2
check "scan: ... saying so on stderr" grep -q "reading every API client" "$T/p1.err"
check "scan: exactly one client with the name" test "$(ctl count credvault-shop-g9)" = 1
faults_off

# --- 7. usage and request errors ----------------------------------------------

rreq u1 rotate credvault-shop-u1 "$T/admin.tok"
rot u1 frobnicate=1
check "usage: an unknown argument is exit 3" test "$RC" = 3
rot u1 timeout=0
check "usage: timeout=0 is exit 3" test "$RC" = 3
rot u1 --delete --delete
check "usage: a repeated --delete is exit 3" test "$RC" = 3
rot u1 admin=a admin=b cafile=relative.pem
check "usage: cafile must be absolute" test "$RC" = 3
rreq u2 rotate 'credvault-"shop' "$T/admin.tok"
rot u2
check "usage: a client name with a quote is exit 3" test "$RC" = 3
rreq u3 rotate credvault-shop-u3 "$T/admin.tok" '{"rotation": null}'
rot u3
check "usage: no rotation.client_name is exit 3" test "$RC" = 3
rreq u4 rotate credvault-shop-u4 "$T/admin.tok" '{"record.scope": ""}'
rot u4
check "usage: an empty record scope is exit 3" test "$RC" = 3
rreq u5 rotate credvault-shop-u5 "$T/admin.tok" '{"record.provider": "commercelayer"}'
rot u5
check "usage: a provider other than commercetools is exit 3" test "$RC" = 3
rreq u6 rotate credvault-shop-u6 "$T/admin.tok" '{"record.api_url": "http://example.invalid"}'
t0=$(now_ms)
rot u6
t1=$(now_ms)
check "policy: http:// to a non-loopback api_url is refused, exit 3" \
	test "$RC" = 3 -a $((t1 - t0)) -lt 1000 -a ! -s "$T/u6.out"
rreq u7 rotate credvault-shop-u7 "$T/admin.tok" '{"record.project_key": "demo/../x"}'
rot u7
check "usage: a project key that is not [A-Za-z0-9_-] is exit 3" test "$RC" = 3
rreq u8 mint credvault-shop-u8 "$T/admin.tok"
rot u8
check "usage: a mint request is exit 3" test "$RC" = 3
srv_py -c 'import sys; sys.stdout.write("{\"version\":1,\"pad\":\"" + "x" * 70000 + "\"}")' \
	>"$T/big.req"
rot big
check "request: over CV_HOOK_INPUT_MAX is exit 3" test "$RC" = 3
check "usage: nothing named credvault-shop-u* was created" \
	test "$(ctl count credvault-shop-u1)$(ctl count credvault-shop-u6)" = 00

# --- 8. TLS, verified even on loopback ----------------------------------------

if command -v openssl >/dev/null; then
	(
		cd "$T" &&
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" \
				-keyout ca.key -out ca.pem 2>/dev/null &&
			openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
				-keyout srv.key -out srv.csr 2>/dev/null &&
			printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext &&
			openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
				-CAcreateserial -days 2 -extfile srv.ext -out srv.pem 2>/dev/null
	) || srv_die "cannot make test certificates"
	srv_start_fake tls "$T/clients.json" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
	TLS="https://127.0.0.1:$SRV_PORT"
	rreq t1 rotate credvault-shop-t1 "$T/bogus.tok" "{\"record.api_url\": \"$TLS\"}"
	rot t1 "cafile=$T/ca.pem"
	check "tls: https with the test CA reaches the API (invalid_token there)" \
		expect_error invalid_token
	rot t1
	check "tls: an unknown CA fails verification (transport_error)" \
		expect_error transport_error
else
	echo "# openssl not found: TLS cases skipped"
fi

# --- 9. secrets stay out of argv, the environment and stderr -------------------

faults '{"api_delay": 1}'
rreq s1 rotate credvault-shop-s1 "$T/admin.tok"
"$ROT" admin=ct-admin <"$T/s1.req" >"$T/s1.out" 2>"$T/s1.err" &
pid=$!
sleep 0.3
tr '\0' '\n' <"/proc/$pid/cmdline" >"$T/s1.cmdline" 2>/dev/null
tr '\0' '\n' <"/proc/$pid/environ" >"$T/s1.environ" 2>/dev/null
wait "$pid"
check "argv: the running hook's argv is just the program and admin=NAME" \
	test "$(tail -n +2 "$T/s1.cmdline")" = "admin=ct-admin"
check "argv: neither argv nor the environment holds the admin token" \
	test -s "$T/s1.cmdline" -a "$(grep -cF -f "$T/admin.tok" "$T/s1.cmdline" "$T/s1.environ" | grep -vc ':0$')" = 0
cat "$T/s1.out" >>"$T/all.out"
cat "$T/s1.err" >>"$T/all.err"
faults_off

srv_py - "$T/clients.json" "$T/all.out" >"$T/secrets" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1]))["clients"]:
    print(c["client_secret"])
for line in open(sys.argv[2]):
    try:
        s = json.loads(line).get("secret")
    except ValueError:
        continue
    if s:
        print(s)
EOF
cat "$T/admin.tok" "$T/viewer.tok" "$T/project.tok" >"$T/tokens"
check "secrets: the new secrets were collected" test "$(wc -l <"$T/secrets")" -gt 10
leaks=0
while IFS= read -r s; do
	grep -qF -- "$s" "$T/all.err" && leaks=$((leaks + 1))
done <"$T/secrets"
check "secrets: no client secret, old or new, on stderr" test "$leaks" = 0
tokleaks=0
while IFS= read -r s; do
	grep -qF -- "$s" "$T/all.err" "$T/all.out" && tokleaks=$((tokleaks + 1))
done <"$T/tokens"
check "secrets: no admin token on stdout or stderr" test "$tokleaks" = 0
check "secrets: the fake's log holds no query string or body" \
	test "$(grep -c '[?{]' "$T/fake.requests")" = 0

check "no sanitizer report from any hook run" \
	test "$(grep -cE 'Sanitizer|runtime error:' "$T/all.err")" = 0

t_done
