"""Port of Node's test/parallel/tls/socket-snicallback-without-server.js:
a server-side TLSSocket made without a tls.Server, given an SNICallback,
calls it with the ClientHello's server name ('www.google.com' in Node's
captured hello). tlsplug's SNICallback belongs to its Server: a bare
TLSSocket refuses the option (TypeError, never a silent no-op) and still
reads the name from the hello, which `servername` answers once the hello
arrived (docs/NODE_MAP.md, "SNICallback only on a Server"). Node's value
comes from live node in the same run."""
import unittest

from nodeport import node_eval
import support  # noqa: E402  (nodeport puts the binding's tests on sys.path)
import tlsplug  # noqa: E402

NODE = """
const {Duplex} = require('stream');
let serverSide;
const clientSide = new Duplex({read() {}, write(chunk, enc, done) { serverSide.push(chunk); done(); }});
serverSide = new Duplex({read() {}, write(chunk, enc, done) { clientSide.push(chunk); done(); }});
new tls.TLSSocket(serverSide, {isServer: true, SNICallback: (name, cb) => report({name})});
tls.connect({socket: clientSide, servername: 'www.google.com'}).on('error', () => {});
"""


class SocketSnicallbackWithoutServer(unittest.TestCase):
    def test_server_socket_sees_the_hello_server_name(self):
        want = node_eval(NODE)
        with self.assertRaises(TypeError):
            tlsplug.TLSSocket(is_server=True, secure_context=support.server_context(),
                              sni_callback=lambda name, cb: None)
        client = tlsplug.TLSSocket(secure_context=support.client_context(),
                                   servername=want["name"], reject_unauthorized=False)
        server = tlsplug.TLSSocket(is_server=True, secure_context=support.server_context())
        try:
            server.feed(client.pull())  # the ClientHello
            self.assertEqual(server.servername, want["name"])
        finally:
            client.close()
            server.close()


if __name__ == "__main__":
    unittest.main()
