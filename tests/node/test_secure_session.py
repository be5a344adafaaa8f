"""Port of Node's test/parallel/tls/secure-session.js (test-tls-secure-session.js).

With TLS 1.2 (secureProtocol TLSv1_2_method on the server) the client's
'secureConnect' comes first, then exactly one 'session' event. Also, where
sessions meet secureConnect: getSession() inside secureConnect is a session
in TLS 1.2 and in TLS 1.3 alike (in TLS 1.3, before any ticket, one that
resumes nothing: given back, the next connection makes a full handshake).
And getTLSTicket() on a resumed connection is the ticket it resumed with,
in TLS 1.2 and 1.3 (it was none in TLS 1.2). The order, the counts and
whether node has a session or a ticket are node's, measured in this run."""
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


# getTLSTicket() while data flows, on a first connection and on one
# resuming its session.
NODE_TICKETS = r"""
const out={};
function run(maxv,done){const srv=tls.createServer({key:pem('server.key'),
  cert:pem('server-chain.pem'),maxVersion:maxv},s=>s.end('x'));
 srv.listen(0,'127.0.0.1',()=>{let sess=null;
  const one=(session,cb)=>{const c=tls.connect({port:srv.address().port,host:'127.0.0.1',
    ca:pem('ca.pem'),servername:'localhost',session});let r;
   c.on('session',s=>{sess=s});
   c.on('data',()=>{const t=c.getTLSTicket();r={reused:c.isSessionReused(),ticket:!!t}});
   c.on('close',()=>cb(r))};
  one(null,a=>one(sess,b=>{srv.close();out[maxv]=[a,b];done()}))});}
run('TLSv1.2',()=>run('TLSv1.3',()=>report(out)));
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


    def test_resumed_connection_ticket(self):
        node = node_eval(NODE_TICKETS)
        for version in ("TLSv1.2", "TLSv1.3"):
            with self.subTest(version=version):
                server, port = listening_server(self, {"max_version": version},
                                                lambda s: s.end(b"x"))
                sessions, seen = [], []
                for _ in range(2):
                    r, done = {}, []
                    c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"),
                                        servername="localhost",
                                        session=sessions[-1] if sessions else None)
                    c.on("session", sessions.append)
                    c.on("data", lambda d, c=c, r=r: r.update(reused=c.is_session_reused(),
                                                              ticket=c.get_tls_ticket()))
                    c.on("close", lambda *a, done=done: done.append(1))
                    run_until(self, lambda done=done: done, what="client close")
                    seen.append(r)
                close_server(self, server)
                first, resumed = seen
                self.assertEqual(resumed["reused"], node[version][1]["reused"])
                self.assertTrue(resumed["reused"])
                self.assertEqual(resumed["ticket"] is not None, node[version][1]["ticket"])
                # The ticket resumed with is the one the first connection got last.
                self.assertEqual(resumed["ticket"], first["ticket"])


if __name__ == "__main__":
    unittest.main()
