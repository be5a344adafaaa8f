"""Port of Node's test/parallel/tls/net-socket-keepalive.js: a client made over an
already-existing, half-open-capable socket, which writes and ends at once,
does not hang: the handshake completes, each end gets the other's data
and end, and both close (nodeport_ports3.KeepAliveCase)."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports3 import KeepAliveCase


class NetSocketKeepAlive(KeepAliveCase, LoopTestCase):
    MAX = "TLSv1.3"


if __name__ == "__main__":
    unittest.main()
