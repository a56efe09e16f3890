# SPDX-License-Identifier: MIT
# SIGKILL in the middle of writes: every time the vault opens, check
# passes, and each record is either fully there or absent.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
ROUNDS=${CV_CRASH_ROUNDS:-40}
printf 'crash-test-secret\n' > "$T_DIR/secret"
killed=0
for i in $(seq 1 "$ROUNDS"); do
	# A burst of adds in one process group, killed at a random moment.
	setsid sh -c '
		i=0
		while [ $i -lt 20 ]; do
			"$0" --vault "$1" --passphrase-file "$2" add "r$3-$i" \
			    --provider commercetools --project-key pk$3 \
			    --client-id "cid$3-$i" --scope "view_products:pk$3" \
			    --auth-url https://auth.example.com < "$4" 2>/dev/null
			i=$((i + 1))
		done' "$CV" "$VAULT" "$T_DIR/pass" "$i" "$T_DIR/secret" &
	pid=$!
	sleep "0.0$(( (RANDOM % 9) + 1 ))"
	kill -KILL -- "-$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
	if ! cv check >/dev/null 2>"$T_ERR"; then
		not_ok "round $i: check failed after SIGKILL"; cat "$T_ERR"; break
	fi
done
ok "vault passed check after $ROUNDS rounds ($killed killed mid-burst)"

# Each record is whole or absent.
cv list > "$T_DIR/names" 2>/dev/null
n=$(wc -l < "$T_DIR/names")
bad=0
while read -r name; do
	cv show "$name" --json > "$T_OUT" 2>/dev/null || { bad=$((bad + 1)); continue; }
	grep -q '"client_id": "cid' "$T_OUT" && grep -q '"scope": "view_products:pk' "$T_OUT" || bad=$((bad + 1))
done < "$T_DIR/names"
[ $bad -eq 0 ] && ok "all $n surviving records are whole" || not_ok "$bad damaged records"
[ "$n" -gt 0 ] && ok "some writes committed before the kills" || not_ok "no record survived"
expect_exit 0 "the audit chain verifies" -- cv audit --verify

# Kill a rekey (one big transaction) at random moments: old or new, never
# in between.
for i in 1 2 3 4 5; do
	"$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass" rekey 2>/dev/null &
	pid=$!
	sleep "0.0$(( (RANDOM % 5) + 1 ))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cv check >/dev/null 2>"$T_ERR" || { not_ok "check after killed rekey $i"; cat "$T_ERR"; }
done
ok "killed rekeys leave the vault whole"

# Rekeys racing with readers: a reader that unlocked before a rekey follows
# it through its own keyslot instead of failing.
for i in 1 2 3 4 5 6; do
	"$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass" rekey 2>/dev/null &
	cv check >/dev/null 2>"$T_ERR" || { not_ok "check racing rekey $i"; cat "$T_ERR"; }
	wait
done
ok "readers racing rekeys succeed"
m=$(cv list 2>/dev/null | wc -l)
[ "$m" -eq "$n" ] && ok "no record lost ($m)" || not_ok "records: $m, want $n"

# Readers racing a stream of commits: each reader checks the file under a
# snapshot that other processes move on from; that is never damage.
for i in $(seq 1 3); do
	(
		j=0
		while [ $j -lt 15 ]; do
			cv add "race$i-$j" --provider commercetools \
			    --project-key pk --client-id "race$i-$j" \
			    --scope view_products:pk \
			    --auth-url https://auth.example.com \
			    < "$T_DIR/secret" 2>/dev/null
			j=$((j + 1))
		done
	) &
done
bad=0
for i in $(seq 1 20); do
	cv list >/dev/null 2>"$T_ERR" || { bad=$((bad + 1)); cat "$T_ERR" >&2; }
done
wait
[ $bad -eq 0 ] && ok "readers racing commits see no damage" ||
	not_ok "$bad readers failed while others committed"
expect_exit 0 "check after the race" -- cv check

t_done
