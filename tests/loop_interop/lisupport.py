"""Shared plumbing for the loop interop tests: the `tlsplug` command
against peers nobody here wrote (Node's tls, openssl, gnutls, Python's
ssl), over 127.0.0.1 with ephemeral ports (or a Unix socket).

Every wait is bounded, every child is killed at tearDown (tests/support/
peer.py), and readiness is a printed line, never a sleep. The environment
comes from ctest (CMakeLists.txt here):

  TLSPLUG_TOOL      the tlsplug command (tools/tlsplug)
  TLSPLUG_PKI       the test PKI (tests/support/make_pki.sh)
  TLSPLUG_NODE, TLSPLUG_OPENSSL, TLSPLUG_GNUTLS_CLI, TLSPLUG_GNUTLS_SERV
"""

import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from peer import TIMEOUT, Peer, env_path, pki  # noqa: E402,F401  (tests/support/peer.py)

MIB = 1024 * 1024
WELCOME = b"welcome!\n"  # what Node's example server writes first
# The 64 MiB cases move 128 MiB through TLS twice; generous on 2 busy cores.
BIG_TIMEOUT = 120


def payload(size, seed=1):
    """`size` reproducible pseudo-random bytes (binary, NULs included)."""
    return random.Random(seed).randbytes(size)


def text_payload(size, seed=1):
    """`size` bytes of printable lines, for peers that echo text only."""
    rnd = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
    lines, total = [], 0
    while total < size:
        n = min(63, size - total - 1)
        line = bytes(rnd.choice(alphabet) for _ in range(n)) + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines)[:size]


def free_port():
    """A port that was free a moment ago, for peers that cannot listen on
    port 0 and say which port they got (gnutls-serv, s_server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki("server-chain.pem"), pki("server.key"))
    return ctx


def client_context():
    return ssl.create_default_context(cafile=pki("ca.pem"))


class Case(unittest.TestCase):
    """Tracks the peers a test starts and kills them all at the end."""

    def setUp(self):
        self.peers = []
        self.addCleanup(self._kill_peers)
        self._tmp = tempfile.TemporaryDirectory(prefix="tlsplug-loop-interop-")
        self.addCleanup(self._tmp.cleanup)

    def _kill_peers(self):
        for p in self.peers:
            p.kill()

    def start(self, name, argv, **kw):
        p = Peer(name, argv, **kw)
        self.peers.append(p)
        return p

    def tmpfile(self, name, data=None):
        path = os.path.join(self._tmp.name, name)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    # ---- the tlsplug command

    def start_server(self, *args):
        """`tlsplug server` on 127.0.0.1, an ephemeral port: (peer, port)."""
        server = self.start("tlsplug server", [env_path("TLSPLUG_TOOL"), "server", "--host",
                                               "127.0.0.1", "--port", "0", *args])
        m = server.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$")
        return server, int(m.group(1))

    def run_client(self, args, data=b"", timeout=TIMEOUT):
        """`tlsplug client` with `data` on stdin (through a file, so any
        size): (exit status, stdout bytes, stderr text)."""
        src = self.tmpfile(f"client-in-{time.monotonic_ns()}", data)
        dst = src + ".out"
        argv = [env_path("TLSPLUG_TOOL"), "client", "--timeout", str(timeout), *args]
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            try:
                cp = subprocess.run(argv, stdin=fin, stdout=fout, stderr=subprocess.PIPE,
                                    timeout=timeout + 10)
            except subprocess.TimeoutExpired as e:
                raise AssertionError(f"tlsplug client did not exit: {e.stderr!r}")
        with open(dst, "rb") as f:
            return cp.returncode, f.read(), cp.stderr.decode("utf-8", "replace")

    def assert_same_bytes(self, got, want, what):
        """Compare payloads; on a mismatch say where, not the MiB."""
        if got == want:
            return
        n = min(len(got), len(want))
        first = next((i for i in range(n) if got[i] != want[i]), n)
        self.fail(f"{what}: {len(got)} bytes received, {len(want)} expected; "
                  f"first difference at offset {first}")


def wait_len(peer, n, timeout=TIMEOUT):
    """Wait until `peer` has printed at least n bytes on stdout (a regex
    search over MiB of output would be quadratic)."""
    deadline = time.monotonic() + timeout
    with peer._cv:
        while len(peer._buf["out"]) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not peer._open["out"]:
                raise AssertionError(f"{peer.name}: {len(peer._buf['out'])} of {n} bytes "
                                     f"within {timeout}s\n{peer.describe()}")
            peer._cv.wait(min(left, 0.5))


class PyServer(threading.Thread):
    """Python's ssl as a one-connection server on 127.0.0.1:0, in a thread.
    mode "echo": echo until the client's close_notify, then answer it.
    mode "reset": read `reset_after` bytes, then close with SO_LINGER 0 (a
    TCP RST in the middle of the transfer)."""

    def __init__(self, mode="echo", reset_after=0):
        super().__init__(daemon=True)
        self.mode, self.reset_after = mode, reset_after
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(BIG_TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.received = 0
        self.error = None
        self.start()

    def run(self):
        try:
            conn, _ = self.lsock.accept()
            conn.settimeout(BIG_TIMEOUT)
            with server_context().wrap_socket(conn, server_side=True) as s:
                while self.mode == "echo" or self.received < self.reset_after:
                    data = s.recv(256 * 1024)
                    if not data:
                        break
                    self.received += len(data)
                    if self.mode == "echo":
                        s.sendall(data)
                if self.mode == "reset":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                else:
                    s.unwrap()  # our close_notify, after the client's
        except Exception as e:  # reported by the test through join_checked
            self.error = e
        finally:
            self.lsock.close()

    def join_checked(self, case, timeout=BIG_TIMEOUT):
        self.join(timeout)
        case.assertFalse(self.is_alive(), "the Python server did not finish")
        case.assertIsNone(self.error, f"the Python server failed: {self.error!r}")


def py_client(addr, data, family=socket.AF_INET, expect_prefix=WELCOME, timeout=BIG_TIMEOUT):
    """Python's ssl as the client: send `data` and read at the same time
    (one thread, non-blocking, so neither direction waits on the other)
    until the prefix plus the echo came back; then close_notify and wait for
    the server's. Answers the bytes received."""
    import selectors
    raw = socket.socket(family, socket.SOCK_STREAM)
    raw.settimeout(TIMEOUT)
    raw.connect(addr)
    s = client_context().wrap_socket(raw, server_hostname="localhost")
    s.setblocking(False)
    want = len(expect_prefix) + len(data)
    got, sent, view = bytearray(), 0, memoryview(data)
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while len(got) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"py_client: {len(got)} of {want} bytes, {sent} sent")
            sel.modify(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if sent < len(data) else 0))
            sel.select(min(left, 1.0))
            try:
                while True:  # drain what OpenSSL has buffered too
                    chunk = s.recv(256 * 1024)
                    if not chunk:
                        raise AssertionError(f"py_client: EOF after {len(got)} of {want} bytes")
                    got += chunk
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            if sent < len(data):
                try:
                    sent += s.send(view[sent:sent + 256 * 1024])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
    s.setblocking(True)
    s.settimeout(TIMEOUT)
    s.unwrap().close()  # the server ends when we end (allowHalfOpen false)
    return bytes(got)
