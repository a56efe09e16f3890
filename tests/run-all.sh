#!/bin/bash
# SPDX-License-Identifier: MIT
# Everything CI runs: set up, then build and test with gcc, run the static
# analysis (make check) on that build, build and test with clang under
# AddressSanitizer + UndefinedBehaviorSanitizer, and run each fuzz harness
# for a bounded time.  Prints "N passed, N failed" at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${CV_FUZZ_SECONDS:-20}

bash tests/setup.sh || exit 1

passed=0
failed=() # the names of the steps that failed
step() { # step NAME CMD...
	local name=$1 t0=$SECONDS
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
	else
		failed+=("$name"); echo "=== $name: FAILED ($((SECONDS - t0)) s)"
	fi
}

build() { # build DIR CMAKE-ARGS...
	local dir=$1
	shift
	cmake -S "$ROOT" -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j "$JOBS"
}

step "gcc build" build build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc
step "gcc tests" ctest --test-dir build-ci --output-on-failure -j "$JOBS"
# cppcheck and clang-tidy; clang-tidy reads the gcc build's
# compile_commands.json (CMakeLists.txt always writes it).
step "static analysis" cmake --build build-ci --target check
# Build the Debian packages from a clean copy, lintian, install, mint.
step "debian package" bash tests/package/run.sh

# LeakSanitizer stays on; ASan's own allocator cannot be locked, which is
# expected, so mlock failures are not errors under the sanitizers.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
step "clang asan+ubsan build" build build-ci-asan -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_COMPILER=clang "-DCV_SANITIZE=address;undefined"
step "clang asan+ubsan tests" ctest --test-dir build-ci-asan --output-on-failure -j "$JOBS"

step "fuzz build" build build-ci-fuzz -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_COMPILER=clang -DCV_FUZZ=ON "-DCV_SANITIZE=address;undefined"
for h in build-ci-fuzz/fuzz/fuzz_*; do
	[ -x "$h" ] || continue
	name=$(basename "$h")
	corpus="fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d)
	cp -r "$corpus/." "$work/"
	step "fuzz ${name#fuzz_} (${FUZZ_SECONDS} s)" "$h" -max_total_time="$FUZZ_SECONDS" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work"
	rm -rf "$work"
done

# The end of the log is what a reader sees first: repeat what failed there,
# with the failing tests' own output (run once more, so a flake shows as one).
if [ ${#failed[@]} -gt 0 ]; then
	for dir in build-ci build-ci-asan; do
		list=$dir/Testing/Temporary/LastTestsFailed.log
		[ -s "$list" ] || continue
		echo "=== failed tests in $dir:"
		cat "$list"
		ctest --test-dir "$dir" --rerun-failed --output-on-failure 2>&1 | tail -n 150
	done
	printf 'run-all: failed step: %s\n' "${failed[@]}"
fi
echo "run-all: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
