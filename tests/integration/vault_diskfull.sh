# SPDX-License-Identifier: MIT
# A full disk (simulated with RLIMIT_FSIZE) fails the command cleanly and
# leaves the vault at its last committed state.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
limit=$(( $(stat -c %s "$VAULT/data.mdb") + 131072 ))
# Writes past $limit bytes fail with EFBIG, as on a full file system.
full() {
	python3 -c 'import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
os.execv(sys.argv[2], sys.argv[2:])' "$limit" "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass" "$@"
}
scope=$(for i in $(seq 1 60); do printf 'manage_products:store-%02d ' "$i"; done)
printf 'disk-full-secret\n' > "$T_DIR/secret"
failed_at=0
for i in $(seq 1 200); do
	full add "big$i" --provider oauth2 --client-id "c$i" --auth-url https://idp.example/token --scope "$scope" < "$T_DIR/secret" >"$T_OUT" 2>"$T_ERR"
	rc=$?
	if [ $rc -ne 0 ]; then failed_at=$i; break; fi
done
[ $failed_at -gt 1 ] && ok "the file limit was hit at add #$failed_at" || not_ok "never hit the limit"
[ "${rc:-0}" -eq 1 ] && ok "a full disk exits 1" || not_ok "full disk exit $rc"
expect_match "with a clear message" "$T_ERR" "no space left.*free disk space"
expect_no_match "without the secret" "$T_ERR" "disk-full-secret"
expect_exit 0 "the vault still passes check" -- cv check
expect_exit 4 "the failed record is absent" -- cv show "big$failed_at"
if [ $failed_at -gt 1 ]; then
	expect_exit 0 "earlier records are intact" -- cv show "big$((failed_at - 1))"
fi
expect_exit 0 "with space again, the add succeeds" -- sh -c "exec \"\$0\" --vault '$VAULT' --passphrase-file '$T_DIR/pass' add 'big$failed_at' --provider oauth2 --client-id c --auth-url https://idp.example/token < '$T_DIR/secret'" "$CV"
expect_exit 0 "and the audit chain verifies" -- cv audit --verify

# A real full file system, where this machine lets us mount one privately.
if unshare -m true 2>/dev/null && command -v mount >/dev/null; then
	cat > "$T_DIR/tmpfs.sh" <<'SH'
set -u
mnt=$1; cv=$2; pass=$3; secret=$4; scope=$5
mount -t tmpfs -o size=256k,mode=0700 tmpfs "$mnt" || exit 99
"$cv" --vault "$mnt/v" --passphrase-file "$pass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 2>/dev/null || exit 98
i=0
while [ $i -lt 500 ]; do
	i=$((i + 1))
	"$cv" --vault "$mnt/v" --passphrase-file "$pass" add "r$i" --provider oauth2 --client-id "c$i" --auth-url https://idp.example/t --scope "$scope" < "$secret" 2>"$mnt/../err" || break
done
echo "failed_at=$i"
"$cv" --vault "$mnt/v" --passphrase-file "$pass" show "r$i" >/dev/null 2>&1; echo "show_failed=$?"
"$cv" --vault "$mnt/v" --passphrase-file "$pass" check >/dev/null 2>&1; echo "check=$?"
SH
	mkdir -p "$T_DIR/mnt"
	unshare -m sh "$T_DIR/tmpfs.sh" "$T_DIR/mnt" "$CV" "$T_DIR/pass" "$T_DIR/secret" "$scope" > "$T_DIR/tmpfs.out" 2>&1
	if grep -q '^check=' "$T_DIR/tmpfs.out"; then
		expect_match "tmpfs: the disk filled up" "$T_DIR/tmpfs.out" '^failed_at=([2-9]|[1-9][0-9]+)$'
		expect_match "tmpfs: the failed record is absent" "$T_DIR/tmpfs.out" '^show_failed=4$'
		expect_match "tmpfs: check passes on the full disk" "$T_DIR/tmpfs.out" '^check=0$'
		expect_match "tmpfs: the error says no space" "$T_DIR/err" "no space left"
	else
		ok "# skip tmpfs part: cannot mount here ($(head -1 "$T_DIR/tmpfs.out"))"
	fi
fi

t_done
