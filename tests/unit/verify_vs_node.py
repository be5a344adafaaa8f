#!/usr/bin/env python3
"""tp_verify_chain() must give Node 20's authorized/authorizationError.

For each case of a certificate matrix, Node itself (node_verify_oracle.js, one
process for all cases, real handshakes on 127.0.0.1) says what `authorized`
and `authorizationError` are; verify_tool (test_verify.c, our library code)
must print the same code and OpenSSL's message for it.

usage: verify_vs_node.py VERIFY_TOOL [--keep DIR] [--node-only]
env:   TLSPLUG_PKI  the tests/support/make_pki.sh output
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from certgen import CertGen  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LEAF = ['signing_key', 'encryption_key', 'tls_www_server', 'dns_name = "localhost"']
CA = ['ca', 'cert_signing_key', 'crl_signing_key', 'expiration_days = 3650']
PAST = ['activation_date = "2020-01-01 00:00:00 UTC"', 'expiration_date = "2021-01-01 00:00:00 UTC"']
SECLEVEL0 = 'DEFAULT@SECLEVEL=0'
FUTURE = ['activation_date = "2090-01-01 00:00:00 UTC"', 'expiration_date = "2091-01-01 00:00:00 UTC"']


def make_extra(g, pki):
    """Certificates make_pki.sh does not have; answers a dict of paths."""
    p = lambda n: os.path.join(pki, n)  # noqa: E731
    ca, int_ = (p('ca.pem'), p('ca.key')), (p('int.pem'), p('int.key'))
    x = {}
    lk = g.key('leafkey')  # leaves may share a key; CAs may not
    x['leafkey'] = lk

    def leaf(name, issuer, extra=(), base=LEAF, **kw):
        x[name] = g.cert(name, ['cn = "%s"' % name] + list(base) + ['expiration_days = 365'] + list(extra),
                         issuer=issuer, key=lk, **kw)
        return (x[name], lk)

    def ca_cert(name, issuer, lines=CA, **kw):
        x[name] = g.cert(name, ['cn = "tlsplug %s"' % name] + list(lines), issuer=issuer, **kw)
        return (x[name], g.path(name + '.key'))

    # An intermediate that expired, one not yet valid, and leaves under them.
    expint = ca_cert('expint', ca, ['ca', 'cert_signing_key', 'crl_signing_key'] + PAST)
    leaf('leaf_expint', expint)
    futint = ca_cert('futint', ca, ['ca', 'cert_signing_key', 'crl_signing_key'] + FUTURE)
    leaf('leaf_futint', futint)
    # A root that expired, with an intermediate and a leaf under it.
    exproot = ca_cert('exproot', None, ['ca', 'cert_signing_key', 'crl_signing_key'] + PAST)
    exproot_int = ca_cert('exproot_int', exproot)
    leaf('leaf_exproot', exproot_int)
    # Self-signed leaves: expired, and a plain one reused below.
    x['self_expired'] = g.cert('self_expired', ['cn = "localhost"'] + LEAF + PAST, key=lk)
    # Bad signatures: the leaf's, and the intermediate's.
    x['badsig'] = g.corrupt_signature(p('server.pem'), 'badsig.pem')
    x['badint'] = g.corrupt_signature(p('int.pem'), 'badint.pem')
    # Basic constraints, key usage and path length.
    notca = ca_cert('notca', ca, ['signing_key', 'encryption_key', 'expiration_days = 3650'])
    leaf('leaf_notca', notca)
    nosign = ca_cert('nosign', ca, ['ca', 'signing_key', 'crl_signing_key', 'expiration_days = 3650'])
    leaf('leaf_nosign', nosign)
    plroot = ca_cert('plroot', None, CA + ['path_len = 0'])
    plint = ca_cert('plint', plroot)
    leaf('leaf_pl', plint)
    leaf('leaf_pl_direct', plroot)
    # Purposes.
    leaf('clientonly', int_, base=['signing_key', 'encryption_key', 'tls_www_client'])
    leaf('serveronly', int_, base=['signing_key', 'encryption_key', 'tls_www_server'])
    leaf('noeku', int_, base=['signing_key', 'encryption_key'])
    # SHA-1 signatures (too weak for OpenSSL 3.0 at security level 1), in a
    # leaf under the intermediate and in a trusted self-signed leaf.
    leaf('leaf_sha1', int_, hash_alg='SHA1')
    x['self_sha1'] = g.cert('self_sha1', ['cn = "localhost"'] + LEAF + ['expiration_days = 30'], key=lk,
                            hash_alg='SHA1')
    # Exact extensions (openssl): a leaf whose key usage allows no TLS use,
    # one whose only EKU is anyExtendedKeyUsage, an issuer that is not a CA
    # and has no key usage, and one with no basic constraints.
    def ossl_leaf(name, issuer, exts):
        x[name] = g.openssl_cert(name, name, ['basicConstraints = critical, CA:FALSE',
                                              'subjectAltName = DNS:localhost'] + exts, issuer=issuer, key=lk)
    ossl_leaf('ku_nonrep', int_, ['keyUsage = critical, nonRepudiation', 'extendedKeyUsage = serverAuth'])
    ossl_leaf('anyeku', int_, ['extendedKeyUsage = anyExtendedKeyUsage'])
    ossl_leaf('critext', int_, ['1.2.3.4.5.6 = critical, ASN1:UTF8String:unknown'])
    x['notca_noku'] = g.openssl_cert('notca_noku', 'notca_noku', ['basicConstraints = critical, CA:FALSE'],
                                     issuer=ca, days=3650)
    ossl_leaf('leaf_notca_noku', (x['notca_noku'], g.path('notca_noku.key')), [])
    x['nobc'] = g.openssl_cert('nobc', 'nobc', ['keyUsage = critical, keyCertSign, cRLSign'], issuer=ca, days=3650)
    ossl_leaf('leaf_nobc', (x['nobc'], g.path('nobc.key')), [])
    # Direct under the root (chain of one below a trust anchor).
    leaf('leaf_root', ca)

    # CRLs: by the intermediate (revoking server.pem, or empty), by the root
    # (empty, or revoking the intermediate), expired, not yet valid, and one
    # whose signature is broken.
    x['crl_int_rev'] = g.crl('int_rev', int_, revoked=[p('server.pem'), p('expired.pem')])
    x['crl_int'] = g.crl('int', int_)
    x['crl_root'] = g.crl('root', ca)
    x['crl_root_rev'] = g.crl('root_rev', ca, revoked=[p('int.pem')])
    x['crl_int_old'] = g.crl('int_old', int_, lines=['crl_this_update_date = "2020-01-01 00:00:00 UTC"',
                                                     'crl_next_update_date = "2021-01-01 00:00:00 UTC"'])
    x['crl_int_new'] = g.crl('int_new', int_, lines=['crl_this_update_date = "2090-01-01 00:00:00 UTC"',
                                                     'crl_next_update_date = "2091-01-01 00:00:00 UTC"'])
    x['crl_int_bad'] = g.corrupt_signature(x['crl_int'], 'int_bad.crl.pem')
    x['crl_other'] = g.crl('other', (p('other-ca.pem'), p('other-ca.key')))
    return x


def cases(g, pki, x):
    p = lambda n: os.path.join(pki, n)  # noqa: E731
    cat = g.concat
    server = (p('server.key'), p('server-chain.pem'))
    lk = x['leafkey']
    out = []

    def case(name, key, chain, ca, crl=(), role='server', present_ciphers=None):
        c = {'name': name, 'role': role, 'peer_key': key, 'peer_chain': chain, 'ca': list(ca), 'crl': list(crl),
             'server_key': server[0], 'server_chain': server[1], 'present_ciphers': present_ciphers}
        out.append(c)

    ca, int_, other = p('ca.pem'), p('int.pem'), p('other-ca.pem')
    crls = [x['crl_int'], x['crl_root']]
    # Chains from make_pki.sh.
    case('valid chain', *server, [ca])
    case('valid ECDSA chain', p('server-ec.key'), p('server-ec-chain.pem'), [ca])
    case('valid chain, root sent too', p('server.key'), cat('full.pem', [p('server.pem'), int_, ca]), [ca])
    case('valid chain, sent out of order', p('server.key'), cat('rev.pem', [p('server.pem'), ca, int_]), [ca])
    case('leaf only, intermediate missing', p('server.key'), p('server.pem'), [ca])
    case('leaf only, intermediate trusted', p('server.key'), p('server.pem'), [ca, int_])
    case('expired leaf', p('expired.key'), p('expired-chain.pem'), [ca])
    case('not-yet-valid leaf', p('future.key'), p('future-chain.pem'), [ca])
    case('self-signed leaf', p('self.key'), p('self.pem'), [ca])
    case('self-signed leaf, trusted', p('self.key'), p('self.pem'), [p('self.pem')])
    case('untrusted root sent in chain', p('untrusted.key'), p('untrusted-chain.pem'), [ca])
    case('untrusted leaf, root not sent', p('untrusted.key'), p('untrusted.pem'), [ca])
    case('chain to an unknown root', *server, [other])
    case('partial chain: intermediate trusted only', *server, [int_])
    case('partial chain, root sent too', p('server.key'), cat('full2.pem', [p('server.pem'), int_, ca]), [int_])
    case('leaf itself trusted', p('server.key'), p('server.pem'), [p('server.pem')])
    case('leaf itself trusted, chain sent', *server, [p('server.pem')])
    case('wrong-host leaf (no hostname check)', p('wronghost.key'), p('wronghost-chain.pem'), [ca])
    # Extra certificates.
    case('expired intermediate', lk, cat('c_expint.pem', [x['leaf_expint'], x['expint']]), [ca])
    case('expired intermediate, unknown root', lk, cat('c_expint2.pem', [x['leaf_expint'], x['expint']]), [other])
    case('not-yet-valid intermediate', lk, cat('c_futint.pem', [x['leaf_futint'], x['futint']]), [ca])
    case('expired trusted root', lk, cat('c_exproot.pem', [x['leaf_exproot'], x['exproot_int']]), [x['exproot']])
    case('expired self-signed leaf', lk, x['self_expired'], [ca])
    case('expired self-signed leaf, trusted', lk, x['self_expired'], [x['self_expired']])
    case('expired leaf, intermediate missing', p('expired.key'), p('expired.pem'), [ca])
    case('bad leaf signature', p('server.key'), cat('c_badsig.pem', [x['badsig'], int_]), [ca])
    case('bad leaf signature, issuer unknown', p('server.key'), x['badsig'], [ca])
    case('bad intermediate signature', p('server.key'), cat('c_badint.pem', [p('server.pem'), x['badint']]), [ca])
    case('issuer is not a CA', lk, cat('c_notca.pem', [x['leaf_notca'], x['notca']]), [ca])
    case('issuer lacks keyCertSign', lk, cat('c_nosign.pem', [x['leaf_nosign'], x['nosign']]), [ca])
    case('path length exceeded', lk, cat('c_pl.pem', [x['leaf_pl'], x['plint']]), [x['plroot']])
    case('path length 0, leaf under root', lk, x['leaf_pl_direct'], [x['plroot']])
    case('non-CA issuer without key usage', lk, cat('c_notca2.pem', [x['leaf_notca_noku'], x['notca_noku']]), [ca])
    case('issuer without basic constraints', lk, cat('c_nobc.pem', [x['leaf_nobc'], x['nobc']]), [ca])
    case('nonRepudiation-only key usage as server', lk, cat('c_kunr.pem', [x['ku_nonrep'], int_]), [ca])
    case('anyExtendedKeyUsage-only as server', lk, cat('c_anyeku.pem', [x['anyeku'], int_]), [ca])
    case('leaf directly under the root', lk, x['leaf_root'], [ca])
    case('client-only EKU as server', lk, cat('c_co.pem', [x['clientonly'], int_]), [ca])
    case('no EKU as server', lk, cat('c_noeku.pem', [x['noeku'], int_]), [ca])
    case('SHA-1 signed leaf', lk, cat('c_sha1.pem', [x['leaf_sha1'], int_]), [ca], present_ciphers=SECLEVEL0)
    case('SHA-1 signed leaf, self-signed and trusted', lk, x['self_sha1'], [x['self_sha1']],
         present_ciphers=SECLEVEL0)
    case('unknown critical extension in the leaf', lk, cat('c_crit.pem', [x['critext'], int_]), [ca])
    # CRLs (Node's `crl` option means CRL_CHECK_ALL).
    case('CRLs for all, good chain', *server, [ca], crls)
    case('revoked leaf', *server, [ca], [x['crl_int_rev'], x['crl_root']])
    case('revoked leaf, no root CRL', *server, [ca], [x['crl_int_rev']])
    case('good chain, no root CRL', *server, [ca], [x['crl_int']])
    case('good chain, no intermediate CRL', *server, [ca], [x['crl_root']])
    case('revoked intermediate', *server, [ca], [x['crl_int'], x['crl_root_rev']])
    case('revoked intermediate, no leaf CRL', *server, [ca], [x['crl_root_rev']])
    case('expired and revoked leaf', p('expired.key'), p('expired-chain.pem'), [ca], [x['crl_int_rev'], x['crl_root']])
    case('expired CRL', *server, [ca], [x['crl_int_old'], x['crl_root']])
    case('not-yet-valid CRL', *server, [ca], [x['crl_int_new'], x['crl_root']])
    case('CRL with a bad signature', *server, [ca], [x['crl_int_bad'], x['crl_root']])
    case('CRL from an unrelated CA only', *server, [ca], [x['crl_other']])
    case('untrusted chain with CRLs', p('untrusted.key'), p('untrusted-chain.pem'), [ca], crls)
    case('self-signed leaf with CRLs', p('self.key'), p('self.pem'), [ca], crls)
    case('self-signed leaf, trusted, with CRLs', p('self.key'), p('self.pem'), [p('self.pem')], crls)
    case('partial chain with CRLs', *server, [int_], crls)
    # The server verifying a client (purpose ssl_client).
    case('client: valid chain', p('client.key'), p('client-chain.pem'), [ca], role='client')
    case('client: no certificate', None, None, [ca], role='client')
    case('client: self-signed', p('self.key'), p('self.pem'), [ca], role='client')
    case('client: server-only EKU', lk, cat('c_so.pem', [x['serveronly'], int_]), [ca], role='client')
    case('client: expired', p('expired.key'), p('expired-chain.pem'), [ca], role='client')
    return out


def ask_node(g, case_list):
    path = g.path('cases.json')
    with open(path, 'w') as f:
        json.dump(case_list, f)
    r = subprocess.run(['node', os.path.join(HERE, 'node_verify_oracle.js'), path],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit('node oracle failed: ' + r.stderr)
    res = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    if len(res) != len(case_list):
        sys.exit('node oracle answered %d of %d cases: %s' % (len(res), len(case_list), r.stderr))
    return res


def ask_tool(g, tool, c, i, api):
    ca = g.concat('ca.%d.pem' % i, c['ca'])
    chain = c['peer_chain'] or g.concat('empty.%d.pem' % i, [])
    purpose = '--purpose=' + ('client' if c['role'] == 'client' else 'server')
    r = subprocess.run([tool, purpose, '--api=' + api, ca, chain] + c['crl'], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        return {'error': 'verify_tool exit %d: %s' % (r.returncode, r.stderr.strip())}
    # "1" or "0 CODE MESSAGE..."
    parts = r.stdout.strip().split(' ', 2)
    return {'authorized': parts[0] == '1', 'code': parts[1] if len(parts) > 1 else None,
            'message': parts[2] if len(parts) > 2 else None}


def plain_applies(node_code):
    """tp_verify_chain() (verify.h) knows no purpose and no CRL list, so it
    must match Node except where Node's answer comes from those."""
    return node_code != 'INVALID_PURPOSE' and node_code != 'UNABLE_TO_GET_CRL' and \
        not (node_code or '').startswith('CRL_')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('tool')
    ap.add_argument('--keep', help='make the certificates in this directory and keep them')
    ap.add_argument('--node-only', action='store_true', help="print Node's answers only")
    a = ap.parse_args()
    pki = os.environ.get('TLSPLUG_PKI')
    if not pki or not os.path.isfile(os.path.join(pki, 'ca.pem')):
        sys.exit('TLSPLUG_PKI must name the make_pki.sh output')
    with tempfile.TemporaryDirectory(prefix='tp_verify_') as tmp:
        g = CertGen(a.keep or tmp)
        case_list = cases(g, pki, make_extra(g, pki))
        node = ask_node(g, case_list)
        bad = total = 0
        for i, (c, n) in enumerate(zip(case_list, node)):
            if 'error' in n:
                print('FAIL %-45s node could not run the case: %s' % (c['name'], n['error']))
                bad += 1
                total += 1
                continue
            want = (n['authorized'], n['code'], n['message'])
            if a.node_only:
                print('%-45s %s' % (c['name'], want))
                continue
            for api in ('ex', 'plain') if plain_applies(n['code']) else ('ex',):
                t = ask_tool(g, a.tool, c, i, api)
                got = (t.get('authorized'), t.get('code'), t.get('message'))
                ok = 'error' not in t and got == want
                bad += not ok
                total += 1
                print('%s [%-5s] %-45s node=%s%s' % ('ok  ' if ok else 'FAIL', api, c['name'], want,
                                                    '' if ok else ' ours=%s' % (t.get('error') or (got,))))
        print('%d of %d answers (%d cases) differ from Node' % (bad, total, len(case_list)))
        return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
