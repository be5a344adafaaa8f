'use strict';
// Test certificates made at test time (nothing committed can expire), with
// the openssl and certtool command-line tools, into one directory.

const { execFileSync } = require('child_process');
const { X509Certificate } = require('crypto');
const fs = require('fs');
const path = require('path');

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr ? e.stderr.toString() : e.message}`);
  }
}

class Certs {
  constructor(dir, pki) {
    this.dir = dir;
    this.pki = pki;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }

  path(name) { return path.join(this.dir, name); }
  pkiPath(name) { return path.join(this.pki, name); }

  // NAME.key of a kind: ec256 ec384 ec521 rsa1024 rsa2048 rsa3072e3 ed25519 rsapss.
  key(name, kind = 'ec256') {
    const out = this.path(`${name}.key`);
    const opts = {
      ec256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      ec384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      ec521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
      rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
      rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      rsa3072e3: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072', '-pkeyopt', 'rsa_keygen_pubexp:3'],
      ed25519: ['-algorithm', 'ED25519'],
      rsapss: ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
    }[kind];
    if (!opts) throw new Error(`unknown key kind ${kind}`);
    run('openssl', ['genpkey', ...opts, '-out', out]);
    return out;
  }

  // NAME.pem from `openssl req -x509`: subject `subj` (multi-valued RDNs
  // with '+', UTF-8), extensions `exts` (openssl.cnf lines), signed by
  // `issuer` ({cert, key} files) or self-signed. `mask` is the string_mask;
  // `oids` adds [new_oids] lines (name = dotted OID); `sections` are more
  // openssl.cnf lines (sections that `exts` refer to with @name).
  openssl(name, { key, subj, exts = [], sections = [], issuer, days = 30, serial, mask = 'utf8only', oids = [] }) {
    key = key || this.key(name);
    const cfg = this.path(`${name}.cnf`);
    fs.writeFileSync(cfg, [
      'oid_section = new_oids', '[new_oids]', ...oids,
      '[req]', 'distinguished_name = dn', 'x509_extensions = ext', `string_mask = ${mask}`,
      '[dn]', '[ext]', ...exts, ...sections, '',
    ].join('\n'));
    const out = this.path(`${name}.pem`);
    const args = ['req', '-x509', '-new', '-key', key, '-config', cfg, '-utf8', '-multivalue-rdn',
      '-subj', subj, '-days', String(days), '-out', out];
    if (serial !== undefined) args.push('-set_serial', String(serial));
    if (issuer) args.push('-CA', issuer.cert, '-CAkey', issuer.key);
    run('openssl', args);
    return out;
  }

  // NAME.pem from certtool with template `lines`, signed by `issuer` or
  // self-signed.
  certtool(name, { key, lines, issuer }) {
    key = key || this.key(name);
    const tmpl = this.path(`${name}.tmpl`);
    fs.writeFileSync(tmpl, `${lines.join('\n')}\n`);
    const out = this.path(`${name}.pem`);
    const args = ['--load-privkey', key, '--template', tmpl, '--outfile', out];
    if (issuer) {
      run('certtool', ['--generate-certificate', '--load-ca-certificate', issuer.cert,
        '--load-ca-privkey', issuer.key, ...args]);
    } else {
      run('certtool', ['--generate-self-signed', ...args]);
    }
    return out;
  }

  // The PEM files' contents, concatenated into NAME.
  concat(name, files) {
    const out = this.path(name);
    fs.writeFileSync(out, Buffer.concat(files.map((f) => fs.readFileSync(f))));
    return out;
  }

  // The first certificate of a PEM file as DER, written to NAME.der.
  der(pemFile, name = path.basename(pemFile, '.pem')) {
    const out = this.path(`${name}.der`);
    fs.writeFileSync(out, new X509Certificate(fs.readFileSync(pemFile)).raw);
    return out;
  }

  // DER with the nth (0-based) occurrence of `from` replaced by `to` of the
  // same length: the signature no longer verifies, which neither GnuTLS nor
  // OpenSSL checks when parsing.
  patch(derFile, name, from, to, nth = 0) {
    const d = Buffer.from(fs.readFileSync(derFile));
    if (from.length !== to.length) throw new Error('patch must keep the length');
    let at = -1;
    for (let i = 0; i <= nth; i++) {
      at = d.indexOf(from, at + 1);
      if (at < 0) throw new Error(`patch: occurrence ${nth} of ${from} not in ${derFile}`);
    }
    to.copy(d, at);
    const out = this.path(`${name}.der`);
    fs.writeFileSync(out, d);
    return out;
  }
}

// Every certificate of a PEM file, as X509Certificate objects, in order.
function pemChain(file) {
  const text = fs.readFileSync(file, 'latin1');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) || [];
  return blocks.map((b) => new X509Certificate(b));
}

module.exports = { Certs, pemChain, run };
