'use strict';
// Node's own tls.createServer() echo server (the example in Node's tls
// docs), as an interop peer for the C echo_client. Kept close to the
// example; the differences serve the tests:
//   - no setEncoding: the echo is byte for byte, binary payloads included;
//   - it listens on 127.0.0.1 port 0 and prints "listening on ADDR:PORT";
//   - it serves one connection and exits when that closes (1 if it failed);
//   - errors go to stderr as "error CODE message".
//
// usage: node node_echo_server.js --key F --cert F [--ca F]
//          [--request-cert 1] [--min-version V] [--max-version V] [--timeout S]
const tls = require('tls');
const fs = require('fs');

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length)
      throw new Error(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const options = {
  key: fs.readFileSync(args.key),
  cert: fs.readFileSync(args.cert),
};
if (args.ca) options.ca = [fs.readFileSync(args.ca)];
if (args['request-cert'] === '1') options.requestCert = true;
if (args['min-version']) options.minVersion = args['min-version'];
if (args['max-version']) options.maxVersion = args['max-version'];

const server = tls.createServer(options, (socket) => {
  console.log('server connected',
              socket.authorized ? 'authorized' : 'unauthorized');
  console.log('server protocol', socket.getProtocol());
  socket.write('welcome!\n');
  socket.pipe(socket);
  socket.on('error', (err) => {
    console.error('error', err.code, err.message);
    process.exitCode = 1;
  });
});
// --once: the first connection is the only one.
server.once('connection', () => server.close());
server.on('tlsClientError', (err) => {
  console.error('error', err.code, err.message);
  process.exitCode = 1;
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});

setTimeout(() => {
  console.error('error ETIMEDOUT the test did not finish in time');
  process.exit(3);
}, 1000 * Number(args.timeout || 60)).unref();
