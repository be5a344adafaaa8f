#!/usr/bin/env bash
# The examples' demo: Node's tls echo server and client examples, in C
# on libtlsplug's loop, talking over a real TCP connection on 127.0.0.1.
# (scripts/main-job.sh runs the same exchange with the `tlsplug` command.)
#
#   1. make a throwaway PKI (a root, an intermediate, server and client
#      certificates) with tests/support/make_pki.sh in a temporary directory;
#   2. start echo_server as Node's example does (requestCert, with the CA
#      that signed the client's certificate) on an ephemeral port;
#   3. run echo_client with the client certificate and the CA, send a few
#      lines, and show both sides of the exchange;
#   4. check that what came back is "welcome!\n" plus exactly what was sent.
#
# Exits 0 when the exchange checks out. The build configures this file into
# build/examples/c/, where it knows the binaries; run from the source tree,
# give their directory as the first argument or in TLSPLUG_EXAMPLES_BIN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${1:-${TLSPLUG_EXAMPLES_BIN:-@TLSPLUG_DEMO_BIN_DIR@}}
make_pki=${TLSPLUG_MAKE_PKI:-@TLSPLUG_DEMO_MAKE_PKI@}
# An unconfigured copy (the source tree) still has the placeholders.
case $bin_dir in *@*) bin_dir="" ;; esac
case $make_pki in *@*) make_pki="$here/../../tests/support/make_pki.sh" ;; esac
if [[ -z "$bin_dir" || ! -x "$bin_dir/echo_server" || ! -x "$bin_dir/echo_client" ]]; then
  echo "echo_demo: no echo_server/echo_client in '${bin_dir}'." >&2
  echo "  run build/examples/c/echo_demo.sh, or pass the directory that holds them" >&2
  echo "  as the first argument or in TLSPLUG_EXAMPLES_BIN" >&2
  exit 2
fi
timeout_s=30 # every wait below is bounded by this

work=$(mktemp -d "${TMPDIR:-/tmp}/tlsplug-demo.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '%-10s %s\n' "$1" "$2"; }
# Print a file line by line under a label (a final line without newline too).
show() {
  local label=$1 file=$2 line
  while IFS= read -r line || [[ -n "$line" ]]; do say "$label" "$line"; done < "$file"
}

echo "== tlsplug echo demo: Node's tls echo server and client, in C =="
say "[pki]" "making a throwaway PKI in $work/pki"
bash "$make_pki" "$work/pki" >/dev/null
pki=$work/pki

# Node's example: key, cert, requestCert, and the CA the client's cert chains to.
# The output files exist before the server does: the wait below reads them
# at once, maybe before the background shell has opened its redirections.
: > "$work/server.out"
: > "$work/server.err"
"$bin_dir/echo_server" --port 0 --once --timeout "$timeout_s" \
  --key "$pki/server.key" --cert "$pki/server-chain.pem" \
  --request-cert --ca "$pki/ca.pem" \
  > "$work/server.out" 2> "$work/server.err" &
server_pid=$!

# The server prints "listening on ADDR:PORT" once bound; wait for it (bounded).
port=""
deadline=$((SECONDS + timeout_s))
while [[ -z "$port" ]]; do
  port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/server.out")
  [[ -n "$port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "echo_demo: the server exited before listening:" >&2
    cat "$work/server.err" >&2
    exit 1
  fi
  if (( SECONDS >= deadline )); then
    echo "echo_demo: the server did not start listening within ${timeout_s}s" >&2
    exit 1
  fi
  sleep 0.05
done
say "[server]" "$(head -n 1 "$work/server.out")"

# What the client sends; the server answers "welcome!\n", then echoes it.
printf 'Hello from the tlsplug echo client!\nSecond line: TLS over a real TCP socket.\nThird line, UTF-8: h\xc3\xa9llo w\xc3\xb6rld\n' > "$work/sent"
{ printf 'welcome!\n'; cat "$work/sent"; } > "$work/expected"

status=0
timeout "$timeout_s" "$bin_dir/echo_client" --port "$port" --servername localhost \
  --ca "$pki/ca.pem" --key "$pki/client.key" --cert "$pki/client-chain.pem" \
  --timeout "$timeout_s" \
  < "$work/sent" > "$work/received" 2> "$work/client.err" || status=$?

# The server serves one connection (--once) and exits; wait for it, bounded.
server_status=0
deadline=$((SECONDS + timeout_s))
while kill -0 "$server_pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.05; done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "echo_demo: the server did not exit after the connection" >&2
  server_status=1
else
  wait "$server_pid" || server_status=$?
fi
server_pid=""

show "[client]" "$work/client.err"
tail -n +2 "$work/server.out" > "$work/server.events"
show "[server]" "$work/server.events"
show "[server!]" "$work/server.err"
show "[sent]" "$work/sent"
show "[received]" "$work/received"

fail=0
if (( status != 0 )); then
  echo "FAIL: echo_client exited with status $status" >&2
  fail=1
fi
if (( server_status != 0 )); then
  echo "FAIL: echo_server exited with status $server_status" >&2
  fail=1
fi
if ! grep -qx 'server connected authorized' "$work/server.out"; then
  echo "FAIL: the server did not report an authorized client" >&2
  fail=1
fi
if ! grep -q '^client connected authorized ' "$work/client.err"; then
  echo "FAIL: the client did not report an authorized server" >&2
  fail=1
fi
if ! cmp -s "$work/expected" "$work/received"; then
  echo "FAIL: the bytes received differ from \"welcome!\\n\" + the bytes sent" >&2
  fail=1
fi
if (( fail )); then
  exit 1
fi
echo "OK: $(wc -c < "$work/sent") bytes sent, \"welcome!\" plus the same $(wc -c < "$work/sent") bytes echoed back"
