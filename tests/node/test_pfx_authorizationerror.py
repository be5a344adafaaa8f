"""Port of Node's test/parallel/tls/pfx-authorizationerror.js: a server and
a client both configured from PKCS#12 bundles (with passphrase) that carry
their CA; the server, requesting client certificates without rejecting,
reads the client's serial number and an authorizationError of null (the
bundle's CA is trusted), and the client reads its own certificate's serial
from getCertificate() again and again. Every value is what live node gets
with the same bundles, except the verdict: tlsplug does not trust a
bundle's CA certificates (a recorded deviation, asserted beside node's)."""
import base64
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
from nodeport_ports4 import make_pfx
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const spfx = Buffer.from('%s', 'base64'), cpfx = Buffer.from('%s', 'base64');
const r = {};
const server = tls.createServer({pfx: spfx, passphrase: 'sample', requestCert: true,
                                 rejectUnauthorized: false}, s => {
  r.serverSawSerial = s.getPeerCertificate().serialNumber;
  r.authorizationError = s.authorizationError === undefined ? 'undefined' : s.authorizationError;
  r.authorized = s.authorized; s.end();
});
server.listen(0, '127.0.0.1', () => {
  const c = tls.connect({host: '127.0.0.1', port: server.address().port, pfx: cpfx,
                         passphrase: 'sample', rejectUnauthorized: false}, () => {
    r.own = []; for (let i = 0; i < 10; i++) r.own.push(c.getCertificate().serialNumber);
    c.on('close', () => server.close(() => report(r))); c.end();
  });
});
"""


class PfxAuthorizationError(LoopTestCase):
    def test_pfx_both_ends(self):
        spfx, cpfx = make_pfx(self, "server", "sample"), make_pfx(self, "client", "sample")
        want = node_eval(NODE % (base64.b64encode(spfx).decode(), base64.b64encode(cpfx).decode()))
        self.assertIsNone(want["authorizationError"])
        got = {}

        def on_conn(s):
            got.update(serverSawSerial=s.get_peer_certificate()["serialNumber"],
                       authorizationError=s.authorization_error, authorized=s.authorized)
            s.end()
        server, port = listening_server(self, {"key": None, "cert": None, "pfx": spfx,
                                               "passphrase": "sample", "request_cert": True,
                                               "reject_unauthorized": False}, listener=on_conn)

        def on_secure():
            got["own"] = [client.get_certificate()["serialNumber"] for _ in range(10)]
            client.end()
        client = tlsplug.connect(port, "127.0.0.1", pfx=cpfx, passphrase="sample",
                                 reject_unauthorized=False, on_secure_connect=on_secure)
        closed = []
        client.on("close", closed.append)
        run_until(self, lambda: closed and "serverSawSerial" in got, what="the exchange")
        close_server(self, server)
        # Deviation (docs/NODE_MAP.md, "A pfx bundle's CA certificates are
        # not trusted"): node trusts the bundle's CA, tlsplug verifies
        # against `ca` (or the system store) only.
        self.assertEqual((want["authorizationError"], want["authorized"]), (None, True))
        self.assertEqual(got.pop("authorized"), False)
        self.assertEqual(got.pop("authorizationError"), "UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
        self.assertEqual(got, {k: v for k, v in want.items()
                               if k not in ("authorized", "authorizationError")})


if __name__ == "__main__":
    unittest.main()
