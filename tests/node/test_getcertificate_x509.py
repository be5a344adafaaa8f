"""Port of Node's test/parallel/tls/getcertificate-x509.js
(test-tls-getcertificate-x509.js): the server's getX509Certificate() and
the client's getPeerX509Certificate() are X509Certificate objects, the
peer's issuerCertificate is the intermediate it presented, whose own
issuerCertificate is absent (the root was not sent). Beyond Node's file,
every field and check is compared with live node's X509Certificate of
the same certificates, taken over a node connection to the same server."""
import threading
import unittest

from nodeport import LoopTestCase, NODE, close_server, listening_server, need_pki, node_eval, pki, run_until
import tlsplug

# What node's X509Certificate says of a certificate (x) and its checks.
_FIELDS = ("const f=x=>x&&({subject:x.subject,issuer:x.issuer,subjectAltName:x.subjectAltName??null,"
           "serialNumber:x.serialNumber,validFrom:x.validFrom,validTo:x.validTo,"
           "fingerprint:x.fingerprint,fingerprint256:x.fingerprint256,"
           "fingerprint512:x.fingerprint512,raw:x.raw.toString('hex'),ca:x.ca,"
           "keyUsage:x.keyUsage??null,keyType:x.publicKey.asymmetricKeyType,"
           "host:[x.checkHost('localhost'),x.checkHost('LOCALHOST'),x.checkHost('nope.test')],"
           "ip:[x.checkIP('127.0.0.1'),x.checkIP('10.9.8.7')],email:x.checkEmail('a@b.test')"
           "??null,hasIssuer:x.issuerCertificate!==undefined});")


def ours(x):
    return {"subject": x.subject, "issuer": x.issuer, "subjectAltName": x.subject_alt_name,
            "serialNumber": x.serial_number, "validFrom": x.valid_from, "validTo": x.valid_to,
            "fingerprint": x.fingerprint, "fingerprint256": x.fingerprint256,
            "fingerprint512": x.fingerprint512, "raw": x.raw.hex(), "ca": x.ca,
            "keyUsage": x.key_usage, "keyType": x.public_key["asymmetric_key_type"],
            "host": [x.check_host("localhost"), x.check_host("LOCALHOST"),
                     x.check_host("nope.test")],
            "ip": [x.check_ip("127.0.0.1"), x.check_ip("10.9.8.7")],
            "email": x.check_email("a@b.test"), "hasIssuer": x.issuer_certificate is not None}


@unittest.skipUnless(NODE, "node is not installed")
@need_pki
class GetCertificateX509(LoopTestCase):
    def test_both_ends_match_node(self):
        mine = {}
        server, port = listening_server(self, listener=lambda k: k.end())
        server.on("secureConnection", lambda k: mine.setdefault("local", ours(
            k.get_x509_certificate())))
        c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False, servername="localhost")

        def on_secure():
            peer = c.get_peer_x509_certificate()
            mine["peer"] = ours(peer)
            mine["issuer"] = ours(peer.issuer_certificate)
            mine["issued"] = [peer.check_issued(peer.issuer_certificate),
                              peer.issuer_certificate.check_issued(peer)]
            mine["verify"] = [peer.verify(peer.issuer_certificate), peer.verify(peer)]
            self.assertIsInstance(peer, tlsplug.X509Certificate)
            c.end()
        c.on("secureConnect", on_secure)
        c.on("close", lambda *a: mine.setdefault("closed", True))
        run_until(self, lambda: "closed" in mine and "local" in mine, what="the exchange")
        # node, as a client of the same server, reads the same certificates.
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("n", node_eval(
            _FIELDS + "const c=tls.connect({port:%d,host:'127.0.0.1',rejectUnauthorized:false,"
            "servername:'localhost'},()=>{const p=c.getPeerX509Certificate(),i=p.issuerCertificate;"
            "const r={peer:f(p),issuer:f(i),issued:[p.checkIssued(i),i.checkIssued(p)],"
            "verify:[p.verify(i.publicKey),p.verify(p.publicKey)],local:f(new (require('crypto')"
            ".X509Certificate)(pem('server.pem')))};c.end();report(r)})" % port)))
        t.start()
        run_until(self, lambda: not t.is_alive(), poll_ms=20, what="node's client")
        close_server(self, server)
        theirs = box["n"]
        self.assertTrue(theirs["peer"]["hasIssuer"])
        self.assertFalse(theirs["issuer"]["hasIssuer"])
        for key in ("peer", "issuer", "issued", "verify", "local"):
            with self.subTest(key=key):
                self.assertEqual(mine[key], theirs[key])

    def test_from_pem(self):
        x = tlsplug.X509Certificate(pki("server.pem"))
        self.assertEqual(x, tlsplug.X509Certificate(x.raw))
        self.assertEqual(tlsplug.X509Certificate(str(x)), x)
        self.assertIsNone(x.issuer_certificate)


if __name__ == "__main__":
    unittest.main()
