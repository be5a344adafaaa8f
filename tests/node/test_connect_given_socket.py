"""Port of Node's test/parallel/tls/connect-given-socket.js: tls.connect
over a TCP socket the host made: over an already connected socket and over
one still connecting, the handshake completes and the server's 'Hello'
arrives, then 'end'; a TLS socket destroyed at once never reaches
'secureConnect' and the server sees no secure connection from it."""
import errno
import socket
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const r = {serverSecure: 0};
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (s) => {
  r.serverSecure++; s.end('Hello');
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  let waiting = 3;
  const done = () => { if (--waiting === 0) { server.close(); report(r); } };
  function establish(name, socket) {
    r[name] = {secure: 0, data: ''};
    const c = tls.connect({rejectUnauthorized: false, socket}, () => { r[name].secure++; });
    c.on('data', (d) => { r[name].data += d; });
    c.on('end', () => { r[name].ended = true; });
    c.on('close', done);
    return c;
  }
  establish('destroyed', net.connect(port, '127.0.0.1')).destroy();
  const connected = net.connect(port, '127.0.0.1', () => establish('connected', connected));
  establish('connecting', net.connect(port, '127.0.0.1'));
});
"""


class ConnectGivenSocket(LoopTestCase):
    def test_connect_over_given_sockets(self):
        want = node_eval(NODE)
        self.assertNotIn("timeout", want)
        r = {"serverSecure": 0}

        def on_connection(s):
            r["serverSecure"] += 1
            s.end("Hello")

        server, port = listening_server(self, listener=on_connection)
        clients = []

        def establish(name, sock):
            r[name] = {"secure": 0, "data": ""}
            c = tlsplug.connect(socket=sock, reject_unauthorized=False)
            c.on("secureConnect", lambda: r[name].update(secure=r[name]["secure"] + 1))
            c.on("data", lambda d: r[name].update(data=r[name]["data"] + d.decode()))
            c.on("end", lambda: r[name].update(ended=True))
            clients.append(c)
            return c

        establish("destroyed", socket.create_connection(("127.0.0.1", port), timeout=10)).destroy()
        establish("connected", socket.create_connection(("127.0.0.1", port), timeout=10))
        connecting = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        connecting.setblocking(False)
        self.assertIn(connecting.connect_ex(("127.0.0.1", port)), (0, errno.EINPROGRESS))
        establish("connecting", connecting)
        run_until(self, lambda: all(c.closed for c in clients), what="three clients closed")
        close_server(self, server)
        self.assertEqual(r, want)


if __name__ == "__main__":
    unittest.main()
