// One tls.connect to server_tool, driven by a JSON argument:
//   {port, servername?, ca?, alpn?: [..], session?: base64, requestOCSP?, minVersion?, maxVersion?}
// Sends "hello\n", waits for the echo, ends. Prints JSON lines:
//   {"event":"secureConnect", alpnProtocol, protocol, isSessionReused, subjectCN, issuerCN, fingerprint256, authorized}
//   {"event":"OCSPResponse", "response": base64}   (with requestOCSP)
//   {"event":"session", "session": base64}   (one per session event)
//   {"event":"error", code, message}
//   {"event":"close"}
'use strict';
const tls = require('tls');
const fs = require('fs');
const cfg = JSON.parse(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const opts = {
  host: '127.0.0.1',
  port: cfg.port,
  rejectUnauthorized: false,
};
if (cfg.servername !== undefined) opts.servername = cfg.servername;
if (cfg.ca) opts.ca = fs.readFileSync(cfg.ca);
if (cfg.alpn) opts.ALPNProtocols = cfg.alpn;
if (cfg.session) opts.session = Buffer.from(cfg.session, 'base64');
if (cfg.requestOCSP) opts.requestOCSP = true;
if (cfg.minVersion) opts.minVersion = cfg.minVersion;
if (cfg.maxVersion) opts.maxVersion = cfg.maxVersion;
const timer = setTimeout(() => { out({ event: 'timeout' }); process.exit(3); }, 15000);
const s = tls.connect(opts, () => {
  const cert = s.getPeerCertificate();
  out({
    event: 'secureConnect',
    alpnProtocol: s.alpnProtocol,
    protocol: s.getProtocol(),
    isSessionReused: s.isSessionReused(),
    subjectCN: cert.subject && cert.subject.CN,
    issuerCN: cert.issuer && cert.issuer.CN,
    fingerprint256: cert.fingerprint256,
    authorized: s.authorized,
  });
  s.write('hello\n');
});
let got = '';
s.on('OCSPResponse', (r) => out({ event: 'OCSPResponse', response: r.toString('base64') }));
s.on('session', (sess) => out({ event: 'session', session: sess.toString('base64') }));
s.on('data', (d) => {
  got += d.toString();
  if (got.includes('\n')) { out({ event: 'echo', text: got.trim() }); s.end(); }
});
s.on('error', (e) => out({ event: 'error', code: e.code, message: e.message }));
s.on('close', () => { out({ event: 'close' }); clearTimeout(timer); });
