'use strict';
// Hold tlsplug's certificate objects (JSON) against Node's objects.
//
// tlsplug writes bytes as base64 and the root's circular issuerCertificate
// as the string "[Circular]" (JSON can say neither); decode() turns them
// back into Buffers and the self-reference, then diff() compares with
// Node's object: the same keys in the same order, the same values, Buffers
// byte for byte, and a circular reference exactly where Node has one.

function decode(obj) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  for (const k of ['raw', 'pubkey']) {
    if (typeof obj[k] !== 'string') continue;
    const b = Buffer.from(obj[k], 'base64');
    if (b.toString('base64') !== obj[k]) throw new Error(`${k} is not canonical base64: ${obj[k]}`);
    obj[k] = b;
  }
  if (obj.issuerCertificate === '[Circular]') obj.issuerCertificate = obj;
  else decode(obj.issuerCertificate);
  return obj;
}

function show(v) {
  if (Buffer.isBuffer(v)) return `<${v.length} bytes ${v.toString('hex').slice(0, 32)}...>`;
  if (typeof v === 'object' && v !== null) return '[object]';
  return JSON.stringify(v);
}

// Keys whose value is undefined do not exist for JSON.
function keys(o) {
  return Object.keys(o).filter((k) => o[k] !== undefined);
}

function diff(ours, node, path = 'cert', stackOurs = [], stackNode = [], out = []) {
  if (Buffer.isBuffer(node)) {
    if (!Buffer.isBuffer(ours) || !ours.equals(node)) out.push(`${path}: ${show(ours)} != Node's ${show(node)}`);
    return out;
  }
  if (node === null || typeof node !== 'object') {
    if (ours !== node) out.push(`${path}: ${show(ours)} != Node's ${show(node)}`);
    return out;
  }
  const seen = stackNode.indexOf(node);
  if (seen >= 0) {
    if (stackOurs[seen] !== ours) out.push(`${path}: Node has a circular reference here, tlsplug ${show(ours)}`);
    return out;
  }
  if (ours === null || typeof ours !== 'object' || Array.isArray(ours) !== Array.isArray(node) ||
      Buffer.isBuffer(ours)) {
    out.push(`${path}: ${show(ours)} != Node's ${Array.isArray(node) ? 'array' : 'object'}`);
    return out;
  }
  const ko = keys(ours), kn = keys(node);
  if (ko.join('\n') !== kn.join('\n')) out.push(`${path}: keys [${ko}] != Node's [${kn}]`);
  for (const k of kn) {
    if (Object.prototype.hasOwnProperty.call(ours, k)) {
      diff(ours[k], node[k], `${path}.${k}`, [...stackOurs, ours], [...stackNode, node], out);
    }
  }
  return out;
}

module.exports = { decode, diff };
