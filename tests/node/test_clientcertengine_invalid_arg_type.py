"""Port of Node's test/parallel/tls/clientcertengine-invalid-arg-type.js
(test-tls-clientcertengine-invalid-arg-type.js): a clientCertEngine that
is not a string is a TypeError with ERR_INVALID_ARG_TYPE, as live node says."""
import unittest

from engine_ports import node_context_error, tlsplug_context_error
from nodeport import NODE


@unittest.skipUnless(NODE, "node is not installed")
class ClientCertEngineInvalidArgType(unittest.TestCase):
    def test_type(self):
        self.assertEqual(tlsplug_context_error(clientCertEngine=0)[:2],
                         node_context_error("{clientCertEngine:0}")[:2])


if __name__ == "__main__":
    unittest.main()
