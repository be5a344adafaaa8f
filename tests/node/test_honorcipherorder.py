"""Port of Node's test/parallel/tls/honorcipherorder.js: over TLS 1.2 a
server picks the client's preferred suite with honorCipherOrder false, and
its own with honorCipherOrder true or left unset (a server's default in
Node); the client's list comes from `ciphers`, or from tls.DEFAULT_CIPHERS
when it gives none."""
import json
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

SERVER_CIPHERS = "AES256-SHA256:AES128-GCM-SHA256:AES128-SHA256:ECDHE-RSA-AES128-GCM-SHA256"

# (honorCipherOrder, client ciphers, DEFAULT_CIPHERS while connecting);
# None is Node's undefined / null. Node's file's cases.
CASES = [
    (False, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", None),
    (True, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", None),
    (None, "AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256", None),
    (True, "AES128-SHA256:AES128-GCM-SHA256", None),
    (None, "AES128-SHA256:AES128-GCM-SHA256", None),
    (True, "AES128-SHA256", None),
    (None, "AES128-SHA256", None),
    (True, "DEFAULT", None),  # Node passes tls.DEFAULT_CIPHERS itself
    (True, None, None),
    (None, None, None),
    (True, None, "ECDHE-RSA-AES128-GCM-SHA256"),
]

NODE = """
const cases = %s, serverCiphers = %s;
const out = [];
(function next(i) {
  if (i === cases.length) return report(out);
  const [honor, clientCiphers, defaults] = cases[i];
  const sopts = {secureProtocol: 'TLSv1_2_method', key: pem('server.key'),
                 cert: pem('server-chain.pem'), ciphers: serverCiphers};
  if (honor !== null) sopts.honorCipherOrder = honor;
  const server = tls.createServer(sopts, (s) => s.end());
  server.listen(0, '127.0.0.1', () => {
    const copts = {rejectUnauthorized: false, secureProtocol: 'TLSv1_2_method'};
    if (clientCiphers) copts.ciphers = clientCiphers === 'DEFAULT' ? tls.DEFAULT_CIPHERS : clientCiphers;
    const saved = tls.DEFAULT_CIPHERS;
    tls.DEFAULT_CIPHERS = defaults || saved;
    const c = tls.connect(server.address().port, '127.0.0.1', copts, () => {
      out.push(c.getCipher().name); c.end(); server.close(() => next(i + 1));
    });
    tls.DEFAULT_CIPHERS = saved;
  });
})(0);
"""


class HonorCipherOrder(LoopTestCase):
    def test_server_or_client_order(self):
        want = node_eval(NODE % (json.dumps(CASES), json.dumps(SERVER_CIPHERS)))
        self.assertIsInstance(want, list)
        saved = tlsplug.get_default("DEFAULT_CIPHERS")
        for (honor, client_ciphers, defaults), expected in zip(CASES, want):
            with self.subTest(honor=honor, client=client_ciphers, defaults=defaults):
                server, port = listening_server(
                    self, {"secure_protocol": "TLSv1_2_method", "ciphers": SERVER_CIPHERS,
                           "honor_cipher_order": honor},
                    lambda s: s.end())
                opts = {"reject_unauthorized": False, "secure_protocol": "TLSv1_2_method"}
                if client_ciphers:
                    opts["ciphers"] = saved if client_ciphers == "DEFAULT" else client_ciphers
                got = []
                tlsplug.set_default("DEFAULT_CIPHERS", defaults or saved)
                try:
                    client = tlsplug.connect(port, "127.0.0.1", **opts)
                finally:
                    tlsplug.set_default("DEFAULT_CIPHERS", saved)
                client.once("secureConnect", lambda: (got.append(client.get_cipher()["name"]),
                                                      client.end()))
                closed = []
                client.on("close", closed.append)
                run_until(self, lambda: closed, what="client close")
                self.assertEqual(got, [expected])
                close_server(self, server)


if __name__ == "__main__":
    unittest.main()
