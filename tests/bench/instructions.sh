#!/usr/bin/env bash
# Instruction counts of the pump and loop benchmarks under callgrind:
# repeatable for the same binary and inputs whatever else the machine does,
# so a refactoring can be held to "no more instructions than before".
# usage: tests/bench/instructions.sh BUILD_DIR   (TLSPLUG_PKI must be set)
# Prints one line per workload: name, then the instructions of the whole
# run (both ends; bench_loop's forked server child included).
set -euo pipefail
build=${1:?usage: instructions.sh BUILD_DIR}
: "${TLSPLUG_PKI:?set TLSPLUG_PKI to the test PKI (BUILD_DIR/pki)}"
cmake --build "$build" --target bench_pump bench_loop >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# total Ir of every callgrind output in $1 (one per process)
sum_ir() {
  local total=0 n
  for f in "$1"/callgrind.out.*; do
    n=$(grep -m1 '^totals:' "$f" | awk '{print $2}')
    total=$((total + n))
  done
  echo "$total"
}

run() {
  local name=$1; shift
  local dir="$tmp/$name"
  mkdir -p "$dir"
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$dir/callgrind.out.%p" \
    "$@" >/dev/null 2>"$dir/log" || { cat "$dir/log" >&2; exit 1; }
  printf '%-22s %15s\n' "$name" "$(sum_ir "$dir")"
}

run pump_bulk_8MiB   "$build/tests/bench/bench_pump" bulk 8388608
run pump_full_ecdsa  "$build/tests/bench/bench_pump" full ecdsa 20
run pump_resume      "$build/tests/bench/bench_pump" resume 50
run loop_bulk_8MiB   "$build/tests/bench/bench_loop" bulk 8388608
run loop_full_ecdsa  "$build/tests/bench/bench_loop" full ecdsa 20
run loop_resume      "$build/tests/bench/bench_loop" resume 50
