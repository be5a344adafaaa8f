#!/usr/bin/env python3
"""tlsplug's Python binding over loopback TCP, both ends on the library's
libuv loop (tlsplug.create_server / tlsplug.connect driven by tlsplug.run).
Follows the protocol of tests/bench/README.md, in the layout of
bench_pyssl.py: the server is a child process (this script with --serve;
port and report come back on its stdout, it exits when its stdin closes),
the client is this process, each on its own tlsplug loop; each reads
time.process_time() (user+system, all threads) around its own timed section
and the line reports the sum.

  python3 bench_pytlsplug.py bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT

The package is imported from bindings/python of this tree; the library is
$TLSPLUG_LIBRARY (the driver points it at the build tree's src/). Settings
as every TCP system: TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519; the
client verifies ca.pem for servername "localhost". The exchange is
bench_loop.c's, in Node's API: write 1 byte on 'secureConnect', the server
echoes 1 byte, the client end()s and waits for 'close'. resume offers the
blob of the priming connection's 'session' event (session=) and checks
is_session_reused(). For `mem` the script re-executes itself with
PYTHONMALLOC=malloc so that every Python object is in the malloc heap
mallinfo2 measures (with the library's own allocations).
"""
import ctypes
import gc
import json
import os
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no .pyc files in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

IO_TIMEOUT = 30  # seconds: one connection's exchange, or 30 s without progress in bulk
WATCHDOG = 600
CHUNK = 16384
SUITE = "TLS_AES_128_GCM_SHA256"


def fail(msg):
    sys.stderr.write(f"bench_pytlsplug[{os.getpid()}]: {msg}\n")
    sys.stderr.flush()
    os._exit(1)  # also from inside a loop callback (which would report, not raise)


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
    fail("usage: bench_pytlsplug.py bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT")


def pki(name):
    d = os.environ.get("TLSPLUG_PKI")
    if not d:
        fail("TLSPLUG_PKI is not set")
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


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


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def context(tlsplug, server, w):
    opts = dict(min_version="TLSv1.3", max_version="TLSv1.3", ciphers=SUITE, ecdh_curve="X25519")
    if server:
        rsa = w.get("rsa")
        opts.update(cert=pki("server-chain.pem" if rsa else "server-ec-chain.pem"),
                    key=pki("server.key" if rsa else "server-ec.key"))
    else:
        opts.update(ca=pki("ca.pem"))
    return tlsplug.create_secure_context(**opts)


def run_until(tlsplug, pred, what, timeout=IO_TIMEOUT):
    tlsplug.run(timeout=timeout, until=pred)
    if not pred():
        fail(f"{what}: not within {timeout} s")


# --- server child ---
def serve(w, tlsplug):
    sctx = context(tlsplug, True, w)
    kind = w["kind"]
    st = dict(accepted=0, closed=0, established=0, got=0, t0=None, done=False, report=None)
    # full/resume: every connection closed (the resume priming one untimed);
    # bulk: the one connection closed; mem: all established.
    target = {"bulk": 1, "resume": w.get("count", 0) + 1}.get(kind, w.get("count", 0))
    base = None

    def on_secure(sock):
        sock.set_no_delay(True)
        st["accepted"] += 1
        if kind == "bulk":
            st["t0"] = time.process_time()

        def on_data(d):
            if kind == "bulk":
                st["got"] += len(d)
                if st["got"] >= w["bytes"] and st["report"] is None:
                    sock.write(b"k")
                    st["report"] = dict(cpu_s=time.process_time() - st["t0"])
                return
            sock.write(b"k")
            if kind == "mem":
                st["established"] += 1
                if st["established"] == target:
                    heap, rss = mem()
                    st["report"] = dict(heap_bytes=heap - base[0], rss_bytes=rss - base[1])
                    st["done"] = True

        def on_close(*_):
            if kind == "mem":
                return
            st["closed"] += 1
            if kind == "resume" and st["closed"] == 1:
                st["t0"] = time.process_time()  # from the second connection
            if st["closed"] == target:
                if kind != "bulk":
                    t0 = st["t0"] if st["t0"] is not None else st["c0"]
                    st["report"] = dict(cpu_s=time.process_time() - t0)
                st["done"] = True

        sock.on("data", on_data)
        sock.on("close", on_close)
        sock.on("error", lambda e: fail(f"server socket error: {e!r}"))

    server = tlsplug.create_server(secure_context=sctx)
    server.on("secureConnection", on_secure)
    server.on("tlsClientError", lambda e, s: fail(f"server tlsClientError: {e!r}"))
    server.on("error", lambda e: fail(f"server error: {e!r}"))
    server.listen(0, "127.0.0.1", 1024)
    run_until(tlsplug, lambda: server.address() is not None, "listen")
    if kind == "mem":
        base = mem()
    st["c0"] = time.process_time()
    say(dict(port=server.address()["port"]))
    deadline = time.monotonic() + WATCHDOG
    while not st["done"]:
        tlsplug.run(timeout=1.0, until=lambda: st["done"])
        if time.monotonic() > deadline:
            fail("server: watchdog")
    say(dict(report=st["report"]))
    # Wait (bounded) for the parent to close our stdin, then exit (mem: the
    # connections stay open until then; the process takes them down).
    select.select([sys.stdin], [], [], WATCHDOG)
    os._exit(0)


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


def client(w, argv, tlsplug):
    child = Child(argv)
    port = child.read("port")
    cctx = context(tlsplug, False, w)
    checked = [False]

    def check_suite(s):
        if checked[0]:
            return
        c = s.get_cipher() or {}
        if c.get("standardName") != SUITE or s.get_protocol() != "TLSv1.3":
            fail(f"negotiated {s.get_protocol()} {c}, not TLSv1.3 {SUITE}")
        checked[0] = True

    def open_conn(st, session=None, on_secure=None, want_session=False):
        s = tlsplug.connect(port, "127.0.0.1", secure_context=cctx, servername="localhost",
                            session=session)
        s.set_no_delay(True)

        def secure():
            st["secure"] = True
            (on_secure or (lambda: s.write(b"p")))()

        s.on("secureConnect", secure)
        s.on("data", lambda d: st.__setitem__("k", True))
        # As bench_loop.c: only the resume row's priming connection listens
        # for 'session' (the library makes a blob only for a listener).
        if want_session:
            s.on("session", lambda blob: st.setdefault("session", blob))
        s.on("close", lambda *_: st.__setitem__("closed", True))
        s.on("error", lambda e: fail(f"client error: {e!r}"))
        return s

    def exchange(session=None, keep=False, want_session=False):
        st = {}
        s = open_conn(st, session, want_session=want_session)
        run_until(tlsplug, lambda: "k" in st, "exchange")
        check_suite(s)
        if session is not None and not s.is_session_reused():
            fail("handshake did not resume")
        if keep:
            return s, st
        s.end()
        run_until(tlsplug, lambda: "closed" in st, "close")
        s.close()
        return None, st

    if w["kind"] == "bulk":
        chunk = b"x" * CHUNK
        st = dict(sent=0)
        box = {}

        def pump():
            s = box["s"]
            while st["sent"] < w["bytes"]:
                st["sent"] += CHUNK
                if not s.write(chunk):
                    break  # 'drain' resumes

        def start():
            st["w0"], st["c0"] = time.perf_counter(), time.process_time()
            pump()

        s = box["s"] = open_conn(st, on_secure=start)
        s.on("drain", pump)
        s.on("data", lambda d: st.update(k=True, wall=time.perf_counter() - st["w0"],
                                         cpu=time.process_time() - st["c0"]))
        deadline = time.monotonic() + WATCHDOG
        last = -1
        while "k" not in st:  # bounded: 30 s without progress, or the watchdog
            tlsplug.run(timeout=IO_TIMEOUT, until=lambda: "k" in st or st["sent"] != last)
            if st["sent"] == last and "k" not in st:
                fail("bulk: no progress")
            last = st["sent"]
            if time.monotonic() > deadline:
                fail("bulk: watchdog")
        check_suite(s)
        s.end()
        run_until(tlsplug, lambda: "closed" in st, "close")
        s.close()
        rep = child.read("report")
        child.finish()
        return rate(st["sent"], st["wall"], st["cpu"], rep["cpu_s"])
    if w["kind"] == "mem":
        base = mem()
        conns = [exchange(keep=True)[0] for _ in range(w["count"])]
        heap, rss = mem()
        rep = child.read("report")
        for s in conns:
            s.destroy()
            s.close()
        child.finish()
        n = w["count"]
        return dict(client_bytes=(heap - base[0]) / n, server_bytes=rep["heap_bytes"] / n,
                    client_rss_bytes=(rss - base[1]) / n, server_rss_bytes=rep["rss_bytes"] / n)
    session = None
    if w["kind"] == "resume":
        _, st = exchange(want_session=True)
        session = st.get("session")
        if session is None:
            fail("no 'session' event on the priming connection")
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(w["count"]):
        exchange(session)  # end(): close_notify, then 'close' after the server's FIN
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
    if w["kind"] == "mem" and os.environ.get("PYTHONMALLOC") != "malloc":
        env = dict(os.environ, PYTHONMALLOC="malloc")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + args, env)
    import tlsplug  # noqa: E402  (after the re-exec, so that PYTHONMALLOC applies to it)
    if serving:
        serve(w, tlsplug)
    else:
        say(client(w, args, tlsplug))


if __name__ == "__main__":
    main()
