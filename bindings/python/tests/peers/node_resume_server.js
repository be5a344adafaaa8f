// A Node tls server for resumption tests. argv: pkiDir, maxVersion, count.
// Prints "PORT <n>" once listening on 127.0.0.1; each connection gets
// "<isSessionReused()>|" and its data echoed; exits after `count`
// connections closed (or after 20 s, bounded).
'use strict';
const tls = require('tls');
const fs = require('fs');
const path = require('path');
const [dir, maxVersion, count] = process.argv.slice(2);
let left = Number(count);
const server = tls.createServer({
  key: fs.readFileSync(path.join(dir, 'server.key')),
  cert: fs.readFileSync(path.join(dir, 'server-chain.pem')),
  maxVersion,
}, (sock) => {
  sock.write(`${sock.isSessionReused()}|`);
  sock.pipe(sock);
  sock.on('close', () => { if (--left === 0) server.close(); });
});
server.on('tlsClientError', (e) => { console.error('tlsClientError', e.code); server.close(); });
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
setTimeout(() => process.exit(3), 20000).unref();
