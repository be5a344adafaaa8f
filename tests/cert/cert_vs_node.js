'use strict';
// tlsplug's certificate objects held against Node 20's, computed in the
// same run from the same certificates:
//
//   node cert_vs_node.js GROUP CERT_DUMP WORKDIR      ($TLSPLUG_PKI: the test PKI)
//
// Client groups (peer_*, chains): a Node tls server presents a chain; a
// Node client and cert_dump's tlsplug client connect to it. tlsplug's
// getPeerCertificate([true]) must equal the Node client's; its
// getPeerCertificate() must equal the Node server's getCertificate() on the
// same connection, and its getCertificate() the Node server's
// getPeerCertificate() on the same connection. The fields of
// tlsplug_socket_peer_cert_field() must equal the presented certificates'.
// Server group: cert_dump's tlsplug server and a Node client, the other way
// round, plus a Node server with the same options for the detailed view.
// json: tlsplug_cert_to_json() against X509Certificate#toLegacyObject()
// (the same X509ToObject() that getPeerCertificate() uses) on certificates
// with unusual names, strings, serials, times and keys.
// identity: tlsplug_check_server_identity() against tls.checkServerIdentity().

const { X509Certificate } = require('crypto');
const fs = require('fs');
const path = require('path');
const tls = require('tls');

const { Certs, pemChain, run } = require('./certs');
const { decode, diff } = require('./compare');
const { nodeServer, nodeClient, runDump, dumpServer } = require('./peers');

const [group, DUMP, WORK] = process.argv.slice(2);
const PKI = process.env.TLSPLUG_PKI;
if (!group || !DUMP || !WORK || !PKI) {
  console.error('usage: TLSPLUG_PKI=dir node cert_vs_node.js GROUP CERT_DUMP WORKDIR');
  process.exit(2);
}
const certs = new Certs(WORK, PKI);
const pki = (f) => path.join(PKI, f);
const read = (f) => (f ? fs.readFileSync(f) : undefined);

let checks = 0;
const failures = [];

function fail(msg) { failures.push(msg); }

// ours: tlsplug's JSON (parsed); node: Node's object.
function same(label, ours, node) {
  checks++;
  const d = diff(decode(structuredClone(ours)), node, label);
  for (const line of d) fail(line);
}

function expect(label, got, want) {
  checks++;
  if (got !== want) fail(`${label}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

const first = (v) => (Array.isArray(v) ? v[0] : v);

// tlsplug_socket_peer_cert_field() per depth against the certificates the
// peer presented, in the order it presented them.
function sameFields(label, fields, chainFile) {
  const chain = chainFile ? pemChain(chainFile) : [];
  expect(`${label}: certificates at the peer`, fields.length, chain.length);
  chain.forEach((x, d) => {
    const o = x.toLegacyObject();
    const want = {
      SUBJECT_CN: first(o.subject.CN) ?? null,
      ISSUER_CN: first(o.issuer.CN) ?? null,
      SUBJECT_ALT_NAME: o.subjectaltname ?? null,
      SERIAL_NUMBER: o.serialNumber,
      VALID_FROM: o.valid_from,
      VALID_TO: o.valid_to,
      FINGERPRINT: o.fingerprint,
      FINGERPRINT256: o.fingerprint256,
      FINGERPRINT512: o.fingerprint512,
      RAW: o.raw.toString('hex'),
    };
    for (const [k, v] of Object.entries(want)) {
      expect(`${label}: field ${k} at depth ${d}`, fields[d] ? fields[d][k] : undefined, v);
    }
  });
}

// ---- tlsplug as the client ---------------------------------------------------

// s: the Node server's files {key, cert, ca, requestCert, maxVersion}; c: the clients'
// {ca, servername, key, cert}; noReject: tlsplug goes on when verification
// fails (Node's client always does, to have something to compare).
async function clientCase(label, s, c, { noReject = false } = {}) {
  const srv = await nodeServer({ key: read(s.key), cert: read(s.cert), ca: read(s.ca), requestCert: !!s.requestCert,
    maxVersion: s.maxVersion });
  try {
    const clientOpts = { ca: read(c.ca), servername: c.servername, key: read(c.key), cert: read(c.cert) };
    const node = await nodeClient(srv.port, clientOpts);
    const args = ['client', String(srv.port), '--ca', c.ca, '--servername', c.servername];
    if (c.key) args.push('--key', c.key, '--cert', c.cert);
    if (noReject) args.push('--no-reject');
    const ours = await runDump(DUMP, args);
    const conn = srv.conns[1]; // the tlsplug connection, as the Node server saw it
    if (!conn || conn.error) throw new Error(`${label}: the Node server saw no tlsplug connection (${conn && conn.error})`);

    same(`${label}: getPeerCertificate()`, ours.peer, node.peer);
    same(`${label}: getPeerCertificate(true)`, ours.detailed, node.detailed);
    same(`${label}: getPeerCertificate() vs the server's getCertificate() on this connection`, ours.peer, conn.own);
    same(`${label}: getCertificate() vs the server's getPeerCertificate() on this connection`, ours.own, conn.peer);
    if (s.requestCert || !c.cert) {
      // Node's getCertificate() shows a configured client certificate even
      // when the server never asked for it; tlsplug's only what was sent.
      same(`${label}: getCertificate() vs Node client's`, ours.own, node.own);
    }
    expect(`${label}: authorized`, ours.authorized, node.authorized);
    sameFields(`${label}`, ours.fields, s.cert);
  } finally {
    await srv.close();
  }
}

// ---- tlsplug as the server ---------------------------------------------------

async function serverCase(label, s, c) {
  const args = ['--key', s.key, '--cert', s.cert, '--no-reject'];
  if (s.ca) args.push('--ca', s.ca);
  if (s.requestCert) args.push('--request-cert');
  const dump = dumpServer(DUMP, args);
  const clientOpts = { ca: read(c.ca), servername: c.servername, key: read(c.key), cert: read(c.cert) };
  const [n, o] = await Promise.allSettled([dump.port.then((port) => nodeClient(port, clientOpts)), dump.result]);
  if (o.status === 'rejected') throw o.reason; // cert_dump's own message says more
  if (n.status === 'rejected') throw n.reason;
  const node = n.value;
  const ours = o.value;

  // A Node server with the same options, for the server's own view.
  const ref = await nodeServer({ key: read(s.key), cert: read(s.cert), ca: read(s.ca), requestCert: !!s.requestCert });
  try {
    await nodeClient(ref.port, clientOpts);
  } finally {
    await ref.close();
  }
  const conn = ref.conns[0];
  if (!conn || conn.error) throw new Error(`${label}: the reference Node server failed (${conn && conn.error})`);

  same(`${label}: server getCertificate() vs the client's getPeerCertificate() on this connection`, ours.own, node.peer);
  same(`${label}: server getCertificate() vs Node server's`, ours.own, conn.own);
  same(`${label}: server getPeerCertificate() vs Node server's`, ours.peer, conn.peer);
  same(`${label}: server getPeerCertificate(true) vs Node server's`, ours.detailed, conn.detailed);
  if (s.requestCert) {
    same(`${label}: server getPeerCertificate() vs the client's getCertificate() on this connection`, ours.peer, node.own);
  }
  expect(`${label}: authorized`, ours.authorized, conn.authorized);
  sameFields(`${label}`, ours.fields, s.requestCert ? c.cert : null);
}

// ---- groups ------------------------------------------------------------------

const CA = pki('ca.pem');
const INT = { cert: pki('int.pem'), key: pki('int.key') };
const SERVER = { key: pki('server.key'), cert: pki('server-chain.pem') };
const CLIENT = { ca: CA, servername: 'localhost' };

const groups = {
  async peer_rsa() {
    await clientCase('RSA leaf + intermediate', SERVER, CLIENT);
    await clientCase('RSA, client certificate', { ...SERVER, ca: CA, requestCert: true },
      { ...CLIENT, key: pki('client.key'), cert: pki('client-chain.pem') });
    await clientCase('RSA, client certificate not asked for', SERVER,
      { ...CLIENT, key: pki('client.key'), cert: pki('client-chain.pem') });
    await clientCase('RSA, client certificate, TLS 1.2', { ...SERVER, ca: CA, requestCert: true, maxVersion: 'TLSv1.2' },
      { ...CLIENT, key: pki('client.key'), cert: pki('client-chain.pem') });
  },

  async peer_ec() {
    await clientCase('ECDSA P-256 leaf', { key: pki('server-ec.key'), cert: pki('server-ec-chain.pem') }, CLIENT);
  },

  // Names, extensions and keys beyond the usual, presented over TLS.
  async peer_rich() {
    const rich = certs.openssl('rich', {
      key: certs.key('rich', 'ec384'),
      subj: '/C=DE/O=Org One/O=Org Two/OU=Ops+OU=Web/CN=rich.test/emailAddress=admin@rich.test' +
        '/GN=Ann/SN=Lee/jurisdictionC=FR/privateAttr=custom/CN=second.rich.test/OU=Dev',
      oids: ['privateAttr = 1.3.6.1.4.1.55555.1.2'],
      issuer: INT,
      serial: '0x00ff00ff',
      exts: [
        'subjectAltName = DNS:rich.test, IP:2001:db8::1:0:0:1, IP:::1, IP:10.1.2.3, ' +
          'email:ops@rich.test, URI:https://rich.test/a?b=c',
        'authorityInfoAccess = OCSP;URI:http://ocsp.rich.test/, OCSP;URI:http://ocsp2.rich.test/, ' +
          'caIssuers;URI:http://ca.rich.test/int.der',
        'extendedKeyUsage = serverAuth, clientAuth, emailProtection, 1.2.3.4.5.6',
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = digitalSignature',
      ],
    });
    await clientCase('multi-valued RDNs, AIA, SANs, EKU (P-384)',
      { key: certs.path('rich.key'), cert: certs.concat('rich-chain.pem', [rich, INT.cert]) },
      { ca: CA, servername: 'rich.test' });

    const e3 = certs.openssl('rsa3', {
      key: certs.key('rsa3', 'rsa3072e3'),
      subj: '/CN=rsa3.test/O=Exponent Three',
      issuer: INT,
      exts: ['subjectAltName = DNS:rsa3.test', 'authorityInfoAccess = @aia'],
      sections: ['[aia]', 'caIssuers;URI.0 = http://ca.test/x,y.der', "OCSP;URI.1 = http://o.test/'q'"],
    });
    await clientCase('RSA 3072, exponent 3',
      { key: certs.path('rsa3.key'), cert: certs.concat('rsa3-chain.pem', [e3, INT.cert]) },
      { ca: CA, servername: 'rsa3.test' });

    // Teletex, BMP and UTF-8 outside the BMP, over TLS (the fields too).
    const t61 = certs.openssl('t61', {
      subj: '/CN=café.test/O=10€ shop/OU=𝄞 clef',
      mask: 'default',
      issuer: INT,
    });
    await clientCase('Teletex, BMPString and UTF8String names',
      { key: certs.path('t61.key'), cert: certs.concat('t61-chain.pem', [t61, INT.cert]) },
      { ca: CA, servername: 'localhost' }, { noReject: true });

    const p521 = certs.openssl('p521', {
      key: certs.key('p521', 'ec521'),
      subj: '/CN=p521.test',
      issuer: INT,
      exts: ['subjectAltName = DNS:p521.test'],
    });
    await clientCase('ECDSA P-521',
      { key: certs.path('p521.key'), cert: certs.concat('p521-chain.pem', [p521, INT.cert]) },
      { ca: CA, servername: 'p521.test' });
  },

  // getPeerCertificate(true): the presented chain, then the trust store.
  async chains() {
    await clientCase('self-signed leaf', { key: pki('self.key'), cert: pki('self.pem') },
      { ca: pki('self.pem'), servername: 'localhost' });
    await clientCase('leaf, intermediate and root presented',
      { key: SERVER.key, cert: certs.concat('full.pem', [pki('server.pem'), INT.cert, CA]) }, CLIENT);
    await clientCase('presented out of order, with a stranger',
      { key: SERVER.key, cert: certs.concat('mixed.pem', [pki('server.pem'), pki('other-ca.pem'), INT.cert]) },
      CLIENT, { noReject: true });
    await clientCase('untrusted root presented', { key: pki('untrusted.key'), cert: pki('untrusted-chain.pem') },
      CLIENT, { noReject: true });
    await clientCase('trust store without the issuer', SERVER, { ...CLIENT, ca: pki('other-ca.pem') },
      { noReject: true });
    await clientCase('leaf alone, intermediate missing', { key: SERVER.key, cert: pki('server.pem') }, CLIENT,
      { noReject: true });
    await clientCase('leaf alone, the store has the intermediate', { key: SERVER.key, cert: pki('server.pem') },
      { ...CLIENT, ca: certs.concat('ca-int.pem', [CA, INT.cert]) });
    await clientCase('expired leaf', { key: pki('expired.key'), cert: pki('expired-chain.pem') }, CLIENT,
      { noReject: true });
  },

  async server() {
    const CLIENT_CERT = { key: pki('client.key'), cert: pki('client-chain.pem') };
    await serverCase('no client certificate', { ...SERVER, ca: CA, requestCert: true }, CLIENT);
    await serverCase('client certificate', { ...SERVER, ca: CA, requestCert: true }, { ...CLIENT, ...CLIENT_CERT });
    await serverCase('client certificate not asked for', SERVER, { ...CLIENT, ...CLIENT_CERT });
    await serverCase('ECDSA server, self-signed client certificate',
      { key: pki('server-ec.key'), cert: pki('server-ec-chain.pem'), ca: CA, requestCert: true },
      { ...CLIENT, key: pki('self.key'), cert: pki('self.pem') });
  },

  async json() {
    const files = [];
    const add = (f, label) => files.push({ file: f.endsWith('.der') ? f : certs.der(f), label: label || path.basename(f) });
    for (const f of ['ca', 'int', 'server', 'server-ec', 'client', 'self', 'expired', 'future', 'wronghost',
      'other-ca', 'untrusted']) add(pki(`${f}.pem`));

    // Every attribute type OpenSSL names in the arcs names use.
    const names = run('openssl', ['list', '-objects']).toString().split('\n')
      .map((l) => /^(\S+) = (?:.*, )?([0-9.]+)$/.exec(l))
      .filter((m) => m && /^(2\.5\.4|1\.2\.840\.113549\.1\.9|0\.9\.2342\.19200300\.100\.1|1\.3\.6\.1\.4\.1\.311\.60\.2\.1|1\.3\.6\.1\.5\.5\.7\.9)\.\d+$|^(1\.2\.643\.3\.131\.1\.1|1\.2\.643\.100\.[135]|1\.3\.6\.1\.4\.1\.311\.20\.2\.3)$/.test(m[2]))
      .map((m) => m[1]);
    if (names.length < 100) throw new Error(`only ${names.length} attribute names from openssl`);
    const value = { C: 'DE', jurisdictionC: 'FR', c3: 'DEU', n3: '276', INN: '1234567890', OGRN: '1234567890123',
      SNILS: '12345678901', OGRNIP: '123456789012345' };
    add(certs.openssl('all-names', { subj: names.map((n) => `/${n}=${value[n] || `v-${n}`}`).join('') }),
      `${names.length} attribute types`);

    // String types: Teletex (Latin-1), BMP, UTF-8 outside the BMP, and
    // PrintableString with bytes OpenSSL reads as Latin-1.
    const strings = certs.openssl('strings', {
      subj: '/CN=café/O=10€ shop/OU=plainMARK/L=𝄞 clef/ST=quote" back\\\\slash',
      mask: 'default',
    });
    add(strings);
    add(certs.patch(certs.der(strings), 'latin1', Buffer.from('plainMARK'), Buffer.from('p\xe9\x00\x1f\x7f"\\,K', 'latin1'), 1),
      'PrintableString with Latin-1 and control bytes');
    add(certs.patch(certs.der(strings), 'latin1-utf8', Buffer.from('plainMARK'), Buffer.from('\xc3\xa9plainMA', 'latin1'), 1),
      'PrintableString whose bytes look like UTF-8');
    // UniversalString (openssl makes none): UTF8String "WXYZ" rewritten
    // as the UCS-4 of U+1D11E, in the issuer and the subject.
    const utf8wxyz = Buffer.from([0x0c, 0x04, 0x57, 0x58, 0x59, 0x5a]);
    const univ = Buffer.from([0x1c, 0x04, 0x00, 0x01, 0xd1, 0x1e]);
    const u1 = certs.patch(certs.der(certs.openssl('universal', { subj: '/CN=univ/O=WXYZ' })), 'universal1', utf8wxyz, univ);
    add(certs.patch(u1, 'universal', utf8wxyz, univ), 'UniversalString');
    add(certs.openssl('empty-subject', { subj: '/', exts: ['subjectAltName = critical, DNS:empty.test'] }));

    // Serial numbers: leading zero bytes, the sign bit, zero, negative, long.
    for (const [n, serial] of [['serial-1', 1], ['serial-0abc', '0x0abc'], ['serial-ff', '0xff'], ['serial-0', 0],
      ['serial-neg', -5], ['serial-neg-big', '-0x8000'], ['serial-long', '0x8f0102030405060708090a0b0c0d0e0f10111213']]) {
      add(certs.openssl(n, { subj: `/CN=${n}`, serial }));
    }

    // Times: UTCTime before 2000, GeneralizedTime from 2050, 9999, a day < 10.
    add(certs.certtool('times-old', { lines: ['cn = old', 'activation_date = "1999-03-04 05:06:07 UTC"',
      'expiration_date = "2051-01-05 01:02:03 UTC"'] }));
    add(certs.certtool('times-forever', { lines: ['cn = forever', 'expiration_days = -1'] }));

    // Keys: RSA 1024, RSA-PSS and Ed25519 (no key fields in Node), P-384.
    add(certs.openssl('rsa1024', { key: certs.key('rsa1024', 'rsa1024'), subj: '/CN=rsa1024' }));
    add(certs.openssl('rsapss', { key: certs.key('rsapss', 'rsapss'), subj: '/CN=pss' }));
    add(certs.openssl('ed25519', { key: certs.key('ed25519', 'ed25519'), subj: '/CN=ed' }));
    add(certs.openssl('p384', { key: certs.key('p384', 'ec384'), subj: '/CN=p384' }));

    // `ca`: basicConstraints and keyUsage together.
    add(certs.openssl('ca-ku-sign', { subj: '/CN=a', exts: ['basicConstraints = CA:TRUE', 'keyUsage = keyCertSign'] }));
    add(certs.openssl('ca-ku-nosign', { subj: '/CN=b', exts: ['basicConstraints = CA:TRUE', 'keyUsage = digitalSignature'] }));
    add(certs.openssl('ca-no-ku', { subj: '/CN=c', exts: ['basicConstraints = CA:TRUE'] }));
    add(certs.openssl('ca-false', { subj: '/CN=d', exts: ['basicConstraints = CA:FALSE', 'keyUsage = keyCertSign'] }));
    add(certs.openssl('no-bc', { subj: '/CN=e', exts: ['keyUsage = keyCertSign'] }));

    // Access descriptions of every method OpenSSL names, and other names.
    add(certs.openssl('aia', {
      subj: '/CN=aia',
      exts: ['authorityInfoAccess = @aia'],
      sections: ['[aia]', 'OCSP;URI.0 = http://o/', 'caIssuers;URI.1 = http://c/a,b', 'caRepository;URI.2 = http://r/',
        'ad_timestamping;IP.3 = 1.2.3.4', 'AD_DVCS;DNS.4 = dvcs.test', '1.2.3.4;email.5 = x@y.test',
        'OCSP;IP.6 = ::1', 'caIssuers;RID.7 = 1.2.3.4.5', 'caIssuers;URI.8 = http://c/2',
        'caIssuers;URI.9 = http://c/"quoted"\\back'],
    }));
    add(certs.openssl('eku-any', { subj: '/CN=eku', exts: ['extendedKeyUsage = anyExtendedKeyUsage, codeSigning, 1.3.6.1.4.1.99.1'] }));

    const ours = await runDump(DUMP, ['json', ...files.map((f) => f.file)]);
    expect('cert_to_json: one answer per file', ours.length, files.length);
    files.forEach((f, i) => {
      const node = new X509Certificate(fs.readFileSync(f.file)).toLegacyObject();
      same(`cert_to_json(${f.label})`, ours[i], node);
    });

    // Invalid UTF-8 in a UTF8String: OpenSSL refuses the certificate, so
    // Node has no answer; tlsplug's rule (certobj.h) keeps each bad byte as
    // the code point of its value.
    const bad = certs.patch(certs.der(certs.openssl('badutf8', { subj: '/CN=xMARKx' })), 'badutf8',
      Buffer.from('MARK'), Buffer.from([0xff, 0xc3, 0xa9, 0xc3]), 1);
    checks++;
    let refused = false;
    try { new X509Certificate(fs.readFileSync(bad)); } catch { refused = true; }
    if (!refused) fail('Node parsed a certificate with invalid UTF-8; update this case');
    const [badOurs] = await runDump(DUMP, ['json', bad]);
    expect('invalid UTF-8: subject.CN', badOurs.subject && badOurs.subject.CN, 'x\u00ffé\u00c3x');
  },

  async identity() {
    const wild = certs.openssl('wild', {
      subj: '/CN=cn.example.com',
      exts: ['subjectAltName = DNS:*.example.com, DNS:b*z.example.org, DNS:xn--*.example.net, IP:10.0.0.1'],
    });
    const cnOnly = certs.openssl('cn-only', { subj: '/CN=cn.example.com/CN=second.example.com' });
    const ipOnly = certs.openssl('ip-only', { subj: '/CN=ip', exts: ['subjectAltName = IP:127.0.0.1, IP:::1'] });
    const cases = [
      [pki('server.pem'), ['localhost', 'LOCALHOST', 'server.test', 'server.test.', 'other.test', '127.0.0.1',
        '::1', '127.0.0.2', '0:0:0:0:0:0:0:1']],
      [pki('wronghost.pem'), ['localhost', 'other.test']],
      [wild, ['a.example.com', 'a.b.example.com', 'example.com', 'baz.example.org', 'bz.example.org',
        'xn--a.example.net', 'cn.example.com', '10.0.0.1', '10.0.0.2']],
      [cnOnly, ['cn.example.com', 'second.example.com', 'other.example.com']],
      [ipOnly, ['127.0.0.1', 'localhost', '::2']],
    ];
    for (const [pem, hosts] of cases) {
      const der = certs.der(pem, `id-${path.basename(pem, '.pem')}`);
      const cert = new X509Certificate(fs.readFileSync(der)).toLegacyObject();
      const ours = await runDump(DUMP, ['identity', der, ...hosts]);
      hosts.forEach((host, i) => {
        const err = tls.checkServerIdentity(host, cert);
        const label = `checkServerIdentity(${JSON.stringify(host)}, ${path.basename(pem)})`;
        expect(`${label} status`, ours[i].status, err ? 'TLSPLUG_E_VERIFY' : 'TLSPLUG_OK');
        expect(`${label} reason`, ours[i].reason, err ? err.reason : null);
      });
    }
  },
};

async function main() {
  const fn = groups[group];
  if (!fn) throw new Error(`unknown group ${group}; known: ${Object.keys(groups).join(' ')}`);
  await fn();
  if (checks === 0) throw new Error('nothing was checked');
  for (const f of failures) console.error(`FAIL ${f}`);
  console.log(`cert_${group}: ${checks} checks, ${failures.length} failures`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((e) => {
  console.error(`cert_${group}: ${e.stack || e}`);
  process.exitCode = 1;
});
