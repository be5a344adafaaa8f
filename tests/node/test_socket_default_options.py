"""Port of Node's test/parallel/tls/socket-default-options.js: a client
made with no options, or with {}, verifies the server against the default
(system) roots and fails on the test PKI's chain, yet its handshake
completes and the server receives what it wrote (the verdict is the
caller's to check); with `ca`, or a secureContext holding that CA, it
verifies. Node silently drops `ca` given beside a secureContext; tlsplug
refuses the pair at the call (a TypeError) rather than ignore an option
(docs/NODE_MAP.md, "Context options beside a secure_context are refused").
The verdicts (Node's verifyError codes) come from live node."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const got = [];
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, c => {
  let recv = ''; c.on('data', d => recv += d); c.on('end', () => got.push(recv));
});
const cases = [undefined, {}, {ca: pem('ca.pem')},
               {secureContext: tls.createSecureContext({ca: pem('ca.pem')})},
               {secureContext: tls.createSecureContext(), ca: pem('ca.pem')}];
const out = [];
server.listen(0, '127.0.0.1', () => (function next(i) {
  if (i === cases.length) return server.close(() => report({verdicts: out, received: got}));
  const s = new tls.TLSSocket(null, cases[i]).connect(server.address().port, '127.0.0.1');
  s.on('connect', function() { this.end('hello'); });
  s.on('secure', function() { const e = this.ssl.verifyError(); out.push(e ? e.code : null); });
  s.on('close', () => next(i + 1));
})(0));
"""


class SocketDefaultOptions(LoopTestCase):
    def test_verdicts_with_default_and_given_trust(self):
        want = node_eval(NODE)
        self.assertEqual(want["received"], ["hello"] * 5)
        received = []

        def on_conn(conn):
            buf = []
            conn.on("data", buf.append)
            conn.on("end", lambda: received.append(b"".join(buf).decode()))

        server, port = listening_server(self, None, on_conn)
        verdicts = []
        for kw in ({}, {"ca": pki("ca.pem")},
                   {"secure_context": tlsplug.create_secure_context(ca=pki("ca.pem"))}):
            closed = []
            # reject_unauthorized=False: as Node's bare TLSSocket, the
            # handshake completes and the verdict is read afterwards.
            client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, **kw)
            client.once("secureConnect", lambda c=client: verdicts.append(
                None if c.authorized else c.authorization_error))
            client.end("hello")
            client.on("close", closed.append)
            run_until(self, lambda: closed, what="client close")
        run_until(self, lambda: len(received) == 3, what="server saw the data")
        close_server(self, server)
        self.assertEqual(verdicts, [want["verdicts"][0], want["verdicts"][2], want["verdicts"][3]])
        self.assertEqual(want["verdicts"][0], want["verdicts"][1])  # {} is no options
        self.assertEqual(received, ["hello"] * 3)
        # Node ignores `ca` beside a secureContext (its verdict stays the
        # default roots' one); tlsplug refuses the mix.
        self.assertEqual(want["verdicts"][4], want["verdicts"][0])
        with self.assertRaises(TypeError):
            tlsplug.connect(port, "127.0.0.1", secure_context=tlsplug.create_secure_context(),
                            ca=pki("ca.pem"))


if __name__ == "__main__":
    unittest.main()
