"""Port of Node's test/parallel/tls/basic-validations.js: argument checks
of createSecureContext, createServer, createSecurePair,
convertALPNProtocols (the binding's alpn_wire) and connect, each thrown
at the call with Node's code and kind (TypeError; RangeError is Python's
ValueError) and, where Node's file pins the text, Node's message up to
the point where the received value is named (Python names its own types:
"type int (1)" for "type number (1)"). Every code, kind and message comes
from live node running the same calls.

Where Python has no JavaScript value to pass (a Buffer for ticketKeys is
bytes; undefined is None), the check uses the Python value that stands
for it; a str ticketKeys is a file or redis:// key in tlsplug, so it is
checked with a number for the type error and compared side by side for
the str (docs/NODE_MAP.md)."""
import json
import unittest

from nodeport import LoopTestCase, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# (name, JavaScript call, Python call, the message's text compared up to
# and including this marker, or None for code and kind only).
CASES = [
    ("context ciphers", "tls.createSecureContext({ciphers: 1})",
     lambda: tlsplug.create_secure_context(ciphers=1), ". Received"),
    ("server ciphers", "tls.createServer({ciphers: 1})",
     lambda: tlsplug.create_server({"ciphers": 1}), ". Received"),
    ("context passphrase", "tls.createSecureContext({key: 'dummykey', passphrase: 1})",
     lambda: tlsplug.create_secure_context(key="dummykey", passphrase=1), ". Received"),
    ("server passphrase", "tls.createServer({key: 'dummykey', passphrase: 1})",
     lambda: tlsplug.create_server({"key": "dummykey", "passphrase": 1}), ". Received"),
    ("server ecdhCurve", "tls.createServer({ecdhCurve: 1})",
     lambda: tlsplug.create_server({"ecdh_curve": 1}), ". Received"),
    ("server handshakeTimeout", "tls.createServer({handshakeTimeout: 'abcd'})",
     lambda: tlsplug.create_server({"handshake_timeout": "abcd"}), ". Received"),
    ("server sessionTimeout", "tls.createServer({sessionTimeout: 'abcd'})",
     lambda: tlsplug.create_server({"session_timeout": "abcd"}), ". Received"),
    ("server ticketKeys of another type", "tls.createServer({ticketKeys: 'abcd'})",
     lambda: tlsplug.create_server({"ticket_keys": 5}), "must be an instance of"),
    ("server ticketKeys empty", "tls.createServer({ticketKeys: Buffer.alloc(0)})",
     lambda: tlsplug.create_server({"ticket_keys": b""}), None),
    ("secure pair without a context", "tls.createSecurePair({})",
     lambda: tlsplug.create_secure_pair({}), ""),
    ("ALPN name too long", "tls.convertALPNProtocols(['a'.repeat(500)], {})",
     lambda: tlsplug.alpn_wire(["a" * 500]), ""),
    ("server ALPN name too long", "tls.createServer({ALPNProtocols: ['a'.repeat(500)]})",
     lambda: tlsplug.create_server({"alpn_protocols": ["a" * 500]}), ""),
    ("minVersion unknown", "tls.createSecureContext({minVersion: 'fhqwhgads'})",
     lambda: tlsplug.create_secure_context(min_version="fhqwhgads"), None),
    ("maxVersion unknown", "tls.createSecureContext({maxVersion: 'fhqwhgads'})",
     lambda: tlsplug.create_secure_context(max_version="fhqwhgads"), None),
]
# Node's file names the whole message of these; Python's "Received" part
# differs only in naming the value's type.
TICKET_KEYS_SIZE_MARKER = "must be exactly 48 bytes. Received"

NODE = """
const calls = {%s};
const out = {};
for (const [name, call] of Object.entries(calls)) {
  try { call(); out[name] = null; } catch (e) { out[name] = {code: e.code, name: e.name, message: e.message}; }
}
// convertALPNProtocols copies what it is given: a Buffer, and every view.
const given = Buffer.from('abcd'), o = {};
tls.convertALPNProtocols(given, o);
o.ALPNProtocols.write('efgh');
out.copied = given.equals(Buffer.from('abcd')) && o.ALPNProtocols.equals(Buffer.from('efgh'));
const source = Buffer.from('abcd'.repeat(8));
out.views = [Uint8Array, Uint16Array, Int32Array, Float64Array, DataView].map((V) => {
  const view = new V(source.buffer.slice(source.byteOffset, source.byteOffset + source.length));
  const r = {};
  tls.convertALPNProtocols(view, r);
  return r.ALPNProtocols.equals(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
});
// Node 20 fails an invalid checkServerIdentity inside connect (an internal
// assertion); the newest Node throws ERR_INVALID_ARG_TYPE at the call.
out.identity = [1, true, null, undefined].map((v) => {
  try { tls.connect({port: 1, host: '127.0.0.1', checkServerIdentity: v}).destroy(); return null; }
  catch (e) { return e.code; }
});
// The code Node's check of a function option gives (the newest Node's for
// checkServerIdentity).
try { tls.createServer({SNICallback: 1}); } catch (e) { out.notAFunction = e.code; }
report(out);
"""

PY_KIND = {"TypeError": TypeError, "RangeError": ValueError}


class BasicValidations(LoopTestCase):
    @classmethod
    def setUpClass(cls):
        calls = ",".join(f"{json.dumps(name)}: () => {js}" for name, js, _, _ in CASES)
        cls.node = node_eval(NODE % calls)

    def test_each_check_raises_nodes_code_kind_and_message(self):
        for name, _, call, marker in CASES:
            with self.subTest(name):
                want = self.node[name]
                self.assertIsNotNone(want, "node did not throw")
                with self.assertRaises(tlsplug.TLSError) as cm:
                    call()
                err = cm.exception
                self.assertEqual(err.code, want["code"])
                self.assertIsInstance(err, PY_KIND[want["name"]])
                if name == "server ticketKeys empty":
                    marker = TICKET_KEYS_SIZE_MARKER
                if marker is None:
                    continue
                upto = (lambda m: m[:m.index(marker) + len(marker)]) if marker else (lambda m: m)
                self.assertEqual(upto(err.message), upto(want["message"]))

    def test_a_str_ticket_keys_is_a_source_in_tlsplug(self):
        # Node: a string is the wrong type. tlsplug: a file or redis:// key
        # holding the 48 bytes, so a missing file is a bad value.
        self.assertEqual(self.node["server ticketKeys of another type"]["code"], "ERR_INVALID_ARG_TYPE")
        with self.assertRaises(tlsplug.InvalidArgValueError) as cm:
            tlsplug.create_server({"ticket_keys": "abcd"})
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_VALUE")
        self.assertIn("abcd", cm.exception.message)

    def test_alpn_wire_copies_bytes_and_views(self):
        self.assertTrue(self.node["copied"])
        self.assertEqual(self.node["views"], [True] * 5)
        given = bytearray(b"abcd")
        wire = tlsplug.alpn_wire(given)
        given[:] = b"efgh"
        self.assertEqual(wire, b"abcd")
        source = b"abcd" * 8
        for view in (source, bytearray(source), memoryview(source), memoryview(source)[4:12],
                     memoryview(bytearray(source)).cast("I")):
            with self.subTest(view=type(view).__name__):
                self.assertEqual(tlsplug.alpn_wire(view), bytes(view))

    def test_check_server_identity_must_be_a_function(self):
        # Node 20 throws for every one of them (an internal assertion: it
        # has no check of its own); the newest Node's check answers the
        # code of its other function options, node's for SNICallback. In
        # Python None is "not given" (the default check), as for every
        # option.
        self.assertTrue(all(self.node["identity"]), self.node["identity"])
        self.assertEqual(self.node["notAFunction"], "ERR_INVALID_ARG_TYPE")
        for value in (1, True):
            with self.subTest(value=value):
                with self.assertRaises(TypeError) as cm:
                    tlsplug.connect(1, "127.0.0.1", check_server_identity=value)
                self.assertEqual(cm.exception.code, self.node["notAFunction"])
        client = tlsplug.connect(1, "127.0.0.1", check_server_identity=None)
        closed = []
        client.on("close", closed.append)
        client.destroy()
        run_until(self, lambda: closed, what="close")


if __name__ == "__main__":
    unittest.main()
