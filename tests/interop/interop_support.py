"""Shared plumbing for the interop tests: where things are, and peers.

Every peer is a real program (openssl, gnutls-serv, node, our echo
binaries) run as a child process on 127.0.0.1. Everything that waits is
bounded by a timeout, and every child is killed at tearDown even when the
test failed halfway. The environment comes from ctest (tests/interop/
CMakeLists.txt):

  TLSPLUG_PKI           the test PKI (tests/support/make_pki.sh)
  TLSPLUG_ECHO_SERVER   examples/c echo_server
  TLSPLUG_ECHO_CLIENT   examples/c echo_client
  TLSPLUG_OPENSSL, TLSPLUG_GNUTLS_SERV, TLSPLUG_NODE   the peers
"""

import base64
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

# A bound for anything that should take well under a second; generous so a
# loaded machine (ASan, ctest -j) does not fail a correct exchange.
TIMEOUT = 30


def env_path(name):
    """The path in environment variable `name`; fails the test if unset or missing."""
    value = os.environ.get(name)
    if not value:
        raise AssertionError(f"{name} is not set: run the interop tests through ctest")
    if not os.path.exists(value):
        raise AssertionError(f"{name}={value} does not exist")
    return value


def pki(name):
    return os.path.join(env_path("TLSPLUG_PKI"), name)


def free_port():
    """An ephemeral port that was free a moment ago, for peers that cannot
    listen on port 0 and say which port they got (openssl s_server in
    the mode used here, gnutls-serv). A tiny race remains; the readiness
    wait turns losing it into a clear failure rather than a hang."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    """A child process whose stdout and stderr are collected by threads, so
    the test can wait for a line on either without blocking, write to its
    stdin, and always kill it at the end."""

    def __init__(self, name, argv, stdin=subprocess.PIPE, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._lock = threading.Condition()
        self._buf = {"out": bytearray(), "err": bytearray()}
        self._open = {"out": True, "err": True}
        self._threads = [
            threading.Thread(target=self._collect, args=("out", self.proc.stdout), daemon=True),
            threading.Thread(target=self._collect, args=("err", self.proc.stderr), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _collect(self, key, pipe):
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            with self._lock:
                if not chunk:
                    self._open[key] = False
                    self._lock.notify_all()
                    return
                self._buf[key] += chunk
                self._lock.notify_all()

    @property
    def out(self):
        with self._lock:
            return bytes(self._buf["out"])

    @property
    def err(self):
        with self._lock:
            return bytes(self._buf["err"])

    def describe(self):
        rc = self.proc.poll()
        return (f"--- {self.name} ({' '.join(self.argv)}), exit {rc}\n"
                f"stdout: {self.out[-4000:]!r}\nstderr: {self.err[-4000:]!r}")

    def wait_for(self, pattern, stream="out", timeout=TIMEOUT):
        """Wait until `pattern` (bytes regex) matches the stream; answers the
        match. Fails with everything the peer said if it does not come."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                m = rx.search(bytes(self._buf[stream]))
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or not self._open[stream]:
                    break
                self._lock.wait(min(left, 0.5))
        raise AssertionError(f"{self.name}: no {pattern!r} on std{stream} "
                             f"within {timeout}s\n{self.describe()}")

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass

    def wait(self, timeout=TIMEOUT):
        """Wait for exit and for the output to be collected; answers the
        exit status, or fails (after killing it) if it does not exit."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not exit within {timeout}s\n{self.describe()}")
        for t in self._threads:
            t.join(timeout)
        return rc

    def kill(self):
        """Stop it if still running: SIGTERM, then SIGKILL. Only this pid."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.close_stdin()
        # Once it is gone the collectors reach EOF; then the pipes can close.
        for t in self._threads:
            t.join(TIMEOUT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if not any(t.is_alive() for t in self._threads):
                pipe.close()


class InteropCase(unittest.TestCase):
    """Base class: tracks the peers a test starts and kills them all in tearDown."""

    def setUp(self):
        self.peers = []
        self.addCleanup(self._kill_peers)

    def _kill_peers(self):
        for p in self.peers:
            p.kill()

    def start(self, name, argv, **kw):
        p = Peer(name, argv, **kw)
        self.peers.append(p)
        return p

    def tmpfile(self, name, data=None):
        """A path in a per-test temporary directory, filled with data if given."""
        if not hasattr(self, "_tmpdir"):
            self._tmpdir = tempfile.TemporaryDirectory(prefix="tlsplug-interop-")
            self.addCleanup(self._tmpdir.cleanup)
        path = os.path.join(self._tmpdir.name, name)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    # ---- our programs

    def start_echo_server(self, *args):
        """examples/c echo_server on an ephemeral port; answers (peer, port)."""
        server = self.start("echo_server", [env_path("TLSPLUG_ECHO_SERVER"), "--port", "0", *args])
        m = server.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$")
        return server, int(m.group(1))

    def run_echo_client(self, port, args, stdin_path, timeout=TIMEOUT):
        """examples/c echo_client with stdin from a file; answers
        (exit status, stdout bytes, stderr text). Bounded by `timeout`."""
        out_path = self.tmpfile(f"client-{port}.out")
        argv = [env_path("TLSPLUG_ECHO_CLIENT"), "--port", str(port),
                "--timeout", str(timeout), *args]
        with open(stdin_path, "rb") as fin, open(out_path, "wb") as fout:
            try:
                cp = subprocess.run(argv, stdin=fin, stdout=fout, stderr=subprocess.PIPE,
                                    timeout=timeout + 10)
            except subprocess.TimeoutExpired as e:
                raise AssertionError(f"echo_client did not exit: {e.stderr!r}")
        with open(out_path, "rb") as f:
            return cp.returncode, f.read(), cp.stderr.decode("utf-8", "replace")

    def assert_same_bytes(self, got, want, what):
        """Compare payloads by content; on a mismatch say where, not the MiB."""
        if got == want:
            return
        n = min(len(got), len(want))
        first = next((i for i in range(n) if got[i] != want[i]), n)
        self.fail(f"{what}: {len(got)} bytes received, {len(want)} expected; "
                  f"first difference at offset {first}")


def random_text(size):
    """`size` bytes of random, printable text in 64-byte lines: for peers
    that echo lines of text only (gnutls-serv --echo uses C strings)."""
    raw = base64.b64encode(os.urandom(size * 3 // 4 + 3))
    lines = [raw[i:i + 63] + b"\n" for i in range(0, len(raw), 63)]
    return b"".join(lines)[:size - 1] + b"\n"
