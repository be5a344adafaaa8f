// A Node tls client for the Python binding's interop tests.
// argv: pkiDir port servername alpn(comma list or '-') message.
// Prints one JSON line: {authorized, alpn, protocol, echoed} and exits.
'use strict';
const tls = require('tls');
const fs = require('fs');
const path = require('path');
const [dir, port, servername, alpn, message] = process.argv.slice(2);
const opts = { host: '127.0.0.1', port: Number(port), ca: fs.readFileSync(path.join(dir, 'ca.pem')), servername };
if (alpn !== '-') opts.ALPNProtocols = alpn.split(',');
let protocol = null;
const sock = tls.connect(opts, () => { protocol = sock.getProtocol(); sock.end(message); });
let echoed = '';
sock.setEncoding('utf8');
sock.on('data', (d) => { echoed += d; });
sock.on('error', (e) => { console.log(JSON.stringify({ error: e.code || e.message })); process.exit(1); });
sock.on('close', () => {
  console.log(JSON.stringify({ authorized: sock.authorized, alpn: sock.alpnProtocol,
    protocol, echoed }));
});
setTimeout(() => process.exit(3), 15000).unref();
