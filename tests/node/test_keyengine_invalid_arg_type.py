"""Port of Node's test/parallel/tls/keyengine-invalid-arg-type.js
(test-tls-keyengine-invalid-arg-type.js): a privateKeyEngine or
privateKeyIdentifier that is not a string is a TypeError with
ERR_INVALID_ARG_TYPE, as live node says."""
import unittest

from engine_ports import node_context_error, tlsplug_context_error
from nodeport import NODE


@unittest.skipUnless(NODE, "node is not installed")
class KeyEngineInvalidArgType(unittest.TestCase):
    def test_types(self):
        for js, opts in (("{privateKeyEngine:0,privateKeyIdentifier:'key'}",
                          {"privateKeyEngine": 0, "privateKeyIdentifier": "key"}),
                         ("{privateKeyEngine:'engine',privateKeyIdentifier:0}",
                          {"privateKeyEngine": "engine", "privateKeyIdentifier": 0})):
            with self.subTest(options=js):
                self.assertEqual(tlsplug_context_error(**opts)[:2], node_context_error(js)[:2])


if __name__ == "__main__":
    unittest.main()
