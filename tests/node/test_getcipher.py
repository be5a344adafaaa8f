"""Port of Node's test/parallel/tls/getcipher.js: getCipher() answers the
suite's OpenSSL name, its standard (IANA) name and its `version`, which is
the suite's minimum protocol as OpenSSL names it (TLSv1.0 for a TLS 1.0 CBC
suite even on a TLS 1.2 connection), for TLS 1.2 suites chosen by the
client's `ciphers` against a server with honorCipherOrder, and for a TLS
1.3 suite."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# (server options, client ciphers, client maxVersion), as Node's file plus
# the TLS 1.0-era suite whose version is not the connection's.
CASES = [
    ({"honorCipherOrder": True}, "AES128-SHA256", "TLSv1.2"),
    ({"honorCipherOrder": True}, "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2"),
    ({"honorCipherOrder": True}, "ECDHE-RSA-AES128-SHA", "TLSv1.2"),
    ({"ciphers": "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_8_SHA256", "maxVersion": "TLSv1.3"},
     "TLS_AES_128_CCM_8_SHA256", "TLSv1.3"),
]

NODE = """
const cases = %s;
const out = [];
(function next(i) {
  if (i === cases.length) return report(out);
  const [sopts, ciphers, maxVersion] = cases[i];
  const server = tls.createServer(Object.assign({key: pem('server.key'),
                                                 cert: pem('server-chain.pem')}, sopts), () => {});
  server.listen(0, '127.0.0.1', () => {
    const c = tls.connect({host: '127.0.0.1', port: server.address().port, ciphers, maxVersion,
                           rejectUnauthorized: false}, () => {
      out.push(Object.assign({protocol: c.getProtocol()}, c.getCipher()));
      c.end(); server.close(() => next(i + 1));
    });
  });
})(0);
"""

SNAKE = {"honorCipherOrder": "honor_cipher_order", "ciphers": "ciphers",
         "maxVersion": "max_version"}


class GetCipher(LoopTestCase):
    def test_get_cipher_names_and_version(self):
        import json
        want = node_eval(NODE % json.dumps(CASES))
        self.assertIsInstance(want, list)
        for (sopts, ciphers, max_version), expected in zip(CASES, want):
            with self.subTest(ciphers=ciphers):
                server, port = listening_server(self, {SNAKE[k]: v for k, v in sopts.items()})
                got = {}

                def on_secure():
                    got.update(client.get_cipher(), protocol=client.get_protocol())
                    client.end()

                client = tlsplug.connect(port, "127.0.0.1", ciphers=ciphers,
                                         max_version=max_version, reject_unauthorized=False,
                                         on_secure_connect=on_secure)
                closed = []
                client.on("close", closed.append)
                run_until(self, lambda: closed, what="client close")
                self.assertEqual(got, expected)
                close_server(self, server)


if __name__ == "__main__":
    unittest.main()
