"""Port of Node's test/parallel/tls/peer-certificate-multi-keys.js: a
subject with the same attribute twice (two OUs) reads back as a list, in
the order of the certificate, both on the server's getCertificate() and the
client's getPeerCertificate(); the value is the one live node reads from
the same tlsplug server."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, run_until
from nodeport_b import NodePeer
from nodeport_ports4 import self_signed
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const c = tls.connect({host: '127.0.0.1', port: PORT, rejectUnauthorized: false}, () => {
  const s = c.getPeerCertificate().subject; c.destroy(); report(s);
});
"""


class PeerCertificateMultiKeys(LoopTestCase):
    def test_repeated_ou_is_a_list(self):
        key, cert = self_signed(self, "/CN=multi/OU=Test TLS Certificate/OU=Engineering")
        local = []
        server, port = listening_server(self, {"key": key, "cert": cert},
                                        listener=lambda s: s.end(b"World"))
        server.on("secureConnection", lambda s: local.append(s.get_certificate()["subject"]))
        peer = NodePeer(NODE, port=port)
        try:
            want = peer.result(self)
        finally:
            peer.kill()
        got = []

        def on_secure():
            got.append(client.get_peer_certificate()["subject"])
            client.destroy()
        client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                                 on_secure_connect=on_secure)
        client.on("error", lambda e: None)  # the server may reset after its "World"
        client.end(b"Hello")
        run_until(self, lambda: got and local, what="both ends secure")
        close_server(self, server)
        self.assertEqual(want["OU"], ["Test TLS Certificate", "Engineering"])
        self.assertEqual(got[0], want)
        self.assertEqual(local[0], want)


if __name__ == "__main__":
    unittest.main()
