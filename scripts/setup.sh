#!/usr/bin/env bash
# Install the Debian packages tlsplug needs to build and test. Idempotent
# and silent when everything is there: no apt-get at all, so a warm machine
# needs no network. Set TLSPLUG_SKIP_SETUP=1 to skip it (non-Debian hosts
# that provide the tools another way).
set -euo pipefail

[[ "${TLSPLUG_SKIP_SETUP:-0}" == 1 ]] && exit 0

packages=(
  build-essential cmake pkg-config python3   # the build
  libgnutls28-dev libuv1-dev                 # the library's dependencies
  gnutls-bin openssl curl                    # interop peers, test PKI
  libffi-dev                                 # the ABI sweep
  abigail-tools                              # abidiff against the baseline
  clang                                      # the second compiler pass
  ca-certificates
  golang-go ruby ruby-dev                    # the Go and Ruby bindings
  man-db                                     # tests/packages renders the man pages
  curl                                       # an HTTPS client (Ruby's SSLServer, Go's net/http tests)
  libhiredis-dev                             # the Redis session store module
  redis-server                               # the fleet tests (tests/fleet)
)
# Node's tls is an interop peer. Any node on PATH will do (a newer one may
# be installed outside Debian's package); only fall back to Debian's.
command -v node >/dev/null 2>&1 || packages+=(nodejs)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
(( ${#missing[@]} == 0 )) && exit 0

echo "setup: installing ${missing[*]}" >&2
if (( EUID == 0 )); then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: not root and no sudo; as root, run:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
# Recommends are skipped: clang's alone would pull in all of llvm-dev.
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
