"""Port of Node's test/parallel/tls/write-error.js (test-tls-write-error.js).

A regression test for a use-after-free when a write fails inside the TLS
library: a hand-made TLS 1.2 client (RSA key exchange,
TLS_RSA_WITH_AES_128_GCM_SHA256, as Node's test/common/tls.js) completes
its half of the handshake and, in the same flight as its encrypted
Finished, sends an encrypted handshake record that is no handshake
message. Node's file asserts that the client's write completes and that
the server survives. The same client (written here in node, which has the
crypto at hand) runs against a node server and against a tlsplug server:
its write completes, the server closes the connection, and a normal
client is served afterwards; the server's events (secureConnection, the
socket's error, tlsClientError) and their codes must be node's: the
handshake completes, then the socket fails with ERR_SSL_UNEXPECTED_MESSAGE
(GnuTLS's "unexpected packet" is told apart from an unparsable record by
the record's header, src/engine/pump.c)."""
import unittest

from nodeport_b import (LoopTestCase, NodePeer, close_server, listening_server, need_pki,
                        node_eval, pki)

# Node's file: its client sends no signature_algorithms, so TLS 1.2
# falls back to SHA-1 signatures, which OpenSSL allows at security level 0
# only. tlsplug's server: the client's suite (RSA key exchange) enabled.
NODE_CIPHERS = "ALL@SECLEVEL=0"
CIPHERS = "AES128-GCM-SHA256"

# probe(port, done): the hand-made client, then a normal client.
# With PORT 0 it runs against a node server and reports that server's
# events beside the client's result.
NODE = r"""
const crypto=require('crypto');
const record=(type,body)=>{const h=Buffer.from([type,3,3,0,0]);h.writeUInt16BE(body.length,3);return Buffer.concat([h,body])};
const hs=(type,body)=>{const h=Buffer.alloc(4);h[0]=type;h.writeUIntBE(body.length,1,3);return Buffer.concat([h,body])};
function prf(secret,label,seed,size){
  seed=Buffer.concat([Buffer.from(label),seed]);let out=Buffer.alloc(0),a=seed;
  while(out.length<size){a=crypto.createHmac('sha256',secret).update(a).digest();
    out=Buffer.concat([out,crypto.createHmac('sha256',secret).update(a).update(seed).digest()])}
  return out.subarray(0,size);
}
function probe(port,done){
  const transcript=[],random=crypto.randomBytes(32),pre=Buffer.concat([Buffer.from([3,3]),crypto.randomBytes(46)]);
  const hello=hs(1,Buffer.concat([Buffer.from([3,3]),random,Buffer.from('000002009c0100','hex')]));
  transcript.push(hello);
  const res={wrote:false,closed:false};let inbuf=Buffer.alloc(0),serverRandom=null,sent=false;
  const c=net.connect(port,'127.0.0.1',()=>c.write(record(0x16,hello)));
  c.on('error',e=>{res.clientError=e.code});
  c.on('data',d=>{
    if(sent)return;
    inbuf=Buffer.concat([inbuf,d]);
    // whole records only: the server's flight up to ServerHelloDone
    let off=0,done_=false;const msgs=[];
    while(off+5<=inbuf.length){const len=inbuf.readUInt16BE(off+3);if(off+5+len>inbuf.length)break;
      if(inbuf[off]===0x16){let p=off+5;while(p<off+5+len){const l=inbuf.readUIntBE(p+1,3);msgs.push(inbuf.subarray(p,p+4+l));p+=4+l}}
      off+=5+len}
    if(!msgs.some(m=>m[0]===0x0e))return;
    for(const m of msgs){transcript.push(m);if(m[0]===2)serverRandom=m.subarray(6,38)}
    const master=prf(pre,'master secret',Buffer.concat([random,serverRandom]),48);
    const block=prf(master,'key expansion',Buffer.concat([serverRandom,random]),40);
    const key=block.subarray(0,16),salt=block.subarray(32,36);let seq=0;
    // AEAD as TLS 1.2 GCM: an explicit 8-byte nonce; the additional data
    // is the sequence number and the plaintext record's header.
    const encrypt=plain=>{const nonce=crypto.randomBytes(8);
      const ci=crypto.createCipheriv('aes-128-gcm',key,Buffer.concat([salt,nonce]));
      const aad=Buffer.alloc(13);aad.writeUInt32BE(seq++,4);plain.copy(aad,8,0,5);ci.setAAD(aad);
      const body=Buffer.concat([ci.update(plain.subarray(5)),ci.final()]);
      return record(plain[0],Buffer.concat([nonce,body,ci.getAuthTag()]))};
    const enc=crypto.publicEncrypt({key:pem('server.pem'),padding:crypto.constants.RSA_PKCS1_PADDING},pre);
    const l=Buffer.alloc(2);l.writeUInt16BE(enc.length);
    const cke=hs(0x10,Buffer.concat([l,enc]));transcript.push(cke);
    const fin=hs(0x14,prf(master,'client finished',crypto.createHash('sha256').update(Buffer.concat(transcript)).digest(),12));
    const illegal=record(0x16,Buffer.alloc(5));
    sent=true;
    c.write(Buffer.concat([record(0x16,cke),Buffer.from('140303000101','hex'),encrypt(record(0x16,fin)),encrypt(illegal)]),
      ()=>{res.wrote=true;c.end()});
  });
  c.on('close',()=>{res.closed=true;
    // the server still serves a normal client
    const n=tls.connect({port,host:'127.0.0.1',rejectUnauthorized:false},()=>{res.servedAfter=true;n.end()});
    n.on('data',()=>{});n.on('error',e=>{res.afterError=e.code});n.on('close',()=>done(res))});
}
if(PORT){probe(PORT,report)}
else{
  const ev={secure:0,socketErrors:0,clientErrors:0,codes:[]};
  const srv=tls.createServer({key:pem('server.key'),cert:pem('server-chain.pem'),ciphers:CIPHERS},
    s=>{ev.secure++;s.on('error',e=>{ev.socketErrors++;ev.codes.push(e.code)})});
  srv.on('tlsClientError',e=>{ev.clientErrors++;ev.codes.push(e.code)});
  srv.listen(0,'127.0.0.1',()=>probe(srv.address().port,res=>{
    ev.secure--;  // the normal client's
    srv.close();report({client:res,server:ev})}));
}
""".replace("CIPHERS", repr(NODE_CIPHERS))


@need_pki
class WriteError(LoopTestCase):
    def test_illegal_handshake_after_finished(self):
        expected = node_eval("const PORT=0;" + NODE, timeout=10)
        self.assertNotIn("timeout", expected)
        self.assertEqual(expected["client"]["wrote"], True)
        ev = {"secure": 0, "socketErrors": 0, "clientErrors": 0, "codes": []}

        def on_secure(sock):
            ev["secure"] += 1
            sock.on("error", lambda e: (ev.__setitem__("socketErrors", ev["socketErrors"] + 1),
                                        ev["codes"].append(e.code)))
        server, port = listening_server(self, {"key": pki("server.key"),
                                               "cert": pki("server-chain.pem"),
                                               "ciphers": CIPHERS}, on_secure)
        server.on("tlsClientError",
                  lambda err, sock: (ev.__setitem__("clientErrors", ev["clientErrors"] + 1),
                                     ev["codes"].append(err.code)))
        got = NodePeer(NODE, port).result(self)
        close_server(self, server)
        ev["secure"] -= 1  # the normal client's
        self.assertEqual(got, expected["client"])
        self.assertEqual(ev, expected["server"])


if __name__ == "__main__":
    unittest.main()
