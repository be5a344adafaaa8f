"""Port of Node's test/parallel/tls/snicallback-error.js
(test-tls-snicallback-error.js).

createServer refuses an SNICallback that is not a function (a string, a
number, an object, an array) with ERR_INVALID_ARG_TYPE naming
options.SNICallback; the code and the name are taken from node, asked
with each of the same values in this run."""
import json
import unittest

from nodeport_b import node_eval, tlsplug

# Each value as Python has it, and as node's source text.
VALUES = [("fhqwhgads", "'fhqwhgads'"), (42, "42"), ({}, "{}"), ([], "[]")]


class SniCallbackErrorTest(unittest.TestCase):
    def test_non_function_sni_callback_is_refused(self):
        js = "const out=[];for(const v of [%s]){try{tls.createServer({SNICallback:v});out.push(null)}" \
             "catch(e){out.push({code:e.code,names:/\\boptions\\.SNICallback\\b/.test(e.message)})}}" \
             "report(out)" % ",".join(src for _, src in VALUES)
        node = node_eval(js)
        self.assertEqual(len(node), len(VALUES), json.dumps(node))
        for (value, src), expected in zip(VALUES, node):
            with self.subTest(value=src):
                self.assertIsNotNone(expected, f"node accepted SNICallback {src}")
                self.assertTrue(expected["names"])
                with self.assertRaises(TypeError) as cm:
                    tlsplug.create_server({"sni_callback": value})
                self.assertEqual(cm.exception.code, expected["code"])
                self.assertRegex(str(cm.exception), r"\boptions\.SNICallback\b")
        self.assertFalse(tlsplug.get_loop().alive)


if __name__ == "__main__":
    unittest.main()
