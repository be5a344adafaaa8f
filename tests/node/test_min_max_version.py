"""Port of Node's test/parallel/tls/min-max-version.js (test-tls-min-max-version.js).

Client and server each get minVersion / maxVersion / secureProtocol; the
pair either agrees on a version (both sides' getProtocol()) or fails with
an error code on each side. Every case runs in node (node client, node
server) and in tlsplug (tlsplug client, tlsplug server) in this run, and
the outcomes must be equal. Node's file also covers TLS 1.0 and 1.1
handshakes, which need SECLEVEL=0 with OpenSSL 3 and are disabled by
Debian's GnuTLS policy; here those versions appear only where the pair
must fail (no version in common), and a bad method name must be refused
with node's code."""
import json
import unittest

from nodeport_b import (LoopTestCase, close_server, listening_server, need_pki, node_eval, pki,
                        run_until, tlsplug)

U = None
# (client min, max, secureProtocol, server min, max, secureProtocol), as in Node's table.
CASES = [
    (U, U, U, U, U, U),
    (U, "TLSv1.2", U, U, U, U),
    (U, U, U, U, "TLSv1.2", U),
    ("TLSv1.3", U, U, U, "TLSv1.2", U),
    (U, "TLSv1.2", U, "TLSv1.3", U, U),
    (U, U, "TLSv1_2_method", U, U, "TLS_method"),
    (U, U, "TLS_method", U, U, "TLSv1_2_method"),
    (U, U, "TLSv1_2_method", U, U, "TLSv1_2_method"),
    (U, U, "TLSv1_1_method", U, U, "SSLv23_method"),
    (U, U, "TLSv1_method", U, U, "SSLv23_method"),
    (U, U, "TLSv1_2_method", U, U, "SSLv23_method"),
    ("TLSv1", "TLSv1.3", U, "TLSv1.3", "TLSv1.3", U),
    ("TLSv1", "TLSv1.3", U, "TLSv1.2", "TLSv1.2", U),
    ("TLSv1.3", "TLSv1.3", U, "TLSv1", "TLSv1.3", U),
    ("TLSv1.2", "TLSv1.2", U, "TLSv1", "TLSv1.3", U),
    ("TLSv1", "TLSv1.1", U, "TLSv1.2", "TLSv1.3", U),
]

NODE = r"""
const cases=%s, out=[];
function opts(min,max,prot){const o={};if(min)o.minVersion=min;if(max)o.maxVersion=max;
  if(prot)o.secureProtocol=prot;return o}
function run(i){
  if(i===cases.length)return report(out);
  const [cmin,cmax,cprot,smin,smax,sprot]=cases[i];
  const r={};let left=2;const done=()=>{if(--left===0){srv.close();out.push(r);run(i+1)}};
  const srv=tls.createServer(Object.assign({key:pem('server.key'),cert:pem('server-chain.pem')},
    opts(smin,smax,sprot)),s=>{r.server=s.getProtocol();s.end();done()});
  srv.on('tlsClientError',e=>{r.server_err=e.code;done()});
  srv.listen(0,'127.0.0.1',()=>{
    const c=tls.connect(Object.assign({port:srv.address().port,host:'127.0.0.1',ca:pem('ca.pem'),
      servername:'localhost'},opts(cmin,cmax,cprot)),()=>{r.client=c.getProtocol();c.end()});
    c.on('error',e=>{r.client_err=e.code});
    c.on('close',done)});
}
run(0);
"""


def options(vmin, vmax, prot):
    o = {}
    if vmin:
        o["min_version"] = vmin
    if vmax:
        o["max_version"] = vmax
    if prot:
        o["secure_protocol"] = prot
    return o


@need_pki
class MinMaxVersionTest(LoopTestCase):
    def pair(self, case):
        cmin, cmax, cprot, smin, smax, sprot = case
        r = {}
        server, port = listening_server(
            self, options(smin, smax, sprot),
            lambda s: (r.update(server=s.get_protocol()), s.end()))
        server.on("tlsClientError", lambda e, s: r.update(server_err=e.code))
        c = tlsplug.connect(port, "127.0.0.1", ca=pki("ca.pem"), servername="localhost",
                            **options(cmin, cmax, cprot))
        c.on("secureConnect", lambda: (r.update(client=c.get_protocol()), c.end()))
        c.on("error", lambda e: r.update(client_err=e.code))
        c.on("data", lambda d: None)
        c.on("close", lambda *a: r.update(closed=True))
        run_until(self, lambda: "closed" in r and ("server" in r or "server_err" in r),
                  what=f"case {case}")
        del r["closed"]
        close_server(self, server)
        return r

    def test_version_table(self):
        node = node_eval(NODE % json.dumps(CASES), timeout=30)
        self.assertIsInstance(node, list, node)
        self.assertEqual(len(node), len(CASES))
        for case, expected in zip(CASES, node):
            with self.subTest(case=case):
                self.assertEqual(self.pair(case), expected)

    def test_unknown_method_names(self):
        js = ("const out=[];for(const p of ['hokey-pokey','SSLv2_method','SSLv3_method']){"
              "try{tls.createSecureContext({secureProtocol:p});out.push(null)}"
              "catch(e){out.push(e.code)}}report(out)")
        node = node_eval(js)
        for name, code in zip(("hokey-pokey", "SSLv2_method", "SSLv3_method"), node):
            with self.subTest(name=name):
                self.assertIsNotNone(code)
                with self.assertRaises(tlsplug.TLSError) as cm:
                    tlsplug.create_secure_context(secure_protocol=name)
                self.assertEqual(cm.exception.code, code)


if __name__ == "__main__":
    unittest.main()
