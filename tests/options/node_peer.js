'use strict';
// Node's own tls as the reference peer of the options tests: the same
// options tls_tool takes, the same getters reported as JSON lines.
//
//   node node_peer.js client  CONFIG   connect, report, (send a line), end
//   node node_peer.js server  CONFIG   print "PORT n", serve one connection
//   node node_peer.js context CONFIG   tls.createSecureContext(): ok or the error
//   node node_peer.js info    {}       crypto.constants SSL_OP_*, tls.getCiphers()
//
// CONFIG is JSON: {port, opts: {plain tls options}, files: {key: [paths],
// cert: [paths], ca: [paths], crl: [paths], pfx: [paths], dhparam: path},
// send: "text", checkIdentity: "accept" | "reject-with-CODE"}.
const crypto = require('crypto');
const fs = require('fs');
const tls = require('tls');

const [mode, configText] = process.argv.slice(2);
const config = JSON.parse(configText || '{}');

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Bounded: a peer that hangs says so and exits.
setTimeout(() => {
  out({ event: 'timeout' });
  process.exit(3);
}, config.timeoutMs || 20000).unref();

function options() {
  const o = Object.assign({}, config.opts || {});
  const files = config.files || {};
  for (const k of ['key', 'cert', 'ca', 'crl', 'pfx']) {
    if (files[k]) o[k] = files[k].map((p) => fs.readFileSync(p));
  }
  if (files.dhparam) o.dhparam = fs.readFileSync(files.dhparam);
  return o;
}

function hex(b) {
  return b ? b.toString('hex') : null;
}

function report(socket, role, extra) {
  const cipher = socket.getCipher();
  out(Object.assign({
    event: 'secure',
    role,
    protocol: socket.getProtocol(),
    cipher: cipher ? { name: cipher.name, standardName: cipher.standardName, version: cipher.version } : null,
    ephemeralKeyInfo: socket.getEphemeralKeyInfo(),
    authorized: socket.authorized,
    authorizationError: socket.authorizationError || null,
    servername: socket.servername || null,
    alpnProtocol: socket.alpnProtocol || null,
    finished: hex(socket.getFinished()),
    peerFinished: hex(socket.getPeerFinished()),
  }, extra || {}));
}

function errorEvent(err) {
  return { event: 'error', code: err.code || null, message: err.message };
}

function identityCheck(state) {
  const how = config.checkIdentity;
  if (!how) return undefined;
  return (host, cert) => {
    state.host = host;
    if (how === 'accept') return undefined;
    const err = new Error(`custom checkServerIdentity refused the host`);
    err.code = how.slice('reject-with-'.length);
    return err;
  };
}

function client() {
  const state = { host: null };
  const o = Object.assign({ host: '127.0.0.1', port: config.port }, options());
  const check = identityCheck(state);
  if (check) o.checkServerIdentity = check;
  const socket = tls.connect(o, () => {
    report(socket, 'client', { checkServerIdentityHost: state.host });
    if (config.send === undefined) {
      socket.end();
      return;
    }
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('latin1');
      const nl = got.indexOf('\n');
      if (nl >= 0) {
        out({ event: 'reply', text: got.slice(0, nl) });
        socket.end();
      }
    });
    socket.write(config.send + '\n');
  });
  socket.on('error', (err) => {
    out(Object.assign(errorEvent(err), { checkServerIdentityHost: state.host }));
    process.exitCode = 1;
  });
  socket.on('close', () => out({ event: 'close' }));
}

function server() {
  const srv = tls.createServer(options(), (socket) => {
    report(socket, 'server');
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end());
    socket.on('error', (err) => out(errorEvent(err)));
    socket.on('close', () => {
      out({ event: 'close' });
      srv.close();
    });
  });
  srv.on('tlsClientError', (err) => {
    out(Object.assign(errorEvent(err), { event: 'tlsClientError' }));
    srv.close();
  });
  srv.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${srv.address().port}\n`));
}

function context() {
  try {
    tls.createSecureContext(options());
    out({ event: 'context', ok: true });
  } catch (err) {
    out(Object.assign(errorEvent(err), { event: 'context-error' }));
  }
}

function info() {
  const constants = {};
  for (const [k, v] of Object.entries(crypto.constants)) {
    if (k.startsWith('SSL_OP_')) constants[k] = v;
  }
  out({ event: 'info', constants, ciphers: tls.getCiphers(), defaultCiphers: tls.DEFAULT_CIPHERS });
}

const modes = { client, server, context, info };
if (!modes[mode]) {
  process.stderr.write('usage: node_peer.js client|server|context|info CONFIG\n');
  process.exit(2);
}
modes[mode]();
