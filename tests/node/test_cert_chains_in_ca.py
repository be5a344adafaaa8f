"""Port of Node's test/parallel/tls/cert-chains-in-ca.js: a server whose
`cert` is only its leaf and whose `ca` holds the intermediate still sends
the whole chain, so a client trusting only the root verifies it and sees
the serials of leaf, intermediate and root in getPeerCertificate(true)."""
import unittest

from nodeport import LoopTestCase, node_eval, pki
from nodeport_ports1 import NODE_CHAIN, chain, handshake

NODE = NODE_CHAIN + """
const server = tls.createServer({key: pem('server.key'), cert: pem('server.pem'), ca: pem('int.pem')}, () => {
  const r = {authorized: c.authorized, chain: chain(c.getPeerCertificate(true))};
  c.destroy(); server.close(); report(r);
});
let c;
server.listen(0, '127.0.0.1', () => {
  c = tls.connect({port: server.address().port, host: '127.0.0.1', ca: pem('ca.pem'),
                   checkServerIdentity: () => undefined});
  c.on('error', (e) => report({error: e.code}));
});
"""


class CertChainsInCa(LoopTestCase):
    def test_chain_completed_from_server_ca(self):
        want = node_eval(NODE)
        self.assertEqual(len(want["chain"]), 3)  # the oracle saw leaf, intermediate, root
        got = {}

        def on_secure(client, server_side):
            got.update(authorized=client.authorized, chain=chain(client.get_peer_certificate(True)))

        errors = handshake(self, {"key": pki("server.key"), "cert": pki("server.pem"),
                                  "ca": pki("int.pem")},
                           {"ca": pki("ca.pem"), "check_server_identity": lambda h, c: None},
                           on_secure)
        self.assertEqual(errors, [])
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
