"""The Debian packages, unpacked and used as installed (see CMakeLists.txt).

setUpClass runs CPack into a scratch directory and `dpkg -x`es the three
packages into one root; every test then uses only that root, with no
LD_LIBRARY_PATH / TLSPLUG_LIBRARY / PYTHONPATH pointing into the build.
Peers listen on 127.0.0.1 port 0 and are waited for on the line that gives
their port; every wait is bounded.
"""
import json
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

PKI = os.environ["TLSPLUG_PKI"]
BUILD = os.environ["TLSPLUG_BUILD"]
SOURCE = os.environ["TLSPLUG_SOURCE"]
OPENSSL = os.environ.get("TLSPLUG_OPENSSL", "")
NODE = os.environ.get("TLSPLUG_NODE", "")
MAN = os.environ.get("TLSPLUG_MAN", "")
HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 20


def pki(name):
    return os.path.join(PKI, name)


def clean_env(**extra):
    """The environment without anything that could find the build's library."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "TLSPLUG_LIBRARY", "PYTHONPATH",
                        "PKG_CONFIG_PATH")}
    env.update(extra)
    return env


class Proc:
    """A child whose stdout/stderr lines are collected by threads."""

    def __init__(self, argv, **kw):
        self.argv = argv
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=kw.pop("env", clean_env()), **kw)
        self.lines = {"out": queue.Queue(), "err": queue.Queue()}
        self.text = {"out": [], "err": []}
        for name, stream in (("out", self.p.stdout), ("err", self.p.stderr)):
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()

    def _read(self, name, stream):
        for line in iter(stream.readline, b""):
            s = line.decode(errors="replace")
            self.text[name].append(s)
            self.lines[name].put(s)

    def wait_for(self, pattern, stream="out", timeout=TIMEOUT):
        rx = re.compile(pattern)
        while True:
            try:
                line = self.lines[stream].get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"{self.argv[0]}: no line /{pattern}/ on std{stream} within "
                                     f"{timeout}s:\n{self.describe()}")
            m = rx.search(line)
            if m:
                return m

    def describe(self):
        return f"stdout:\n{''.join(self.text['out'])}\nstderr:\n{''.join(self.text['err'])}"

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def run(argv, **kw):
    kw.setdefault("env", clean_env())
    kw.setdefault("timeout", TIMEOUT)
    return subprocess.run(argv, capture_output=True, **kw)


class Packages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tlsplug-packages.")
        out = os.path.join(cls.tmp, "debs")
        r = subprocess.run([os.environ["CPACK"], "-G", "DEB", "-B", out,
                            "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                           capture_output=True, timeout=150)
        if r.returncode != 0:
            raise AssertionError(f"cpack failed:\n{r.stdout.decode()}\n{r.stderr.decode()}")
        cls.debs = sorted(f for f in os.listdir(out) if f.endswith(".deb"))
        cls.root = os.path.join(cls.tmp, "root")
        for deb in cls.debs:
            subprocess.run(["dpkg", "-x", os.path.join(out, deb), cls.root], check=True,
                           timeout=TIMEOUT)
        cls.tool = os.path.join(cls.root, "usr", "bin", "tlsplug")
        cls.libdir = os.path.join(cls.root, "usr", "lib")
        cls.procs = []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start(self, argv, **kw):
        p = Proc(argv, **kw)
        self.addCleanup(p.stop)
        return p

    def start_server(self, *args):
        p = self.start([self.tool, "server", "--host", "127.0.0.1", "--port", "0",
                        "--cert", pki("server-chain.pem"), "--key", pki("server.key"), *args])
        port = int(p.wait_for(r"^listening on 127\.0\.0\.1:(\d+)$").group(1))
        return p, port

    # ---- the packages themselves ---------------------------------------------

    def test_packages_and_library_name(self):
        names = [d.split("_")[0] for d in self.debs]
        # libtlsplug1-redis when the build found hiredis (src/CMakeLists.txt).
        redis = os.path.exists(os.path.join(BUILD, "src", "libtlsplug-redis.so"))
        self.assertEqual(sorted(names), ["golang-tlsplug-dev", "libtlsplug-dev", "libtlsplug1"]
                         + (["libtlsplug1-redis"] if redis else [])
                         + ["python3-tlsplug", "ruby-tlsplug", "tlsplug"], self.debs)
        so1 = os.path.join(self.libdir, "libtlsplug.so.1")
        self.assertTrue(os.path.islink(so1))
        target = os.readlink(so1)
        self.assertRegex(target, r"^libtlsplug\.so\.1\.\d+\.\d+$", "the file follows the SONAME")
        r = run(["readelf", "-d", os.path.join(self.libdir, target)])
        self.assertIn("Library soname: [libtlsplug.so.1]", r.stdout.decode())
        r = run(["readelf", "-d", self.tool])
        self.assertRegex(r.stdout.decode(), r"\(RUNPATH\)\s+Library runpath: \[\$ORIGIN/\.\./lib\]")
        r = run(["ldd", self.tool])
        self.assertRegex(r.stdout.decode(), rf"libtlsplug\.so\.1 => {re.escape(self.root)}/usr/bin/\.\./lib/")

    def test_version(self):
        r = run([self.tool, "version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"^tlsplug \d+\.\d+\.\d+ \(GnuTLS 3\.\d+\.\d+\) \(ABI 1\)\n$")

    # ---- the client ------------------------------------------------------------

    def openssl_server(self, *args):
        p = self.start([OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-naccept", "4",
                        "-cert", pki("server.pem"), "-key", pki("server.key"),
                        "-cert_chain", pki("int.pem"), *args])
        return p, int(p.wait_for(r"^ACCEPT 127\.0\.0\.1:(\d+)").group(1))

    @unittest.skipUnless(OPENSSL, "openssl not found")
    def test_client_session_saved_and_resumed_in_the_next_run(self):
        state = tempfile.mkdtemp(dir=self.tmp)
        env = clean_env(XDG_STATE_HOME=state)
        sess = os.path.join(state, "session")

        def client(*args):
            r = run([self.tool, "client", "--connect", f"127.0.0.1:{port}", "--ca", pki("ca.pem"),
                     "--servername", "localhost", "--json", *args], stdin=subprocess.DEVNULL,
                    env=env)
            return r, (json.loads(r.stdout) if r.returncode == 0 else None)

        for version in ("-tls1_2", "-tls1_3"):
            with self.subTest(version=version):
                server, port = self.openssl_server(version)
                r, first = client("--sess-out", sess)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertFalse(first["sessionReused"])
                self.assertEqual(os.stat(sess).st_mode & 0o777, 0o600)
                key = os.path.join(state, "tlsplug", "session-key")
                self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
                self.assertEqual(os.path.getsize(key), 32)
                # The next run (another process) resumes it, verified as the first.
                r, again = client("--sess-in", sess)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(again["sessionReused"] and again["authorized"], again)
                # Altered by one byte: not trusted, a full handshake, no error.
                with open(sess, "r+b") as f:
                    f.seek(40)
                    b = f.read(1)
                    f.seek(40)
                    f.write(bytes([b[0] ^ 1]))
                r, tampered = client("--sess-in", sess)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertFalse(tampered["sessionReused"])
                self.assertTrue(tampered["authorized"])
                server.stop()
        # Under another key, the saved session is not resumed either.
        _, port = self.openssl_server()
        r, _ = client("--sess-out", sess)
        other = os.path.join(state, "other-key")
        with open(other, "wb") as f:
            f.write(os.urandom(32))
        os.chmod(other, 0o600)
        r, foreign = client("--sess-in", sess, "--sess-key", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(foreign["sessionReused"])
        # A key others can read, a key of the wrong size, a file that is no session.
        os.chmod(other, 0o644)
        r, _ = client("--sess-in", sess, "--sess-key", other)
        self.assertEqual(r.returncode, 1)
        self.assertIn("readable by others", r.stderr.decode())
        with open(other, "wb") as f:
            f.write(b"short")
        os.chmod(other, 0o600)
        r, _ = client("--sess-in", sess, "--sess-key", other)
        self.assertEqual(r.returncode, 1)
        self.assertIn("must be 32 bytes", r.stderr.decode())
        r, _ = client("--sess-in", pki("ca.pem"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a session tlsplug client saved", r.stderr.decode())

    @unittest.skipUnless(OPENSSL, "openssl not found")
    def test_client_json_against_openssl_s_server(self):
        server, port = self.openssl_server()
        r = run([self.tool, "client", "--connect", f"127.0.0.1:{port}", "--ca", pki("ca.pem"),
                 "--servername", "localhost", "--json", "--showcerts"], stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertTrue(report["authorized"])
        self.assertIn(report["protocol"], ("TLSv1.2", "TLSv1.3"))
        self.assertFalse(report["alpnProtocol"])
        cert = report["peerCertificate"]
        x509 = run([OPENSSL, "x509", "-in", pki("server.pem"), "-noout", "-serial", "-enddate",
                    "-startdate", "-fingerprint", "-sha256", "-subject", "-nameopt", "RFC2253"])
        fields = dict(line.split("=", 1) for line in x509.stdout.decode().splitlines())
        self.assertEqual(cert["serialNumber"], fields["serial"])
        self.assertEqual(cert["valid_to"], fields["notAfter"])
        self.assertEqual(cert["valid_from"], fields["notBefore"])
        self.assertEqual(cert["fingerprint256"], fields["sha256 Fingerprint"])
        self.assertEqual(fields["subject"], "CN=" + cert["subject"]["CN"])
        self.assertEqual(cert["issuerCertificate"]["subject"]["CN"], "tlsplug Test Intermediate")
        with open(pki("server.pem")) as f:
            self.assertEqual(report["peerChainPEM"][0].strip(), f.read().strip())

    @unittest.skipUnless(OPENSSL, "openssl not found")
    def test_client_exit_codes(self):
        server, port = self.openssl_server()
        # No --ca: the test root is not trusted: a verification failure.
        r = run([self.tool, "client", "--connect", f"127.0.0.1:{port}", "--brief"],
                stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(b"client error UNABLE_TO_GET_ISSUER_CERT_LOCALLY", r.stderr)
        # A port nobody listens on (bound, never listening): a network failure.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            r = run([self.tool, "client", "--connect", f"127.0.0.1:{s.getsockname()[1]}", "--json"],
                    stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(json.loads(r.stdout)["error"]["code"], "ECONNREFUSED")
        # --trace: the handshake's messages in order, each direction named.
        r = run([self.tool, "client", "--connect", f"127.0.0.1:{port}", "--ca", pki("ca.pem"),
                 "--servername", "localhost", "--trace", "--brief"], stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs = re.findall(r"(?m)^(Sent|Received) ([A-Za-z]+), Length=\d+$", r.stderr.decode())
        names = [f"{d} {m}" for d, m in msgs]
        self.assertEqual(names[:2], ["Sent ClientHello", "Received ServerHello"], names)
        self.assertIn("Received Finished", names)
        self.assertIn("Sent Finished", names)
        self.assertLess(names.index("Received Finished"), names.index("Sent Finished"))
        # The text report: the chain and the parameters, alpn as (none).
        r = run([self.tool, "client", "--connect", f"127.0.0.1:{port}", "--ca", pki("ca.pem"),
                 "--servername", "localhost"], stdin=subprocess.DEVNULL)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err)
        for line in (r"^client connected authorized$", r"^alpn: \(none\)$",
                     r"^ 0 subject: CN=localhost$", r"^ 1 subject: CN=tlsplug Test Intermediate$",
                     r"^   key: RSA \(2048 bits\)$", r"^session: new$"):
            self.assertRegex(err, "(?m)" + line)

    # ---- the server ------------------------------------------------------------

    def https_get(self, port, request):
        ctx = ssl.create_default_context(cafile=pki("ca.pem"))
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        return data
                    data += chunk

    def test_server_www(self):
        # The key is encrypted: --passphrase (file: as openssl's -pass).
        passfile = os.path.join(self.tmp, "pass.txt")
        with open(passfile, "w") as f:
            f.write("secret\n")
        r = run([self.tool, "server", "--port", "0", "--cert", pki("server-chain.pem"),
                 "--key", pki("server-enc.key"), "--passphrase", "pass:wrong"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(b"--key " + pki("server-enc.key").encode(), r.stderr)
        server, port = self.start_server("--www", "--key", pki("server-enc.key"),
                                         "--passphrase", f"file:{passfile}")
        page = self.https_get(port, b"GET /anything HTTP/1.1\r\nHost: localhost\r\n\r\n").decode()
        self.assertTrue(page.startswith("HTTP/1.1 200 OK\r\n"), page)
        for line in ("request: GET /anything HTTP/1.1", "servername (SNI): localhost",
                     "session: new", "client certificate: none"):
            self.assertIn(line, page)
        self.assertRegex(page, r"protocol: TLSv1\.3\ncipher: TLS_AES_\w+")
        server.wait_for(r"^connection peer=127\.0\.0\.1:\d+ version=TLSv1\.3 suite=\S+ "
                        r"sni=localhost alpn=\(none\) resumed=no client-cert=none outcome=ok$",
                        stream="err")

    def test_server_serve_dir(self):
        site = os.path.join(self.tmp, "site")
        os.makedirs(os.path.join(site, "sub"), exist_ok=True)
        with open(os.path.join(self.tmp, "secret.txt"), "w") as f:
            f.write("outside\n")
        with open(os.path.join(site, "sub", "a.txt"), "w") as f:
            f.write("inside\n")
        if not os.path.lexists(os.path.join(site, "link.txt")):
            os.symlink(os.path.join(self.tmp, "secret.txt"), os.path.join(site, "link.txt"))
        server, port = self.start_server("--serve-dir", site)
        get = lambda target, method=b"GET": self.https_get(  # noqa: E731
            port, method + b" " + target + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
        ok = get(b"/sub/a.txt")
        self.assertTrue(ok.startswith(b"HTTP/1.1 200 OK\r\n"), ok)
        self.assertTrue(ok.endswith(b"\r\n\r\ninside\n"), ok)
        self.assertIn(b"Content-Length: 7\r\n", ok)
        head = get(b"/sub/a.txt", b"HEAD")
        self.assertTrue(head.endswith(b"\r\n\r\n"), head)
        for target, status in ((b"/../secret.txt", b"400"), (b"/sub/%2e%2e/../secret.txt", b"400"),
                               (b"/link.txt", b"404"), (b"/missing", b"404")):
            reply = get(target)
            self.assertTrue(reply.startswith(b"HTTP/1.1 " + status + b" "), (target, reply))
            self.assertNotIn(b"outside", reply)
        self.assertTrue(get(b"/sub/a.txt", b"POST").startswith(b"HTTP/1.1 405 "))
        big = self.https_get(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
        self.assertTrue(big.startswith(b"HTTP/1.1 400 "), big[:100])

    @unittest.skipUnless(OPENSSL, "openssl not found")
    def test_server_echo_with_openssl_s_client(self):
        server, port = self.start_server("--request-cert", "--ca", pki("ca.pem"))
        client = self.start([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
                             "-servername", "localhost", "-CAfile", pki("ca.pem"),
                             "-cert", pki("client.pem"), "-key", pki("client.key"),
                             "-cert_chain", pki("int.pem"), "-quiet", "-no_ign_eof"])
        client.wait_for(r"^welcome!$")
        client.p.stdin.write(b"hello\n")
        client.p.stdin.flush()
        client.wait_for(r"^hello$")
        client.p.stdin.close()
        server.wait_for(r"^server connected authorized$", stream="err")
        server.wait_for(r"client-cert=authorized outcome=ok$", stream="err")

    @unittest.skipUnless(NODE, "node not found")
    def test_server_echo_with_node(self):
        server, port = self.start_server()
        r = run([NODE, os.path.join(HERE, "node_client.js"), str(port), pki("ca.pem")])
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = json.loads(r.stdout)
        self.assertTrue(seen["authorized"])
        self.assertEqual(seen["got"], "welcome!\nping\n")

    @unittest.skipUnless(OPENSSL, "openssl not found")
    def test_server_options(self):
        """--ocsp-response with the client's --ocsp, --sni, --keylog on both
        sides, --ticket-keys shared by two servers (openssl resumes across
        them), --http."""
        tmp = self.tmp
        serial = run([OPENSSL, "x509", "-in", pki("server.pem"), "-noout", "-serial"])
        with open(os.path.join(tmp, "index.txt"), "w") as f:
            f.write(f"V\t491231235959Z\t\t{serial.stdout.decode().strip().split('=')[1]}"
                    "\tunknown\t/CN=localhost\n")
        req, resp = os.path.join(tmp, "req.der"), os.path.join(tmp, "resp.der")
        for argv in (["-issuer", pki("int.pem"), "-cert", pki("server.pem"), "-no_nonce",
                      "-reqout", req],
                     ["-index", os.path.join(tmp, "index.txt"), "-rsigner", pki("int.pem"),
                      "-rkey", pki("int.key"), "-CA", pki("int.pem"), "-reqin", req,
                      "-respout", resp, "-ndays", "1"]):
            r = run([OPENSSL, "ocsp", *argv])
            self.assertEqual(r.returncode, 0, r.stderr)
        keys, slog, clog = (os.path.join(tmp, n) for n in ("tickets.bin", "s.keylog", "c.keylog"))
        with open(keys, "wb") as f:
            f.write(os.urandom(48))
        common = ("--ticket-keys", keys, "--ocsp-response", resp, "--keylog", slog, "--http",
                  "--sni", f"server.test:{pki('server-ec-chain.pem')}:{pki('server-ec.key')}")
        server, port = self.start_server(*common)
        r = run([self.tool, "client", "--connect", f"127.0.0.1:{port}", "--ca", pki("ca.pem"),
                 "--servername", "server.test", "--ocsp", "--keylog", clog, "--json"],
                stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["ocsp"], {"stapled": True, "status": "good", "length":
                                          os.path.getsize(resp), "verified": True})
        self.assertEqual(report["peerCertificate"]["asn1Curve"], "prime256v1")  # --sni's EC cert
        with open(clog) as f:
            client_lines = f.read().splitlines()
        self.assertTrue(client_lines and all(re.match(r"^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$", l)
                                             for l in client_lines), client_lines)
        server.wait_for(r"sni=server\.test .* outcome=ok$", stream="err")
        with open(slog) as f:
            self.assertTrue(set(client_lines) <= set(f.read().splitlines()), "same secrets")
        reply = self.https_get(port, b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        self.assertEqual(reply.count(b"HTTP/1.1 200 OK\r\n"), 2, reply)
        # A second server with the same ticket keys resumes the first's session.
        second, port2 = self.start_server(*common)
        sess = os.path.join(tmp, "sess.pem")
        for p, flag in ((port, "-sess_out"), (port2, "-sess_in")):
            r = run([OPENSSL, "s_client", "-tls1_2", "-connect", f"127.0.0.1:{p}", "-CAfile",
                     pki("ca.pem"), flag, sess], input=b"GET / HTTP/1.0\r\n\r\n")
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"\nReused, TLSv1.2", r.stdout)
        second.wait_for(r"version=TLSv1\.2 .* resumed=yes client-cert=none outcome=ok$", stream="err")

    # ---- man pages -------------------------------------------------------------

    @unittest.skipUnless(MAN, "man not found")
    def test_man_pages(self):
        mandir = os.path.join(self.root, "usr", "share", "man", "man1")
        for page, cmd in (("tlsplug.1.gz", []), ("tlsplug-client.1.gz", ["client"]),
                          ("tlsplug-server.1.gz", ["server"])):
            r = run([MAN, "--warnings", "-l", os.path.join(mandir, page)],
                    env=clean_env(MANWIDTH="120", LC_ALL="C", MAN_KEEP_FORMATTING="",
                                  MANPAGER="cat", PAGER="cat"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.decode(), "", f"{page}: warnings")
            text = re.sub(r".\x08", "", r.stdout.decode())
            self.assertIn("NAME", text)
            if not cmd:
                continue
            # Every spelling --help lists is documented in the page.
            helptext = run([self.tool, *cmd, "--help"]).stdout.decode()
            spellings = set()
            for line in helptext.split("options:", 1)[1].splitlines():
                m = re.match(r"^  (-\S+)", line)
                if m:
                    spellings.update(m.group(1).split(","))
            self.assertGreater(len(spellings), 20)
            for s in sorted(spellings):
                self.assertRegex(text, rf"(?<![\w-]){re.escape(s)}(?![\w-])", f"{page} lacks {s}")

    def test_library_manual_indexes_every_function(self):
        page = os.path.join(self.root, "usr", "share", "man", "man3", "libtlsplug.3.gz")
        r = run([MAN, "--warnings", "-l", page],
                env=clean_env(MANWIDTH="120", LC_ALL="C", MAN_KEEP_FORMATTING="",
                              MANPAGER="cat", PAGER="cat"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.decode(), "", "libtlsplug.3: warnings")
        text = re.sub(r".\x08", "", r.stdout.decode())
        with open(os.path.join(SOURCE, "abi", "tlsplug.h"), encoding="utf-8") as f:
            header = f.read()
        functions = set(re.findall(r"\b(tlsplug_\w+)\(", header))
        self.assertGreater(len(functions), 100)
        for fn in sorted(functions):
            self.assertRegex(text, rf"(?m)^\s+{fn}$", f"libtlsplug.3 lacks {fn}")

    # ---- the languages -----------------------------------------------------------

    def test_c_consumer_via_pkg_config(self):
        pc = clean_env(PKG_CONFIG_SYSROOT_DIR=self.root,
                       PKG_CONFIG_LIBDIR=os.path.join(self.libdir, "pkgconfig"))
        flags = run(["pkg-config", "--cflags", "--libs", "tlsplug"], env=pc)
        self.assertEqual(flags.returncode, 0, flags.stderr)
        cflags = run(["pkg-config", "--cflags", "tlsplug"], env=pc).stdout.decode().split()
        self.assertEqual(cflags, [f"-I{self.root}/usr/include"], "no unrelated include paths")
        exe = os.path.join(self.tmp, "consumer")
        r = run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Werror",
                 os.path.join(HERE, "consumer.c"), "-o", exe, *flags.stdout.decode().split(),
                 f"-Wl,-rpath,{self.libdir}"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run([exe, pki("server.pem"), pki("server.key")])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout.decode(), r"^version: tlsplug \S+ \(GnuTLS .*\)\nabi: 1\ncontext: ok\n$")

    def test_python_package(self):
        target = os.path.join(self.tmp, "py")
        r = run([sys.executable, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                 "--target", target, os.path.join(SOURCE, "bindings", "python")], timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        lib = os.path.join(self.libdir, "libtlsplug.so.1")
        r = run([sys.executable, "-m", "tlsplug"], cwd=self.tmp,
                env=clean_env(PYTHONPATH=target, TLSPLUG_LIBRARY=lib))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertRegex(out, rf"(?m)^library: {re.escape(lib)} -> "
                              rf"{re.escape(os.path.realpath(lib))}$")
        self.assertRegex(out, r"(?m)^version: tlsplug \S+ \(GnuTLS 3\.\S+\)$")
        self.assertRegex(out, r"(?m)^gnutls: 3\.\d+\.\d+ ")
        self.assertRegex(out, rf"(?m)^package: tlsplug \S+ \({re.escape(target)}/tlsplug\)$")


if __name__ == "__main__":
    unittest.main()
