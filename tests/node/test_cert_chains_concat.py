"""Port of Node's test/parallel/tls/cert-chains-concat.js: a server whose
`cert` is its leaf and intermediate concatenated sends both; the client,
trusting only the root, sees getPeerCertificate() (leaf subject, issuer,
serial) and with detail the issuerCertificate chain leaf -> intermediate ->
root, the root its own issuer; the server, which asked no certificate,
has none from the client."""
import unittest

from nodeport import LoopTestCase, node_eval, pki
from nodeport_ports1 import NODE_CHAIN, chain, handshake

NODE = NODE_CHAIN + """
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => {
  const r = {peer: chain(c.getPeerCertificate()).slice(0, 1), chain: chain(c.getPeerCertificate(true)),
             serverPeer: s.getPeerCertificate(), serverPeerDetailed: s.getPeerCertificate(true)};
  c.destroy(); server.close(); report(r);
});
let c;
server.listen(0, '127.0.0.1', () => {
  c = tls.connect({port: server.address().port, host: '127.0.0.1', ca: pem('ca.pem'),
                   checkServerIdentity: () => undefined});
});
"""


class CertChainsConcat(LoopTestCase):
    def test_concatenated_server_chain(self):
        want = node_eval(NODE)
        self.assertEqual(len(want["chain"]), 3)  # the oracle saw leaf, intermediate, root
        got = {}

        def on_secure(client, server_side):
            got.update(peer=chain(client.get_peer_certificate())[:1],
                       chain=chain(client.get_peer_certificate(True)),
                       serverPeer=server_side.get_peer_certificate(),
                       serverPeerDetailed=server_side.get_peer_certificate(True))

        errors = handshake(self, {"key": pki("server.key"), "cert": pki("server-chain.pem")},
                           {"ca": pki("ca.pem"), "check_server_identity": lambda h, c: None},
                           on_secure)
        self.assertEqual(errors, [])
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
