"""Port of Node's test/parallel/tls/clientcertengine-unsupported.js
(test-tls-clientcertengine-unsupported.js): where custom engines are not
supported, clientCertEngine fails with ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED.
GnuTLS has no engines, so tlsplug is always that case; node's answer comes
from live node with its binding stubbed as Node's test stubs it."""
import unittest

from engine_ports import node_context_error, tlsplug_context_error
from nodeport import NODE


@unittest.skipUnless(NODE, "node is not installed")
class ClientCertEngineUnsupported(unittest.TestCase):
    def test_unsupported(self):
        theirs = node_context_error("{clientCertEngine:'Cannonmouth'}",
                                    without_engines="setClientCertEngine")
        ours = tlsplug_context_error(clientCertEngine="Cannonmouth")
        self.assertEqual(ours[:2], theirs[:2])


if __name__ == "__main__":
    unittest.main()
