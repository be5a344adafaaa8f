"""Port of Node's test/parallel/tls/over-http-tunnel.js: TLS over a socket
that an HTTP proxy turned into a tunnel (CONNECT, 200) carries an HTTPS
request and its response unchanged. The client takes over the connected
socket (Node's `socket` option); the proxy is a relay thread."""
import selectors
import socket
import threading
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

BODY = "hello world\n"

NODE = """
const https = require('https'), http = require('http');
const server = https.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (req, res) => {
  res.writeHead(200, {'content-type': 'text/plain'}); res.end(%r);
});
const proxy = net.createServer((client) => {
  let upstream = null;
  client.on('data', (chunk) => {
    if (upstream) return upstream.write(chunk);
    upstream = net.connect(server.address().port, '127.0.0.1', () =>
      client.write('HTTP/1.1 200 OK\\r\\n\\r\\n'));
    upstream.on('data', (d) => client.write(d));
    upstream.on('end', () => client.destroy());
  });
  client.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => proxy.listen(0, '127.0.0.1', () => {
  const req = http.request({port: proxy.address().port, host: '127.0.0.1', method: 'CONNECT',
                            path: 'localhost:' + server.address().port});
  req.on('connect', (res, socket) => {
    https.get({path: '/foo', socket, agent: false, rejectUnauthorized: false}, (r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => { proxy.close(); server.close(); report({connect: res.statusCode, status: r.statusCode, body}); });
    });
  });
  req.end();
}));
""" % BODY


class Proxy(threading.Thread):
    """One CONNECT tunnel: reads the request, connects upstream, answers
    200, then relays bytes both ways until one side closes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.request = b""

    def run(self):
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        finally:
            self.listener.close()
        with client:
            client.settimeout(10)
            while b"\r\n\r\n" not in self.request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                self.request += chunk
            target = self.request.split(b" ")[1].decode()
            host, port = target.rsplit(":", 1)
            with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.relay(client, upstream)

    @staticmethod
    def relay(a, b):
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while True:
            events = sel.select(timeout=10)
            if not events:
                return
            for key, _ in events:
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)


def http_connect(proxy_port: int, target: str) -> socket.socket:
    """A socket through which the proxy tunnels to `target` (host:port)."""
    s = socket.create_connection(("127.0.0.1", proxy_port), timeout=10)
    s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)  # byte by byte: nothing after the head may be taken
        if not chunk:
            raise AssertionError("the proxy closed before answering CONNECT")
        head += chunk
    status = int(head.split(b" ")[1])
    return s, status


class OverHttpTunnel(LoopTestCase):
    def test_https_through_connect_tunnel(self):
        want = node_eval(NODE)
        self.assertEqual(want["body"], BODY)

        def on_conn(conn):
            asked = []

            def on_data(d):
                asked.append(d)
                if b"\r\n\r\n" in b"".join(asked):
                    conn.end(f"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {len(BODY)}"
                             f"\r\nconnection: close\r\n\r\n{BODY}")
            conn.on("data", on_data)

        server, port = listening_server(self, listener=on_conn)
        proxy = Proxy()
        proxy.start()
        raw, connect_status = http_connect(proxy.port, f"localhost:{port}")
        got, ended = [], []
        client = tlsplug.connect(socket=raw, reject_unauthorized=False)
        client.on("data", got.append)
        client.on("end", lambda: ended.append(True))
        client.write("GET /foo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        run_until(self, lambda: ended, what="the response's end")
        client.destroy()
        head, _, body = b"".join(got).partition(b"\r\n\r\n")
        self.assertEqual(connect_status, want["connect"])
        self.assertEqual(int(head.split(b" ")[1]), want["status"])
        self.assertEqual(body.decode(), want["body"])
        run_until(self, lambda: not proxy.is_alive(), what="the proxy's end", poll_ms=20)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
