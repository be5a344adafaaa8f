"""Port of Node's test/parallel/tls/keyengine-unsupported.js
(test-tls-keyengine-unsupported.js): where custom engines are not
supported, privateKeyEngine with privateKeyIdentifier fails with
ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED. GnuTLS has no engines, so tlsplug
is always that case; node's answer comes from live node with its binding
stubbed as Node's test stubs it. An identifier without an engine is
ERR_INVALID_ARG_VALUE in both."""
import unittest

from engine_ports import node_context_error, tlsplug_context_error
from nodeport import NODE


@unittest.skipUnless(NODE, "node is not installed")
class KeyEngineUnsupported(unittest.TestCase):
    def test_unsupported(self):
        theirs = node_context_error("{privateKeyEngine:'engine',privateKeyIdentifier:'key'}",
                                    without_engines="setEngineKey")
        ours = tlsplug_context_error(privateKeyEngine="engine", privateKeyIdentifier="key")
        self.assertEqual(ours[:2], theirs[:2])

    def test_identifier_without_engine(self):
        self.assertEqual(tlsplug_context_error(privateKeyIdentifier="key")[1],
                         node_context_error("{privateKeyIdentifier:'key'}")[1])


if __name__ == "__main__":
    unittest.main()
