"""Write src/policy/ciphers_table.c: the table tlsplug's OpenSSL cipher-string
evaluator (src/policy/ciphers_eval.c) works on. Run through tools/gen_suites.py.

Node's `ciphers` option is an OpenSSL cipher string. GnuTLS has nothing like
it, so tlsplug evaluates the string itself, the way OpenSSL 3.0 does, over
every TLS suite OpenSSL knows -- including those GnuTLS cannot negotiate,
so that what a string selects, in which order, and whether it is an error,
are OpenSSL's -- and negotiates only the selected suites GnuTLS has.

For each suite the table records, all read from the tools themselves:

  * OpenSSL's algorithms (key exchange, authentication, encryption, MAC),
    the protocol version it came with and its strength in bits, from the
    columns of `openssl ciphers -V -stdname`;
  * its strength class (HIGH, MEDIUM, LOW), and whether it is FIPS approved
    or left out of DEFAULT, as membership of those aliases;
  * its place in OpenSSL's default order (default_order() says how);
  * GnuTLS's priority keywords and lowest version, when GnuTLS can
    negotiate it, and whether one of those keywords turns TLS 1.3 off in a
    priority string (from gen_suites.py's gnutls_cipher_suite_info()
    lister).

Rows: the TLS <= 1.2 suites in OpenSSL's default order, then the TLS 1.3
suites, then the two signalling values OpenSSL accepts by name in a TLS 1.3
list (SSL_CTX_set_ciphersuites takes any IANA name it knows).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "src", "policy", "ciphers_table.c")

TLS13 = ("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
         "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256")
SCSVS = "TLS_EMPTY_RENEGOTIATION_INFO_SCSV:TLS_FALLBACK_SCSV"

# Suites OpenSSL 3.0 has compiled in but disables without a provider it
# does not load (SEED, IDEA): it never lists them, yet accepts their
# standard names in a TLS 1.3 list (without error, adding nothing). Which
# of these candidates it knows is asked below; the rest are dropped. (The
# CLI's OpenSSL also knows two GOST 2001 names this way; Node's own
# OpenSSL, the spec, is built without GOST and refuses them, so they are
# not candidates.)
DISABLED_CANDIDATES = """TLS_RSA_WITH_SEED_CBC_SHA TLS_DH_DSS_WITH_SEED_CBC_SHA
TLS_DH_RSA_WITH_SEED_CBC_SHA TLS_DHE_DSS_WITH_SEED_CBC_SHA TLS_DHE_RSA_WITH_SEED_CBC_SHA
TLS_DH_anon_WITH_SEED_CBC_SHA TLS_RSA_WITH_IDEA_CBC_SHA""".split()


# Every alias OpenSSL 3.0's rule language has and this OpenSSL enables (the
# GOST, RC4, RC2, IDEA, SEED ones are disabled without their providers and
# behave as unknown names). Used here only to learn the default order;
# src/policy/ciphers_eval.c has the same list with the aliases' meanings, and the
# tests check each one against `openssl ciphers`.
ALIASES = """ALL COMPLEMENTOFALL COMPLEMENTOFDEFAULT kRSA kEDH kDHE DH kEECDH kECDHE ECDH
kPSK kRSAPSK kECDHEPSK kDHEPSK kSRP aRSA aDSS DSS aNULL aECDSA ECDSA aPSK aSRP
EDH DHE EECDH ECDHE NULL RSA ADH AECDH PSK SRP 3DES eNULL AES128 AES256 AES
AESGCM AESCCM AESCCM8 CAMELLIA128 CAMELLIA256 CAMELLIA CHACHA20 ARIA ARIAGCM
ARIA128 ARIA256 CBC MD5 SHA1 SHA SHA256 SHA384 SSLv3 TLSv1 TLSv1.0 TLSv1.2
LOW MEDIUM HIGH FIPS""".split()

# `openssl ciphers -V -stdname` column text -> the evaluator's bit names.
KX = {"RSA": "TP_kRSA", "DH": "TP_kDHE", "ECDH": "TP_kECDHE", "PSK": "TP_kPSK",
      "RSAPSK": "TP_kRSAPSK", "DHEPSK": "TP_kDHEPSK", "ECDHEPSK": "TP_kECDHEPSK",
      "SRP": "TP_kSRP", "any": "TP_kANY"}
AU = {"RSA": "TP_aRSA", "DSS": "TP_aDSS", "None": "TP_aNULL", "ECDSA": "TP_aECDSA",
      "PSK": "TP_aPSK", "SRP": "TP_aSRP", "any": "TP_aANY"}
ENC = {"AES(128)": "TP_eAES128", "AES(256)": "TP_eAES256",
       "AESGCM(128)": "TP_eAES128GCM", "AESGCM(256)": "TP_eAES256GCM",
       "AESCCM(128)": "TP_eAES128CCM", "AESCCM(256)": "TP_eAES256CCM",
       "AESCCM8(128)": "TP_eAES128CCM8", "AESCCM8(256)": "TP_eAES256CCM8",
       "Camellia(128)": "TP_eCAMELLIA128", "Camellia(256)": "TP_eCAMELLIA256",
       "ARIAGCM(128)": "TP_eARIA128GCM", "ARIAGCM(256)": "TP_eARIA256GCM",
       "CHACHA20/POLY1305(256)": "TP_eCHACHA20POLY1305", "None": "TP_eNULL",
       "3DES(168)": "TP_e3DES"}
MAC = {"MD5": "TP_mMD5", "SHA1": "TP_mSHA1", "SHA256": "TP_mSHA256", "SHA384": "TP_mSHA384",
       "AEAD": "TP_mAEAD"}
VERSION = {"SSLv3": "TP_SSL3", "TLSv1": "TP_TLS1", "TLSv1.2": "TP_TLS1_2", "TLSv1.3": "TP_TLS1_3",
           "unknown": "0"}
GNUTLS_VERSION = {1: "GNUTLS_SSL3", 2: "GNUTLS_TLS1_0", 3: "GNUTLS_TLS1_1", 4: "GNUTLS_TLS1_2",
                  5: "GNUTLS_TLS1_3"}

LINE = re.compile(r"^\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+- (\S+)\s+(\S+)\s+"
                  r"Kx=(\S+)\s+Au=(\S+)\s+Enc=(\S+)\s+Mac=(\S+)\s*$")


def ciphers(rules, suites=None):
    """`openssl ciphers -V -stdname` output as parsed rows, [] when OpenSSL
    answers "no cipher match". @SECLEVEL=0: the level does not filter this
    listing in OpenSSL 3.0, but it is said so that no configuration can."""
    argv = ["openssl", "ciphers", "-V", "-stdname"]
    if suites is not None:
        argv += ["-ciphersuites", suites]
    p = subprocess.run(argv + [rules + ":@SECLEVEL=0"], capture_output=True, text=True)
    if p.returncode != 0:
        if "no cipher match" in p.stderr:
            return []
        sys.exit(f"gen_ciphers_table: openssl ciphers {rules!r} failed: {p.stderr}")
    rows = []
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            sys.exit(f"gen_ciphers_table: cannot parse openssl output line: {line!r}")
        rows.append(((int(m.group(1), 16), int(m.group(2), 16)),) + m.groups()[2:])
    return rows


def ids(rules):
    return [r[0] for r in ciphers(rules) if r[3] != "TLSv1.3"]


def default_order(every):
    """OpenSSL's default order of the TLS <= 1.2 suites.

    Before reading a cipher string OpenSSL sorts all its suites (ECDHE first,
    AEAD first, by strength, ...), starting from its compiled-in table order,
    which the CLI cannot show. Any rule is a set of suites described by one
    alias (or an intersection of aliases, a subset of one), and every rule
    keeps the relative order of the suites it moves, so the default order of
    two suites matters only when one alias holds both. `openssl ciphers
    ALIAS` lists exactly an alias's suites in default order: the order of
    every such pair is known from those runs. ALL (everything but eNULL)
    orders all non-null suites; the rest come from the other aliases. A
    topological sort of these chains (ties broken by the ALL:COMPLEMENTOFALL
    order) is an order that agrees with OpenSSL's on every pair that can
    ever matter.
    """
    chains = [ids("ALL:COMPLEMENTOFALL")] + [ids(a) for a in ALIASES]
    tiebreak = {sid: i for i, sid in enumerate(chains[0])}
    if set(tiebreak) != set(every):
        sys.exit("gen_ciphers_table: ALL:COMPLEMENTOFALL is not every suite")
    after = {sid: set() for sid in every}
    before = {sid: 0 for sid in every}
    for chain in chains[1:]:
        for a, b in zip(chain, chain[1:]):
            if b not in after[a]:
                after[a].add(b)
                before[b] += 1
    order = []
    ready = sorted((sid for sid in every if before[sid] == 0), key=tiebreak.get)
    while ready:
        sid = ready.pop(0)
        order.append(sid)
        for b in after[sid]:
            before[b] -= 1
            if before[b] == 0:
                ready.append(b)
        ready.sort(key=tiebreak.get)
    if len(order) != len(every):
        sys.exit("gen_ciphers_table: the alias listings contradict each other")
    return order


def strength(sid, enc, classes):
    if enc == "None":
        return "TP_STRONG_NONE"  # OpenSSL's eNULL suites; no alias selects on it
    flags = [name for name, members in classes if sid in members]
    if not any(f in ("TP_LOW", "TP_MEDIUM", "TP_HIGH") for f in flags):
        sys.exit(f"gen_ciphers_table: suite {sid} is in no strength class")
    return " | ".join(flags)


def bits(enc):
    """OpenSSL's strength_bits: the key size, 112 for 3DES, 0 for none."""
    if enc == "None":
        return 0
    if enc == "3DES(168)":
        return 112
    return int(re.search(r"\((\d+)\)$", enc).group(1))


def row(r, classes, gnutls):
    sid, iana, name, version, kx, au, enc, mac = r
    for table, key in ((KX, kx), (AU, au), (ENC, enc), (MAC, mac), (VERSION, version)):
        if key not in table and not (version == "unknown" and key in ("any", "unknown")):
            sys.exit(f"gen_ciphers_table: {name}: unknown attribute {key!r}: update the maps")
    if version == "unknown":  # a signalling value: no algorithms at all
        attrs = "0, 0, 0, 0, 0, 0, 0"
    elif version == "TLSv1.3":  # no alias selects them: no strength class
        attrs = f"{KX[kx]}, {AU[au]}, {ENC[enc]}, {MAC[mac]}, TP_TLS1_3, 0, {bits(enc)}"
    else:
        attrs = (f"{KX[kx]}, {AU[au]}, {ENC[enc]}, {MAC[mac]}, {VERSION[version]}, "
                 f"{strength(sid, enc, classes)}, {bits(enc)}")
    if version == "TLSv1.3":
        name = iana  # what OpenSSL (and Node) call a TLS 1.3 suite
    g = gnutls.get(sid)
    if g is None:
        tail = "NULL, NULL, NULL, 0, 0"
    else:
        kx_kw = "NULL" if g.kx is None else f'"{g.kx}"'
        tail = f'{kx_kw}, "{g.cipher}", "{g.mac}", {GNUTLS_VERSION[g.minver]}, {int(g.no13)}'
    return f'    {{{{0x{sid[0]:02X}, 0x{sid[1]:02X}}}, "{name}", "{iana}", {attrs}, {tail}}},'


def disabled_names():
    """The candidates OpenSSL accepts in a TLS 1.3 list yet never lists."""
    known = []
    for name in DISABLED_CANDIDATES:
        rows = ciphers("NULL-MD5", name)  # [] when OpenSSL does not know the name
        if [r[2] for r in rows] == ["NULL-MD5"]:
            known.append(name)
    return known


def render(gnutls_version, gnutls, openssl_version):
    every12 = [r for r in ciphers("ALL:COMPLEMENTOFALL") if r[3] != "TLSv1.3"]
    by_id = {r[0]: r for r in every12}
    tls13 = [r for r in ciphers("NULL-MD5", TLS13) if r[3] == "TLSv1.3"]
    scsvs = [r for r in ciphers("NULL-MD5", SCSVS) if r[3] == "unknown"]
    if len(tls13) != 5 or len(scsvs) != 2:
        sys.exit("gen_ciphers_table: expected 5 TLS 1.3 suites and 2 signalling values")
    classes = [(flag, set(ids(alias))) for flag, alias in
               (("TP_LOW", "LOW"), ("TP_MEDIUM", "MEDIUM"), ("TP_HIGH", "HIGH"),
                ("TP_FIPS", "FIPS"), ("TP_NOT_DEFAULT", "COMPLEMENTOFDEFAULT"))]
    order = default_order(list(by_id))
    rows = [row(by_id[sid], classes, gnutls) for sid in order]
    rows += [row(r, classes, gnutls) for r in sorted(tls13)]
    rows += [row(r, classes, gnutls) for r in scsvs]
    n12, n = len(order), len(rows)
    negotiable = sum(1 for r in every12 + tls13 if r[0] in gnutls)
    head = f"""/* Generated by tools/gen_suites.py (gen_ciphers_table.py) from
 * `openssl ciphers -V -stdname` (OpenSSL {openssl_version}) and
 * gnutls_cipher_suite_info() (GnuTLS {gnutls_version}).
 * Do not edit by hand: run python3 tools/gen_suites.py.
 *
 * Every suite OpenSSL knows ({n12} TLS <= 1.2 in its default order, then
 * {len(tls13)} TLS 1.3, then 2 signalling values); {negotiable} of the suites GnuTLS can
 * negotiate: those have its priority keywords (kx, cipher, MAC) and the
 * lowest version it allows. Fields: see tp_cs in ciphers_int.h.
 */
#include "ciphers_int.h"

const tp_cs tp_cs_table[] = {{
"""
    disabled = disabled_names()
    tail = f"""}};

/* Names OpenSSL accepts in a TLS 1.3 list for suites it has disabled. */
const char *const tp_cs_disabled[] = {{
""" + "".join(f'    "{d}",\n' for d in disabled) + f"""}};
const unsigned tp_cs_ndisabled = {len(disabled)};

const unsigned tp_cs_n12 = {n12};
const unsigned tp_cs_n13 = {len(tls13)};
const unsigned tp_cs_n = {n};
_Static_assert(sizeof tp_cs_table / sizeof tp_cs_table[0] == {n}, "row count");
_Static_assert({n} <= TP_CS_MAX, "raise TP_CS_MAX");
"""
    return head + "\n".join(rows) + "\n" + tail
