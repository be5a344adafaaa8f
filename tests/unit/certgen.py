"""Make test certificates and CRLs with certtool, into a directory.

Shared by the unit drivers (verify_vs_node.py, identity_vs_node.py). Everything
is made at test time, so nothing committed can expire. Keys are ECDSA P-256
by default because they are instant to generate; CAs each get their own key
so that chain building by key identifier stays unambiguous.
"""
import base64
import os
import re
import subprocess

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----\r?\n?", re.S)


class CertGen:
    def __init__(self, outdir):
        self.dir = outdir
        os.makedirs(outdir, exist_ok=True)
        self._n = 0

    def path(self, name):
        return os.path.join(self.dir, name)

    def _run(self, args):
        r = subprocess.run(["certtool"] + args, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("certtool %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))

    def _template(self, lines):
        self._n += 1
        t = self.path("tmpl.%d" % self._n)
        with open(t, "w") as f:
            f.write("\n".join(lines) + "\n")
        return t

    def key(self, name, kind="ecdsa"):
        """Generate NAME.key; answers its path."""
        out = self.path(name + ".key")
        if kind == "rsa":
            self._run(["--generate-privkey", "--key-type", "rsa", "--bits", "2048", "--outfile", out])
        else:
            self._run(["--generate-privkey", "--key-type", "ecdsa", "--curve", "secp256r1", "--outfile", out])
        return out

    def cert(self, name, lines, issuer=None, key=None, hash_alg=None):
        """Make NAME.pem from template LINES, signed by ISSUER (a (pem, key)
        pair) or self-signed. KEY defaults to a fresh NAME.key."""
        key = key or self.key(name)
        out = self.path(name + ".pem")
        args = ["--load-privkey", key, "--template", self._template(lines), "--outfile", out]
        if hash_alg:
            args += ["--hash", hash_alg]
        if issuer is None:
            self._run(["--generate-self-signed"] + args)
        else:
            self._run(["--generate-certificate", "--load-ca-certificate", issuer[0],
                       "--load-ca-privkey", issuer[1]] + args)
        return out

    def openssl_cert(self, name, cn, exts, issuer=None, key=None, days=365, dn=None, sections=()):
        """Make NAME.pem with openssl, whose extensions are exactly EXTS
        (openssl.cnf lines): certtool adds key usages of its own choosing.
        DN (openssl.cnf [dn] lines, e.g. "0.CN = a") replaces "CN = <cn>";
        SECTIONS are extra openssl.cnf lines (e.g. a [alt] section)."""
        key = key or self.key(name)
        out = self.path(name + ".pem")
        cfg = self._template(["[req]", "distinguished_name = dn", "x509_extensions = ext", "prompt = no",
                              "[dn]"] + (list(dn) if dn else ["CN = " + cn]) +
                             ["[ext]", "subjectKeyIdentifier = hash"]
                             + (["authorityKeyIdentifier = keyid"] if issuer else []) + list(exts)
                             + list(sections))
        args = ["openssl", "req", "-x509", "-new", "-key", key, "-config", cfg, "-days", str(days), "-out", out]
        if issuer is not None:
            args += ["-CA", issuer[0], "-CAkey", issuer[1]]
        r = subprocess.run(args, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("openssl req failed: %s" % r.stderr.decode(errors="replace"))
        return out

    def crl(self, name, issuer, revoked=(), lines=()):
        """Make NAME.crl.pem signed by ISSUER (a (pem, key) pair), listing the
        certificates in REVOKED (PEM paths)."""
        out = self.path(name + ".crl.pem")
        args = ["--generate-crl", "--load-ca-certificate", issuer[0], "--load-ca-privkey", issuer[1],
                "--template", self._template(list(lines) or ["crl_next_update = 30"]), "--outfile", out]
        if revoked:
            bundle = self.concat(name + ".revoked.pem", revoked)
            args += ["--load-certificate", bundle]
        self._run(args)
        return out

    def concat(self, name, files):
        """Concatenate PEM FILES into NAME (e.g. a chain, leaf first)."""
        out = self.path(name)
        with open(out, "wb") as f:
            for p in files:
                with open(p, "rb") as g:
                    f.write(g.read())
        return out

    def corrupt_signature(self, src, name):
        """Copy the first PEM object of SRC to NAME with the last byte of its
        DER flipped: the last byte belongs to the signature, so the structure
        still parses but the signature no longer verifies."""
        with open(src, "rb") as f:
            m = _PEM_RE.search(f.read())
        label, body = m.group(1), bytearray(base64.b64decode(m.group(2)))
        body[-1] ^= 0x01
        b64 = base64.encodebytes(bytes(body)).replace(b"\n", b"")
        lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
        out = self.path(name)
        with open(out, "wb") as f:
            f.write(b"-----BEGIN " + label + b"-----\n" + b"\n".join(lines) + b"\n-----END " + label + b"-----\n")
        return out
