"""Port of Node's test/parallel/tls/wrap-econnreset-socket.js: tls.connect
over a socket the host connected itself; its peer closes before any
handshake byte, so the client gets ECONNRESET, then 'close'. Node's error
then has no host, port, path or localAddress (it never knew them), which
is what tlsplug's errors always carry (none); asserted against live node."""
import json
import socket
import unittest

from nodeport import LoopTestCase, node_eval, run_until
from nodeport_ports5 import NODE_ECONNRESET, ClosingListener
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)


class WrapEconnresetSocket(LoopTestCase):
    def test_peer_closing_before_the_handshake_is_econnreset(self):
        want = node_eval(NODE_ECONNRESET % json.dumps("socket"))["error"]
        # Node: where the error says it was going.
        self.assertEqual([want[k] for k in ("host", "port", "path", "localAddress")], [None] * 4)

        peer = ClosingListener()
        try:
            events = []
            tcp = socket.create_connection(("127.0.0.1", peer.port), timeout=10)
            client = tlsplug.connect(socket=tcp)
            client.on("error", lambda e: events.append(("error", e)))
            client.on("close", lambda had_error: events.append(("close", had_error)))
            run_until(self, lambda: events and events[-1][0] == "close", what="client close")
        finally:
            peer.close()
        self.assertEqual([name for name, _ in events], ["error", "close"])
        err = events[0][1]
        self.assertEqual(err.code, want["code"])
        self.assertIsInstance(err, ConnectionResetError)
        self.assertTrue(events[1][1], "close(had_error) after an error")
        # Deviation (or, over a given socket, agreement): no such fields.
        self.assertFalse(any(hasattr(err, k) for k in ("host", "port", "path", "local_address")))


if __name__ == "__main__":
    unittest.main()
