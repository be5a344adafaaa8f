#!/usr/bin/env python3
"""tp_check_server_identity() must answer what Node 20's
tls.checkServerIdentity() answers, reason text included; tp_is_ip() what
net.isIP() answers; and the `subjectaltname` the library builds must be
Node's.

Certificates with many kinds of names are made here (openssl, certtool);
every hostname of a broad list is checked against every certificate, by
Node (node_identity_oracle.js, one process) and by identity_tool
(test_identity.c, our code). Nothing expected is written down here: Node's
answers are the expectation.

usage: identity_vs_node.py IDENTITY_TOOL [--keep DIR]
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

# Certificates: name -> (subject [dn] lines, subjectAltName entries or None).
CERTS = {
    'dns_mix': (['CN = cn.example.com'], [
        'DNS:example.com', 'DNS:*.example.com', 'DNS:b*z.example.net', 'DNS:*.xn--caf-dma.example',
        'DNS:xn--*.example.org', 'DNS:a.sub.example.org', 'DNS:UPPER.Example.COM', 'DNS:dot.example.com.',
        'DNS:*.com', 'DNS:f*o*.example.io', 'DNS:*bar.example.info', 'DNS:foo*.example.info',
        'DNS:*.*.wild.example', 'DNS:bad..example.com', 'DNS:xn--bcher-kva.example',
        'DNS:*.xn--bcher-kva.example', 'DNS:w*.partial.example']),
    'ip': (['CN = ip.example.com'], [
        'IP:127.0.0.1', 'IP:::1', 'IP:2001:db8::1', 'IP:::ffff:1.2.3.4', 'IP:fe80::1', 'IP:10.0.0.1',
        'IP:2001:db8:0:0:1:0:0:1', 'DNS:localhost']),
    'ip_only': (['CN = ipcn.example.com'], ['IP:192.168.1.1']),
    'cn_only': (['CN = cn-only.example.com'], None),
    'cn_wild': (['CN = *.cnwild.example.com'], None),
    'cn_multi': (['0.CN = a.multi.example', '1.CN = b.multi.example'], None),
    'no_names': (['O = No Names Ltd'], None),
    'mail_uri': (['CN = mail.example.com'], ['email:someone@example.com', 'URI:https://uri.example.com/x']),
    'cn_comma': (['CN = Comma\\, Inc'], None),
    'odd_sans': (['CN = odd.example.com'], [
        'DNS:x\\,y.example.com', 'dirName:dir_sect', 'RID:1.2.3.4',
        'otherName:1.3.6.1.5.5.7.8.5;UTF8:juliet@im.example.com', 'otherName:1.2.3.4.5;UTF8:some thing',
        'otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@realm', 'DNS:plain.example.com']),
}
DIR_SECT = ['[dir_sect]', 'C = GR', 'O = My\\, Org', 'CN = dir name']

HOSTS = [
    'example.com', 'EXAMPLE.COM', 'example.com.', 'example.com..', 'www.example.com', 'WWW.Example.Com.',
    'a.b.example.com', 'example.net', 'bz.example.net', 'baz.example.net', 'bxyz.example.net', 'b.example.net',
    'z.example.net', 'xbz.example.net', 'bzx.example.net', 'foo.xn--caf-dma.example', 'xn--*.example.org',
    'xn--abc.example.org', 'a.sub.example.org', 'a.sub.example.org.', 'upper.example.com', 'dot.example.com',
    'dot.example.com.', 'x.com', 'com', 'foo.example.io', 'fxo.example.io', 'foobar.example.info',
    'bar.example.info', 'xbar.example.info', 'foo.example.info', 'foox.example.info', 'a.b.wild.example',
    'x.wild.example', 'bad..example.com', 'xn--bcher-kva.example', 'foo.xn--bcher-kva.example',
    'www.b\u00fccher.example', 'w.partial.example', 'www.partial.example', 'partial.example',
    'cn.example.com', 'cn-only.example.com', 'CN-ONLY.example.com.', 'x.cnwild.example.com',
    'cnwild.example.com', 'a.multi.example', 'b.multi.example', 'c.multi.example', 'mail.example.com',
    'ipcn.example.com', 'ip.example.com', 'odd.example.com', 'plain.example.com', 'x,y.example.com',
    'Comma, Inc', 'comma, inc', 'localhost', 'LOCALHOST', '127.0.0.1', '::1', '0:0:0:0:0:0:0:1',
    '2001:db8::1', '2001:DB8:0::1', '2001:db8::1:0:0:1', '::ffff:1.2.3.4', '::ffff:102:304', '1.2.3.4',
    '10.0.0.1', '192.168.1.1', 'fe80::1%eth0', '127.000.000.001', '127.0.0.1.', '::1.', '', '.', '..',
    '*.example.com', '.example.com', 'dir name', 'juliet@im.example.com', 'someone@example.com',
]

IPS = [
    '', '1.2.3.4', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '255.255.255.255', '0.0.0.0', '1.2.3.04',
    ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4\n', '::', '::1', ':::', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2:3:4:5:6:7', '1::2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '::1.2.3.4', '::ffff:1.2.3.4',
    '::ffff:01.2.3.4', '1::1.2.3.4', '::1.2.3.4:5', '12345::', 'fe80::1%eth0', 'fe80::1%', 'fe80::1%a%b',
    'fe80::1%en-0.1:x', 'fe80::1%a_b', '1.2.3.4%eth0', 'g::1', '1:2:3:4:5:6:7:8%z', ':1::', '1:', ':1',
    '1:::2', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789', 'ABCD::', '::FFFF:1.2.3.4', '1::2::3', '0000:0000::',
    '00000::', '::a.2.3.4', '::1234.1.1.1', '1.2.3.4.', 'localhost',
]


def make_certs(g):
    key = g.key('idkey')
    paths = {}
    for name, (dn, sans) in CERTS.items():
        exts, sections = ['basicConstraints = critical, CA:FALSE'], []
        if sans is not None:
            exts.append('subjectAltName = @alt')
            sections = ['[alt]'] + ['%s.%d = %s' % (s.split(':', 1)[0], i, s.split(':', 1)[1])
                                    for i, s in enumerate(sans)]
            if any(s.startswith('dirName:') for s in sans):
                sections += DIR_SECT
        paths[name] = g.openssl_cert(name, None, exts, key=key, dn=dn, sections=sections)
    # A name with an apostrophe (quoted by Node though in the safe range):
    # openssl.cnf would eat the quote, certtool keeps it.
    paths['quote'] = g.cert('quote', ['cn = "quote.example.com"', 'dns_name = "q\'uote.example.com"',
                                      'dns_name = "plain.example.com"', 'expiration_days = 30'], key=key)
    HOSTS.append("q'uote.example.com")
    return paths


def ask_node(g, certs):
    req = g.path('identity.json')
    with open(req, 'w') as f:
        json.dump({'certs': certs, 'hosts': HOSTS, 'ips': IPS}, f)
    r = subprocess.run(['node', os.path.join(HERE, 'node_identity_oracle.js'), req],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.exit('node oracle failed: ' + r.stderr)
    return json.loads(r.stdout)


def hexs(s):
    return s.encode('utf-8').hex()


def unhex(h):
    return '' if h == '-' else bytes.fromhex(h).decode('utf-8', errors='replace')


def run_tool(args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit('identity_tool failed (%d): %s' % (r.returncode, r.stderr))
    return r.stdout.splitlines()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('tool')
    ap.add_argument('--keep', help='make the certificates in this directory and keep them')
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='tp_identity_') as tmp:
        g = CertGen(a.keep or tmp)
        paths = make_certs(g)
        names = list(paths)
        node = ask_node(g, [paths[n] for n in names])
        bad = total = 0

        def verdict(ok, what, want, got):
            nonlocal bad, total
            total += 1
            if not ok:
                bad += 1
                print('FAIL %s\n     node: %r\n     ours: %r' % (what, want, got))

        # net.isIP()
        lines = run_tool([a.tool, '--isip'] + [hexs(s) for s in IPS])
        for s, want, got in zip(IPS, node['ips'], lines):
            verdict(int(got) == (want != 0), 'isIP(%r)' % s, want, got)

        for name, n in zip(names, node['certs']):
            lines = run_tool([a.tool, paths[name]] + [hexs(h) for h in HOSTS])
            _, has_san, san = lines[0].split(' ')
            got_san = unhex(san) if has_san == '1' else None
            verdict(got_san == n['san'], '%s: subjectaltname' % name, n['san'], got_san)
            for host, (ok, reason), line in zip(HOSTS, n['results'], lines[1:]):
                m, text = line.split(' ')
                got = (m == '1', None if m == '1' else unhex(text))
                verdict(got == (ok, reason), '%s: checkServerIdentity(%r)' % (name, host), (ok, reason), got)
            if len(lines) != len(HOSTS) + 1:
                verdict(False, '%s: answers' % name, len(HOSTS), len(lines) - 1)
        print('%d of %d checks differ from Node' % (bad, total))
        return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
