#!/usr/bin/env python3
"""The crypto floor: GnuTLS's primitives beside OpenSSL's on this machine.

    tests/bench/crypto_floor.py --bindir BUILD/tests/bench [--seconds S]

Runs crypto_floor (GnuTLS: nettle and GMP, per CPU-second) and
`openssl speed` (OpenSSL's assembly, which Node, Python's ssl and Ruby's
openssl gem use) one after the other, three times, and prints a Markdown
table of the medians with GnuTLS / OpenSSL ratios. A binding's row against
its runtime's native TLS is bounded by these ratios: the binding can only
remove its own overhead, not make GnuTLS's crypto faster.
`openssl speed` counts per wall-second of one busy process; on a quiet
machine that is its CPU-second too (run this with nothing else busy).
"""
import argparse
import json
import statistics
import subprocess
import sys

ROUNDS = 3


def gnutls_rates(bindir, seconds):
    out = subprocess.run([f"{bindir}/crypto_floor", str(seconds)], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])


def openssl_rates(seconds):
    """`openssl speed -mr` lines: +F2:i:bits:sign/s:verify/s (RSA),
    +F4:i:bits:sign/s:verify/s (ECDSA), +F:i:name:bytes/s per block size."""
    s = str(max(1, round(seconds)))
    sig = subprocess.run(["openssl", "speed", "-seconds", s, "-mr", "ecdsap256", "rsa2048"],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    gcm = subprocess.run(["openssl", "speed", "-seconds", s, "-mr", "-bytes", "16384",
                          "-evp", "aes-128-gcm"],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    rates = {}
    for line in (sig + gcm).splitlines():
        f = line.split(":")
        if f[0] == "+F2" and f[2] == "2048":
            rates["rsa2048_sign"], rates["rsa2048_verify"] = float(f[3]), float(f[4])
        elif f[0] == "+F4" and f[2] == "256":
            rates["ecdsa_p256_sign"], rates["ecdsa_p256_verify"] = float(f[3]), float(f[4])
        elif f[0] == "+F" and f[2].upper() == "AES-128-GCM":
            rates["aes128gcm_bytes"] = float(f[3])
    return rates


ROWS = [("ECDSA P-256 signs/s", "ecdsa_p256_sign", 1),
        ("ECDSA P-256 verifies/s", "ecdsa_p256_verify", 1),
        ("RSA-2048 signs/s", "rsa2048_sign", 1),
        ("RSA-2048 verifies/s", "rsa2048_verify", 1),
        ("AES-128-GCM MB/s (16 KiB records)", "aes128gcm_bytes", 1e6)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    g, o = [], []
    for _ in range(ROUNDS):  # interleaved, as the bench's systems
        g.append(gnutls_rates(args.bindir, args.seconds))
        o.append(openssl_rates(args.seconds))
    print("| primitive | GnuTLS 3.7.9 (nettle) | OpenSSL 3 | GnuTLS / OpenSSL |")
    print("|---|---|---|---|")
    for label, key, scale in ROWS:
        gm = statistics.median(r[key] for r in g) / scale
        om = statistics.median(r[key] for r in o if key in r) / scale
        print(f"| {label} | {gm:,.0f} | {om:,.0f} | {gm / om:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
