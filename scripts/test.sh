#!/usr/bin/env bash
# Build and test tlsplug the way CI does, in three passes:
#   1. gcc, RelWithDebInfo, build/        -> full ctest
#   2. gcc + ASan/UBSan, build-asan/      -> ctest but the Node ports (label
#      node: Python driving the same library calls as the binding tests,
#      which do run here), leaks checked
#   3. clang -Werror, build-clang/        -> the libFuzzer targets' bounded
#      runs only (ctest -L fuzz, each at most 30 s of fuzzing)
#   4. gcc, -DTLSPLUG_LOOP=OFF, build-noloop/ -> the pump-only library
#      without libuv: its own ctest (pump, unit, layers, the loop's refusals)
# Every pass runs even if an earlier one failed; a summary follows and the
# exit status is non-zero if any pass failed.
# TLSPLUG_TEST_QUICK=1 runs pass 1 only, for local iteration.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh

ctest_args=(--output-on-failure -j2 --timeout 600 --no-tests=error)
summary=()
failed=0
tests_passed=0
tests_failed=0

# Add the counts from ctest's closing line ("N% tests passed, F tests
# failed out of T") in LOG to the totals.
count_tests() {
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1 || true)
  [[ -n "$line" ]] || return 0
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<< "$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<< "$line")
  tests_passed=$((tests_passed + total - bad))
  tests_failed=$((tests_failed + bad))
}

# run_pass NAME BUILD_DIR TEST(yes|no|fuzz|nonode) [CMAKE_ARGS...]; fuzz
# runs only the tests labelled fuzz, nonode all but those labelled node. CC and the sanitizer options come from the
# caller's environment.
run_pass() {
  local name=$1 dir=$2 test=$3; shift 3
  local start=$SECONDS result label=()
  [[ "$test" == fuzz ]] && label=(-L fuzz)
  [[ "$test" == nonode ]] && label=(-LE node)
  echo
  echo "=== $name: build in $dir ==="
  if ! bash scripts/build.sh "$dir" "$@"; then
    result="FAIL (build)"
  elif [[ "$test" != no ]]; then
    echo "=== $name: ctest ${label[*]} ==="
    if ctest --test-dir "$dir" "${ctest_args[@]}" "${label[@]}" 2>&1 | tee "$dir/ctest.log"; then
      result="PASS"
    else
      result="FAIL (tests)"
    fi
    count_tests "$dir/ctest.log"
  else
    result="PASS (build only)"
  fi
  [[ "$result" == PASS* ]] || failed=1
  summary+=("$(printf '%-10s %-20s %4ds  %s' "$name" "$result" $((SECONDS - start)) "$dir")")
}

# gcc is pinned for the first two passes: they are the reference build, and
# ASan with GCC puts its runtime in a shared libasan that LD_PRELOAD can load.
CC=gcc run_pass gcc "$root/build" yes

if [[ "${TLSPLUG_TEST_QUICK:-0}" == 1 ]]; then
  summary+=("asan, clang: skipped (TLSPLUG_TEST_QUICK=1)")
else
  CC=gcc ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_pass asan "$root/build-asan" nonode -DTLSPLUG_SANITIZE=ON
  CC=clang run_pass clang "$root/build-clang" fuzz -DTLSPLUG_WERROR=ON
  CC=gcc run_pass noloop "$root/build-noloop" yes -DTLSPLUG_LOOP=OFF
fi

echo
echo "=== summary ==="
printf '%s\n' "${summary[@]}"
echo "ctest: $tests_passed passed, $tests_failed failed"
exit "$failed"
