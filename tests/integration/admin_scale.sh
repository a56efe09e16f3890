#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Administration at scale (issue 12): a bulk import of 10,000 records
# through the agent with a progress bar on a pseudo-terminal, all or
# nothing; a list through the agent in pages, with a glob, --provider and
# --long; the audit's -n, --since, --record, --actor, --action and
# --follow; several presets in one import on the files.
set -uo pipefail

# shellcheck source=../lib/common.sh
. "$CV_SOURCE_DIR/tests/lib/common.sh"

printf 'scale test passphrase\n' >"$T_DIR/pass"
cv_init || { not_ok "init"; exit 1; }
SOCK="$T_DIR/run/agent.sock"
cv agent --foreground --socket "$SOCK" >"$T_DIR/agent.out" 2>"$T_DIR/agent.log" </dev/null &
APID=$!
t_cleanup_hooks+=("kill $APID 2>/dev/null")
for _ in $(seq 1 200); do
	grep -q serving "$T_DIR/agent.log" 2>/dev/null && break
	sleep 0.05
done
ag() { CREDVAULT_SOCKET="$SOCK" "$CV" --vault "$VAULT" "$@"; }

N=10000
python3 - "$T_DIR/recs.json" "$N" <<'EOF'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
recs = []
for i in range(n):
    cl = i % 3 == 0
    recs.append({"name": "shop-%d" % i,
                 "provider": "commercelayer" if cl else "commercetools",
                 "project_key": "" if cl else "proj-%d" % (i % 7),
                 "client_id": "client-%d" % i,
                 "secret": "s3cret-%06d-abcdefghijklmnop" % i,
                 "scope": "market:all" if cl else "view_products:proj-%d" % (i % 7),
                 "api_url": "https://api.example.com",
                 "auth_url": "https://auth.example.com/oauth/token"})
json.dump(recs, open(out, "w"))
EOF

# All or nothing: a duplicate at the very end keeps every chunk out.
python3 - "$T_DIR/recs.json" "$T_DIR/dup.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
json.dump(r + [r[5]], open(sys.argv[2], "w"))
EOF
expect_exit 1 "a bulk import with a name twice fails" -- ag import --json "$T_DIR/dup.json"
expect_match "naming it" "$T_ERR" "record 'shop-5' already exists \(or is twice in the input\)"
expect_match "and nothing is left behind" "$T_ERR" "removed again: nothing was imported"
expect_exit 0 "list" -- ag list
[ "$(wc -l <"$T_OUT")" = 0 ] && ok "(the vault is empty)" || not_ok "(the vault holds $(wc -l <"$T_OUT") records)"

t0=$(date +%s.%N)
CREDVAULT_SOCKET="$SOCK" script -qfec "'$CV' --vault '$VAULT' import --json '$T_DIR/recs.json'" \
	"$T_DIR/typescript" >"$T_DIR/pty.out" 2>&1 </dev/null
rc=$?
t1=$(date +%s.%N)
[ $rc = 0 ] && ok "10,000 records in one bulk import through the agent ($(echo "$t1 - $t0" | bc) s)" ||
	not_ok "bulk import exit $rc: $(tail -c 300 "$T_DIR/pty.out")"
expect_match "with a progress bar on the terminal" "$T_DIR/pty.out" "importing \[#+ +\] [0-9]+/$N"
expect_match "that ends full" "$T_DIR/pty.out" "importing \[#{40}\] $N/$N"
expect_match "and a sentence" "$T_DIR/pty.out" "imported $N records"

expect_exit 0 "list through the agent, in pages" -- ag list
[ "$(wc -l <"$T_OUT")" = $N ] && ok "(all $N names, once each)" || not_ok "($(wc -l <"$T_OUT") names)"
[ "$(sort -u "$T_OUT" | wc -l)" = $N ] && ok "(no name twice)" || not_ok "(duplicates across pages)"
sort -c "$T_OUT" 2>/dev/null && ok "(sorted)" || not_ok "(not sorted)"
expect_exit 0 "list with a glob" -- ag list 'shop-1*'
[ "$(wc -l <"$T_OUT")" = 1111 ] && ok "(1111 names match shop-1*)" || not_ok "($(wc -l <"$T_OUT") match)"
expect_exit 0 "list --provider" -- ag list --provider commercelayer
[ "$(wc -l <"$T_OUT")" = 3334 ] && ok "(3334 commercelayer records)" || not_ok "($(wc -l <"$T_OUT"))"
expect_exit 0 "list --long" -- ag list --long 'shop-4[23]'
expect_match "(columns)" "$T_OUT" "^NAME +PROVIDER +PROJECT +CLIENT_ID +GEN +AGE +REVEALED +SCOPES$"
expect_match "(a row)" "$T_OUT" "^shop-43 +commercetools +proj-1 +client-43 +#1 +[0-9]+s +no +view_products:proj-1$"
expect_match "(another)" "$T_OUT" "^shop-42 +commercelayer +- +client-42 +#1 +[0-9]+s +no +market:all$"
expect_exit 0 "a reveal" -- ag --passphrase-file "$T_DIR/pass" reveal shop-42
expect_exit 0 "list --long --json" -- ag list --long --json 'shop-42'
expect_match "(shows it was revealed)" "$T_OUT" '"revealed": true'

expect_exit 0 "audit -n 3" -- ag audit -n 3
[ "$(wc -l <"$T_OUT")" = 3 ] && ok "(3 entries)" || not_ok "($(wc -l <"$T_OUT") entries)"
expect_match "(the newest is the reveal)" "$T_OUT" "	reveal	shop-42	ok$"
expect_exit 0 "audit --record" -- ag audit --record shop-42
cut -f4 "$T_OUT" | tr '\n' ' ' >"$T_DIR/acts"
expect_match "(its add and removal by the failed import, its add, its reveal)" "$T_DIR/acts" "^add remove add reveal $"
expect_exit 0 "audit --action add, in pages" -- ag audit --action add
adds=$(wc -l <"$T_OUT")
expect_exit 0 "audit --action remove" -- ag audit --action remove
rms=$(wc -l <"$T_OUT")
[ $((adds - rms)) = $N ] && ok "($adds adds, $rms taken back)" || not_ok "($adds adds, $rms removals)"
expect_exit 0 "audit --actor" -- ag audit --actor "peer uid=$(id -u)" -n 1
expect_match "(the peer is the actor)" "$T_OUT" "	peer uid=$(id -u) user=[^ ]+ pid=[0-9]+ exe="
expect_exit 0 "audit --since in the future" -- ag audit --since 2099-01-01
[ ! -s "$T_OUT" ] && ok "(nothing)" || not_ok "($(wc -l <"$T_OUT") entries)"
expect_exit 0 "audit --since 1h" -- ag audit --since 1h --action reveal
[ "$(wc -l <"$T_OUT")" = 1 ] && ok "(the reveal)" || not_ok "($(wc -l <"$T_OUT"))"
expect_exit 2 "a bad --since says what it takes" -- ag audit --since yesterday
expect_match "(the forms)" "$T_ERR" "--since takes 90s, 15m, 2h, 7d"

ag audit --follow -n 1 >"$T_DIR/follow.out" 2>"$T_DIR/follow.err" &
FPID=$!
sleep 1.5
ag add late --provider oauth2 --client-id late --auth-url https://auth.example.com/t <<<"late-secret" >/dev/null 2>&1
sleep 2.5
kill "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null
expect_match "audit --follow prints new entries as they come" "$T_DIR/follow.out" "	add	late	ok$"
[ "$(grep -c . "$T_DIR/follow.out")" = 2 ] && ok "(after the last one, once)" ||
	not_ok "(follow printed $(grep -c . "$T_DIR/follow.out") lines)"

# Several presets in one import, on the files (one transaction).
for n in east west; do
	printf 'CTP_PROJECT_KEY=p-%s\nCTP_CLIENT_ID=id-%s\nCTP_CLIENT_SECRET=sec-%s-123\nCTP_AUTH_URL=https://auth.example.com\nCTP_API_URL=https://api.example.com\nCTP_SCOPES=view_products:p-%s\n' \
		"$n" "$n" "$n" "$n" >"$T_DIR/$n.env"
done
expect_exit 0 "several presets in one import" -- cv --local import --from-env "$T_DIR/east.env" --from-env "$T_DIR/west.env"
expect_match "(counted)" "$T_ERR" "imported 2 records"
expect_exit 0 "named after their files" -- cv --local list 'east'
expect_match "(east)" "$T_OUT" "^east$"
kill "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
t_done
