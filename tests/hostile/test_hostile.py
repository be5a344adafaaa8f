"""Hostile-peer probes: the same hand-built bytes (tlspeer.py) go to
gnutls-serv, started here as a live oracle, and to a tlsplug server; the
first answers must agree (class; the version of a ServerHello; the
description of an alert). The HTTP-request probe asks Node instead: that
answer is Node's own behaviour.

HOSTILE_SERVER picks the server under test (one ctest entry each):
  cli     `tlsplug server` (TLSPLUG_TOOL)
  python  py_server.py on the Python binding's loop
  ruby    rb_server.rb on the Ruby binding's loop
  go      go_server (tlsplug.Listen), built by the hostile_go_build fixture

Every wait is bounded; every child is killed at the end of the module.
Each probe also lands in a table printed at the end (oracle vs server).
"""

import os
import socket
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from peer import Peer, env_path, pki  # noqa: E402  (tests/support/peer.py)

from tlspeer import (CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE,  # noqa: E402
                     MAX_PLAINTEXT, Connection, client_hello, exchange, ext,
                     record, records, split_at, split_count, split_every)

# Silence after the last byte, before a probe's answer is "timeout". The
# oracle answers every probe here in milliseconds; a server that stalls
# costs this much per probe, so it is kept short.
# Sanitizer builds, with CI running two tests at once, answer several times
# slower: TLSPLUG_TIME_SCALE (from CMakeLists.txt) stretches every limit.
SCALE = float(os.environ.get("TLSPLUG_TIME_SCALE", "1"))
ANSWER_TIMEOUT = 2.0 * SCALE
# Probe 4 only: gnutls-serv reads a record with two recv() calls, 80,000
# for 40,000 records; on a loaded machine that is seconds of wall time
# (little CPU), so silence is judged over a longer span there.
SLOW_ANSWER_TIMEOUT = 8.0 * SCALE
START_TIMEOUT = 20 * SCALE  # a server's "listening" line, the oracle's port
# Probe 4's bound on the server's CPU for one hello in 40,000 records
# (a linear engine needs ~0.02 s; the quadratic hold took seconds). A
# sanitizer build raises it (HOSTILE_CPU_BOUND, from CMakeLists.txt): ASan
# multiplies the constant, not the order.
CPU_BOUND = float(os.environ.get("HOSTILE_CPU_BOUND", "1.0"))
# Probe 8's bound on the server's resident memory growth while hostile
# connections claim 16 MB handshake messages.
RSS_BOUND = 48 * 1024 * 1024

SERVER = os.environ.get("HOSTILE_SERVER", "cli")
# GnuTLS's versions narrowed to the tlsplug servers' (Node's defaults:
# minVersion TLSv1.2, maxVersion TLSv1.3), so a TLS 1.1 probe asks both the
# same question; the rest is GnuTLS's NORMAL, as tlsplug's own priority.
ORACLE_PRIORITY = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

TS = ("server_hello", 0x0304)  # what a usable TLS 1.3 hello gets
T2 = ("server_hello", 0x0303)


def alert(desc):
    return ("alert", desc)


UNEXPECTED_MESSAGE, RECORD_OVERFLOW, PROTOCOL_VERSION, INAPPROPRIATE_FALLBACK = 10, 22, 70, 86

RESULTS = []  # (probe, oracle answer, server answer, extra) for the table


# ---- processes ---------------------------------------------------------------

def free_port():
    """A port that was free a moment ago (gnutls-serv cannot listen on 0 and
    say which port it got); the caller retries on a collision."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_accepts(port, proc, timeout=START_TIMEOUT):
    """Until 127.0.0.1:port accepts a connection (the oracle prints its
    banner before it can be trusted to be ours); False if `proc` exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)  # a bounded poll on the port: gnutls-serv gives no other sign
    return False


def start_oracle():
    for _ in range(5):
        port = free_port()
        p = Peer("gnutls-serv", [env_path("TLSPLUG_GNUTLS_SERV"), "--echo", "--port", str(port),
                                 "--priority", ORACLE_PRIORITY,
                                 "--x509certfile", pki("server-chain.pem"),
                                 "--x509keyfile", pki("server.key")])
        if wait_accepts(port, p.proc):
            return p, port
        p.kill()  # the port was taken meanwhile (it exits on bind failure): another one
    raise AssertionError("gnutls-serv did not start\n" + p.describe())


def server_argv():
    if SERVER == "cli":
        return [env_path("TLSPLUG_TOOL"), "server", "--host", "127.0.0.1", "--port", "0",
                "--cert", pki("server-chain.pem"), "--key", pki("server.key")], None
    env = dict(os.environ)
    # A sanitized library: the ASan runtime first in the server's process
    # (an interpreter or a Go program that is not itself sanitized).
    if os.environ.get("HOSTILE_SERVER_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["HOSTILE_SERVER_PRELOAD"]
    if SERVER == "python":
        env["PYTHONPATH"] = env_path("TLSPLUG_PYTHON_PATH")
        return [sys.executable, os.path.join(HERE, "py_server.py")], env
    if SERVER == "ruby":
        return [env_path("TLSPLUG_RUBY"), "-I", env_path("TLSPLUG_RUBY_LIB"),
                os.path.join(HERE, "rb_server.rb")], env
    if SERVER == "go":
        return [env_path("HOSTILE_GO_SERVER")], env
    raise AssertionError(f"HOSTILE_SERVER={SERVER!r}: cli, python, ruby or go")


def start_server():
    argv, env = server_argv()
    p = Peer(f"{SERVER} server", argv, env=env)
    m = p.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$", timeout=START_TIMEOUT)
    return p, int(m.group(1))


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14, 15;
    the command name in parentheses may hold spaces, so split after it)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


ORACLE = SUT = None


def setUpModule():
    global ORACLE, SUT
    ORACLE = start_oracle()
    try:
        SUT = start_server()
    except BaseException:
        ORACLE[0].kill()
        raise


def tearDownModule():
    for p in (SUT, ORACLE):
        if p:
            p[0].kill()
    width = max((len(r[0]) for r in RESULTS), default=10)
    lines = [f"\n=== hostile probes against the {SERVER} server (oracle | server) ==="]
    for probe, want, got, extra in RESULTS:
        # Rows without an oracle answer (want None) are measurements.
        mark = "    " if want is None else "ok  " if want == got else "DIFF"
        lines.append(f"{mark} {probe:<{width}}  {want!r} | {got!r}{extra}")
    print("\n".join(lines), file=sys.stderr)


# ---- the probes ----------------------------------------------------------------

class Probes(unittest.TestCase):
    def setUp(self):
        # A server that died during an earlier probe fails every later one
        # clearly, not with a refused connection.
        p, _ = SUT
        if p.proc.poll() is not None:
            self.fail(f"the server under test is gone\n{p.describe()}")

    def both(self, chunks, delay=0.0, oracle_port=None, timeout=ANSWER_TIMEOUT):
        """The same chunks to the oracle and to the server, at the same
        time (a server that stalls costs one timeout, not two)."""
        with ThreadPoolExecutor(2) as pool:
            want = pool.submit(exchange, oracle_port or ORACLE[1], chunks, delay, timeout)
            got = pool.submit(exchange, SUT[1], chunks, delay, timeout)
            return want.result(), got.result()

    def compare(self, probe, chunks, delay=0.0, expect=None, oracle_port=None, extra=""):
        """Assert the server answers `chunks` as the oracle does; `expect`
        (an Answer key) checks the oracle itself: it guards the probe (a
        hello the oracle refuses would test nothing)."""
        want, got = self.both(chunks, delay, oracle_port)
        RESULTS.append((probe, want, got, extra))
        if expect is not None:
            self.assertEqual(want.key, expect, f"{probe}: the oracle answered {want!r}")
        self.assertEqual(got, want, f"{probe}: the server answered {got!r}, the oracle {want!r}")
        return want, got

    # 1 -------------------------------------------------------------------------
    def test_01_one_byte_records(self):
        """The hello in records of one byte each."""
        for version, expect in (("1.2", T2), ("1.3", TS)):
            with self.subTest(version=version):
                h = client_hello(version)
                self.compare(f"1 TLS {version} hello in {len(h)} 1-byte records",
                             records(split_every(h, 1)), expect=expect)

    # 2 -------------------------------------------------------------------------
    def test_02_two_and_three_records(self):
        """The hello in 2 and 3 records: even cuts, cuts inside and right
        after the 4-byte handshake header, at once and 200 ms apart (the
        delay is the input: each record then arrives in its own read)."""
        h = client_hello("1.3")
        cases = [("2 even records", split_count(h, 2), 0.0),
                 ("2 records, cut after the header", split_at(h, [4]), 0.0),
                 ("3 even records", split_count(h, 3), 0.0),
                 ("3 records, cut inside the header", split_at(h, [1, 6]), 0.0),
                 ("2 even records 200 ms apart", split_count(h, 2), 0.2),
                 ("3 even records 200 ms apart", split_count(h, 3), 0.2)]
        for name, frags, delay in cases:
            with self.subTest(name):
                self.compare(f"2 {name}", records(frags), delay=delay, expect=TS)

    # 3 -------------------------------------------------------------------------
    def test_03_big_hello(self):
        """Hellos bigger than a record, cut at the record size: grown with
        the padding extension, or with many unknown extensions (which a
        server must ignore)."""
        unknown = [ext(0xFA00 + i, bytes([i]) * 1000) for i in range(60)]
        cases = [("16.5 KB hello (padding)", client_hello("1.3", size=16_500)),
                 ("64 KB hello (padding)", client_hello("1.3", size=64_000)),
                 ("~61 KB hello (60 unknown extensions)",
                  client_hello("1.3", extra_extensions=unknown))]
        for name, h in cases:
            with self.subTest(name):
                self.compare(f"3 {name}, {len(h)} bytes in {-(-len(h) // MAX_PLAINTEXT)} records",
                             records(split_every(h, MAX_PLAINTEXT)), expect=TS)

    # 4 -------------------------------------------------------------------------
    def test_04_many_records_cpu(self):
        """A 40,000-byte hello in 40,000 one-byte records: the answer must
        be the oracle's, and the server's CPU for it bounded (a hold that
        re-parses everything held on every record is quadratic)."""
        h = client_hello("1.3", size=40_000)
        chunks = records(split_every(h, 1))
        pids = (ORACLE[0].proc.pid, SUT[0].proc.pid)
        before = [cpu_seconds(pid) for pid in pids]
        want, got = self.both(chunks, timeout=SLOW_ANSWER_TIMEOUT)
        used = [cpu_seconds(pid) - b for pid, b in zip(pids, before)]
        extra = f"  [CPU: oracle {used[0]:.2f} s, server {used[1]:.2f} s]"
        RESULTS.append(("4 40,000-byte hello in 40,000 1-byte records", want, got, extra))
        print(f"probe 4 CPU: gnutls-serv {used[0]:.3f} s, {SERVER} server {used[1]:.3f} s",
              file=sys.stderr)
        with self.subTest("answer"):
            self.assertEqual(want.key, TS, f"the oracle answered {want!r}")
            self.assertEqual(got, want, f"the server answered {got!r}, the oracle {want!r}")
        with self.subTest("CPU"):
            self.assertLess(used[1], CPU_BOUND, f"server CPU for 40,000 records: {used[1]:.2f} s "
                                                f"(oracle {used[0]:.2f} s)")

    # 5 -------------------------------------------------------------------------
    def test_05_zero_length_records(self):
        """Zero-length records around the hello. GnuTLS refuses a
        zero-length application_data record before the handshake with
        unexpected_message, and refuses zero-length handshake records too
        (RFC 8446 5.1 forbids sending them; OpenSSL, hence Node, skips
        them instead: GnuTLS is the stricter oracle, and the one asked)."""
        h = client_hello("1.3")
        frags = split_count(h, 3)
        empty_app, empty_hs = record(CT_APPLICATION_DATA, b""), record(CT_HANDSHAKE, b"")
        cases = [("zero-length application_data between 3 fragments",
                  records(frags, between=empty_app)),
                 ("zero-length handshake records between 3 fragments",
                  records(frags, between=empty_hs)),
                 ("zero-length application_data before a whole hello", [empty_app] + records([h])),
                 ("zero-length handshake record before a whole hello", [empty_hs] + records([h]))]
        for name, chunks in cases:
            with self.subTest(name):
                self.compare(f"5 {name}", chunks, expect=alert(UNEXPECTED_MESSAGE))

    # 6 -------------------------------------------------------------------------
    def test_06_fallback_scsv(self):
        """TLS_FALLBACK_SCSV (RFC 7507) from a client that offers less than
        the server's best (TLS 1.3): fatal inappropriate_fallback. In a TLS
        1.1 hello the version itself is refused first (protocol_version:
        neither server speaks TLS 1.1, and GnuTLS checks the version before
        the SCSV). In a TLS 1.3 hello it is no fallback: ServerHello."""
        cases = [("TLS 1.2 hello with the SCSV last", client_hello("1.2", fallback_scsv=True),
                  alert(INAPPROPRIATE_FALLBACK)),
                 ("TLS 1.2 hello with the SCSV first",
                  client_hello("1.2", extra_suites_front=[0x5600]), alert(INAPPROPRIATE_FALLBACK)),
                 ("TLS 1.1 hello with the SCSV", client_hello("1.1", fallback_scsv=True),
                  alert(PROTOCOL_VERSION)),
                 ("TLS 1.3 hello with the SCSV", client_hello("1.3", fallback_scsv=True), TS)]
        for name, h, expect in cases:
            with self.subTest(name):
                self.compare(f"6 {name}", records([h]), expect=expect)

    # 7 -------------------------------------------------------------------------
    def test_07_long_lists(self):
        """Thousands of unknown code points before the usable ones, in one
        record (this probe is about list handling, not fragmentation)."""
        junk_sigalgs = [0x7000 + i for i in range(4000)]  # no scheme is assigned there
        junk_suites = [0x6000 + i for i in range(4000)]   # nor any cipher suite
        cases = [("4000 unknown signature algorithms first (TLS 1.3)",
                  client_hello("1.3", extra_sigalgs_front=junk_sigalgs), TS),
                 ("4000 unknown signature algorithms first (TLS 1.2)",
                  client_hello("1.2", extra_sigalgs_front=junk_sigalgs), T2),
                 ("4000 unknown cipher suites first (TLS 1.3)",
                  client_hello("1.3", extra_suites_front=junk_suites), TS),
                 ("4000 unknown cipher suites first (TLS 1.2)",
                  client_hello("1.2", extra_suites_front=junk_suites), T2)]
        for name, h, expect in cases:
            with self.subTest(name):
                self.assertLessEqual(len(h), MAX_PLAINTEXT)
                self.compare(f"7 {name}", records([h]), expect=expect)

    # 8 -------------------------------------------------------------------------
    def test_08_huge_length_claim(self):
        """A ClientHello header claiming 16 MB (0xFFFFFF), then the start of a
        real hello, then silence; and the same followed by 1 MiB of body in
        full records, then silence. gnutls-serv waits for the rest in both
        cases (it would end the connection only at its own timeout): the
        server must answer alike, keep its memory bounded while the
        connections are held, and serve another client meanwhile."""
        h = client_hello("1.3")
        claim = b"\x01\xff\xff\xff" + h[4:]
        pid = SUT[0].proc.pid
        rss0 = rss_bytes(pid)
        held = []  # the hostile connections, open until the end of the probe
        try:
            cases = [("16 MB claim, then silence", records([claim])),
                     ("16 MB claim, 1 MiB of body, then silence",
                      records(split_every(claim + bytes(1 << 20), MAX_PLAINTEXT)))]
            for name, chunks in cases:
                with self.subTest(name):
                    with ThreadPoolExecutor(2) as pool:
                        def probe(port):
                            c = Connection(port)
                            held.append(c)
                            c.send(chunks)
                            return c.answer(ANSWER_TIMEOUT)
                        want = pool.submit(probe, ORACLE[1])
                        got = pool.submit(probe, SUT[1])
                        want, got = want.result(), got.result()
                    RESULTS.append((f"8 {name}", want, got, ""))
                    self.assertEqual(got, want, f"the server answered {got!r}, the oracle {want!r}")
            with self.subTest("memory while held"):
                grown = rss_bytes(pid) - rss0
                RESULTS.append(("8 server RSS growth with both held", None, "-",
                                f"  [{grown / 1048576:.1f} MiB]"))
                self.assertLess(grown, RSS_BOUND, f"RSS grew by {grown} bytes")
            with self.subTest("another client meanwhile"):
                a = exchange(SUT[1], records([client_hello("1.3")]), timeout=ANSWER_TIMEOUT)
                RESULTS.append(("8 a normal hello meanwhile", None, a, ""))
                self.assertEqual(a.key, TS, f"a normal client got {a!r} while hostile ones held")
        finally:
            for c in held:
                c.close()

    # 9 -------------------------------------------------------------------------
    def test_09_record_layer(self):
        """Broken record layers: a length over 2^14+2048 (more than any TLS
        record may carry), a plaintext record just over 2^14 holding a whole
        hello, a first record of another type, bytes that are no TLS at all."""
        h = client_hello("1.3")
        over = b"\x16\x03\x01" + (MAX_PLAINTEXT + 2048 + 1).to_bytes(2, "big") + h
        just_over = record(CT_HANDSHAKE, client_hello("1.3", size=MAX_PLAINTEXT + 1))
        cases = [("record length 2^14+2049", [over], alert(RECORD_OVERFLOW)),
                 # GnuTLS refuses a 2^14+1 plaintext record as RFC 8446 5.1 asks.
                 ("one record of 2^14+1 bytes", [just_over], alert(RECORD_OVERFLOW)),
                 ("application_data first", [record(CT_APPLICATION_DATA, b"hello")],
                  alert(UNEXPECTED_MESSAGE)),
                 # GnuTLS skips a change_cipher_spec record before the hello
                 # (RFC 8446 5: middlebox compatibility) and waits: timeout.
                 ("change_cipher_spec first", [record(CT_CHANGE_CIPHER_SPEC, b"\x01")],
                  ("timeout",)),
                 # Content type 7: GnuTLS answers unexpected_message (OpenSSL
                 # would close without an alert: GnuTLS is the oracle here).
                 ("garbage bytes", [bytes(range(7, 200))], alert(UNEXPECTED_MESSAGE))]
        for name, chunks, expect in cases:
            with self.subTest(name):
                self.compare(f"9 {name}", chunks, expect=expect)

    def test_10_http_request(self):
        """Plain HTTP to the TLS port. The tlsplug server's answer is Node's
        (ERR_SSL_HTTP_REQUEST): Node's tls server is the oracle here, and it
        closes without an alert (OpenSSL sends none for an HTTP request;
        gnutls-serv would send unexpected_message)."""
        node = Peer("node", [env_path("TLSPLUG_NODE"), os.path.join(HERE, "node_server.js")])
        try:
            m = node.wait_for(rb"^listening on 127\.0\.0\.1:(\d+)$", timeout=START_TIMEOUT)
            req = [b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]
            self.compare("10 HTTP request (Node as the oracle)", req, oracle_port=int(m.group(1)),
                         expect=("closed",))
            # Node says why; its answer was about this probe.
            node.wait_for(rb"tlsClientError ERR_SSL_HTTP_REQUEST", stream="err", timeout=5)
        finally:
            node.kill()


if __name__ == "__main__":
    unittest.main()
