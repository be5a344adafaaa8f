"""Port of Node's test/parallel/tls/server-verify.js: servers with a
self-signed certificate and different requestCert / rejectUnauthorized /
ca / crl settings meet openssl s_client presenting a certificate under
the server's CA, a self-signed one, one under a second CA, one under that
CA but revoked by its CRL, or none. Each client is rejected, or accepted
and told whether it is authorized; one server asks for the certificate
only later, by renegotiating (TLS 1.2).

Node's fixtures map onto the test PKI: the server (agent2) is self.pem;
agent1 (under ca1) is client.pem with int.pem sent along, ca1 ca.pem;
agent3 (under ca2) untrusted.pem, ca2 other-ca.pem; agent4 and ca2-crl
are made here (certtool, under other-ca). For every client, what s_client
shows (authed / unauthed / rejected) and what the server saw
(authorizationError, tlsClientError codes) is live node's, the same
s_client against a node server in the same run."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from nodeport import OPENSSL, LoopTestCase, close_server, listening_server, node_eval
from nodeport_b import run_openssl
from nodeport_verify import pem

CERTTOOL = shutil.which("certtool")

# Node's table: (title, requestCert, rejectUnauthorized, renegotiate, CAs,
# crl, [(client, what Node's file expects: authed / unauthed / rejected)]).
TABLE = [
    ("no certificate requested", False, False, False, ["ca1"], False,
     [("agent1", "unauthed"), ("agent2", "unauthed"), ("agent3", "unauthed"), ("nocert", "unauthed")]),
    ("authed and unauthed with ca1", True, False, False, ["ca1"], False,
     [("agent1", "authed"), ("agent2", "unauthed"), ("agent3", "unauthed"), ("nocert", "unauthed")]),
    ("requested later, by renegotiation", False, False, True, ["ca1"], False,
     [("agent1", "authed"), ("agent2", "unauthed"), ("agent3", "unauthed"), ("nocert", "unauthed")]),
    ("only authed, ca1", True, True, False, ["ca1"], False,
     [("agent1", "authed"), ("agent2", "rejected"), ("agent3", "rejected"), ("nocert", "rejected")]),
    ("only authed, ca1 and ca2", True, True, False, ["ca1", "ca2"], False,
     [("agent1", "authed"), ("agent2", "rejected"), ("agent3", "authed"), ("nocert", "rejected")]),
    ("only authed, ca2 without the revoked", True, True, False, ["ca2"], True,
     [("agent1", "rejected"), ("agent2", "rejected"), ("agent3", "authed"), ("agent4", "rejected"),
      ("nocert", "rejected")]),
]
CAS = {"ca1": "ca.pem", "ca2": "other-ca.pem"}

NODE = """
const {spawn} = require('child_process');
const {SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION} = require('crypto').constants;
const {openssl, cases} = JSON.parse(fs.readFileSync(%s));
let seen;
function sClient(port, args) {
  return new Promise((resolve) => {
    const p = spawn(openssl, ['s_client', '-connect', '127.0.0.1:' + port, '-ign_eof', ...args],
                    {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.resume();
    p.on('close', () => resolve(out));
  });
}
function serve(c) {
  const opts = Object.assign({}, c.server);
  if (c.renegotiate) {
    opts.secureOptions = SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION;
    opts.maxVersion = 'TLSv1.2';
  }
  const server = tls.createServer(opts, function answer(s, again) {
    s.on('error', () => {});
    if (c.renegotiate && !again) {
      s.write('\\n_renegotiating\\n');
      s.renegotiate({requestCert: true, rejectUnauthorized: false}, (err) => {
        seen.renegotiated = !err;
        answer(s, true);
      });
      return;
    }
    seen.authorizationError = s.authorizationError || null;
    s.end(s.authorized ? '\\n_authed\\n' : '\\n_unauthed\\n');
  });
  server.on('tlsClientError', (e) => { seen.clientErrors.push(e.code || null); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
(async () => {
  const out = [];
  for (const c of cases) {
    const server = await serve(c);
    for (const args of c.clients) {
      seen = {authorizationError: null, clientErrors: [], renegotiated: null};
      const text = await sClient(server.address().port, args);
      out.push(Object.assign({shown: /_unauthed/.test(text) ? 'unauthed' :
                                     /_authed/.test(text) ? 'authed' : 'rejected'}, seen));
    }
    await new Promise((resolve) => server.close(resolve));
  }
  report(out);
})();
"""


@unittest.skipUnless(OPENSSL and CERTTOOL, "openssl or certtool is not installed")
class ServerVerify(LoopTestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.agent4 = self._revoked_under_other_ca()

    def _file(self, name):
        return os.path.join(self.dir, name)

    def _certtool(self, *args):
        subprocess.run([CERTTOOL, *args], check=True, capture_output=True, timeout=30)

    def _revoked_under_other_ca(self):
        """agent4 (a client certificate under other-ca) and ca2-crl, the
        other CA's CRL that revokes it: (key, cert, crl) paths."""
        key, cert, crl, tmpl = (self._file(n) for n in ("a4.key", "a4.pem", "ca2.crl", "t"))
        with open(tmpl, "w") as f:
            f.write('cn = "agent4"\nsigning_key\ntls_www_client\nexpiration_days = 30\n'
                    "crl_next_update = 30\n")
        ca = ["--load-ca-certificate", os.path.join(os.environ["TLSPLUG_PKI"], "other-ca.pem"),
              "--load-ca-privkey", os.path.join(os.environ["TLSPLUG_PKI"], "other-ca.key")]
        self._certtool("--generate-privkey", "--key-type", "ecdsa", "--outfile", key)
        self._certtool("--generate-certificate", "--load-privkey", key, *ca, "--template", tmpl,
                       "--outfile", cert)
        self._certtool("--generate-crl", *ca, "--load-certificate", cert, "--template", tmpl,
                       "--outfile", crl)
        return key, cert, crl

    def _client_args(self, name):
        p = lambda n: os.path.join(os.environ["TLSPLUG_PKI"], n)  # noqa: E731
        return {"agent1": ["-key", p("client.key"), "-cert", p("client.pem"), "-cert_chain", p("int.pem")],
                "agent2": ["-key", p("self.key"), "-cert", p("self.pem")],
                "agent3": ["-key", p("untrusted.key"), "-cert", p("untrusted.pem")],
                "agent4": ["-key", self.agent4[0], "-cert", self.agent4[1]],
                "nocert": []}[name]

    def _server_options(self, request_cert, reject, cas, crl):
        opts = {"key": pem("self.key"), "cert": pem("self.pem"), "ca": [pem(CAS[c]) for c in cas],
                "requestCert": request_cert, "rejectUnauthorized": reject}
        if crl:
            with open(self.agent4[2]) as f:
                opts["crl"] = f.read()
        return opts

    def test_clients_are_rejected_or_told_as_node_tells_them(self):
        cases = [{"server": self._server_options(req, rej, cas, crl), "renegotiate": reneg,
                  "clients": [self._client_args(n) for n, _ in clients]}
                 for _, req, rej, reneg, cas, crl, clients in TABLE]
        # Each rejecting server's twin that does not reject: its
        # authorizationError is the verification's verdict on each client.
        twins = [dict(c, server=dict(c["server"], rejectUnauthorized=False))
                 for c in cases if c["server"]["rejectUnauthorized"]]
        spec = self._file("cases.json")
        with open(spec, "w") as f:
            json.dump({"openssl": OPENSSL, "cases": cases + twins}, f)
        want = iter(node_eval(NODE % json.dumps(spec), timeout=60))
        names = [[n for n, _ in row[-1]] for row in TABLE]
        want = [[next(want) for _ in row] for row in names + [n for n, c in zip(names, cases)
                                                                if c["server"]["rejectUnauthorized"]]]
        verdicts = iter(want[len(cases):])
        for (title, *_, clients), case, row in zip(TABLE, cases, want):
            # Node's file holds in the oracle.
            self.assertEqual([w["shown"] for w in row], [e for _, e in clients], title)
            got = self._serve(case, [n for n, _ in clients])
            twin = next(verdicts) if case["server"]["rejectUnauthorized"] else None
            for i, ((name, _), w, g) in enumerate(zip(clients, row, got)):
                with self.subTest(title=title, client=name):
                    verdict = twin and twin[i]["authorizationError"]
                    if w["shown"] == "rejected" and name != "nocert" and verdict:
                        # A certificate refused after the handshake: tlsplug's
                        # tlsClientError is the verdict; node destroys the
                        # socket and reports at most the reset that follows.
                        self.assertLessEqual(set(w["clientErrors"]), {"ECONNRESET"})
                        self.assertEqual(g["clientErrors"], [verdict])
                        g, w = dict(g, clientErrors=None), dict(w, clientErrors=None)
                    self.assertEqual(g, w)

    def _serve(self, case, names):
        """The case's clients against a tlsplug server: their records."""
        opts = {{"requestCert": "request_cert", "rejectUnauthorized": "reject_unauthorized"}.get(k, k): v
                for k, v in case["server"].items()}
        if case["renegotiate"]:
            opts["max_version"] = "TLSv1.2"
        seen = {}

        def answer(s, again=False):
            s.on("error", lambda e: None)
            if case["renegotiate"] and not again:
                s.write("\n_renegotiating\n")

                def done(err):
                    seen["renegotiated"] = err is None
                    answer(s, True)

                s.renegotiate({"request_cert": True, "reject_unauthorized": False}, done)
                return
            seen["authorizationError"] = s.authorization_error or None
            s.end("\n_authed\n" if s.authorized else "\n_unauthed\n")

        server, port = listening_server(self, opts, listener=answer)
        server.on("tlsClientError", lambda e, *_: seen["clientErrors"].append(getattr(e, "code", None)))
        out = []
        for name in names:
            seen.clear()
            seen.update(authorizationError=None, clientErrors=[], renegotiated=None)
            _, text = run_openssl(self, ["s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof",
                                         *self._client_args(name)])
            shown = ("unauthed" if "_unauthed" in text else "authed" if "_authed" in text
                     else "rejected")
            out.append(dict(seen, shown=shown))
        close_server(self, server)
        return out


if __name__ == "__main__":
    unittest.main()
