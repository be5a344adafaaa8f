"""Port of Node's test/parallel/tls/wrap-econnreset.js: a TLS client whose
TCP peer closes before any handshake byte gets one 'error' with code
ECONNRESET, then 'close'. Node also decorates that error with the
connection's host and port; tlsplug's errors carry code and message only
(docs/NODE_MAP.md, "A connection error has no host/port/path/localAddress
fields"), so that part is asserted side by side with live node."""
import json
import unittest

from nodeport import LoopTestCase, node_eval
from nodeport_ports5 import NODE_ECONNRESET, ClosingListener, reset_before_handshake
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class WrapEconnreset(LoopTestCase):
    def test_peer_closing_before_the_handshake_is_econnreset(self):
        want = node_eval(NODE_ECONNRESET % json.dumps("port"))["error"]
        # Node: the code, and the error names where it was going.
        self.assertEqual(want["host"], "127.0.0.1")
        self.assertEqual(want["port"], "the port")
        self.assertIsNone(want["path"])
        self.assertIsNone(want["localAddress"])

        peer = ClosingListener()
        err = reset_before_handshake(self, lambda: tlsplug.connect(peer.port, "127.0.0.1"), peer)
        self.assertEqual(err.code, want["code"])
        self.assertIsInstance(err, ConnectionResetError)
        # Deviation: no host/port fields on the error.
        self.assertFalse(hasattr(err, "host") or hasattr(err, "port"))


if __name__ == "__main__":
    unittest.main()
