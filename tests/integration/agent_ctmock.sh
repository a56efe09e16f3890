#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 3, test 1: against @labdigital/commercetools-mock the agent mints a
# token through oauth2-mint and GET /{projectKey}/products succeeds with
# it; a second `credvault token` is served from the cache, which the
# strict fake's request counter proves (no second upstream request).
# commercetools narrowing for manage_project clients is reported clearly.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
srv_start_ctmock ct demo
CT_URL="http://127.0.0.1:$SRV_PORT"
# The mock accepts any client secret.
head -c 24 /dev/urandom | base64 | tr -d '/+=' | cv add ctmock \
	--provider commercetools --client-id mock-client --auth-url "$CT_URL" \
	--api-url "$CT_URL" --project-key demo \
	--scope "view_products:demo manage_orders:demo" >/dev/null 2>&1 ||
	{ not_ok "add ctmock"; exit 1; }
a_record shop ct-shop
a_stack default "mint required $MINT"
a_start || exit 1

expect_exit 0 "a token for the commercetools-mock record" -- a_token ctmock
cp "$T_OUT" "$T/ct.tok"
[ "$(srv_http_get "$CT_URL/demo/products" "$T/ct.tok")" = 200 ] &&
	ok "GET /demo/products with it: 200" || not_ok "GET /demo/products failed"
printf 'not-a-token\n' >"$T/bad.tok"
[ "$(srv_http_get "$CT_URL/demo/products" "$T/bad.tok")" = 401 ] &&
	ok "(the mock refuses a made-up token: 401)" || not_ok "mock accepts anything"
expect_exit 0 "a second token for it" -- a_token ctmock
cmp -s "$T_OUT" "$T/ct.tok" && ok "the same token: served from the cache" ||
	not_ok "a different token"
expect_exit 0 "a narrower scope for it" -- a_token ctmock --scope view_products:demo
cp "$T_OUT" "$T/ct2.tok"
[ "$(srv_http_get "$CT_URL/demo/products" "$T/ct2.tok")" = 200 ] &&
	ok "the narrowed token works for products" || not_ok "narrowed token refused"

# The same against the strict fake, which counts token requests.
expect_exit 0 "a token from the strict fake" -- a_token shop
cp "$T_OUT" "$T/f.tok"
[ "$(srv_http_get "$FAKE_URL/demo/products" "$T/f.tok")" = 200 ] &&
	ok "the fake's API accepts it" || not_ok "fake API refused the token"
expect_exit 0 "a second token" -- a_token shop
cmp -s "$T_OUT" "$T/f.tok" && ok "the same token" || not_ok "a different token"
[ "$(fake_stat token_requests)" = 1 ] && ok "no second upstream request" ||
	not_ok "token_requests $(fake_stat token_requests)"

# commercetools refuses narrowed scopes for a manage_project client.
srv_py - "$T/clients.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["clients"].append({"client_id": "ct-admin", "client_secret": "adm-" + d["clients"][0]["client_secret"],
                     "auth": "basic-raw", "style": "commercetools",
                     "scopes": ["manage_project:demo", "view_products:demo"]})
json.dump(d, open(sys.argv[1], "w"))
EOF
srv_stop fake
srv_start_fake fake "$T/clients.json"
FAKE_URL="http://127.0.0.1:$SRV_PORT"
a_record admin ct-admin "manage_project:demo view_products:demo" commercetools "$FAKE_URL"
expect_exit 0 "a manage_project client's full scope" -- a_token admin
expect_exit 7 "a narrowed scope for a manage_project client" -- a_token admin \
	--scope view_products:demo
expect_match "reported as invalid_scope, saying why" "$T_ERR" \
	"\(invalid_scope\); ask only for scopes the API client has \(commercetools refuses any narrowing for a client with manage_project\)"
expect_match "the agent's log has commercetools' reason" "$T/agent.log" \
	"record 'admin': mint failed \(invalid_scope\).*manage_project"

a_finish
t_done
