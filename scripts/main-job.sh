#!/usr/bin/env bash
# The README's main job: set up (installing what is missing), build, then
# run Node's documented tls echo server and client as the `tlsplug`
# command, over a real TCP connection on 127.0.0.1:
#
#   1. `tlsplug server --port 0` (a throwaway self-signed certificate, whose
#      PEM it writes for the client) prints the port it got;
#   2. `tlsplug client` connects, verifies the server against that
#      certificate, pipes a known text in and the echo out;
#   3. both sides of the exchange are shown, and what came back must be
#      "welcome!\n" plus exactly what was sent;
#   4. the server (--once) exits after the connection; it is stopped anyway
#      if something went wrong.
#
# Every wait is bounded. TLSPLUG_BUILD_DIR picks the build tree (default
# build/). Exits 0 when the exchange checks out.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TLSPLUG_BUILD_DIR:-"$root/build"}
bash "$root/scripts/build.sh" "$build"

tool="$build/tools/tlsplug/tlsplug"
if [[ ! -x "$tool" ]]; then
  echo "main-job: $tool was not built" >&2
  exit 1
fi
timeout_s=30

work=$(mktemp -d "${TMPDIR:-/tmp}/tlsplug-main-job.XXXXXX")
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
show() { # a file line by line under a label (a last line without newline too)
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do say "$1" "$line"; done < "$2"
}

echo "== tlsplug: Node's tls echo server and client, in C on libtlsplug =="

# The server's stdout comes through a pipe, so reading its first line is a
# real wait (bounded by read -t), not a poll of a file.
exec {server_out}< <(exec "$tool" server --host 127.0.0.1 --port 0 --once \
                       --cert-out "$work/server-cert.pem" 2> "$work/server.err")
server_pid=$!
if ! IFS= read -r -t "$timeout_s" -u "$server_out" listening; then
  echo "main-job: the server did not say it was listening within ${timeout_s}s:" >&2
  cat "$work/server.err" >&2
  exit 1
fi
port=${listening##*:}
say "[server]" "$listening"

printf 'Hello from tlsplug client!\nSecond line: TLS over a real TCP socket.\nThird line, UTF-8: h\xc3\xa9llo w\xc3\xb6rld\n' > "$work/sent"
{ printf 'welcome!\n'; cat "$work/sent"; } > "$work/expected"

status=0
timeout "$timeout_s" "$tool" client --host 127.0.0.1 --port "$port" \
  --ca "$work/server-cert.pem" --timeout "$timeout_s" --brief \
  < "$work/sent" > "$work/received" 2> "$work/client.err" || status=$?

# --once: the server exits after the connection, which closes its stdout.
server_status=0
while IFS= read -r -t "$timeout_s" -u "$server_out" line; do say "[server]" "$line"; done || true
if kill -0 "$server_pid" 2>/dev/null; then
  echo "main-job: the server did not exit after the connection; stopping it" >&2
  kill "$server_pid"
  server_status=1
fi
wait "$server_pid" || server_status=$?
server_pid=""

show "[server]" "$work/server.err"
show "[client]" "$work/client.err"
show "[sent]" "$work/sent"
show "[received]" "$work/received"

fail=0
(( status == 0 )) || { echo "FAIL: tlsplug client exited with status $status" >&2; fail=1; }
(( server_status == 0 )) || { echo "FAIL: tlsplug server exited with status $server_status" >&2; fail=1; }
grep -qx 'client connected authorized' "$work/client.err" ||
  { echo "FAIL: the client did not report an authorized server" >&2; fail=1; }
# No client certificate was asked for, so the server logs the connection's
# line (peer, version, suite, ...) rather than Node's "server connected".
grep -qE '^connection peer=127\.0\.0\.1:[0-9]+ version=TLSv1\.3 .* outcome=ok$' "$work/server.err" ||
  { echo "FAIL: the server did not report the connection" >&2; fail=1; }
cmp -s "$work/expected" "$work/received" ||
  { echo "FAIL: the bytes received differ from \"welcome!\\n\" + the bytes sent" >&2; fail=1; }
(( fail == 0 )) || exit 1
echo "OK: $(wc -c < "$work/sent") bytes sent; \"welcome!\" plus the same $(wc -c < "$work/sent") bytes echoed back"
