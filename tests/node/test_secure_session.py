"""Port of Node's test/parallel/tls/secure-session.js (test-tls-secure-session.js).

With TLS 1.2 (secureProtocol TLSv1_2_method on the server) the client's
'secureConnect' comes first, then exactly one 'session' event. Also, where
sessions meet secureConnect: getSession() inside secureConnect is a session
in TLS 1.2 and in TLS 1.3 alike (in TLS 1.3, before any ticket, one that
resumes nothing: given back, the next connection makes a full handshake).
The order, the counts and whether node has a session are node's, measured
in this run."""
import unittest

from nodeport_b import (LoopTestCase, close_server, listening_server, need_pki, node_eval, pki,
                        run_until, tlsplug)

NODE = r"""
const out={};
function run(proto,done){
  const srv=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem'),
    secureProtocol:proto},s=>s.end());
  srv.listen(0,'127.0.0.1',()=>{
    const r={order:[],early:null};
    const c=tls.connect({port:srv.address().port,host:'127.0.0.1',rejectUnauthorized:false},()=>{
      r.order.push('secureConnect');r.early=!!c.getSession()});
    c.on('session',()=>{r.order.push('session')});
    c.on('data',()=>{});
    c.on('close',()=>srv.close(()=>{out[proto]=r;done()}))});
}
run('TLSv1_2_method',()=>run('TLS_method',()=>report(out)));
"""


@need_pki
class SecureSessionTest(LoopTestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = node_eval(NODE)

    def connect(self, proto, session=None):
        server, port = listening_server(self, {"secure_protocol": proto}, lambda s: s.end())
        r = {"order": [], "early": None}
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, session=session)

        def on_secure():
            r["order"].append("secureConnect")
            r["session"] = c.get_session()
            r["early"] = r["session"] is not None
            r["reused"] = c.is_session_reused()
        c.on("secureConnect", on_secure)
        c.on("session", lambda s: r["order"].append("session"))
        c.on("data", lambda d: None)
        c.on("error", lambda e: r.update(error=e))
        c.on("close", lambda *a: r.update(closed=True))
        run_until(self, lambda: "closed" in r, what="client close")
        close_server(self, server)
        return r

    def test_tls12_secure_connect_then_one_session(self):
        r = self.connect("TLSv1_2_method")
        self.assertEqual(r["order"], self.node["TLSv1_2_method"]["order"])
        self.assertEqual(r["early"], self.node["TLSv1_2_method"]["early"])

    def test_tls13_get_session_in_secure_connect(self):
        r = self.connect("TLS_method")
        self.assertEqual(r["early"], self.node["TLS_method"]["early"])
        self.assertTrue(r["early"])
        # That early session resumes nothing: a full handshake, no error.
        again = self.connect("TLS_method", session=r["session"])
        self.assertNotIn("error", again)
        self.assertFalse(again["reused"])


if __name__ == "__main__":
    unittest.main()
