"""Port of Node's test/parallel/tls/wrap-econnreset-socket.js: tls.connect
over a socket the host connected itself; its peer closes before any
handshake byte, so the client gets ECONNRESET, then 'close'. Node's error
then has no host, port, path or localAddress (it never knew them), which
is what tlsplug's errors always carry (none); asserted against live node."""
import json
import socket
import unittest

from nodeport import LoopTestCase, node_eval
from nodeport_ports5 import NODE_ECONNRESET, ClosingListener, reset_before_handshake
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class WrapEconnresetSocket(LoopTestCase):
    def test_peer_closing_before_the_handshake_is_econnreset(self):
        want = node_eval(NODE_ECONNRESET % json.dumps("socket"))["error"]
        # Node: where the error says it was going.
        self.assertEqual([want[k] for k in ("host", "port", "path", "localAddress")], [None] * 4)

        peer = ClosingListener()
        tcp = socket.create_connection(("127.0.0.1", peer.port), timeout=10)
        err = reset_before_handshake(self, lambda: tlsplug.connect(socket=tcp), peer)
        self.assertEqual(err.code, want["code"])
        self.assertIsInstance(err, ConnectionResetError)
        # Deviation (or, over a given socket, agreement): no such fields.
        self.assertFalse(any(hasattr(err, k) for k in ("host", "port", "path", "local_address")))


if __name__ == "__main__":
    unittest.main()
