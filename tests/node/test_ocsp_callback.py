"""Port of Node's test/parallel/tls/ocsp-callback.js (test-tls-ocsp-callback.js).

A server's OCSPRequest listener answers 100 ms later; a client with
requestOCSP hears 'OCSPResponse' once: the server's bytes when it stapled
some (the client then destroys itself, so it never reaches
secureConnect), null (None) when the server answered with nothing. Without
requestOCSP the client hears no 'OCSPResponse' and the server is not asked.
The counts and values are node's, measured with the same three scenarios
in this run. The "not asked" case uses a node client against the tlsplug
server: a GnuTLS client always sends status_request (docs/NODE_MAP.md), so
a tlsplug client always lets the server be asked."""
import json
import unittest

from nodeport_b import (LoopTestCase, NodePeer, close_server, listening_server, need_pki,
                        node_eval, run_until, tlsplug)

CASES = [(True, None), (True, "hello world"), (False, None)]

NODE = r"""
const cases=%s, out=[];
function run(i){
  if(i===cases.length)return report(out);
  const [ocsp,response]=cases[i];
  const r={secure:0,requests:0,responses:[],serverSecure:0};
  const srv=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem')},
    s=>{r.serverSecure++;s.on('error',()=>{});s.end()});
  srv.on('OCSPRequest',(cert,issuer,cb)=>{r.requests++;
    setTimeout(cb,100,null,response?Buffer.from(response):null)});
  srv.listen(0,'127.0.0.1',()=>{
    const c=tls.connect({port:srv.address().port,host:'127.0.0.1',requestOCSP:ocsp,
      rejectUnauthorized:false},()=>{r.secure++});
    c.on('OCSPResponse',resp=>{r.responses.push(resp===null?null:resp.toString());
      if(response)c.destroy()});
    c.on('error',()=>{});
    c.on('close',()=>srv.close(()=>{out.push(r);run(i+1)}))});
}
run(0);
"""

# A node client without requestOCSP against the tlsplug server on PORT.
NODE_CLIENT = r"""
const c=tls.connect({port:PORT,host:'127.0.0.1',rejectUnauthorized:false},()=>c.end());
let responses=0;c.on('OCSPResponse',()=>responses++);
c.on('error',()=>{});c.on('close',()=>report({responses}));
"""


@need_pki
class OcspCallbackTest(LoopTestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = node_eval(NODE % json.dumps(CASES), timeout=20)

    def serve(self, response):
        r = {"requests": 0, "serverSecure": 0}

        def on_secure(s):
            r["serverSecure"] += 1
            s.on("error", lambda e: None)
            s.end()

        server, port = listening_server(self, None, on_secure)

        def on_request(cert, issuer, cb):
            self.assertIsInstance(cert, bytes)
            self.assertIsInstance(issuer, bytes)
            r["requests"] += 1
            tlsplug.set_timeout(lambda: cb(None, response.encode() if response else None), 100)

        server.on("OCSPRequest", on_request)
        return server, port, r

    def run_case(self, index):
        ocsp, response = CASES[index]
        server, port, r = self.serve(response)
        r.update(secure=0, responses=[])
        c = tlsplug.connect(port, "127.0.0.1", request_ocsp=ocsp, reject_unauthorized=False)
        closed = []
        c.on("secureConnect", lambda: r.update(secure=r["secure"] + 1))

        def on_response(resp):
            r["responses"].append(None if resp is None else bytes(resp).decode())
            if response:
                c.destroy()
        c.on("OCSPResponse", on_response)
        c.on("error", lambda e: None)
        c.on("close", lambda *a: closed.append(1))
        run_until(self, lambda: closed, what="client close")
        close_server(self, server)
        return r

    def test_no_staple_gives_null(self):
        self.assertEqual(self.run_case(0), self.node[0])

    def test_staple_reaches_the_client(self):
        got, expected = self.run_case(1), self.node[1]
        # The client destroyed itself before its handshake finished: the
        # server's count of secure connections is a race in both.
        got.pop("serverSecure"), expected.pop("serverSecure")
        self.assertEqual(got, expected)

    def test_without_request_ocsp(self):
        got = self.run_case(2)
        expected = dict(self.node[2])
        self.assertEqual(got["responses"], expected["responses"])
        self.assertEqual(got["secure"], expected["secure"])
        # The server, asked by a node client that sent no status_request.
        server, port, r = self.serve(None)
        peer = NodePeer(NODE_CLIENT, port)
        self.assertEqual(peer.result(self), {"responses": 0})
        self.assertEqual(r["requests"], expected["requests"])
        close_server(self, server)


if __name__ == "__main__":
    unittest.main()
