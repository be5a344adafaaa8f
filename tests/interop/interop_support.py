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
import socket
import subprocess
import tempfile
import unittest
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from peer import TIMEOUT, Peer, env_path, pki  # noqa: E402  (tests/support/peer.py)


HERE = os.path.dirname(os.path.abspath(__file__))

def free_port():
    """An ephemeral port that was free a moment ago, for peers that cannot
    listen on port 0 and say which port they got (openssl s_server in
    the mode used here, gnutls-serv). A tiny race remains; the readiness
    wait turns losing it into a clear failure rather than a hang."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
