"""Port of Node's test/parallel/tls/peer-certificate-encoding.js: a
certificate whose subject CN is UTF-8 text ("Ádám Lippai") reads back in
getPeerCertificate().subject.CN as that text, as live node reads it from
the same tlsplug server."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, run_until
from nodeport_b import NodePeer
from nodeport_ports4 import self_signed
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CN = "\u00c1d\u00e1m Lippai"

NODE = """
const c = tls.connect({host: '127.0.0.1', port: PORT, rejectUnauthorized: false}, () => {
  const s = c.getPeerCertificate().subject; c.destroy(); report(s);
});
"""


class PeerCertificateEncoding(LoopTestCase):
    def test_utf8_subject(self):
        key, cert = self_signed(self, "/CN=" + CN)
        server, port = listening_server(self, {"key": key, "cert": cert},
                                        listener=lambda s: s.end(b"World"))
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
        run_until(self, lambda: got, what="secureConnect")
        close_server(self, server)
        self.assertEqual(want["CN"], CN)
        self.assertEqual(got[0], want)


if __name__ == "__main__":
    unittest.main()
