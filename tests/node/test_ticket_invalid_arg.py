"""Port of Node's test/parallel/tls/ticket-invalid-arg.js: setTicketKeys()
refuses what is not a buffer with ERR_INVALID_ARG_TYPE (a TypeError), and a
buffer that is not 48 bytes long with "Session ticket keys must be a
48-byte buffer"; the codes and the message are taken from live node."""
import unittest

from nodeport import LoopTestCase, node_eval, pki
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const server = new tls.Server();
const out = {};
for (const [name, arg] of [['null', null], ['number', 1], ['object', {}], ['string', ''],
                           ['short', Buffer.from([1])], ['long', Buffer.alloc(49)]]) {
  try { server.setTicketKeys(arg); out[name] = null; }
  catch (e) { out[name] = {code: e.code || null, message: e.message, type: e.name}; }
}
report(out);
"""


class TicketInvalidArg(LoopTestCase):
    def test_set_ticket_keys_rejects_bad_arguments(self):
        want = node_eval(NODE)
        server = tlsplug.create_server({"key": pki("server.key"), "cert": pki("server-chain.pem")})
        try:
            # Not a buffer: Node's ERR_INVALID_ARG_TYPE, a TypeError in Python.
            for name, arg in (("null", None), ("number", 1), ("object", {}), ("string", "")):
                with self.subTest(arg=name):
                    self.assertEqual(want[name]["code"], "ERR_INVALID_ARG_TYPE")
                    with self.assertRaises(TypeError) as cm:
                        server.set_ticket_keys(arg)
                    self.assertEqual(getattr(cm.exception, "code", None), want[name]["code"])
            # A buffer of the wrong length: Node's message.
            for name, arg in (("short", b"\x01"), ("long", bytes(49))):
                with self.subTest(arg=name):
                    with self.assertRaises(tlsplug.TLSError) as cm:
                        server.set_ticket_keys(arg)
                    self.assertIn(want[name]["message"].splitlines()[0], str(cm.exception))
            # And 48 bytes are taken, read back unchanged.
            keys = bytes(range(48))
            server.set_ticket_keys(keys)
            self.assertEqual(server.get_ticket_keys(), keys)
        finally:
            server.free()


if __name__ == "__main__":
    unittest.main()
