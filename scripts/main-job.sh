#!/usr/bin/env bash
# The README's main job: set up, build, then run the echo server/client demo
# (Node's documented tls example, in C) against the fresh build.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/build.sh" "$root/build"

demo="$root/build/examples/c/echo_demo.sh"
if [[ ! -f "$demo" ]]; then
  echo "main-job: $demo was not built; is examples/c present and TLSPLUG_BUILD_EXAMPLES on?" >&2
  exit 1
fi
exec bash "$demo"
