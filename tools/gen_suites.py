#!/usr/bin/env python3
"""Generate src/policy/suites_table.h and src/policy/ciphers_table.c from GnuTLS and OpenSSL.

src/policy/suites_table.h holds the cipher suites both GnuTLS and OpenSSL know;
src/policy/ciphers_table.c (written by gen_ciphers_table.py, next to this file)
holds every suite OpenSSL knows with the attributes the cipher-string
evaluator needs. This file does the first and drives both.

GnuTLS negotiates suites by their 2-byte id but has no OpenSSL names, and
Node reports OpenSSL's name (`name`) and the IANA name (`standardName`). This
development-time tool joins, by id:

  * GnuTLS's suite list, read by a tiny C program compiled on the fly that
    loops gnutls_cipher_suite_info(); a suite is kept only when this GnuTLS
    build offers its key exchange, cipher and MAC (so it can negotiate it);
  * OpenSSL's list, from `openssl ciphers -V -stdname` over every suite it
    has (ALL:COMPLEMENTOFALL at @SECLEVEL=0, plus all five TLS 1.3 suites).

Suites OpenSSL does not know (GOST, SRP, some PSK and CAMELLIA-GCM ones) are
left out rather than given invented names: tp_suite_by_id() answers NULL for
them, as src/policy/suites.h documents. For TLS 1.3 suites the `openssl` field is
the IANA name, which is what OpenSSL (and so Node) reports.

  python3 tools/gen_suites.py           write both files
  python3 tools/gen_suites.py --check   exit 1 when a committed file differs

Standard library only. Needs a C compiler, pkg-config, libgnutls28-dev and
the openssl CLI; the output depends on their versions, which it records.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections import namedtuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "policy", "suites_table.h")

TLS13 = ("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
         "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")
# @SECLEVEL=0 so that no suite is hidden by the system's security level.
OPENSSL_ALL = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"

# Prints one line per GnuTLS suite:
#   "id0 id1 available minver kx cipher mac no13 gnutls_name"
# `available` is 1 when the kx, cipher and MAC are all in this build's lists;
# minver is the gnutls_protocol_t below which GnuTLS refuses the suite; no13
# is 1 when enabling one of its keywords turns TLS 1.3 off.
LISTER_C = r"""
#include <gnutls/gnutls.h>
#include <stdio.h>

static int in_list(const int *list, int v)
{
    for (; *list; list++)
        if (*list == v)
            return 1;
    return 0;
}

/* Does naming this keyword in a priority string turn TLS 1.3 off? (GnuTLS
 * drops TLS 1.3 when SRP or RSA-PSK key exchange or the NULL cipher is
 * enabled.) */
static int kills_tls13(const char *keyword)
{
    char prio[256];
    snprintf(prio, sizeof prio, "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+ECDHE-RSA:+AES-128-GCM:+AEAD:+%s:"
             "+SIGN-ALL:+GROUP-ALL:+COMP-NULL:+CTYPE-X509", keyword);
    gnutls_priority_t p;
    if (gnutls_priority_init2(&p, prio, NULL, 0) < 0)
        return 1;
    const unsigned *list;
    int n = gnutls_priority_protocol_list(p, &list), has13 = 0;
    for (int i = 0; i < n; i++)
        has13 |= list[i] == GNUTLS_TLS1_3;
    gnutls_priority_deinit(p);
    return !has13;
}

int main(void)
{
    unsigned char id[2];
    gnutls_kx_algorithm_t kx;
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
    gnutls_protocol_t minver;
    const char *name;
    printf("version %s\n", gnutls_check_version(NULL));
    for (size_t i = 0; (name = gnutls_cipher_suite_info(i, id, &kx, &cipher, &mac, &minver)); i++) {
        /* TLS 1.3 suites carry no key exchange (kx 0): it is negotiated apart. */
        int ok = (kx == 0 || in_list((const int *)gnutls_kx_list(), (int)kx)) &&
                 in_list((const int *)gnutls_cipher_list(), (int)cipher) &&
                 (mac == GNUTLS_MAC_AEAD || in_list((const int *)gnutls_mac_list(), (int)mac));
        /* kx is "-" for TLS 1.3 suites; names are GnuTLS's priority keywords */
        printf("%u %u %d %d %s %s %s %d %s\n", id[0], id[1], ok, (int)minver,
               kx ? gnutls_kx_get_name(kx) : "-", gnutls_cipher_get_name(cipher),
               gnutls_mac_get_name(mac),
               (kx && kills_tls13(gnutls_kx_get_name(kx))) ||
                   kills_tls13(gnutls_cipher_get_name(cipher)) || kills_tls13(gnutls_mac_get_name(mac)),
               name);
    }
    return 0;
}
"""


# One GnuTLS suite: its name, lowest version, priority keywords (kx is None
# for TLS 1.3 suites, which carry no key exchange), and whether one of its
# keywords turns TLS 1.3 off.
GSuite = namedtuple("GSuite", "name minver kx cipher mac no13")


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def gnutls_suites():
    """{(id0, id1): GSuite} for the suites this GnuTLS can negotiate."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        sys.exit("gen_suites: no C compiler (set CC)")
    flags = run(["pkg-config", "--cflags", "--libs", "gnutls"]).split()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "lister.c")
        exe = os.path.join(tmp, "lister")
        with open(src, "w") as f:
            f.write(LISTER_C)
        run([cc, "-std=c11", "-o", exe, src] + flags)
        lines = run([exe]).splitlines()
    version = lines[0].split()[1]
    suites = {}
    for line in lines[1:]:
        id0, id1, ok, minver, kx, cipher, mac, no13, name = line.split()
        if ok == "1":
            suites[(int(id0), int(id1))] = GSuite(name, int(minver), None if kx == "-" else kx,
                                                  cipher, mac, no13 == "1")
    return version, suites


# "          0xC0,0x2F - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=..."
LINE = re.compile(r"^\s*0x([0-9A-Fa-f]{2}),0x([0-9A-Fa-f]{2}) - (\S+)\s+- (\S+)\s+(\S+)")


def openssl_suites():
    """{(id0, id1): (openssl_name, iana_name, protocol)} for every OpenSSL suite."""
    version = run(["openssl", "version"]).split()[1]
    out = run(["openssl", "ciphers", "-V", "-stdname", "-ciphersuites", TLS13, OPENSSL_ALL])
    suites = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            sys.exit(f"gen_suites: cannot parse openssl output line: {line!r}")
        suites[(int(m.group(1), 16), int(m.group(2), 16))] = (m.group(4), m.group(3), m.group(5))
    return version, suites


def render(gnutls_version, gnutls, openssl_version, openssl):
    rows = []
    for sid in sorted(set(gnutls) & set(openssl)):
        ossl, iana, proto = openssl[sid]
        if proto == "TLSv1.3":
            ossl = iana  # Node's getCipher().name is the IANA name for TLS 1.3
        # Node's getCipher().version is OpenSSL's SSL_CIPHER_get_version(): the
        # suite's minimum protocol, which spells TLS 1.0 "TLSv1.0" (where
        # `openssl ciphers` and getProtocol() say "TLSv1").
        version = "TLSv1.0" if proto == "TLSv1" else proto
        rows.append(f'    {{ {{ 0x{sid[0]:02X}, 0x{sid[1]:02X} }}, "{ossl}", "{iana}", "{version}" }},'
                    f' /* {gnutls[sid].name} */')
    left_out = sorted(set(gnutls) - set(openssl))
    head = [
        "/* Generated by tools/gen_suites.py from `gnutls_cipher_suite_info()` joined",
        f" * with `openssl ciphers -V -stdname` (GnuTLS {gnutls_version}, OpenSSL {openssl_version}).",
        " * Do not edit by hand: run python3 tools/gen_suites.py.",
        " *",
        " * Every suite this GnuTLS can negotiate that OpenSSL also knows, sorted by",
        " * id for tp_suite_by_id()'s binary search. The comment is GnuTLS's name.",
        f" * Left out, unknown to OpenSSL ({len(left_out)}):",
    ] + textwrap.wrap(" ".join(gnutls[s].name for s in left_out), 74,
                      initial_indent=" *   ", subsequent_indent=" *   ") + [
        " */",
        "#ifndef TLSPLUG_SUITES_TABLE_H",
        "#define TLSPLUG_SUITES_TABLE_H",
        "",
        '#include "suites.h"',
        "",
        "static const tp_suite tp_suites[] = {",
    ]
    tail = ["};", "", "#endif", ""]
    return "\n".join(head + rows + tail)


def update(path, text, check):
    """Write `text` to `path` (or, with check, compare); answers 1 when stale."""
    rel = os.path.relpath(path, ROOT)
    try:
        with open(path, encoding="utf-8") as f:
            current = f.read()
    except FileNotFoundError:
        current = None
    if current == text:
        return 0
    if check:
        print(f"{rel} is stale: run python3 tools/gen_suites.py", file=sys.stderr)
        return 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {rel}")
    return 0


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gen_ciphers_table  # the evaluator's table, from the same inputs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a generated file would change")
    args = ap.parse_args()
    gv, gnutls = gnutls_suites()
    ov, openssl = openssl_suites()
    stale = update(OUT, render(gv, gnutls, ov, openssl), args.check)
    stale |= update(gen_ciphers_table.OUT, gen_ciphers_table.render(gv, gnutls, ov), args.check)
    return stale


if __name__ == "__main__":
    sys.exit(main())
