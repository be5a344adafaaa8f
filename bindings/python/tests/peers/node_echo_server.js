// A Node tls echo server for the Python binding's interop tests.
// argv: pkiDir. Prints "PORT <n>" once listening on 127.0.0.1; every
// connection gets "<alpn>|<servername>|" first, then its data echoed.
// Exits after the first connection closes (or after 20 s, bounded).
'use strict';
const tls = require('tls');
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const server = tls.createServer({
  key: fs.readFileSync(path.join(dir, 'server.key')),
  cert: fs.readFileSync(path.join(dir, 'server-chain.pem')),
  ALPNProtocols: ['h2', 'http/1.1'],
}, (sock) => {
  sock.write(`${sock.alpnProtocol || '-'}|${sock.servername || '-'}|`);
  sock.pipe(sock);
  sock.on('close', () => server.close());
});
server.on('tlsClientError', (e) => { console.error('tlsClientError', e.code); server.close(); });
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
setTimeout(() => process.exit(3), 20000).unref();
