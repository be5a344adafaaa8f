// Node's tls client for the fleet tests: connects to each port in turn
// (argv: CA PORT...), offering the latest session it was given (the
// 'session' event), and prints one "PORT resumed=yes|no" line per
// connection.
const tls = require('tls');
const fs = require('fs');

const ca = fs.readFileSync(process.argv[2]);
const ports = process.argv.slice(3).map(Number);
let session;

function one(i) {
  if (i === ports.length) return;
  const sock = tls.connect({port: ports[i], host: '127.0.0.1', ca, servername: 'localhost',
                            minVersion: 'TLSv1.3', session});
  sock.on('session', (s) => { session = s; });
  sock.on('data', (d) => {
    if (!d.toString().includes('welcome!')) return;
    console.log(`${ports[i]} resumed=${sock.isSessionReused() ? 'yes' : 'no'}`);
    sock.end();
  });
  sock.on('close', () => one(i + 1));
  sock.on('error', (e) => console.log(`${ports[i]} error ${e.code}`));
}
one(0);
