#!/usr/bin/env python3
"""Python's ssl module over loopback TCP (blocking sockets, standard library
only). Follows the protocol of tests/bench/README.md: the server is a child
process (this script with --serve; port and report come back on its stdout,
it exits when its stdin closes), the client is this process; each reads
time.process_time() (user+system, all threads) around its own timed section
and the line reports the sum.

  python3 bench_pyssl.py bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT

Python 3.11's ssl cannot choose TLS 1.3 cipher suites, so the script
re-executes itself once with OPENSSL_CONF pointing at a small file that
limits them to TLS_AES_128_GCM_SHA256 (and groups to X25519); the first
connection checks what was negotiated. For `mem` it also sets
PYTHONMALLOC=malloc so that every Python object is in the malloc heap that
mallinfo2 measures (pymalloc's arenas are mmap'd outside it).
"""
import ctypes
import gc
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import time

IO_TIMEOUT = 30
CHUNK = 16384
SUITE = "TLS_AES_128_GCM_SHA256"
CONF = f"""openssl_conf = bench_init
[bench_init]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_sys
[bench_sys]
Ciphersuites = {SUITE}
Groups = X25519
"""


def fail(msg):
    sys.stderr.write(f"bench_pyssl[{os.getpid()}]: {msg}\n")
    sys.exit(1)


def parse(argv):
    try:
        if argv[0] == "bulk":
            return dict(kind="bulk", bytes=int(float(argv[1])))
        if argv[0] == "full":
            return dict(kind="full", rsa=argv[1] == "rsa", count=int(argv[2]))
        if argv[0] in ("resume", "mem"):
            return dict(kind=argv[0], count=int(argv[1]))
    except (IndexError, ValueError):
        pass
    fail("usage: bench_pyssl.py bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT")


def pki(name):
    d = os.environ.get("TLSPLUG_PKI")
    if not d:
        fail("TLSPLUG_PKI is not set")
    return os.path.join(d, name)


class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                 "fordblks", "keepcost")]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = MallInfo2


def mem():
    """(heap, rss) in bytes: malloc heap in use (mallinfo2) and resident set."""
    gc.collect()
    mi = _libc.mallinfo2()
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")
    return mi.uordblks + mi.hblkhd, rss


def context(server, w):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_ecdh_curve("X25519")
    if server:
        rsa = w.get("rsa")
        ctx.load_cert_chain(pki("server-chain.pem" if rsa else "server-ec-chain.pem"),
                            pki("server.key" if rsa else "server-ec.key"))
    else:  # PROTOCOL_TLS_CLIENT: CERT_REQUIRED and check_hostname
        ctx.load_verify_locations(pki("ca.pem"))
    return ctx


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            fail("peer closed early")
        got += d
    return got


def drain_to_eof(s):
    """Server: read until the client's close (close_notify or bare FIN)."""
    try:
        while s.recv(CHUNK):
            pass
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError):
        pass


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# --- server child ---
def serve(w):
    ctx = context(True, w)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1024)
    lsock.settimeout(IO_TIMEOUT)
    base = mem() if w["kind"] == "mem" else None
    say(dict(port=lsock.getsockname()[1]))

    def accept():
        raw, _ = lsock.accept()
        raw.settimeout(IO_TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return ctx.wrap_socket(raw, server_side=True)  # handshakes here

    if w["kind"] == "bulk":
        s = accept()
        got, t0 = 0, time.process_time()
        while got < w["bytes"]:
            d = s.recv(CHUNK)
            if not d:
                fail("client closed early")
            got += len(d)
        s.sendall(b"k")
        say(dict(report=dict(cpu_s=time.process_time() - t0)))
        drain_to_eof(s)
        s.close()
    elif w["kind"] == "mem":
        conns = []
        for _ in range(w["count"]):
            s = accept()
            recv_exact(s, 1)
            s.sendall(b"k")
            conns.append(s)
        heap, rss = mem()
        say(dict(report=dict(heap_bytes=heap - base[0], rss_bytes=rss - base[1])))
    else:
        prime = 1 if w["kind"] == "resume" else 0
        t0 = time.process_time()
        for i in range(w["count"] + prime):
            if i == prime:
                t0 = time.process_time()
            s = accept()
            recv_exact(s, 1)
            s.sendall(b"k")
            drain_to_eof(s)
            s.close()
        say(dict(report=dict(cpu_s=time.process_time() - t0)))
    # Wait (bounded) for the parent to close our stdin, then exit.
    select.select([sys.stdin], [], [], 600)


# --- client (parent) ---
class Child:
    def __init__(self, argv):
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve"] + argv,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def read(self, key):
        r, _, _ = select.select([self.p.stdout], [], [], IO_TIMEOUT * 4)
        line = self.p.stdout.readline() if r else ""
        if not line:
            self.p.kill()
            fail("server child said nothing")
        return json.loads(line)[key]

    def finish(self):
        self.p.stdin.close()
        try:
            if self.p.wait(timeout=IO_TIMEOUT) != 0:
                fail(f"server child exited {self.p.returncode}")
        except subprocess.TimeoutExpired:
            self.p.kill()
            fail("server child did not exit")


def client(w, argv):
    child = Child(argv)
    port = child.read("port")
    ctx = context(False, w)
    checked = [False]

    def connect(session=None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
        if not checked[0]:
            if s.cipher()[0] != SUITE or s.version() != "TLSv1.3":
                fail(f"negotiated {s.version()} {s.cipher()[0]}, not TLSv1.3 {SUITE}")
            checked[0] = True
        return s

    def exchange(session=None):
        s = connect(session)
        s.sendall(b"p")
        recv_exact(s, 1)  # also takes in the server's tickets
        return s

    if w["kind"] == "bulk":
        s = connect()
        chunk = b"x" * CHUNK
        w0, c0 = time.perf_counter(), time.process_time()
        sent = 0
        while sent < w["bytes"]:
            s.sendall(chunk)
            sent += CHUNK
        recv_exact(s, 1)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        s.close()
        rep = child.read("report")
        child.finish()
        return rate(sent, wall, cpu, rep["cpu_s"])
    if w["kind"] == "mem":
        base = mem()
        conns = [exchange() for _ in range(w["count"])]
        heap, rss = mem()
        rep = child.read("report")
        for s in conns:
            s.close()
        child.finish()
        n = w["count"]
        return dict(client_bytes=(heap - base[0]) / n, server_bytes=rep["heap_bytes"] / n,
                    client_rss_bytes=(rss - base[1]) / n, server_rss_bytes=rep["rss_bytes"] / n)
    session = None
    if w["kind"] == "resume":
        s = exchange()
        session = s.session
        s.close()
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(w["count"]):
        s = exchange(session)
        if session is not None and not s.session_reused:
            fail(f"handshake {i} did not resume")
        s.close()  # no close_notify: Python's close() does not send one
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    rep = child.read("report")
    child.finish()
    return rate(w["count"], wall, cpu, rep["cpu_s"])


def rate(units, wall, ccpu, scpu):
    return dict(units=units, wall_s=wall, cpu_s=ccpu + scpu, client_cpu_s=ccpu, server_cpu_s=scpu)


def main():
    args = sys.argv[1:]
    serving = args[:1] == ["--serve"]
    w = parse(args[1:] if serving else args)
    if os.environ.get("BENCH_PYSSL_CONF") is None:
        # Re-execute once with the OpenSSL configuration in place (OpenSSL
        # reads it when the ssl module loads, which has happened by now).
        conf = os.path.join(tempfile.gettempdir(), f"tlsplug-bench-pyssl-{os.getuid()}.cnf")
        with open(conf, "w") as f:
            f.write(CONF)
        env = dict(os.environ, BENCH_PYSSL_CONF="1", OPENSSL_CONF=conf)
        if w["kind"] == "mem":
            env["PYTHONMALLOC"] = "malloc"
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + args, env)
    if serving:
        serve(w)
    else:
        say(client(w, args))


if __name__ == "__main__":
    main()
