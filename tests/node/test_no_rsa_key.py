"""Port of Node's test/parallel/tls/no-rsa-key.js: a server with only an
ECDSA key and certificate serves a default client, which reads its data
and sees the certificate's subject."""
import unittest

from nodeport import LoopTestCase, close_server, node_eval, pki, run_until
from nodeport_ports3 import serve
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const s = tls.createServer({key: pem('server-ec.key'), cert: pem('server-ec-chain.pem')}, (c) => c.end('ok'));
s.listen(0, '127.0.0.1', () => {
  const c = tls.connect(s.address().port, '127.0.0.1', {rejectUnauthorized: false}, () => {
    const subject = c.getPeerCertificate().subject;
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => { c.end(); s.close(); report({got, subject, curve: c.getPeerCertificate().asn1Curve}); });
  });
});
"""


class NoRsaKey(LoopTestCase):
    def test_ecdsa_only_server(self):
        want = node_eval(NODE)
        self.assertEqual(want["got"], "ok")
        server, port = serve(self, {"key": pki("server-ec.key"), "cert": pki("server-ec-chain.pem")},
                             lambda c: c.end("ok"))
        seen, got, ended = {}, [], []

        def on_secure():
            pc = client.get_peer_certificate()
            seen.update(subject=pc["subject"], curve=pc.get("asn1Curve"))

        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure)
        client.on("data", got.append)
        client.on("end", lambda: ended.append(True))
        run_until(self, lambda: ended, what="the client's end")
        client.end()
        self.assertEqual(b"".join(got).decode(), want["got"])
        self.assertEqual(seen["subject"], want["subject"])
        self.assertEqual(seen["curve"], want["curve"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
