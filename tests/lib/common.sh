# SPDX-License-Identifier: MIT
# Shared helpers for integration tests: a private temp dir, the credvault
# binary, a fast vault, and assertions that print both sides.  Source it
# first; servers.sh, hook.sh and agent.sh build on it.
#   cv ARGS...              credvault on the test vault ($VAULT)
#   cv_init [ARGS...]       create the test vault with small KDF costs
#   cv_sanitized            whether the build under test has sanitizers
#   cv_sanitizer_exits      make a sanitizer report exit 86 (ASan) or 87
#                           (UBSan), so it cannot pass for an expected code
#   ok / not_ok TEXT        one result line
#   expect_exit CODE DESCRIPTION -- CMD...
#   expect_match / expect_no_match DESCRIPTION FILE REGEX
#   ere_quote TEXT          TEXT with extended-regex metacharacters escaped
#   now_ms                  milliseconds since the epoch
#   t_done                  the summary line; exit status 1 on any failure
set -u

: "${CV_BUILD_DIR:?set by ctest}"
: "${CV_SOURCE_DIR:?set by ctest}"
CV="$CV_BUILD_DIR/bin/credvault"
CV_TAMPER="$CV_BUILD_DIR/tests/cv_tamper"
T_FAILS=0
T_PASSES=0
T_NAME=$(basename "$0" .sh)

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cv-$T_NAME.XXXXXX")
chmod 700 "$T_DIR"
t_cleanup_hooks=()
t_cleanup() {
	local h
	for h in "${t_cleanup_hooks[@]}"; do eval "$h" || true; done
	# CV_TEST_KEEP=1: leave the test's directory for a look afterwards.
	if [ -n "${CV_TEST_KEEP:-}" ]; then echo "# kept $T_DIR" >&2; else rm -rf "$T_DIR"; fi
}
trap t_cleanup EXIT

# Unlock options for the test vault; the passphrase lives in a 0600 file.
printf 'correct horse battery staple\n' > "$T_DIR/pass"
chmod 600 "$T_DIR/pass"
VAULT="$T_DIR/vault"
unset CREDVAULT_DIR CREDVAULT_PASSPHRASE_FILE CREDVAULT_SOCKET XDG_DATA_HOME
# The high-water marks (vault/hwm.h) of this test's vaults, in its own
# directory: nothing outside the test is read or written.
export CREDVAULT_STATE_DIR="$T_DIR/state"

cv() { "$CV" --vault "$VAULT" --passphrase-file "$T_DIR/pass" "$@"; }

# Whether the build under test has sanitizers (-DCV_SANITIZE=...).
cv_sanitized() {
	grep -q '^CV_SANITIZE:STRING=..*' "$CV_BUILD_DIR/CMakeCache.txt" 2>/dev/null
}

# Keeps options the caller set (CI sets its own).
cv_sanitizer_exits() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=86}"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:exitcode=87:print_stacktrace=1}"
}

# A fast vault: tests pass explicit small KDF costs; users get calibration.
cv_init() {
	cv init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1 "$@" \
		2>"$T_DIR/init.err" || { cat "$T_DIR/init.err"; return 1; }
}

ok() { T_PASSES=$((T_PASSES + 1)); printf 'ok - %s\n' "$*"; }
not_ok() { T_FAILS=$((T_FAILS + 1)); printf 'not ok - %s\n' "$*"; }

# expect_exit CODE DESCRIPTION -- CMD...: run CMD, compare its exit code;
# its stdout and stderr land in $T_OUT and $T_ERR.
T_OUT="$T_DIR/out"
T_ERR="$T_DIR/err"
expect_exit() {
	local want=$1 desc=$2 got
	shift 3
	"$@" >"$T_OUT" 2>"$T_ERR" </dev/null
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc (exit $got)"
	else
		not_ok "$desc: exit $got, want $want"
		sed 's/^/    stderr: /' "$T_ERR" | head -5
	fi
}

# expect_match DESCRIPTION FILE REGEX
expect_match() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else
		not_ok "$1: '$3' not in $(basename "$2")"
		sed 's/^/    | /' "$2" | head -5
	fi
}
expect_no_match() {
	if grep -Eq -- "$3" "$2"; then
		not_ok "$1: '$3' found in $(basename "$2")"
	else ok "$1"; fi
}

# expect_line DESCRIPTION FILE TEXT: TEXT is a whole line of FILE, exactly.
expect_line() {
	if grep -Fxq -- "$3" "$2"; then ok "$1"; else
		not_ok "$1: line not in $(basename "$2"): $3"
		sed 's/^/    | /' "$2" | head -5
	fi
}

# For a path or name inside an expect_match REGEX.
ere_quote() {
	printf '%s' "$1" | sed 's/[][\\.^$*+?(){}|]/\\&/g'
}

now_ms() {
	date +%s%3N
}

t_done() {
	printf '%s: %d passed, %d failed\n' "$T_NAME" "$T_PASSES" "$T_FAILS"
	[ "$T_FAILS" -eq 0 ]
}
