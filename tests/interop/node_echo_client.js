'use strict';
// Node's own tls.connect() echo client (the example in Node's tls docs), as
// an interop peer for the C echo_server. Kept close to the example; the
// differences serve the tests:
//   - no setEncoding: bytes stay bytes, so a random binary payload can be
//     compared, and they go to stdout unchanged (not console.log'd);
//   - events go to stderr as JSON lines the test can parse;
//   - exit status 0 after a clean close, 1 after an error, 3 on timeout.
//
// usage: node node_echo_client.js --port N [--ca F] [--key F --cert F]
//          [--min-version V] [--max-version V] [--servername N] [--timeout S]
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
const report = (obj) => process.stderr.write(JSON.stringify(obj) + '\n');

const options = {
  host: '127.0.0.1',
  port: Number(args.port),
  servername: args.servername || 'localhost',
};
if (args.ca) options.ca = [fs.readFileSync(args.ca)];
if (args.key) options.key = fs.readFileSync(args.key);
if (args.cert) options.cert = fs.readFileSync(args.cert);
if (args['min-version']) options.minVersion = args['min-version'];
if (args['max-version']) options.maxVersion = args['max-version'];

const socket = tls.connect(options, () => {
  report({
    event: 'secureConnect',
    authorized: socket.authorized,
    authorizationError: socket.authorizationError || null,
    protocol: socket.getProtocol(),
    cipher: socket.getCipher().name,
  });
  process.stdin.pipe(socket);
  process.stdin.resume();
});
socket.on('data', (data) => process.stdout.write(data));
socket.on('end', () => report({ event: 'end' }));
socket.on('error', (err) => {
  report({ event: 'error', code: err.code || null, message: err.message });
  process.exitCode = 1;
});
socket.on('close', (hadError) => {
  report({ event: 'close', hadError });
  if (hadError) process.exitCode = 1;
  process.stdin.destroy(); // nothing more to send; let the process exit
});

// Bounded: a test must never hang on a peer that does not answer.
setTimeout(() => {
  report({ event: 'timeout' });
  process.exit(3);
}, 1000 * Number(args.timeout || 60)).unref();
