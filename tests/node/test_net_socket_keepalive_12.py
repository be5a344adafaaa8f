"""Port of Node's test/parallel/tls/net-socket-keepalive-12.js (with TLS 1.2 as
the highest version): a client made over an
already-existing, half-open-capable socket, which writes and ends at once,
does not hang: the handshake completes, each end gets the other's data
and end, and both close (nodeport_ports3.KeepAliveCase)."""
import unittest

from nodeport import LoopTestCase
from nodeport_ports3 import KeepAliveCase


class NetSocketKeepAlive(KeepAliveCase, LoopTestCase):
    MAX = "TLSv1.2"


if __name__ == "__main__":
    unittest.main()
