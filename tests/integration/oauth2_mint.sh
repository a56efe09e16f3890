#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# oauth2-mint, driven directly with hook requests on stdin, against
# commercetools-mock and the strict fake token endpoint.  Loopback only.
set -uo pipefail

# shellcheck source=../lib/common.sh
. "$CV_SOURCE_DIR/tests/lib/common.sh"
# shellcheck source=../lib/servers.sh
. "$CV_SOURCE_DIR/tests/lib/servers.sh"
# shellcheck source=../lib/hook.sh
. "$CV_SOURCE_DIR/tests/lib/hook.sh"

MINT="$CV_BUILD_DIR/libexec/oauth2-mint"
[ -x "$MINT" ] || srv_die "no $MINT: build the oauth2-mint target first"

srv_init "$T_DIR"
T=$T_DIR
umask 077

# Secrets are random per run and live only in clients.json (0600).
srv_py - "$T/clients.json" <<'EOF'
import json, secrets, sys
def sec(extra=""):
    return secrets.token_urlsafe(24) + extra
clients = [
    {"client_id": "ct-shop", "client_secret": sec(), "auth": "basic-raw",
     "style": "commercetools", "expires_in": 172800,
     "scopes": ["view_products:demo", "manage_orders:demo"]},
    {"client_id": "ct-admin", "client_secret": sec(), "auth": "basic-raw",
     "style": "commercetools", "scopes": ["manage_project:demo"]},
    {"client_id": "ct-mocklike", "client_secret": sec(), "auth": "basic-raw",
     "style": "commercetools-errors-only", "scopes": ["view_products:demo"]},
    {"client_id": "cl-int", "client_secret": sec(), "auth": "json",
     "style": "rfc", "token_type": "bearer", "expires_in": 7200,
     "scopes": ["market:all", "market:id:xYZkjABcde"]},
    # Characters that RFC 6749 section 2.3.1 encoding changes.
    {"client_id": "gen:basic", "client_secret": sec(" p@ss:w+rd/=%&"),
     "auth": "basic", "style": "rfc", "require_scope": True,
     "scopes": ["read", "write"]},
    {"client_id": "gen-basic", "client_secret": sec("+/ %41"),
     "auth": "basic", "style": "rfc", "scopes": ["read"]},
    {"client_id": "gen-post", "client_secret": sec("+&="), "auth": "post",
     "style": "rfc", "require_scope": True, "echo_scope": False,
     "scopes": ["read", "write"]},
    {"client_id": "any-mock", "client_secret": sec(), "auth": "any",
     "style": "rfc", "scopes": ["view_products:demo"]},
]
with open(sys.argv[1], "w") as f:
    json.dump({"clients": clients}, f)
EOF

# req NAME PROVIDER CLIENT_ID SECRET_OF AUTH_URL RECORD_SCOPE [SCOPE [PHASE]]
# Writes $T/NAME.req.  SECRET_OF names the client whose secret to send,
# or is "=TEXT" for a literal (wrong) secret.
req() {
	srv_py - "$T/clients.json" "$@" >"$T/$1.req" <<'EOF'
import json, sys
clients = {c["client_id"]: c for c in json.load(open(sys.argv[1]))["clients"]}
name, provider, cid, secret_of, auth_url, rscope = sys.argv[2:8]
scope = sys.argv[8] if len(sys.argv) > 8 else ""
phase = sys.argv[9] if len(sys.argv) > 9 else "mint"
secret = secret_of[1:] if secret_of.startswith("=") else clients[secret_of]["client_secret"]
print(json.dumps({"version": 1, "phase": phase,
                  "record": {"name": name, "provider": provider,
                             "project_key": "demo", "client_id": cid,
                             "scope": rscope, "api_url": auth_url,
                             "auth_url": auth_url, "generation": 1},
                  "secret": secret, "scope": scope,
                  "peer": {"uid": 1000, "gid": 1000, "pid": 1}}))
EOF
}

# mint NAME [ARGS...]: oauth2-mint on $T/NAME.req (hook_run).
mint() {
	hook_run "$MINT" "$@"
}

# token NAME: the access token of a reply, into $T/NAME.tok.
token() {
	field "$1" access_token >"$T/$1.tok"
}

expect_ok() {
	[ "$RC" = 0 ] && [ -n "$(field "$LAST" access_token)" ]
}

reset_fake() {
	srv_fake_ctl fake /_reset
}

# --- 1. commercetools-mock ---------------------------------------------------

srv_start_ctmock ctm demo
CTM="http://127.0.0.1:$SRV_PORT"

req ctm1 commercetools ct-mock-client any-mock "$CTM" \
	"view_products:demo manage_orders:demo" "view_products:demo"
mint ctm1
check "ct-mock: commercetools record gets a token" expect_ok
check "ct-mock: token_type Bearer, expires_in 172800" \
	test "$(field ctm1 token_type)/$(field ctm1 expires_in)" = "Bearer/172800"
check "ct-mock: granted scope is the requested one" \
	test "$(field ctm1 scope)" = "view_products:demo"
token ctm1
check "ct-mock: GET /demo/products with the token is 200" \
	test "$(srv_http_get "$CTM/demo/products" "$T/ctm1.tok")" = 200
echo "not-a-token" >"$T/bogus.tok"
check "ct-mock: GET /demo/products with a bogus token is 401" \
	test "$(srv_http_get "$CTM/demo/products" "$T/bogus.tok")" = 401

req ctm2 commercetools ct-mock-client any-mock "$CTM/" "view_products:demo"
mint ctm2
check "ct-mock: one trailing slash of auth_url is dropped" expect_ok

# --- 2. the strict fake ------------------------------------------------------

srv_start_fake fake "$T/clients.json" --log "$T/fake.requests"
FAKE="http://127.0.0.1:$SRV_PORT"

req ct1 commercetools ct-shop ct-shop "$FAKE" \
	"view_products:demo manage_orders:demo" "view_products:demo"
mint ct1
check "fake: right secret gives a token" expect_ok
check "fake: commercetools uses Basic over the raw id and secret" \
	test "$(fake_stat last_auth_method)" = basic-raw
check "fake: commercetools sends the requested scope" \
	test "$(fake_stat last_scope)" = "view_products:demo"
token ct1
check "fake: the token opens GET /demo/products" \
	test "$(srv_http_get "$FAKE/demo/products" "$T/ct1.tok")" = 200
check "fake: exactly one upstream request" test "$(fake_stat token_requests)" = 1

req ct1b commercetools ct-shop ct-shop "$FAKE" \
	"view_products:demo manage_orders:demo"
mint ct1b
check "fake: no requested scope means the record's scope" \
	test "$(fake_stat last_scope)" = "view_products:demo manage_orders:demo"

req ct2 commercetools ct-shop "=wrong-secret-$RANDOM" "$FAKE" "view_products:demo"
mint ct2
check "fake: wrong secret is invalid_client, exit 1" expect_error invalid_client

req ct3 commercetools ct-mocklike "=wrong-secret-$RANDOM" "$FAKE" "view_products:demo"
mint ct3
check "fake: invalid_client found in a commercetools errors[] array" \
	expect_error invalid_client

req ct4 commercetools ct-shop ct-shop "$FAKE" \
	"view_products:demo manage_orders:demo" "manage_products:demo"
mint ct4
check "fake: scope beyond the client's is invalid_scope" expect_error invalid_scope

req ct5 commercetools ct-admin ct-admin "$FAKE" "manage_project:demo" \
	"view_products:demo"
mint ct5
check "fake: narrowing a manage_project client is invalid_scope" \
	expect_error invalid_scope
check "fake: ... and the description says why" \
	grep -q "manage_project" "$T/ct5.out"

req ct6 commercetools ct-admin ct-admin "$FAKE" "manage_project:demo"
mint ct6
check "fake: a manage_project client gets its full scope" expect_ok

reset_fake
srv_fake_ctl fake /_control '{"fail_first": 1, "fail_status": 503}'
mint ct1
check "fake: 503 then 200 succeeds" expect_ok
check "fake: ... with exactly 2 upstream requests" test "$(fake_stat token_requests)" = 2

reset_fake
srv_fake_ctl fake /_control '{"fail_first": 1, "fail_status": 429, "retry_after": 1}'
mint ct1
check "fake: 429 with Retry-After: 1 then 200 succeeds" expect_ok
check "fake: ... waiting the 1 s asked for, not its own shorter backoff" \
	grep -qF "HTTP 429, retrying in 1000 ms (attempt 1 of 4)" "$T/ct1.err"
check "fake: ... with 2 upstream requests" test "$(fake_stat token_requests)" = 2

# Honoured, counted: with Retry-After: 2 on every answer, 3 s in all leave
# room for one retry, however many are allowed; the hook's own backoff
# (at most 250 ms, then doubling) would have fitted four attempts or more.
reset_fake
srv_fake_ctl fake /_control '{"fail_first": -1, "fail_status": 429, "retry_after": 2}'
mint ct1 timeout=3 retries=10
check "fake: Retry-After: 2 under timeout=3 retries=10: exactly 2 requests, then exit 1" \
	test "$RC/$(fake_stat token_requests)" = 1/2

reset_fake
srv_fake_ctl fake /_control '{"fail_first": -1, "fail_status": 503}'
mint ct1
check "fake: always 503 is temporarily_unavailable, exit 1" \
	expect_error temporarily_unavailable
check "fake: ... after 1 + 3 retries" test "$(fake_stat token_requests)" = 4
# The hook stops retrying when its time limit would pass; the reply then
# says "no time left".
check "fake: ... within the time limit: the retries ran out, not the time" \
	grep -qF 'HTTP 503 after 4 attempt(s)"' "$T/ct1.out"

reset_fake
srv_fake_ctl fake /_control '{"fail_first": -1, "fail_status": 502}'
mint ct1 retries=1
check "fake: retries=1 makes 2 attempts" test "$(fake_stat token_requests)" = 2

reset_fake
srv_fake_ctl fake /_control '{"fail_first": -1, "fail_status": 429, "retry_after": 120}'
mint ct1
check "fake: Retry-After beyond the cap gives up at once" \
	test "$RC/$(fake_stat token_requests)" = "1/1"

reset_fake
# The fake answers after 5 s and counts the token it issues then.
srv_fake_ctl fake /_control '{"delay": 5}'
mint ct1 timeout=1
check "fake: a server slower than timeout=1 is temporarily_unavailable" \
	expect_error temporarily_unavailable
check "fake: ... given up before the server answered (1 request, no token issued yet)" \
	test "$(fake_stat token_requests)/$(fake_stat tokens_issued)" = 1/0

reset_fake
req cl1 commercelayer cl-int cl-int "$FAKE" "market:all market:id:xYZkjABcde" \
	"market:id:xYZkjABcde"
mint cl1
check "fake: Commerce Layer JSON body gives a token" expect_ok
check "fake: ... authenticated in the JSON body" test "$(fake_stat last_auth_method)" = json
check "fake: ... lower-case bearer reported as Bearer" \
	test "$(field cl1 token_type)/$(field cl1 expires_in)" = "Bearer/7200"
check "fake: ... scope market:id:xYZkjABcde" test "$(field cl1 scope)" = "market:id:xYZkjABcde"

req gb1 oauth2 gen:basic gen:basic "$FAKE/token" "read write"
mint gb1
check "fake: generic client_secret_basic (RFC 6749 2.3.1 encoded)" expect_ok
check "fake: ... used Basic with form-encoded credentials" \
	test "$(fake_stat last_auth_method)" = basic
check "fake: ... sent the scope explicitly" test "$(fake_stat last_scope)" = "read write"
mint gb1 auth=basic-raw
check "usage: auth=basic-raw with a ':' in the client id is exit 3" test "$RC" = 3
req gb2 oauth2 gen-basic gen-basic "$FAKE/token" "read"
mint gb2
check "fake: generic basic, a second client" expect_ok
mint gb2 auth=basic-raw
check "fake: the same secret unencoded (auth=basic-raw) is invalid_client" \
	expect_error invalid_client

req gp1 oauth2 gen-post gen-post "$FAKE/token?tenant=t1" "read write" "read"
mint gp1 auth=post
check "fake: generic client_secret_post gives a token" expect_ok
check "fake: ... used the form body" test "$(fake_stat last_auth_method)" = post
check "fake: ... scope falls back to the requested one when not echoed" \
	test "$(field gp1 scope)" = read
mint gp1
check "fake: client_secret_basic for a post-only client is invalid_client" \
	expect_error invalid_client

req lh1 oauth2 gen-post gen-post "http://localhost:$(srv_port fake)/token" "read"
mint lh1 auth=post
check "fake: http://localhost is loopback too" expect_ok

# Refused before any network access: no DNS for example.invalid.  The URL
# check runs before a connection is set up; a refusal of the address it
# resolved to would say "refused to connect" (and exit 1).
reset_fake
req nl1 oauth2 gen-post gen-post "http://example.invalid/token" "read"
mint nl1 auth=post
check "policy: http:// to a non-loopback host is refused, exit 3" test "$RC" = 3
check "policy: ... with a message about loopback" grep -q "loopback" "$T/nl1.err"
check "policy: ... at once, by the URL check, and with empty stdout" \
	test -n "$(grep -F 'refusing plain http:// to "example.invalid"' "$T/nl1.err")" \
	-a -z "$(grep -F 'refused to connect' "$T/nl1.err")" -a ! -s "$T/nl1.out"
req nl2 commercetools ct-shop ct-shop "http://10.0.0.1:80" "view_products:demo"
mint nl2
check "policy: http:// to a private address is refused too" test "$RC" = 3
req nl3 commercetools ct-shop ct-shop "ftp://127.0.0.1/" "view_products:demo"
mint nl3
check "policy: other schemes are refused" test "$RC" = 3
req nl4 commercetools ct-shop ct-shop "http://u:p@127.0.0.1:1/" "view_products:demo"
mint nl4
check "policy: user info in auth_url is refused" test "$RC" = 3

for mode in oversized-token huge malformed html no-expires zero-expires \
	no-token control-chars redirect; do
	reset_fake
	srv_fake_ctl fake /_control "{\"response\": \"$mode\"}"
	mint ct1
	check "bad reply '$mode' is invalid_response, exit 1" expect_error invalid_response
done
reset_fake
srv_fake_ctl fake /_control '{"response": "redirect"}'
mint ct1
check "bad reply 'redirect': not followed (1 request)" test "$(fake_stat token_requests)" = 1
srv_fake_ctl fake /_control '{"response": "string-expires"}'
mint ct1
check "lenient: expires_in as a string of digits" \
	test "$RC/$(field ct1 expires_in)" = "0/172800"
reset_fake

# --- 3. usage and request errors --------------------------------------------

mint ct1 frobnicate=1
check "usage: unknown argument is exit 3" test "$RC" = 3
mint ct1 retries=1 retries=2
check "usage: a repeated argument is exit 3" test "$RC" = 3
mint ct1 timeout=0
check "usage: timeout=0 is exit 3" test "$RC" = 3
mint ct1 auth=post
check "usage: auth= on a commercetools record is exit 3" test "$RC" = 3
req ph1 commercetools ct-shop ct-shop "$FAKE" "view_products:demo" "" rotate
mint ph1
check "usage: a request for another phase is exit 3" test "$RC" = 3

srv_py - "$T/clients.json" >"$T/bad1.req" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["clients"][0]["client_secret"]
sys.stdout.write('{"version":1,"phase":"mint","secret":"%s" oops' % s)
EOF
LAST=bad1
"$MINT" <"$T/bad1.req" >"$T/bad1.out" 2>"$T/bad1.err"
RC=$?
cat "$T/bad1.err" >>"$T/all.err"
check "request: malformed JSON is exit 3" test "$RC" = 3
srv_py -c 'import sys; sys.stdout.write("{\"version\":1,\"pad\":\"" + "x" * 70000 + "\"}")' \
	>"$T/big.req"
mint big
check "request: over CV_HOOK_INPUT_MAX is exit 3" test "$RC" = 3
echo '{"version":1,"version":1}' >"$T/dup.req"
mint dup
check "request: duplicate members are exit 3" test "$RC" = 3
check "request: nothing reached the fake" test "$(fake_stat token_requests)" = 0

# --- 4. TLS, verified even on loopback ---------------------------------------

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
	req tls1 commercetools ct-shop ct-shop "$TLS" "view_products:demo"
	mint tls1 "cafile=$T/ca.pem"
	check "tls: https with the test CA given by cafile= works" expect_ok
	mint tls1
	check "tls: an unknown CA fails verification (transport_error)" \
		expect_error transport_error
	req tls2 commercetools ct-shop ct-shop "https://localhost:$SRV_PORT" \
		"view_products:demo"
	mint tls2 "cafile=$T/ca.pem"
	check "tls: a name the certificate lacks fails (transport_error)" \
		expect_error transport_error
	mint tls1 cafile=relative.pem
	check "usage: cafile must be absolute" test "$RC" = 3
else
	echo "# openssl not found: TLS cases skipped"
fi

# --- 5. no secret in any output ----------------------------------------------

leaks=0
while IFS= read -r s; do
	if grep -qF -- "$s" "$T/all.out" "$T/all.err"; then
		leaks=$((leaks + 1))
	fi
done < <(srv_py -c 'import json,sys; [print(c["client_secret"]) for c in json.load(open(sys.argv[1]))["clients"]]' "$T/clients.json")
check "no client secret on the hook's stdout or stderr" test "$leaks" = 0
tokleak=0
for f in "$T"/*.tok; do
	tok=$(<"$f")
	[ -n "$tok" ] && grep -qF -- "$tok" "$T/all.err" && tokleak=$((tokleak + 1))
done
check "no token on the hook's stderr" test "$tokleak" = 0

check "no sanitizer report from any hook run" \
	test "$(grep -cE 'Sanitizer|runtime error:' "$T/all.err")" = 0

t_done
