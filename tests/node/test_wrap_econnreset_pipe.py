"""Port of Node's test/parallel/tls/wrap-econnreset-pipe.js: a TLS client
over a Unix socket whose peer closes before any handshake byte gets
ECONNRESET, then 'close'. Node names the socket's path on the error;
tlsplug's errors carry code and message only (docs/NODE_MAP.md, "A
connection error has no host/port/path/localAddress fields"), asserted side
by side with live node."""
import json
import unittest

from nodeport import LoopTestCase, node_eval
from nodeport_ports5 import NODE_ECONNRESET, ClosingListener, reset_before_handshake
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class WrapEconnresetPipe(LoopTestCase):
    def test_peer_closing_before_the_handshake_is_econnreset(self):
        want = node_eval(NODE_ECONNRESET % json.dumps("path"))["error"]
        # Node: where the error says it was going.
        self.assertEqual(want["path"], "the path")
        self.assertIsNone(want["host"])
        self.assertIsNone(want["port"])

        peer = ClosingListener(unix=True)
        err = reset_before_handshake(self, lambda: tlsplug.connect(path=peer.path), peer)
        self.assertEqual(err.code, want["code"])
        self.assertIsInstance(err, ConnectionResetError)
        # Deviation (or, over a given socket, agreement): no such fields.
        self.assertFalse(hasattr(err, "path"))


if __name__ == "__main__":
    unittest.main()
