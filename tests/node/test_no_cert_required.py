"""Port of Node's test/parallel/tls/no-cert-required.js: createServer
without a certificate (no options, empty options, a listener only, or a
cipher list alone: AECDH-NULL-SHA, a suite that needs no certificate)
makes a server that listens and closes; options that
are not an object (a string) throw ERR_INVALID_ARG_TYPE."""
import unittest

from nodeport import LoopTestCase, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const out = {};
try { tls.createServer('this is not valid'); out.string = null; }
catch (e) { out.string = {code: e.code, message: e.message}; }
const makers = [() => tls.createServer(), () => tls.createServer({}), () => tls.createServer(() => {}),
                () => tls.createServer({ciphers: 'AECDH-NULL-SHA'})];
let listened = 0;
makers.forEach((make) => { const s = make(); s.listen(0, '127.0.0.1', () => { listened++; s.close(() => {
  if (listened === makers.length) report(Object.assign(out, {listened})); }); }); });
"""


class NoCertRequired(LoopTestCase):
    def listens_and_closes(self, server):
        server.listen(0, "127.0.0.1")
        run_until(self, lambda: server.listening, what="listening")
        done = []
        server.close(lambda *a: done.append(a))
        run_until(self, lambda: done, what="server close")
        return True

    def test_servers_without_certificate(self):
        want = node_eval(NODE)
        made = [tlsplug.create_server(), tlsplug.create_server({}),
                tlsplug.create_server(lambda c: None),
                tlsplug.create_server({"ciphers": "AECDH-NULL-SHA"})]
        self.assertEqual(sum(self.listens_and_closes(s) for s in made), want["listened"])

    def test_options_not_an_object(self):
        want = node_eval(NODE)["string"]
        self.assertIsNotNone(want)
        with self.assertRaises(tlsplug.TLSError) as caught:
            tlsplug.create_server("this is not valid")
        self.assertIsInstance(caught.exception, TypeError)
        self.assertEqual(caught.exception.code, want["code"])
        prefix = want["message"].split(" Received")[0]
        self.assertTrue(str(caught.exception).startswith(prefix), str(caught.exception))


if __name__ == "__main__":
    unittest.main()
