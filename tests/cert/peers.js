'use strict';
// The peers of a comparison, all on 127.0.0.1 with ephemeral ports and
// bounded waits: Node tls servers and clients that record what Node says
// about certificates, and cert_dump, which records what tlsplug says.

const { spawn } = require('child_process');
const tls = require('tls');

const TIMEOUT_MS = 30000;

// What Node's TLSSocket says about certificates.
function nodeView(sock) {
  return {
    peer: sock.getPeerCertificate(),
    detailed: sock.getPeerCertificate(true),
    own: sock.getCertificate(),
    authorized: sock.authorized,
  };
}

function withTimeout(promise, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), TIMEOUT_MS);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// A Node server (never rejecting clients, so every connection completes);
// `conns` receives one view per connection, in order.
async function nodeServer(opts) {
  const conns = [];
  const server = tls.createServer({ ...opts, rejectUnauthorized: false }, (sock) => {
    conns.push(nodeView(sock));
    sock.on('error', () => {});
    sock.end();
  });
  server.on('tlsClientError', (err) => conns.push({ error: err.code || err.message }));
  await withTimeout(new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)), 'listen');
  return {
    port: server.address().port,
    conns,
    close: () => withTimeout(new Promise((resolve) => server.close(resolve)), 'server close'),
  };
}

// A Node client's view of one connection (never rejecting the server).
// Once the view is taken, how the connection ends does not matter.
function nodeClient(port, opts) {
  return withTimeout(new Promise((resolve, reject) => {
    let view;
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      view = nodeView(sock);
      sock.end();
    });
    sock.on('error', (err) => { if (!view) reject(err); });
    sock.on('close', () => { if (view) resolve(view); else reject(new Error('closed before secureConnect')); });
  }), 'node client');
}

// Run cert_dump to the end; its stdout (after a "PORT n" line, if any)
// parsed as JSON. `onOutput` sees stdout as it comes.
function runDump(exe, args, onOutput) {
  return withTimeout(new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (onOutput) onOutput(out);
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`cert_dump ${args.join(' ')}: exit ${code} ${signal || ''}\n${err}`));
        return;
      }
      try {
        resolve(JSON.parse(out.replace(/^PORT \d+\n/, '')));
      } catch (e) {
        reject(new Error(`cert_dump printed no JSON (${e.message}):\n${out}\n${err}`));
      }
    });
  }), `cert_dump ${args[0]}`);
}

// cert_dump in server mode: `port` resolves once it listens; `result` is
// its report once the connection is done.
function dumpServer(exe, args) {
  let gotPort;
  const port = new Promise((resolve) => { gotPort = resolve; });
  const result = runDump(exe, ['server', ...args], (out) => {
    const m = /^PORT (\d+)\n/.exec(out);
    if (m) gotPort(Number(m[1]));
  });
  const noPort = result.then(() => Promise.reject(new Error('cert_dump server printed no PORT line')));
  noPort.catch(() => {}); /* only the race below reads it */
  return { port: withTimeout(Promise.race([port, noPort]), 'cert_dump port'), result };
}

module.exports = { nodeServer, nodeClient, runDump, dumpServer };
