"""Client-side peers that fragment the handshake, and one kind of tlsplug
client (`fragment.py cli|python|ruby|go`) that must complete against each.

Every scenario starts its own peer on 127.0.0.1 (an ephemeral port, read
back from the peer's own "ACCEPT"/"listening on" line), first connects the
reference client (openssl s_client) and then the client under test; each
must finish the handshake, verify the server (authorized) and get its line
back. When the reference fails against an openssl peer, the scenario is
BROKEN (the test's fault, not tlsplug's). Scenarios run side by side, so a
stalled one costs one connection timeout, not one per scenario.

Environment: TLSPLUG_PKI (the test PKI), TLSPLUG_FRAGMENT_PKI (the big
chains, make_big_pki.sh), TLSPLUG_OPENSSL, TLSPLUG_TOOL (`tlsplug`), and
per client kind: TLSPLUG_LIBRARY + TLSPLUG_PYTHON_BINDING (python),
TLSPLUG_RUBY + TLSPLUG_RUBY_LIB (ruby), TLSPLUG_FRAGMENT_GOCLIENT +
TLSPLUG_LIBDIR (go); TLSPLUG_CLIENT_PRELOAD (the ASan runtime of a
sanitized build, preloaded into interpreters only, never into openssl).
TLSPLUG_FRAGMENT_ONLY=name,name runs only those scenarios."""
import concurrent.futures
import json
import os
import re
import secrets
import select
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Sanitizer builds run several times slower, and CI runs two tests at once:
# they stretch every limit (TLSPLUG_TIME_SCALE, from CMakeLists.txt) and run
# fewer scenarios side by side. A stall still fails, only later.
SCALE = float(os.environ.get("TLSPLUG_TIME_SCALE", "1"))
CONN_TIMEOUT = 10.0 * SCALE   # one connection: connect, handshake, one line back
START_TIMEOUT = 10.0 * SCALE  # a peer printing its listening line
WORKERS = 9 if SCALE == 1 else 4  # scenarios at once: peers mostly wait


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"fragment.py: ${name} is not set")
    return v


# ---- peers ------------------------------------------------------------------

class Proc:
    """A child whose stdout and stderr (merged) are collected by a thread,
    so that waiting for a line never blocks on a full pipe."""

    def __init__(self, name, cmd, extra_env=None):
        self.name, self.cmd = name, cmd
        self.buf = b""
        self.cond = threading.Condition()
        e = dict(os.environ, **(extra_env or {}))
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, env=e)
        self.t = threading.Thread(target=self._pump, daemon=True)
        self.t.start()

    def _pump(self):
        for chunk in iter(lambda: self.p.stdout.read1(65536), b""):
            with self.cond:
                self.buf += chunk
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        """The first match of the bytes regex, waiting at most timeout s."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        with self.cond:
            while True:
                m = rx.search(self.buf)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and not self.t.is_alive()):
                    raise RuntimeError(f"{self.name}: no /{pattern.decode()}/ within {timeout} s "
                                       f"(exit {self.p.poll()}); output:\n{self.text()}")
                self.cond.wait(min(left, 0.2))

    def wait_count(self, pattern, n, timeout):
        """Whether the regex matches at least n times within timeout s."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(re.findall(pattern, self.buf)) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not self.t.is_alive():
                    return len(re.findall(pattern, self.buf)) >= n
                self.cond.wait(min(left, 0.2))
            return True

    def text(self):
        return self.buf.decode("utf-8", "replace")[-3000:]

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=5)
        self.t.join(timeout=5)
        self.p.stdout.close()


def s_server(o, *, cert, chain, key, version, extra=()):
    """openssl s_server -rev: each line comes back reversed. It serves
    connections one after the other until killed."""
    cmd = [o, "s_server", "-rev", "-accept", "127.0.0.1:0", "-" + version.replace("TLSv1.", "tls1_"),
           "-cert", cert, "-key", key, *(["-cert_chain", chain] if chain else []), *extra]
    p = Proc("s_server", cmd)
    port = int(p.wait_for(rb"^ACCEPT 127\.0\.0\.1:(\d+)", START_TIMEOUT).group(1))
    return p, port


def tlsplug_server(tool, *, cert, key, ca, version):
    """`tlsplug server`: "welcome!\\n", then an echo; --request-cert refuses a
    client certificate that does not verify against --ca."""
    cmd = [tool, "server", "--host", "127.0.0.1", "--port", "0", "--cert", cert, "--key", key,
           "--ca", ca, "--request-cert", "--min-version", version, "--max-version", version]
    p = Proc("tlsplug server", cmd)
    port = int(p.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$", START_TIMEOUT).group(1))
    return p, port


class Proxy:
    """A TCP relay in front of a peer. Client->server bytes go on in
    whatever chunks come, but for "coalesce". Server->client, by mode:
    - "bytes": one byte per send() with TCP_NODELAY, so every TLS record
      reaches the client in pieces (record boundaries are untouched). A
      short pause every PACE bytes lets the client's reads see partial
      records instead of the whole flight coalesced in its receive buffer.
    - "coalesce" (both ways): held until the sender has been quiet for
      QUIET s, then sent in one send(), so a flight of several records
      lands in one read (the case where GnuTLS has the next records
      already and must be called again)."""
    PACE = 256
    QUIET = 0.03

    def __init__(self, upstream_port, mode):
        self.upstream, self.mode = upstream_port, mode
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(8)
        self.ls.settimeout(0.2)
        self.port = self.ls.getsockname()[1]
        self.closing = threading.Event()
        self.socks = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._accept, daemon=True)
        self.t.start()

    def _accept(self):
        while not self.closing.is_set():
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.upstream), timeout=CONN_TIMEOUT)
            except OSError:
                c.close()
                continue
            for s in (c, u):
                s.settimeout(CONN_TIMEOUT + 5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.socks += [c, u]
            up = "coalesce" if self.mode == "coalesce" else None
            threading.Thread(target=self._relay, args=(c, u, up), daemon=True).start()
            threading.Thread(target=self._relay, args=(u, c, self.mode), daemon=True).start()

    def _relay(self, src, dst, mode):
        pending = b""
        try:
            # Ends with the source's end or close(); the select timeouts
            # only re-check close() and the quiet time.
            while not self.closing.is_set():
                ready, _, _ = select.select([src], [], [], self.QUIET if pending else 0.5)
                if not ready:
                    if pending:
                        dst.sendall(pending)
                        pending = b""
                    continue
                data = src.recv(65536)
                if not data:
                    break
                if mode == "coalesce":
                    pending += data
                elif mode == "bytes":
                    for i in range(len(data)):
                        dst.sendall(data[i:i + 1])
                        if i % self.PACE == self.PACE - 1:
                            time.sleep(0.001)
                else:
                    dst.sendall(data)
            if pending:
                dst.sendall(pending)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the other side went away, or close() below

    def close(self):
        self.closing.set()
        self.ls.close()
        self.t.join(timeout=5)
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


# ---- clients ----------------------------------------------------------------

def interactive(cmd, line, expect, timeout, extra_env=None):
    """Run cmd, write line to its stdin and keep stdin open until expect
    shows on stdout (or timeout), then close stdin and wait for the exit.
    Answers (found, stdout, stderr, returncode, seconds)."""
    start = time.monotonic()
    e = dict(os.environ, **(extra_env or {}))
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e)
    out, err = Collector(p.stdout), Collector(p.stderr)
    try:
        p.stdin.write(line.encode())
        p.stdin.flush()
    except OSError:
        pass
    found = out.wait_for(expect.encode(), timeout)
    try:
        p.stdin.close()
    except OSError:
        pass
    try:
        p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)
    out.join(), err.join()
    return found, out.text(), err.text(), p.returncode, time.monotonic() - start


class Collector:
    """Reads one pipe in a thread; wait_for(bytes) blocks until it shows."""

    def __init__(self, pipe):
        self.pipe, self.buf = pipe, b""
        self.cond = threading.Condition()
        self.t = threading.Thread(target=self._pump, daemon=True)
        self.t.start()

    def _pump(self):
        for chunk in iter(lambda: self.pipe.read1(65536), b""):
            with self.cond:
                self.buf += chunk
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, needle, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while needle not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0 or not self.t.is_alive():
                    return needle in self.buf
                self.cond.wait(min(left, 0.2))
            return True

    def join(self):
        self.t.join(timeout=5)
        self.pipe.close()

    def text(self):
        return self.buf.decode("utf-8", "replace")


def reference_client(sc, port):
    """openssl s_client: verifies the chain and the name (a failure aborts
    the handshake), prints the protocol and the reply. None when it got the
    reply from a verified server in the scenario's version, else why not."""
    o = env("TLSPLUG_OPENSSL")
    cmd = [o, "s_client", "-brief", "-connect", f"127.0.0.1:{port}", "-CAfile", sc["ca"],
           "-verify_return_error", "-servername", "localhost", "-verify_hostname", "localhost"]
    if sc.get("client_leaf"):
        cmd += ["-cert", sc["client_leaf"], "-key", sc["client_key"]]
        if sc.get("client_ints"):
            cmd += ["-cert_chain", sc["client_ints"]]
    found, out, err, rc, secs = interactive(cmd, sc["line"], sc["expect"], CONN_TIMEOUT)
    if not found:
        return f"no reply within {CONN_TIMEOUT} s (exit {rc}); stderr: {err[-800:]}"
    if "Verification: OK" not in err or f"Protocol version: {sc['version']}" not in err:
        return f"not verified or wrong protocol; stderr: {err[-800:]}"
    return None


def client_under_test(kind, sc, port):
    """Answers a dict: secure, authorized, protocol, got, error, seconds."""
    opts = {"port": port, "ca": sc["ca"], "servername": "localhost", "line": sc["line"],
            "expect": sc["expect"], "timeout": CONN_TIMEOUT,
            "cert": sc.get("client_chain"), "key": sc.get("client_key")}
    preload = {}
    if os.environ.get("TLSPLUG_CLIENT_PRELOAD"):
        preload = {"LD_PRELOAD": os.environ["TLSPLUG_CLIENT_PRELOAD"],
                   "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1",
                   "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
    start = time.monotonic()
    if kind == "cli":
        # Node's echo client: stdin's end ends the connection, the reply
        # goes to stdout, "client connected authorized" and "protocol: V"
        # to stderr; --timeout destroys it with ETIMEDOUT.
        cmd = [env("TLSPLUG_TOOL"), "client", "--host", "127.0.0.1", "--port", str(port),
               "--servername", "localhost", "--ca", sc["ca"], "--timeout", str(int(CONN_TIMEOUT))]
        if opts["cert"]:
            cmd += ["--cert", opts["cert"], "--key", opts["key"]]
        try:
            p = subprocess.run(cmd, input=sc["line"].encode(), capture_output=True,
                               timeout=CONN_TIMEOUT + 5)
            out, err, rc = (p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                            p.returncode)
        except subprocess.TimeoutExpired as e:
            out, err, rc = (e.stdout or b"").decode(), (e.stderr or b"").decode(), "killed"
        m = re.search(r"^protocol: (\S+)$", err, re.M)
        errm = re.search(r"^client error .*$", err, re.M)
        r = {"secure": "client connected" in err,
             "authorized": bool(re.search(r"^client connected authorized$", err, re.M)),
             "protocol": m and m.group(1), "got": out,
             "error": (errm.group(0) if errm else None) or
                      (None if rc == 0 else f"exit {rc}; stderr: {err[-500:]}")}
    else:
        if kind == "python":
            cmd = [sys.executable, os.path.join(HERE, "client_python.py")]
            extra = {"PYTHONPATH": env("TLSPLUG_PYTHON_BINDING"), "PYTHONDONTWRITEBYTECODE": "1"}
        elif kind == "ruby":
            cmd = [env("TLSPLUG_RUBY"), "-I", env("TLSPLUG_RUBY_LIB"),
                   os.path.join(HERE, "client_ruby.rb")]
            extra = {}
        elif kind == "go":
            cmd = [env("TLSPLUG_FRAGMENT_GOCLIENT")]
            extra = {"LD_LIBRARY_PATH": env("TLSPLUG_LIBDIR")}
        else:
            sys.exit(f"fragment.py: unknown client kind {kind!r}")
        e = dict(os.environ, **extra, **preload)
        try:
            p = subprocess.run(cmd + [json.dumps(opts)], capture_output=True, env=e,
                               timeout=CONN_TIMEOUT + 10)
            lines = p.stdout.decode("utf-8", "replace").strip().splitlines()
            r = json.loads(lines[-1]) if lines else None
            if r is None:
                r = {"error": f"no report (exit {p.returncode}); stderr: "
                              f"{p.stderr.decode('utf-8', 'replace')[-800:]}"}
        except subprocess.TimeoutExpired:
            r = {"error": f"the client process did not exit within {CONN_TIMEOUT + 10} s"}
        except json.JSONDecodeError as ex:
            r = {"error": f"bad report: {ex}: {p.stdout[-500:]!r}"}
    r["seconds"] = time.monotonic() - start
    return r


def judge(sc, r):
    """None when the client did everything the scenario asks, else why not."""
    if r.get("error") and not (r.get("secure") and sc["expect"] in r.get("got", "")):
        return r["error"]
    if not r.get("secure"):
        return "no handshake"
    if r.get("authorized") is not True:
        return f"not authorized: {r.get('authorizationError')}"
    if r.get("protocol") != sc["version"]:
        return f"protocol {r.get('protocol')}, expected {sc['version']}"
    if sc["expect"] not in r.get("got", ""):
        return f"reply {r.get('got')!r}, expected {sc['expect']!r}"
    return None


# ---- scenarios ----------------------------------------------------------------

def scenarios():
    pki, big = env("TLSPLUG_PKI"), env("TLSPLUG_FRAGMENT_PKI")
    p = lambda n: os.path.join(pki, n)
    b = lambda n: os.path.join(big, n)
    ordinary = {"cert": p("server.pem"), "chain": p("int.pem"), "key": p("server.key")}
    bigchain = {"cert": b("server.pem"), "chain": b("server-ints.pem"), "key": b("server.key")}
    client_big = {"client_leaf": b("client.pem"), "client_ints": b("server-ints.pem"),
                  "client_chain": b("client-chain.pem"), "client_key": b("client.key")}
    out = []
    for v in ("TLSv1.2", "TLSv1.3"):
        t = v[-3:]
        out += [
            # The control: nothing fragments. A failure here is the harness's.
            dict(name=f"baseline-{t}", version=v, peer="openssl", server=ordinary, ca=p("ca.pem")),
            # Every handshake message of the server in 512-byte records.
            dict(name=f"maxfrag512-{t}", version=v, peer="openssl", server=ordinary,
                 ca=p("ca.pem"), extra=["-max_send_frag", "512"]),
            # A ~30 KB Certificate message: at least two full records.
            dict(name=f"bigchain-{t}", version=v, peer="openssl", server=bigchain, ca=b("root.pem")),
            # The client's Certificate message spans records; the server
            # verifies it (-verify_return_error aborts otherwise).
            dict(name=f"clientchain-openssl-{t}", version=v, peer="openssl", server=ordinary,
                 ca=p("ca.pem"), **client_big,
                 extra=["-Verify", "5", "-verify_return_error", "-CAfile", b("root.pem")],
                 server_log=rb"Peer certificate: CN = tlsplug fragment client"),
            # The same against a tlsplug server (--request-cert).
            dict(name=f"clientchain-tlsplug-{t}", version=v, peer="tlsplug", ca=p("ca.pem"),
                 **client_big, server_log=rb"server connected authorized"),
            # ... with the client's flight in one read of the tlsplug server.
            dict(name=f"coalesce-clientchain-tlsplug-{t}", version=v, peer="tlsplug",
                 ca=p("ca.pem"), **client_big, server_log=rb"server connected authorized",
                 proxy="coalesce"),
            # Records in pieces, each message in one record: the control
            # for the next one.
            dict(name=f"proxy1byte-ordinary-{t}", version=v, peer="openssl", server=ordinary,
                 ca=p("ca.pem"), proxy="bytes"),
            # Records in pieces and a message across records.
            dict(name=f"proxy1byte-bigchain-{t}", version=v, peer="openssl", server=bigchain,
                 ca=b("root.pem"), proxy="bytes"),
            # The opposite: the whole ~30 KB flight in one read. Without
            # the proxy, whether it comes in one read depends on timing.
            dict(name=f"coalesce-bigchain-{t}", version=v, peer="openssl", server=bigchain,
                 ca=b("root.pem"), proxy="coalesce"),
        ]
    for sc in out:
        sc["line"] = f"fragment {sc['name']} {secrets.token_hex(6)}\n"
        # s_server -rev answers each line reversed; tlsplug server greets,
        # then echoes.
        sc["expect"] = (sc["line"][:-1][::-1] + "\n" if sc["peer"] == "openssl"
                        else "welcome!\n" + sc["line"])
    only = os.environ.get("TLSPLUG_FRAGMENT_ONLY")
    if only:
        out = [sc for sc in out if sc["name"] in only.split(",")]
    return out


def run_scenario(kind, sc):
    """Answers (status, detail): PASS, FAIL or BROKEN."""
    peer = proxy = None
    try:
        if sc["peer"] == "openssl":
            s = sc["server"]
            peer, port = s_server(env("TLSPLUG_OPENSSL"), cert=s["cert"], chain=s["chain"],
                                  key=s["key"], version=sc["version"], extra=sc.get("extra", ()))
        else:
            pki = env("TLSPLUG_PKI")
            peer, port = tlsplug_server(env("TLSPLUG_TOOL"), cert=os.path.join(pki, "server-chain.pem"),
                                        key=os.path.join(pki, "server.key"),
                                        ca=os.path.join(env("TLSPLUG_FRAGMENT_PKI"), "root.pem"),
                                        version=sc["version"])
        if sc.get("proxy"):
            proxy = Proxy(port, sc["proxy"])
            port = proxy.port
        why = reference_client(sc, port)
        if why and sc["peer"] == "tlsplug":
            # The peer is tlsplug itself: its server side failed. Still try
            # the client under test, for the report.
            r = client_under_test(kind, sc, port)
            mine = judge(sc, r) or "completed"
            return "FAIL", f"the tlsplug server failed: openssl s_client: {why}; " \
                           f"{kind} client: {mine} [{r['seconds']:.2f} s]\n" \
                           f"server output:\n{peer.text()}"
        if why:
            return "BROKEN", f"reference openssl s_client failed: {why}\nserver output:\n{peer.text()}"
        # The server's own word that it verified the chain: once for the
        # reference, once more for the client under test. It prints it
        # before it answers, but our reader thread may lag: bounded waits.
        if sc.get("server_log") and not peer.wait_count(sc["server_log"], 1, 3.0):
            status = "FAIL" if sc["peer"] == "tlsplug" else "BROKEN"
            return status, f"the server did not log /{sc['server_log'].decode()}/ for the " \
                             f"reference client\nserver output:\n{peer.text()}"
        r = client_under_test(kind, sc, port)
        why = judge(sc, r)
        secs = f"{r['seconds']:.2f} s"
        if why:
            return "FAIL", f"{why} [{secs}]\nserver output:\n{peer.text()}"
        if sc.get("server_log") and not peer.wait_count(sc["server_log"], 2, 3.0):
            return "FAIL", f"the server did not log /{sc['server_log'].decode()}/ for this " \
                           f"client\nserver output:\n{peer.text()}"
        hs = f", handshake {r['handshakeMs']} ms" if "handshakeMs" in r else ""
        return "PASS", f"{r.get('protocol')}, authorized{hs} [{secs} with process start]"
    except Exception as ex:  # a peer that did not start: the scenario's fault
        return "BROKEN", f"{type(ex).__name__}: {ex}"
    finally:
        if proxy:
            proxy.close()
        if peer:
            peer.stop()


def check_sizes():
    """The big chains must really be larger than one record (16 KiB)."""
    big = env("TLSPLUG_FRAGMENT_PKI")
    o = env("TLSPLUG_OPENSSL")
    for name in ("server-chain.pem", "client-chain.pem"):
        with open(os.path.join(big, name)) as f:
            pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", f.read(), re.S)
        der = 0
        for pem in pems:
            der += len(subprocess.run([o, "x509", "-outform", "DER"], input=pem.encode(),
                                      capture_output=True, check=True, timeout=10).stdout)
        print(f"{name}: {len(pems)} certificates, {der} bytes DER")
        if der <= 16384 + 2048:
            sys.exit(f"fragment.py: {name} is only {der} bytes: it would fit one record")


def main():
    kind = sys.argv[1] if len(sys.argv) == 2 else sys.exit("usage: fragment.py cli|python|ruby|go")
    check_sizes()
    scs = scenarios()
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda sc: run_scenario(kind, sc), scs))
    width = max(len(sc["name"]) for sc in scs)
    print(f"\nclient: {kind}; {len(scs)} scenarios in {time.monotonic() - start:.1f} s")
    for sc, (status, detail) in zip(scs, results):
        first, _, rest = detail.partition("\n")
        print(f"  {status:6} {sc['name']:{width}}  {first}")
    for sc, (status, detail) in zip(scs, results):
        if status != "PASS":
            print(f"\n---- {status} {sc['name']}\n{detail}")
    bad = [sc["name"] for sc, (status, _) in zip(scs, results) if status != "PASS"]
    if bad:
        print(f"\n{len(bad)} of {len(scs)} scenarios did not pass: {', '.join(bad)}")
        sys.exit(1)
    print(f"\nall {len(scs)} scenarios passed")


if __name__ == "__main__":
    main()
