# SPDX-License-Identifier: MIT
# The Merchant Center environment preset maps all six CTP_ variables;
# malformed files are rejected with the line number.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
cat > "$T_DIR/ct.env" <<'ENV'
# downloaded from the Merchant Center
CTP_PROJECT_KEY=demo-shop
CTP_CLIENT_SECRET=Xk3-imported-SECRET-q9
export CTP_CLIENT_ID="imp-client-42"
CTP_AUTH_URL='https://auth.europe-west1.gcp.commercetools.com'
CTP_API_URL=https://api.europe-west1.gcp.commercetools.com
CTP_SCOPES=manage_products:demo-shop view_orders:demo-shop
OTHER_TOOL_SETTING=ignored
ENV
expect_exit 0 "import" -- cv import ct --from-env "$T_DIR/ct.env"
expect_match "import reminds to delete the file" "$T_ERR" "shred -u"
expect_exit 0 "show the imported record" -- cv show ct --json
expect_match "provider" "$T_OUT" '"provider": "commercetools"'
expect_match "CTP_PROJECT_KEY" "$T_OUT" '"project_key": "demo-shop"'
expect_match "CTP_CLIENT_ID" "$T_OUT" '"client_id": "imp-client-42"'
expect_match "CTP_AUTH_URL" "$T_OUT" '"auth_url": "https://auth.europe-west1.gcp.commercetools.com"'
expect_match "CTP_API_URL" "$T_OUT" '"api_url": "https://api.europe-west1.gcp.commercetools.com"'
expect_match "CTP_SCOPES" "$T_OUT" '"scope": "manage_products:demo-shop view_orders:demo-shop"'
expect_exit 0 "CTP_CLIENT_SECRET is the secret" -- cv reveal ct
[ "$(cat "$T_OUT")" = "Xk3-imported-SECRET-q9" ] && ok "secret matches" || not_ok "secret: $(cat "$T_OUT")"

bad() { # bad DESCRIPTION LINE CONTENT...
	local desc=$1 line=$2
	shift 2
	printf '%s\n' "$@" > "$T_DIR/bad.env"
	expect_exit 2 "$desc is rejected" -- cv import b --from-env "$T_DIR/bad.env"
	expect_match "$desc names line $line" "$T_ERR" "bad.env:$line: "
}
ok_lines=(CTP_PROJECT_KEY=p CTP_CLIENT_SECRET=s CTP_CLIENT_ID=c CTP_AUTH_URL=https://a CTP_API_URL=https://b CTP_SCOPES=x)
bad "a line without =" 3 CTP_PROJECT_KEY=p CTP_CLIENT_ID=c "just some words" CTP_CLIENT_SECRET=s
bad "an unterminated quote" 2 CTP_PROJECT_KEY=p 'CTP_CLIENT_ID="c' CTP_CLIENT_SECRET=s
bad "a duplicate variable" 4 "${ok_lines[@]:0:3}" CTP_CLIENT_ID=d
bad "an unknown CTP_ variable" 1 CTP_PROJECTKEY=p
bad "an empty value" 2 CTP_PROJECT_KEY=p CTP_CLIENT_SECRET=
bad "a bad name" 1 "1CTP=x"
printf '%s\n' CTP_PROJECT_KEY=p CTP_CLIENT_ID=c CTP_CLIENT_SECRET=s CTP_AUTH_URL=https://a CTP_API_URL=https://b > "$T_DIR/missing.env"
expect_exit 2 "a missing variable is rejected" -- cv import m --from-env "$T_DIR/missing.env"
expect_match "naming it" "$T_ERR" "CTP_SCOPES is missing"
expect_no_match "errors never echo the secret" "$T_ERR" "imported-SECRET"
expect_exit 2 "a missing file is a usage error" -- cv import m --from-env "$T_DIR/nope.env"
head -c 70000 /dev/zero | tr '\0' 'a' > "$T_DIR/huge.env"
expect_exit 2 "an oversized file is rejected" -- cv import m --from-env "$T_DIR/huge.env"
expect_exit 4 "nothing was stored for failed imports" -- cv show b

t_done
