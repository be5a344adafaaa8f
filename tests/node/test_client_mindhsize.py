"""Port of Node's test/parallel/tls/client-mindhsize.js: a client with
minDHSize 2048 refuses a DHE server using 1024-bit parameters
(ERR_TLS_DH_PARAM_SIZE) and accepts 2048-bit ones; parameters under 1024
bits are refused when the server is made; minDHSize that is not a positive
number is refused at connect (deviation, docs/NODE_MAP.md: Node throws
ERR_INTERNAL_ASSERTION there, the binding ERR_OUT_OF_RANGE /
ERR_INVALID_ARG_TYPE, and None means "not given"). The DHE servers are live node (OpenSSL
serves the configured parameters as they are); node's own client gives the
expected codes and messages in the same run."""
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest

from nodeport import LoopTestCase, node_eval, pki, run_until
from nodeport_ports1 import MODP1024, pkcs3_dhparam
from node_server import NodeServer
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# A 512-bit prime: too small whatever it is.
PRIME512 = int("F17D7365EFCF1BB6D3AFB05C743AB8D4D3F029989CD6E9EF652848B46FE26C4F"
               "D6963CB77E9FA79F1150B9DEF437ADD087CEEDEFD71FA753B38A9696ADFD5CFD", 16)
NOT_POSITIVE = [0, -1, "-Infinity", "NaN"]   # JSON cannot carry the last two
NOT_NUMBER = [True, False, None, {}, [], "", "1"]

SERVER = """
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                            dhparam: fs.readFileSync(%s), ciphers: 'DHE-RSA-AES128-GCM-SHA256'},
                           (c) => c.end());
s.on('tlsClientError', () => {});
"""

NODE = """
const dh = %s, out = {};
function num(v) { return v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v; }
function thrown(f) { try { f(); return null; } catch (e) { return {code: e.code, message: e.message}; } }
out.small = thrown(() => tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                           dhparam: fs.readFileSync(dh[512])}));
out.notPositive = %s.map((v) => thrown(() => tls.connect({minDHSize: num(v)})));
out.notNumber = %s.map((v) => thrown(() => tls.connect({minDHSize: v})));
(function next(sizes) {
  if (!sizes.length) return report(out);
  const bits = sizes[0];
  const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                   dhparam: fs.readFileSync(dh[bits]), ciphers: 'DHE-RSA-AES128-GCM-SHA256'},
                                  (c) => c.end());
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1', () => {
    const c = tls.connect({port: server.address().port, host: '127.0.0.1', minDHSize: 2048,
                           rejectUnauthorized: false, maxVersion: 'TLSv1.2'}, () => {
      out[bits] = 'secure'; c.destroy(); server.close(() => next(sizes.slice(1)));
    });
    c.on('error', (e) => { out[bits] = e.code; server.close(() => next(sizes.slice(1))); });
  });
})([1024, 2048]);
"""


@unittest.skipUnless(shutil.which("certtool"), "certtool (gnutls-bin) is not installed")
class ClientMinDhSize(LoopTestCase):
    @classmethod
    def setUpClass(cls):
        tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(tmp.cleanup)
        cls.dh = {bits: os.path.join(tmp.name, f"dh{bits}.pem") for bits in (512, 1024, 2048)}
        out = subprocess.run(["certtool", "--get-dh-params", "--bits", "2048"], check=True,
                             capture_output=True, timeout=30).stdout  # RFC 7919 ffdhe2048
        for bits, data in ((512, pkcs3_dhparam(PRIME512)), (1024, pkcs3_dhparam(MODP1024)),
                           (2048, out[out.index(b"-----BEGIN DH PARAMETERS"):])):
            with open(cls.dh[bits], "wb") as f:
                f.write(data)
        cls.want = node_eval(NODE % (json.dumps({str(k): v for k, v in cls.dh.items()}),
                                      json.dumps(NOT_POSITIVE), json.dumps(NOT_NUMBER)))

    def connect_to_node(self, bits):
        with NodeServer(SERVER % json.dumps(self.dh[bits])) as node:
            got = []
            client = tlsplug.connect(node.port, "127.0.0.1", min_dh_size=2048,
                                     reject_unauthorized=False, max_version="TLSv1.2",
                                     on_secure_connect=lambda: got.append("secure"))
            client.on("error", lambda e: got.append(e.code))
            run_until(self, lambda: got, what=f"handshake with {bits}-bit DH")
            client.destroy()
            return got[0]

    def test_min_dh_size_against_node_servers(self):
        self.assertEqual(self.want["1024"], "ERR_TLS_DH_PARAM_SIZE")  # the oracle refused
        for bits in (1024, 2048):
            with self.subTest(bits=bits):
                self.assertEqual(self.connect_to_node(bits), self.want[str(bits)])

    def test_small_dhparam_refused(self):
        with self.assertRaises(tlsplug.TLSError) as cm:
            tlsplug.create_secure_context(key=pki("server.key"), cert=pki("server-chain.pem"),
                                          dhparam=pkcs3_dhparam(PRIME512))
        self.assertIn(self.want["small"]["message"], str(cm.exception))

    def test_min_dh_size_validation(self):
        # Node throws from an internal assertion (ERR_INTERNAL_ASSERTION,
        # "... is not a positive number" / "... is not a number"); the
        # binding raises its ordinary argument errors for the same values.
        for value, want in zip([0, -1, -math.inf, math.nan], self.want["notPositive"]):
            with self.subTest(value=value):
                self.assertIn("not a positive number", want["message"])
                with self.assertRaises(tlsplug.TLSError) as cm:
                    tlsplug.connect(443, "127.0.0.1", min_dh_size=value)
                self.assertEqual(cm.exception.code, "ERR_OUT_OF_RANGE")
        for value, want in zip(NOT_NUMBER, self.want["notNumber"]):
            with self.subTest(value=value):
                self.assertIn("not a number", want["message"])
                if value is None:
                    continue  # Python's None is "not given" (node's undefined/null throw)
                with self.assertRaises(tlsplug.TLSError) as cm:
                    tlsplug.connect(443, "127.0.0.1", min_dh_size=value)
                self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")


if __name__ == "__main__":
    unittest.main()
