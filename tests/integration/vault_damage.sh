#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Damaged files (issue 11): thousands of single-byte flips spread over
# data.mdb (meta, branch, leaf, overflow and free-list pages: every page
# gets its header, node offsets and a spread of other bytes flipped) and
# a truncation to every multiple of 4 KiB.  For each, on a fresh copy,
# open, unlock, read, list, verify, check, reveal, add, update, remove:
# nothing dies on a signal or trips a sanitizer, no answer is wrong, and
# each damaged vault exits 6 or works.  Then the CLI on a sample.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

CV_DAMAGE="$CV_BUILD_DIR/tests/cv_damage"
cv_init
for i in $(seq -w 1 40); do
	printf 'secret-%s-%s\n' "$i" "$RANDOM" | cv add "rec-$i" --provider oauth2 \
		--client-id "id-$i" --auth-url https://idp.example/token --scope "s$i t$i" 2>/dev/null
done
# One record big enough for overflow pages.
scope=$(for i in $(seq 1 60); do printf 'scope_%04d_%050d ' "$i" 0; done)
printf 'big-secret\n' | cv add big --provider oauth2 --client-id big \
	--auth-url "https://idp.example/$(printf '%01500d' 0)" --scope "$scope" 2>/dev/null
cv reveal rec-01 >/dev/null
for _ in $(seq 1 15); do cv list >/dev/null; done # audit entries: branch pages
printf 'bob pass phrase\n' >"$T_DIR/bob"
cv keyslot add bob --new-passphrase-file "$T_DIR/bob" --kdf-memory 8 \
	--kdf-iterations 1 --kdf-parallelism 1 2>/dev/null
cv rm rec-40 # free-list pages
expect_exit 0 "the intact vault passes check" -- cv check

pages=$(($(stat -c %s "$VAULT/data.mdb") / 4096))
per_page=$(((2000 + pages - 1) / pages))
mkdir -m 700 "$T_DIR/work"
"$CV_DAMAGE" "$VAULT" "$T_DIR/pass" "$T_DIR/work" "$per_page" >"$T_DIR/damage.out" 2>&1
rc=$?
summary=$(tail -1 "$T_DIR/damage.out")
echo "    $summary"
[ $rc -eq 0 ] && ok "every flipped byte and every truncation exits 6 or works: $summary" ||
	{ not_ok "damage went wrong: $summary"; grep -E '^(wrong|crash)' "$T_DIR/damage.out" | head -20 | sed 's/^/    /'; }
flips=$(sed -n 's/^cv_damage: \([0-9]*\) cases.*/\1/p' <<<"$summary")
[ "${flips:-0}" -ge $((2000 + pages)) ] && ok "at least 2,000 flips and $pages truncations" ||
	not_ok "only ${flips:-0} cases"

# The CLI on a sample: exit 0 or 6, never a signal, always a message.
bad=0
for off in 0 16 4096 4106 4110 8200 12300 20000 24600 40980 $((pages * 4096 - 4000)); do
	rm -rf "$T_DIR/copy" && mkdir -m 700 "$T_DIR/copy"
	python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[int(sys.argv[3])]^=0x5a; open(sys.argv[2],"wb").write(d)' \
		"$VAULT/data.mdb" "$T_DIR/copy/data.mdb" "$off"
	chmod 600 "$T_DIR/copy/data.mdb"
	for cmd in "list" "show rec-02" "check" "audit --verify"; do
		# shellcheck disable=SC2086
		"$CV" --vault "$T_DIR/copy" --passphrase-file "$T_DIR/pass" $cmd >/dev/null 2>"$T_ERR"
		rc=$?
		if [ $rc -ne 0 ] && { [ $rc -ne 6 ] || ! [ -s "$T_ERR" ]; }; then
			bad=$((bad + 1)); echo "    byte $off, $cmd: exit $rc: $(head -1 "$T_ERR")"
		fi
	done
done
[ $bad -eq 0 ] && ok "the CLI exits 0 or 6 with a message on damaged copies" || not_ok "$bad CLI runs went wrong"
# What unlocking reads before any key is known: the meta entries' node
# headers (sizes, flags, key length), their keys and values ("version",
# "vault_id", "check", every "slot/..."), wherever they occur in the file.
# Each flip exits 6 with a damage message or works (a stale copy on a
# free page), never 3 ("the passphrase matches no keyslot").
python3 - "$VAULT/data.mdb" >"$T_DIR/meta.offsets" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
for m in re.finditer(rb"version|vault_id|check|slot/[a-z0-9_.-]+", d):
    k = m.start()
    if k < 8 or int.from_bytes(d[k - 2:k], "little") != m.end() - k:
        continue  # not a node's key: its key size precedes it
    for off in list(range(k - 8, k + 1)) + [m.end(), m.end() + 1, m.end() + 7]:
        print(off)
PY
n=0; six=0; bad=0
while read -r off; do
	rm -rf "$T_DIR/copy" && mkdir -m 700 "$T_DIR/copy"
	python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[int(sys.argv[3])]^=0x01; open(sys.argv[2],"wb").write(d)' \
		"$VAULT/data.mdb" "$T_DIR/copy/data.mdb" "$off"
	chmod 600 "$T_DIR/copy/data.mdb"
	for pass in pass bob; do
		"$CV" --vault "$T_DIR/copy" --passphrase-file "$T_DIR/$pass" list >/dev/null 2>"$T_ERR"
		rc=$?
		n=$((n + 1))
		if [ $rc -eq 6 ] && grep -Eq "damaged|altered|not the one" "$T_ERR"; then
			six=$((six + 1))
		elif [ $rc -ne 0 ]; then
			bad=$((bad + 1)); echo "    byte $off, $pass: exit $rc: $(head -1 "$T_ERR")"
		fi
	done
done <"$T_DIR/meta.offsets"
[ "$n" -ge 60 ] && [ $bad -eq 0 ] && [ $six -gt 0 ] &&
	ok "meta and keyslot header damage: $n unlocks, $six exit 6 naming the damage, none exits 3" ||
	not_ok "meta and keyslot header damage: $n unlocks, $six exit 6, $bad wrong"
for size in 0 4096 8192 40960; do
	rm -rf "$T_DIR/copy" && mkdir -m 700 "$T_DIR/copy"
	head -c "$size" "$VAULT/data.mdb" >"$T_DIR/copy/data.mdb"
	chmod 600 "$T_DIR/copy/data.mdb"
	expect_exit 6 "truncated to $size bytes: exit 6" -- "$CV" --vault "$T_DIR/copy" \
		--passphrase-file "$T_DIR/pass" list
	expect_match "naming the damage and how to recover" "$T_ERR" "(damaged|truncated).*restore"
done
t_done
