#!/usr/bin/env bash
# Set everything up and run every test: the normal build, then the whole
# suite again under AddressSanitizer+UBSan and under ThreadSanitizer, then a
# short replay of the fuzzer's model comparison. Exits non-zero on any
# failure. Usage: scripts/test.sh [--quick]  (--quick: normal build only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

bash scripts/setup.sh
jobs=$(nproc)

run_suite() { # name builddir cmake-args...
	local name=$1 dir=$2
	shift 2
	echo "=== $name ==="
	cmake -S . -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
	(cd "$dir" && ctest --output-on-failure -j"$jobs")
}

run_suite "tests (RelWithDebInfo)" build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$quick" -eq 0 ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite "tests under ASan+UBSan" build-asan -DCMAKE_BUILD_TYPE=Debug -DRAMDIR_ASAN=ON
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		run_suite "tests under TSan" build-tsan -DCMAKE_BUILD_TYPE=Debug -DRAMDIR_TSAN=ON
fi
if [ "$quick" -eq 0 ]; then
	echo "=== libFuzzer: core against the reference model (60 s) ==="
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMDIR_FUZZ=ON \
		-DRAMDIR_ASAN=ON >/dev/null
	cmake --build build-fuzz -j"$jobs" --target fuzz_ops
	mkdir -p build-fuzz/corpus
	build-fuzz/bin/fuzz_ops -max_total_time=60 -print_final_stats=1 build-fuzz/corpus 2>&1 | tail -n 4
fi
echo "=== core benchmark (quick) ==="
build/bin/bench_core --quick
echo "all test suites passed"
