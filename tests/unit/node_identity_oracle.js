// Ask Node 20 itself what tls.checkServerIdentity() answers, and what
// net.isIP() says, for identity_vs_node.py to compare with the library.
// The certificate object is Node's own (X509Certificate#toLegacyObject(),
// the same shape as getPeerCertificate()).
//
// usage: node node_identity_oracle.js REQUEST.json
//   REQUEST.json: {"certs": [pem files], "hosts": [strings], "ips": [strings]}
// prints JSON: {"certs": [{"san": string|null, "results": [[ok, reason]...]}],
//               "ips": [0|4|6...]}
'use strict';
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const { X509Certificate } = require('crypto');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = { certs: [], ips: req.ips.map((s) => net.isIP(s)) };
for (const file of req.certs) {
  const cert = new X509Certificate(fs.readFileSync(file)).toLegacyObject();
  const results = req.hosts.map((h) => {
    const err = tls.checkServerIdentity(h, cert);
    return err ? [false, err.reason] : [true, null];
  });
  out.certs.push({ san: cert.subjectaltname === undefined ? null : cert.subjectaltname, results });
}
process.stdout.write(JSON.stringify(out));
