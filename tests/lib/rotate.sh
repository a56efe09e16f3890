# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Rotation under test: the strict fake commercetools (token endpoint and
# API Clients API) with two API clients, shop-1 (view_products:demo) and
# admin-1 (manage_api_clients:demo).  Sourcing it sources common.sh and
# servers.sh too; it runs nothing by itself.
#
#   rot_setup    start the fake; $FAKE its URL, $MINT and $ROT the built
#                oauth2-mint and ct-rotate, clients in $T_DIR/clients.json

# shellcheck source=common.sh
declare -F ok >/dev/null || . "$CV_SOURCE_DIR/tests/lib/common.sh"
# shellcheck source=servers.sh
declare -F srv_py >/dev/null || . "$CV_SOURCE_DIR/tests/lib/servers.sh"

MINT="$CV_BUILD_DIR/libexec/oauth2-mint"
ROT="$CV_BUILD_DIR/libexec/ct-rotate"

rot_setup() {
	srv_init "$T_DIR"
	umask 077
	srv_py - "$T_DIR/clients.json" <<'PY'
import json, secrets, sys
def c(cid, scopes):
    return {"client_id": cid, "client_secret": secrets.token_urlsafe(24),
            "auth": "basic-raw", "style": "commercetools", "scopes": scopes}
json.dump({"clients": [c("shop-1", ["view_products:demo"]),
                       c("admin-1", ["manage_api_clients:demo"])]},
          open(sys.argv[1], "w"))
PY
	srv_start_fake fake "$T_DIR/clients.json" --log "$T_DIR/fake.log"
	FAKE="http://127.0.0.1:$SRV_PORT"
}
