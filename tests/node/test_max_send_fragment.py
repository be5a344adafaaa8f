"""Port of Node's test/parallel/tls/max-send-fragment.js: setMaxSendFragment
refuses non-numbers (ERR_INVALID_ARG_TYPE) and numbers that are no int32
(ERR_OUT_OF_RANGE), answers false outside 512..16384 and true for 768;
after it, a 10000-byte write reaches the client whole, in records of at
most 768 bytes, then the end. (Calling it with no argument is a Python
arity error, not ported.) The records are read by Python's own ssl, whose
recv() never returns more than one record: tlsplug's own client joins the
records of one transport read into one 'data' chunk (docs/NODE_MAP.md).
"""
import math
import socket
import ssl
import threading
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

MAX = 768
SIZE = 10000

NODE = """
const out = {};
const codeOf = (f) => { try { f(); return null; } catch (e) { return e.code; } };
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem')}, (c) => {
  out.types = [null, undefined, '', {}, false, true, []].map((a) => codeOf(() => c.setMaxSendFragment(a)));
  out.ranges = [NaN, Infinity, 2 ** 31].map((a) => codeOf(() => c.setMaxSendFragment(a)));
  out.limits = [511, 16385, %d].map((a) => c.setMaxSendFragment(a));
  c.end(Buffer.alloc(%d, 65));
});
s.listen(0, '127.0.0.1', () => {
  const c = tls.connect(s.address().port, '127.0.0.1', {rejectUnauthorized: false}, () => {
    let received = 0, biggest = 0;
    c.on('data', (d) => { received += d.length; biggest = Math.max(biggest, d.length); });
    c.on('end', () => { s.close(); report(Object.assign(out, {received, biggest})); });
  });
});
""" % (MAX, SIZE)


class MaxSendFragment(LoopTestCase):
    def test_arguments_and_fragment_size(self):
        want = node_eval(NODE)
        self.assertLessEqual(want["biggest"], MAX)
        seen = {}

        def code_of(conn, arg):
            try:
                conn.set_max_send_fragment(arg)
                return None
            except tlsplug.TLSError as e:
                return e.code

        def on_conn(conn):
            seen["types"] = [code_of(conn, a) for a in (None, None, "", {}, False, True, [])]
            seen["ranges"] = [code_of(conn, a) for a in (math.nan, math.inf, 2 ** 31)]
            seen["limits"] = [conn.set_max_send_fragment(a) for a in (511, 16385, MAX)]
            conn.end(b"A" * SIZE)

        server, port = listening_server(self, listener=on_conn)
        sizes, ended = [], []

        def read_records():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                    ctx.wrap_socket(raw) as c:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    sizes.append(len(chunk))
            ended.append(True)

        reader = threading.Thread(target=read_records, daemon=True)
        reader.start()
        run_until(self, lambda: ended, what="the client's end", poll_ms=20)
        reader.join(10)
        self.assertEqual(seen["types"], want["types"])
        self.assertEqual(seen["ranges"], want["ranges"])
        self.assertEqual(seen["limits"], want["limits"])
        self.assertEqual(sum(sizes), want["received"])
        self.assertLessEqual(max(sizes), MAX)
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
