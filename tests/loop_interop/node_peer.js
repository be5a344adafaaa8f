'use strict';
// Node's own tls, as a peer for the `tlsplug` command.
//
//   node node_peer.js server KEY CERT
//     Node's tls.createServer() echo example: 'welcome!\n', then
//     socket.pipe(socket). Listens on 127.0.0.1, port 0, and prints
//     "listening on 127.0.0.1:PORT" once bound.
//   node node_peer.js client PORT CA IN OUT
//     Node's tls.connect() example: the file IN is piped to the socket (its
//     end ends the connection), everything received goes to the file OUT.
//     A JSON line on stderr at secureConnect; exit 0 after a clean close.
//
// Bytes stay bytes (no setEncoding), so binary payloads compare exactly.
const tls = require('tls');
const fs = require('fs');

const [mode, ...args] = process.argv.slice(2);

if (mode === 'server') {
  const [key, cert] = args;
  const server = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
    (socket) => {
      console.error('server connected', socket.authorized ? 'authorized' : 'unauthorized');
      socket.write('welcome!\n');
      socket.pipe(socket);
      socket.on('error', (e) => console.error('server socket error', e.code));
    });
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening on 127.0.0.1:${server.address().port}`);
  });
} else if (mode === 'client') {
  const [port, ca, input, output] = args;
  const out = fs.createWriteStream(output);
  const socket = tls.connect({ host: '127.0.0.1', port: Number(port), servername: 'localhost',
                               ca: [fs.readFileSync(ca)] }, () => {
    console.error(JSON.stringify({ event: 'secureConnect', authorized: socket.authorized,
                                   protocol: socket.getProtocol() }));
    fs.createReadStream(input).pipe(socket);
  });
  socket.pipe(out);
  socket.on('error', (e) => { console.error('client error', e.code, e.message); process.exitCode = 1; });
  socket.on('close', (hadError) => {
    out.on('finish', () => process.exit(hadError ? 1 : (process.exitCode || 0)));
    out.end();
  });
} else {
  console.error('usage: node_peer.js server KEY CERT | client PORT CA IN OUT');
  process.exit(2);
}
