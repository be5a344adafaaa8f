"""Port of Node's test/parallel/tls/client-auth.js: client certificates
with intermediate CAs. Complete chains verify both ways; a TLS 1.2 or 1.3
client without a certificate fails a server that requests one (each side
with its code); chains sent incomplete verify when the peer's `ca` holds
the subordinate CA (an array, one multi-PEM string, or such a string in an
array) and fail otherwise (UNABLE_TO_VERIFY_LEAF_SIGNATURE, a reset); a
missing CA fails (UNABLE_TO_GET_ISSUER_CERT_LOCALLY), a root sent along is
not trusted for being sent (SELF_SIGNED_CERT_IN_CHAIN) but harms nothing
when known; `ca` is read from "TRUSTED CERTIFICATE" and "X509 CERTIFICATE"
PEM labels too.

Node's agent10 (server) and ec10 (client) map onto the test PKI's server
and client, both under int.pem under ca.pem. Both sides' records
(secure, authorized, authorizationError, error codes, data) are live
node's for each case."""
import unittest

from nodeport import LoopTestCase
from nodeport_verify import ANY_NAME, assert_pair, binding_pair, node_pairs, pem

ROOT, SUB = pem("ca.pem"), pem("int.pem")
SERVER = {"key": pem("server.key"), "cert": pem("server-chain.pem"), "single": pem("server.pem")}
CLIENT = {"key": pem("client.key"), "cert": pem("client-chain.pem"), "single": pem("client.pem")}


def relabel(text: str, label: str) -> str:
    return text.replace("CERTIFICATE", label)


def _client(**kw):
    return dict(kw, checkServerIdentity=ANY_NAME)


def _server(cert=SERVER["cert"], **kw):
    return dict(kw, key=SERVER["key"], cert=cert)


CASES = [
    ("complete chains", _server(ca=ROOT, requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["cert"], ca=ROOT)),
    ("no client certificate requested", _server(ca=ROOT), _client(ca=ROOT)),
    ("TLS 1.2 client without a certificate", _server(ca=ROOT, requestCert=True),
     _client(maxVersion="TLSv1.2", ca=ROOT)),
    ("TLS 1.3 client without a certificate", _server(ca=ROOT, requestCert=True), _client(ca=ROOT)),
    ("incomplete chains, subordinate CAs in an array",
     _server(SERVER["single"], ca=[ROOT, SUB], requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["single"], ca=[ROOT, SUB])),
    ("incomplete chains, subordinate CAs in a multi-PEM string",
     _server(SERVER["single"], ca=ROOT + "\n" + SUB, requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["single"], ca=ROOT + "\n" + SUB)),
    ("incomplete chains, multi-PEM in an array",
     _server(SERVER["single"], ca=[ROOT + "\n" + SUB], requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["single"], ca=[ROOT + "\n" + SUB])),
    ("server's chain incomplete", _server(SERVER["single"]), _client(ca=ROOT)),
    ("client's chain incomplete", _server(ca=ROOT, requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["single"], ca=ROOT)),
    ("no CA for the server", _server(), _client()),
    ("server sends its root, unknown to the client", _server(SERVER["cert"] + "\n" + ROOT), _client()),
    ("server sends its root, known to the client", _server(SERVER["cert"] + "\n" + ROOT), _client(ca=ROOT)),
    ("no CA for the client", _server(requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["cert"], ca=ROOT)),
] + [
    (f"{label} in the {side}'s ca",
     _server(ca=relabel(ROOT, label) if side == "server" else ROOT, requestCert=True),
     _client(key=CLIENT["key"], cert=CLIENT["cert"], ca=relabel(ROOT, label) if side == "client" else ROOT))
    for label in ("TRUSTED CERTIFICATE", "X509 CERTIFICATE") for side in ("client", "server")
]

# What Node's file asserts: the code it names for each failing case
# (err = the client's error, else the server's), None for a success.
NODE_FILE = {
    "server's chain incomplete": "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "client's chain incomplete": "ECONNRESET",
    "no CA for the server": "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "server sends its root, unknown to the client": "SELF_SIGNED_CERT_IN_CHAIN",
    "no CA for the client": "ECONNRESET",
}
# Cases where it names both sides' codes: (server's, client's).
NODE_TWO_SIDES = {
    "TLS 1.2 client without a certificate": ("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",
                                             "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"),
    "TLS 1.3 client without a certificate": ("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",
                                             "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"),
}


class ClientAuth(LoopTestCase):
    maxDiff = None

    def test_each_case_as_node(self):
        # Each server that asks for a certificate has a twin that does not
        # reject: its authorizationError is node's verdict on the client.
        twins = [(dict(s, rejectUnauthorized=False), c) for _, s, c in CASES if s.get("requestCert")]
        want = node_pairs([(s, c) for _, s, c in CASES] + twins)
        self.assertEqual(len(want), len(CASES) + len(twins))
        verdicts = iter(w["server"]["authorizationError"] for w in want[len(CASES):])
        for (title, sopts, copts), w in zip(CASES, want):
            with self.subTest(title):
                if title in NODE_TWO_SIDES:
                    self.assertEqual((w["server"]["error"], w["client"]["error"]), NODE_TWO_SIDES[title])
                else:
                    self.assertEqual(w["client"]["error"] or w["server"]["error"], NODE_FILE.get(title))
                verdict = next(verdicts) if sopts.get("requestCert") else None
                assert_pair(self, binding_pair(self, sopts, copts), w, verdict)

if __name__ == "__main__":
    unittest.main()
