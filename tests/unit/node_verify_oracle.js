// Ask Node 20 itself what `authorized` / `authorizationError` are for each
// case, over a real handshake on 127.0.0.1 (ephemeral port). Node is the
// spec; verify_vs_node.py compares its answers with verify_tool's.
//
// usage: node node_verify_oracle.js CASES.json
//   CASES.json: [{name, role, peer_key, peer_chain, ca: [files], crl: [files],
//                 server_key, server_chain}]
//   role "server": a Node server presents peer_chain; a Node client verifies
//                  it (purpose ssl_server), without the hostname check.
//   role "client": a Node client presents peer_chain (none when null); a
//                  Node server with requestCert verifies it (purpose ssl_client).
//   Neither side rejects, so the handshake completes and both report.
//   present_ciphers, when set, is the presenting side's `ciphers` (e.g.
//   "DEFAULT@SECLEVEL=0" so that Node agrees to send a SHA-1 certificate).
// prints one JSON line per case: {name, authorized, code, message}
'use strict';
const fs = require('fs');
const tls = require('tls');

const CASE_TIMEOUT_MS = 10000;
const read = (f) => fs.readFileSync(f);

// The verifying side's trust options: `ca`, and `crl` one CRL per array
// entry (Node reads only the first CRL of a PEM string).
function trustOpts(c) {
  const o = { ca: (c.ca || []).map(read) };
  if (c.crl && c.crl.length) o.crl = c.crl.map(read);
  return o;
}

// What the verifying socket reports: authorizationError is the code; the
// handle's verifyError() is the Error carrying OpenSSL's text for it.
function report(sock) {
  const err = sock.ssl.verifyError();
  return { authorized: sock.authorized, code: sock.authorizationError || null,
           message: err ? err.message : null };
}

function runCase(c) {
  return new Promise((resolve) => {
    const asClient = c.role === 'client';
    const serverOpts = asClient ?
      Object.assign({ key: read(c.server_key), cert: read(c.server_chain), requestCert: true,
                      rejectUnauthorized: false }, trustOpts(c)) :
      { key: read(c.peer_key), cert: read(c.peer_chain) };
    const presenting = asClient ? null : serverOpts;
    if (presenting && c.present_ciphers) presenting.ciphers = c.present_ciphers;
    let server;
    try {
      server = tls.createServer(serverOpts);
    } catch (e) {
      resolve({ name: c.name, error: 'createServer: ' + (e.code || e.message) });
      return;
    }
    let done = false;
    const finish = (res) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      server.close();
      resolve(Object.assign({ name: c.name }, res));
    };
    const timer = setTimeout(() => finish({ error: 'timeout' }), CASE_TIMEOUT_MS);
    server.on('tlsClientError', (e) => finish({ error: 'server: ' + (e.code || e.message) }));
    server.on('secureConnection', (s) => {
      s.on('error', () => {});
      if (asClient) {
        const res = report(s);
        s.destroy();
        finish(res);
      }
    });
    server.listen(0, '127.0.0.1', () => {
      const opts = { host: '127.0.0.1', port: server.address().port, rejectUnauthorized: false,
                     checkServerIdentity: () => undefined };
      if (asClient) {
        if (c.peer_chain) Object.assign(opts, { key: read(c.peer_key), cert: read(c.peer_chain) });
        if (c.present_ciphers) opts.ciphers = c.present_ciphers;
      } else {
        Object.assign(opts, trustOpts(c));
      }
      const sock = tls.connect(opts, () => {
        if (!asClient) {
          const res = report(sock);
          sock.destroy();
          finish(res);
        }
      });
      sock.on('error', (e) => { if (!asClient) finish({ error: 'client: ' + (e.code || e.message) }); });
    });
  });
}

(async () => {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const c of cases) {
    process.stdout.write(JSON.stringify(await runCase(c)) + '\n');
  }
})();
