// The oracle for probes about Node's own behaviour (an HTTP request sent to
// a TLS server): Node's tls.createServer with the test PKI's certificate,
// on 127.0.0.1 and an ephemeral port. It prints "listening on 127.0.0.1:PORT"
// (what the test waits for) and, per refused client, the tlsClientError's
// code on stderr. It exits when stdin closes, so it cannot outlive the test.
'use strict';
const fs = require('fs');
const tls = require('tls');
const path = require('path');

const pki = process.env.TLSPLUG_PKI;
const server = tls.createServer({
  key: fs.readFileSync(path.join(pki, 'server.key')),
  cert: fs.readFileSync(path.join(pki, 'server-chain.pem')),
}, (socket) => {
  socket.on('data', (d) => socket.write(d));
  socket.on('error', () => {});
});
server.on('tlsClientError', (err) => console.error(`tlsClientError ${err.code}`));
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
