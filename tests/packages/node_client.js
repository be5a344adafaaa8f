// tests/packages: Node's tls.connect() against the packaged `tlsplug server`
// (echo mode): prints one JSON line with what Node saw, then ends.
'use strict';
const tls = require('tls');
const fs = require('fs');
const [port, ca] = process.argv.slice(2);
const socket = tls.connect({ port: Number(port), host: '127.0.0.1', servername: 'localhost',
                             ca: fs.readFileSync(ca) }, () => {
  let got = '';
  socket.on('data', (d) => {
    got += d;
    if (got.includes('ping\n')) {
      console.log(JSON.stringify({ authorized: socket.authorized, protocol: socket.getProtocol(),
                                   got }));
      socket.end();
    }
  });
  socket.write('ping\n');
});
socket.setTimeout(10000, () => { console.error('timeout'); process.exit(1); });
socket.on('error', (e) => { console.error(e.message); process.exit(1); });
