#!/usr/bin/env bash
# Install a built tlsplug tree into a scratch prefix, then build and run an
# outside consumer against the installation two ways: pkg-config, and a
# separate CMake project using find_package(tlsplug). Any failed step fails.
#
# usage: run_consumers.sh BUILD_DIR WORK_DIR
# env:   CC (default cc), CMAKE (default cmake), CONSUMER_CFLAGS (extra
#        compile/link flags, e.g. the sanitizers when the library has them)
set -euo pipefail

build_dir=$(cd "$1" && pwd)
mkdir -p "$2"
work=$(cd "$2" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cc=${CC:-cc}
cmake=${CMAKE:-cmake}
read -r -a extra_flags <<< "${CONSUMER_CFLAGS:-}"

fail() { echo "install_consumers: FAIL: $*" >&2; exit 1; }

# Run a command with its output in a log; show the log only on failure, so
# a passing test stays short and a failing one says everything.
step() {
  local name=$1; shift
  local log="$work/$name.log"
  if "$@" >"$log" 2>&1; then
    echo "ok   $name"
  else
    cat "$log" >&2
    fail "$name (command: $*)"
  fi
}

# A stale prefix could hide a missing install rule: start clean each run.
rm -rf "$work/prefix" "$work/pc" "$work/cmake"
prefix="$work/prefix"

step install "$cmake" --install "$build_dir" --prefix "$prefix"

# --- what the installation must contain --------------------------------
[[ -f "$prefix/include/tlsplug.h" ]] || fail "no $prefix/include/tlsplug.h"
# GNUInstallDirs may pick lib, lib64 or lib/<multiarch>: find the libdir
# through the .pc file instead of guessing it.
pc_file=$(find "$prefix" -name tlsplug.pc -path '*/pkgconfig/*' | head -n 1)
[[ -n "$pc_file" ]] || fail "no tlsplug.pc under $prefix"
pc_dir=$(dirname "$pc_file")
libdir=$(dirname "$pc_dir")
[[ -f "$libdir/cmake/tlsplug/tlsplugConfig.cmake" ]] || fail "no CMake package in $libdir/cmake/tlsplug"
[[ -f "$libdir/cmake/tlsplug/tlsplugConfigVersion.cmake" ]] || fail "no tlsplugConfigVersion.cmake"
# The dev link and the SONAME link must both resolve to the real file.
[[ -L "$libdir/libtlsplug.so" ]] || fail "no libtlsplug.so link in $libdir"
[[ -L "$libdir/libtlsplug.so.1" ]] || fail "no libtlsplug.so.1 link in $libdir"
[[ -e "$libdir/libtlsplug.so" ]] || fail "libtlsplug.so is a dangling link"
soname=$(readelf -d "$libdir/libtlsplug.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ "$soname" == libtlsplug.so.1 ]] || fail "SONAME is '$soname', want libtlsplug.so.1"
# The .pc must name the prefix it was installed into, not the configured one.
grep -qx "prefix=$prefix" "$pc_file" || fail "tlsplug.pc has the wrong prefix: $(grep '^prefix=' "$pc_file")"
echo "ok   layout ($libdir)"

# --- (a) pkg-config ------------------------------------------------------
export PKG_CONFIG_PATH="$pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
step pkgconfig_exists pkg-config --exists --print-errors tlsplug
read -r -a pc_flags <<< "$(pkg-config --cflags --libs tlsplug)"
mkdir -p "$work/pc"
# -std=c11 -pedantic -Werror: the public header must be clean C for users.
step pkgconfig_build "$cc" -std=c11 -pedantic -Wall -Wextra -Werror "${extra_flags[@]}" \
  "$here/consumer.c" -o "$work/pc/consumer" "${pc_flags[@]}"
# It must load the installed copy, not one from the build tree.
# (Captured first: `ldd | grep -q` can die of SIGPIPE and fail under pipefail.)
resolved=$(LD_LIBRARY_PATH="$libdir" ldd "$work/pc/consumer")
[[ "$resolved" == *"$libdir/libtlsplug.so.1"* ]] \
  || fail "pkg-config consumer does not resolve libtlsplug.so.1 from $libdir: $resolved"
step pkgconfig_run env LD_LIBRARY_PATH="$libdir" "$work/pc/consumer"
sed 's/^/     /' "$work/pkgconfig_run.log"

# --- (b) CMake find_package ---------------------------------------------
step cmake_configure "$cmake" -S "$here/consumer" -B "$work/cmake" \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_C_FLAGS="${CONSUMER_CFLAGS:-}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
found=$(sed -n 's/^tlsplug_DIR:PATH=//p' "$work/cmake/CMakeCache.txt")
[[ "$found" == "$prefix"/* ]] || fail "find_package found tlsplug in '$found', not under $prefix"
step cmake_build "$cmake" --build "$work/cmake"
# No LD_LIBRARY_PATH: the imported target's location gives the build RPATH.
step cmake_run "$work/cmake/consumer"
sed 's/^/     /' "$work/cmake_run.log"

echo "install_consumers: PASS"
