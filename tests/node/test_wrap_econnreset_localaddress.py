"""Port of Node's test/parallel/tls/wrap-econnreset-localaddress.js: as
wrap-econnreset, with the client bound to a local address (`localAddress`)
before connecting; the reset is ECONNRESET, then 'close'. tlsplug's
connect has no localAddress option: it refuses one with a TypeError
rather than ignoring it, and its errors carry no localAddress/port fields
(docs/NODE_MAP.md, "A connection error has no host/port/path/localAddress
fields"); both are asserted side by side with live node."""
import json
import unittest

from nodeport import LoopTestCase, node_eval
from nodeport_ports5 import NODE_ECONNRESET, ClosingListener, reset_before_handshake
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class WrapEconnresetLocaladdress(LoopTestCase):
    def test_peer_closing_before_the_handshake_is_econnreset(self):
        want = node_eval(NODE_ECONNRESET % json.dumps("local"))["error"]
        # Node: where the error says it was going.
        self.assertIsNone(want["host"])
        self.assertEqual(want["port"], "the port")
        self.assertEqual(want["localAddress"], "127.0.0.1")
        with self.assertRaises(TypeError):
            tlsplug.connect(1, "127.0.0.1", local_address="127.0.0.1")

        peer = ClosingListener()
        err = reset_before_handshake(self, lambda: tlsplug.connect(peer.port, "127.0.0.1"), peer)
        self.assertEqual(err.code, want["code"])
        self.assertIsInstance(err, ConnectionResetError)
        # Deviation (or, over a given socket, agreement): no such fields.
        self.assertFalse(hasattr(err, "local_address") or hasattr(err, "port"))


if __name__ == "__main__":
    unittest.main()
