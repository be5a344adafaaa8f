"""Port of Node's test/parallel/tls/set-ciphers.js (test-tls-set-ciphers.js).

A client and a server, each with its own `ciphers` (TLS 1.2 names, TLS 1.3
TLS_ names, both, or none) and a maxVersion that follows from it (TLS 1.2
when the list names no TLS_ suite, else TLS 1.3, unless the case says),
either agree on a suite (the same getCipher().name on both sides, and
data flows) or fail with an error code on each side. Every case runs in
node (node client, node server) and in tlsplug in this run, and the
outcomes must be equal; invalid `ciphers` values (a number, ':') must be
refused with node's code."""
import json
import re
import unittest

from nodeport_b import LoopTestCase, need_pki, node_eval, tlsplug
from nodeport_sigalgs import connect_pair

U = None
REPLY = "So long and thanks for all the fish."
# (client ciphers, server ciphers, maxVersion for both or None), as Node's table.
CASES = [
    (U, "AES256-SHA", U),
    ("AES256-SHA", U, U),
    (U, "TLS_AES_256_GCM_SHA384", U),
    ("TLS_AES_256_GCM_SHA384", U, U),
    ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", U),
    ("AES128-SHA", "AES256-SHA", U),
    ("AES128-SHA:TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256:AES256-SHA", U),
    ("AES256-SHA:TLS_AES_256_GCM_SHA384", U, U),
    (U, "AES256-SHA:TLS_AES_256_GCM_SHA384", U),
    ("AES256-SHA", U, "TLSv1.3"),
    (U, "AES256-SHA", "TLSv1.3"),
    ("TLS_AES_128_CCM_8_SHA256", U, U),
    ("TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", U),
    ("TLS_AES_256_GCM_SHA384", "", U),
    ("", "TLS_AES_256_GCM_SHA384", U),
]
# Values Node refuses at createSecureContext: (client ciphers, server ciphers).
INVALID = [(9, "AES256-SHA"), ("AES256-SHA", 9), (":", "AES256-SHA"), ("AES256-SHA", ":")]


def max_version(ciphers, forced):
    """Node's file: the forced version, else TLS 1.2 for a non-empty list
    naming no TLS_ suite, else TLS 1.3."""
    if forced:
        return forced
    if isinstance(ciphers, str) and ciphers and "TLS_" not in ciphers:
        return "TLSv1.2"
    return "TLSv1.3"


def sides(case):
    """(client options, server options); `forced` is one maxVersion for
    both, or a (client, server) pair."""
    cc, sc, forced = case
    cmax, smax = forced if isinstance(forced, tuple) else (forced, forced)
    return ({"ciphers": cc, "maxVersion": max_version(cc, cmax)},
            {"ciphers": sc, "maxVersion": max_version(sc, smax)})


# Not in Node's table: a client that offers TLS 1.3 and restricts its TLS
# 1.2 suites, against a server that stops at TLS 1.2 (docs/NODE_MAP.md).
WIDER_OFFER = [("AES256-SHA:TLS_AES_256_GCM_SHA384", U, ("TLSv1.3", "TLSv1.2")),
               ("AES256-SHA", U, ("TLSv1.3", "TLSv1.2"))]


NODE = r"""
const cases=%s, invalid=%s, reply=%s, out=[];
function strip(o){const r={};for(const k in o)if(o[k]!==null)r[k]=o[k];return r}
function run(i){
  if(i===cases.length){
    const bad=invalid.map(([c,s])=>[c,s].map(v=>{try{tls.createSecureContext({ciphers:v});return null}
                                                  catch(e){return e.code}}));
    return report({cases:out,invalid:bad});
  }
  const [copts,sopts]=cases[i], r={};let left=2;
  const done=()=>{if(--left===0){srv.close();out.push(r);run(i+1)}};
  const srv=tls.createServer(Object.assign({key:pem('server.key'),cert:pem('server-chain.pem')},strip(sopts)),
    s=>{r.server=s.getCipher().name;s.end(reply);done()});
  srv.on('tlsClientError',e=>{r.server_err=e.code;done()});
  srv.listen(0,'127.0.0.1',()=>{
    const c=tls.connect(Object.assign({port:srv.address().port,host:'127.0.0.1',ca:pem('ca.pem'),
      servername:'localhost'},strip(copts)),()=>{r.client=c.getCipher().name});
    let got='';c.on('data',d=>{got+=d});
    c.on('end',()=>{if(got)r.data=got});
    c.on('error',e=>{r.client_err=e.code});
    c.on('close',done)});
}
run(0);
"""


def snake(opts):
    out = {}
    if opts["ciphers"] is not None:
        out["ciphers"] = opts["ciphers"]
    out["max_version"] = opts["maxVersion"]
    return out


@need_pki
class SetCiphersTest(LoopTestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = node_eval(NODE % (json.dumps([sides(c) for c in CASES + WIDER_OFFER]),
                                     json.dumps(INVALID),
                                     json.dumps(REPLY)), timeout=30)

    def pair(self, case):
        copts, sopts = sides(case)
        return connect_pair(self, snake(sopts), snake(copts),
                            lambda s: s.get_cipher()["name"], lambda c: c.get_cipher()["name"],
                            reply=REPLY)

    def outcome(self, case):
        r = self.pair(case)
        r.pop("message", None)
        return r

    def test_cipher_table(self):
        node = self.node["cases"]
        self.assertEqual(len(node), len(CASES) + len(WIDER_OFFER), self.node)
        for case, expected in zip(CASES, node):
            with self.subTest(case=case):
                self.assertTrue(expected.get("client") or expected.get("client_err"), expected)
                self.assertEqual(self.outcome(case), expected)

    def test_wider_offer_deviation(self):
        """Node's client offers exactly its TLS 1.2 list, so a TLS 1.2
        server picks from it. A GnuTLS client that also offers TLS 1.3
        offers the TLS 1.2 suites pairing its key exchanges with the TLS
        1.3 ciphers too; a server preferring one of those is refused with
        ERR_SSL_WRONG_CIPHER_RETURNED, the message naming the suite."""
        node = self.node["cases"][len(CASES):]
        for case, expected in zip(WIDER_OFFER, node):
            with self.subTest(case=case):
                self.assertEqual(expected.get("client"), "AES256-SHA", expected)
                self.assertEqual(expected.get("server"), "AES256-SHA", expected)
                got = self.pair(case)
                self.assertEqual(got.get("client_err"), "ERR_SSL_WRONG_CIPHER_RETURNED", got)
                self.assertEqual(got.get("server_err"), "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", got)
                chosen = re.search(r"the server chose (\S+),", got["message"])
                self.assertIsNotNone(chosen, got)
                self.assertNotIn(chosen.group(1), case[0].split(":"))

    def test_invalid_values(self):
        for (cc, sc), codes in zip(INVALID, self.node["invalid"]):
            for value, code in zip((cc, sc), codes):
                with self.subTest(ciphers=value):
                    if code is None:
                        tlsplug.create_secure_context(ciphers=value)
                        continue
                    with self.assertRaises(tlsplug.TLSError) as cm:
                        tlsplug.create_secure_context(ciphers=value)
                    self.assertEqual(cm.exception.code, code)


if __name__ == "__main__":
    unittest.main()
