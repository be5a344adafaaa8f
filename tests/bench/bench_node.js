#!/usr/bin/env node
// Node.js tls over loopback TCP: the runtime tlsplug re-makes. Follows the
// protocol of tests/bench/README.md: the server is a child process of this
// script (child_process.fork, IPC channel for the port and the report), the
// client is this process; each reads process.cpuUsage() (user+system, all
// threads) around its own timed section and the line reports the sum.
//
//   node --expose-gc bench_node.js bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT
//
// Certificates from $TLSPLUG_PKI. TLS 1.3 only, TLS_AES_128_GCM_SHA256,
// X25519; the client verifies the chain against ca.pem for "localhost".
'use strict';
const tls = require('tls');
const fs = require('fs');
const path = require('path');
const { fork } = require('child_process');

const WATCHDOG_MS = 600e3;
const CHUNK = 16384;

function fail(msg) {
  process.stderr.write(`bench_node[${process.pid}]: ${msg}\n`);
  process.exit(1);
}
setTimeout(() => fail('watchdog: took too long'), WATCHDOG_MS).unref();

function parse(argv) {
  const [kind, a, b] = argv;
  if (kind === 'bulk') return { kind, bytes: Number(a) };
  if (kind === 'full') return { kind, rsa: a === 'rsa', count: Number(b) };
  if (kind === 'resume' || kind === 'mem') return { kind, count: Number(a) };
  fail('usage: bench_node.js bulk BYTES | full ecdsa|rsa COUNT | resume COUNT | mem COUNT');
}

const pki = (name) => {
  if (!process.env.TLSPLUG_PKI) fail('TLSPLUG_PKI is not set');
  return fs.readFileSync(path.join(process.env.TLSPLUG_PKI, name));
};
const common = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' };
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
// Heap: V8's heap plus the external memory V8 is told about (Buffers, and
// what TLSWrap reports); OpenSSL's own malloc shows only in RSS.
function mem() {
  if (global.gc) { global.gc(); global.gc(); }
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

// --- server child ---
function serve(w) {
  const server = tls.createServer({
    ...common,
    key: pki(w.rsa ? 'server.key' : 'server-ec.key'),
    cert: pki(w.rsa ? 'server-chain.pem' : 'server-ec-chain.pem'),
  });
  // Connections the server sees and the first one it times (resume: one
  // untimed priming connection first).
  const total = w.kind === 'bulk' ? 1 : w.kind === 'resume' ? w.count + 1 : w.count;
  const prime = w.kind === 'resume' ? 1 : 0;
  let accepted = 0, closed = 0, answered = 0, t0 = cpuNow(), base = null;
  const report = (r) => process.send({ report: r });
  server.on('connection', (raw) => {
    raw.setNoDelay(true);
    if (accepted++ === prime) t0 = cpuNow();
  });
  server.on('secureConnection', (sock) => {
    sock.on('error', (e) => fail(`server socket: ${e.code || e.message}`));
    if (w.kind === 'bulk') {
      let got = 0;
      t0 = cpuNow(); // bulk times the transfer only
      sock.on('data', (d) => {
        got += d.length;
        if (got >= w.bytes && got - d.length < w.bytes) {
          sock.write('k');
          report({ cpu_s: cpuNow() - t0 });
        }
      });
      return;
    }
    sock.once('data', () => {
      sock.write('k');
      if (w.kind === 'mem' && ++answered === w.count) {
        const m = mem();
        report({ heap_bytes: m.heap - base.heap, rss_bytes: m.rss - base.rss });
      }
    });
    sock.on('data', () => {});
    sock.on('close', () => {
      if (++closed === total && w.kind !== 'mem') report({ cpu_s: cpuNow() - t0 });
    });
  });
  server.on('tlsClientError', (e) => fail(`server handshake: ${e.code || e.message}`));
  process.on('message', (m) => { if (m === 'done') process.exit(0); });
  process.on('disconnect', () => process.exit(0)); // the parent is gone
  server.listen(0, '127.0.0.1', () => {
    base = mem();
    process.send({ port: server.address().port });
  });
}

// --- client (parent) ---
// One client context for the run, as the C systems build their credentials
// once (passing `ca` to every tls.connect would rebuild the store each time).
let clientCtx = null;
function connect(port, session) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: clientCtx, session });
    sock.setNoDelay(true);
    sock.once('secureConnect', () => resolve(sock));
    sock.once('error', reject);
  });
}

// Handshake, one byte each way; resolves with the open socket (and the
// first ticket, when asked for one).
async function exchange(port, session, wantTicket) {
  const sock = await connect(port, session);
  let ticket = null;
  const gotTicket = wantTicket ? new Promise((r) => sock.once('session', (t) => { ticket = t; r(); })) : null;
  const reply = new Promise((resolve, reject) => { sock.once('data', resolve); sock.once('error', reject); });
  sock.write('p');
  await reply;
  if (gotTicket) await gotTicket;
  return { sock, ticket };
}

async function client(w) {
  clientCtx = tls.createSecureContext({ ...common, ca: pki('ca.pem') }); // before any baseline
  const child = fork(__filename, ['--serve', ...process.argv.slice(2)], {
    execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const msgs = [];
  let wake = null;
  child.on('message', (m) => { msgs.push(m); if (wake) wake(); });
  child.on('exit', (code) => { if (code) fail(`server child exited ${code}`); });
  const next = async () => {
    while (!msgs.length) await new Promise((r) => { wake = r; });
    return msgs.shift();
  };
  const { port } = await next();
  const exited = new Promise((r) => child.once('exit', r));
  const finish = async (line) => {
    const { report } = await next();
    const out = line(report);
    child.send('done');
    await exited;
    return out;
  };

  if (w.kind === 'bulk') {
    const sock = await connect(port);
    const chunk = Buffer.alloc(CHUNK, 'x');
    const reply = new Promise((r) => sock.once('data', r));
    const w0 = process.hrtime.bigint(), c0 = cpuNow();
    let sent = 0;
    while (sent < w.bytes) {
      sent += CHUNK;
      if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r)); // backpressure
    }
    await reply;
    const wall = Number(process.hrtime.bigint() - w0) / 1e9, cpu = cpuNow() - c0;
    sock.end();
    return finish((r) => rate(sent, wall, cpu, r.cpu_s));
  }
  if (w.kind === 'mem') {
    const base = mem(), socks = [];
    for (let i = 0; i < w.count; i++) socks.push((await exchange(port)).sock);
    const m = mem();
    return finish((r) => {
      socks.forEach((s) => s.destroy());
      return JSON.stringify({
        client_bytes: (m.heap - base.heap) / w.count, server_bytes: r.heap_bytes / w.count,
        client_rss_bytes: (m.rss - base.rss) / w.count, server_rss_bytes: r.rss_bytes / w.count,
      });
    });
  }
  let session;
  if (w.kind === 'resume') {
    const { sock, ticket } = await exchange(port, undefined, true);
    session = ticket;
    sock.end();
  }
  const w0 = process.hrtime.bigint(), c0 = cpuNow();
  for (let i = 0; i < w.count; i++) {
    const { sock } = await exchange(port, session);
    if (session && !sock.isSessionReused()) fail(`handshake ${i} did not resume`);
    sock.end(); // close_notify, no waiting for the peer's
  }
  const wall = Number(process.hrtime.bigint() - w0) / 1e9, cpu = cpuNow() - c0;
  return finish((r) => rate(w.count, wall, cpu, r.cpu_s));
}

function rate(units, wall, ccpu, scpu) {
  return JSON.stringify({ units, wall_s: wall, cpu_s: ccpu + scpu, client_cpu_s: ccpu, server_cpu_s: scpu });
}

if (process.argv[2] === '--serve') {
  serve(parse(process.argv.slice(3)));
} else {
  client(parse(process.argv.slice(2))).then((line) => {
    process.stdout.write(line + '\n');
    process.exit(0);
  }, (e) => fail(`client: ${e.code || e.message}`));
}
