"""Port of Node's test/parallel/tls/session-cache.js (test-tls-session-cache.js).

A server with an asynchronous session store (newSession and resumeSession
answered from a later turn of the loop, as a real store would) serves an
`openssl s_client -reconnect` client: one full handshake, then five
reconnects with the same session. Node's counts, measured in the same run
with the same client: with session ids, 6 requests, 5 resumeSession, 1
newSession; with tickets the store is never asked; with a store that answers
garbage, every reconnect is a full handshake that stores a new session.
A node client reconnecting with its session is resumed 5 times of 5, as
by a node server with the same store.
Node's file uses TLS 1.0 with RSA key exchange; Debian's openssl no longer
offers that, so both sides run TLS 1.2 (session ids exist only up to 1.2)."""
import unittest

from nodeport_b import (LoopTestCase, NodePeer, close_server, listening_server, need_pki,
                        node_eval, pki, pki_path, run_openssl, tlsplug)

MODES = ("ids", "tickets", "invalid")

# The same server and store in node, against the same openssl client.
NODE_SERVER = r"""
const {spawn}=require('child_process');
function run(mode, done){
  let requests=0,resumes=0,news=0,session=null;
  const srv=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem'),ca:pem('ca.pem'),
    requestCert:true,rejectUnauthorized:false,maxVersion:'TLSv1.2'},s=>{requests++;s.on('error',()=>{});s.end('')});
  srv.on('newSession',(id,data,cb)=>{news++;setImmediate(()=>{session={id,data};cb()})});
  srv.on('resumeSession',(id,cb)=>{resumes++;let d=session&&session.data;
    if(mode==='invalid'){d=Buffer.from('INVALID SESSION');session=null}
    setImmediate(()=>cb(null,d))});
  srv.listen(0,'127.0.0.1',()=>{
    const args=['s_client','-connect','127.0.0.1:'+srv.address().port,'-tls1_2','-reconnect',
      '-key',P+'/client.key','-cert',P+'/client.pem'].concat(mode==='tickets'?[]:['-no_ticket']);
    const c=spawn(process.env.TLSPLUG_OPENSSL||'openssl',args,{stdio:['ignore','ignore','ignore']});
    c.on('exit',code=>srv.close(()=>done({code,requests,resumes,news})))});
}
const out={};
run('ids',r=>{out.ids=r;run('tickets',r=>{out.tickets=r;run('invalid',r=>{out.invalid=r;report(out)})})});
"""


# A node client: a first connection, then five more offering its session
# (TLS 1.2, no tickets); reports how many were resumed. `PORT` is the
# server's; with PORT 0 it runs against a node server with the same
# asynchronous store instead.
NODE_CLIENT = r"""
const {SSL_OP_NO_TICKET}=require('crypto').constants;
function clients(port,done){
  let session=null,reused=0,n=0;
  (function one(){
    const c=tls.connect({port,host:'127.0.0.1',rejectUnauthorized:false,maxVersion:'TLSv1.2',
      secureOptions:SSL_OP_NO_TICKET,session},()=>{if(c.isSessionReused())reused++});
    c.on('session',s=>{session=s});c.on('data',()=>{});c.on('error',()=>{});
    c.on('close',()=>{if(++n<6)one();else done({connections:n,reused})})})();
}
if(PORT)clients(PORT,report);
else{
  let stored=null;
  const srv=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem'),maxVersion:'TLSv1.2'},
    s=>{s.on('error',()=>{});s.end('x')});
  srv.on('newSession',(id,data,cb)=>setImmediate(()=>{stored=data;cb()}));
  srv.on('resumeSession',(id,cb)=>setImmediate(()=>cb(null,stored)));
  srv.listen(0,'127.0.0.1',()=>clients(srv.address().port,r=>srv.close(()=>report(r))));
}
"""


@need_pki
class SessionCacheTest(LoopTestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        cls.node = node_eval(NODE_SERVER, timeout=20)

    def run_mode(self, mode):
        counts = {"requests": 0, "resumes": 0, "news": 0}
        store = {}

        def on_secure(sock):
            counts["requests"] += 1
            sock.on("error", lambda e: None)
            sock.end(b"")

        server, port = listening_server(self, {"ca": pki("ca.pem"), "request_cert": True,
                                               "reject_unauthorized": False,
                                               "max_version": "TLSv1.2"}, on_secure)

        def new_session(sid, data, cb):
            counts["news"] += 1
            self.assertNotIn("session", store)

            def later():
                store["session"] = (sid, data)
                cb()
            tlsplug.set_timeout(later, 0)

        def resume_session(sid, cb):
            counts["resumes"] += 1
            data = None
            if "session" in store:
                self.assertEqual(store["session"][0], sid)
                data = store["session"][1]
            if mode == "invalid":
                data = b"INVALID SESSION"
                store.clear()
            tlsplug.set_timeout(lambda: cb(None, data), 0)

        server.on("newSession", new_session)
        server.on("resumeSession", resume_session)
        args = ["s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-reconnect",
                "-key", pki_path("client.key"), "-cert", pki_path("client.pem")]
        if mode != "tickets":
            args.append("-no_ticket")
        code, out = run_openssl(self, args)
        close_server(self, server)
        counts["code"] = code
        return counts, out

    def check(self, mode):
        counts, out = self.run_mode(mode)
        self.assertEqual(self.node[mode]["code"], 0)
        self.assertEqual(counts, self.node[mode], out[-3000:])

    def test_session_ids_resume_every_reconnect(self):
        self.check("ids")

    def test_tickets_never_ask_the_store(self):
        self.check("tickets")

    def test_invalid_stored_session_means_full_handshakes(self):
        self.check("invalid")

    def test_node_client_resumes_every_reconnect(self):
        expected = NodePeer(NODE_CLIENT, 0).result(self)
        store = {}
        server, port = listening_server(self, {"max_version": "TLSv1.2"}, lambda s: s.end(b"x"))

        def new_session(sid, data, cb):
            def later():
                store["data"] = data
                cb()
            tlsplug.set_timeout(later, 0)
        server.on("newSession", new_session)
        server.on("resumeSession",
                  lambda sid, cb: tlsplug.set_timeout(lambda: cb(None, store.get("data")), 0))
        got = NodePeer(NODE_CLIENT, port).result(self)
        close_server(self, server)
        self.assertEqual(expected, {"connections": 6, "reused": 5})
        self.assertEqual(got, expected)


if __name__ == "__main__":
    unittest.main()
