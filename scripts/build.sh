#!/usr/bin/env bash
# Configure and build tlsplug. usage: scripts/build.sh [BUILD_DIR] [CMAKE_ARGS...]
# BUILD_DIR defaults to build/ in the repo; extra arguments go to the
# configure step (e.g. -DTLSPLUG_SANITIZE=ON). CC picks the compiler for a
# new build directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-"$root/build"}
(( $# > 0 )) && shift

bash "$root/scripts/setup.sh"
# RelWithDebInfo: optimised like a release, with symbols for backtraces.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build "$build_dir" -j2
