"""Helpers shared by the ports4 helper's Node ports (on top of nodeport):
key forms named in JSON, so one case list drives both node and tlsplug."""
from nodeport import pki

# The encrypted server key (passphrase "secret") and its plain twin.
KEY_FILES = {"enc": "server-enc.key", "raw": "server.key"}

# The JavaScript counterpart of key_form(): the same case spec, in node.
NODE_KEY_FORM = """
function keyForm(spec) {
  const one = (name, str) => str ? pem(name).toString() : pem(name);
  const files = %s;
  const conv = (k, str) => {
    if (typeof k === 'string') return one(files[k], str);
    const o = {pem: one(files[k.pem], str)};
    if ('passphrase' in k) o.passphrase = k.passphrase;
    return o;
  };
  return Array.isArray(spec.key) ? spec.key.map(k => conv(k, spec.str)) : conv(spec.key, spec.str);
}
"""


def _one(name, as_str):
    b = pki(KEY_FILES[name])
    return b.decode() if as_str else b


def key_form(spec):
    """The `key` option a case spec names: "enc"/"raw", a list of them, or
    {"pem": name, "passphrase": ...} objects; spec["str"] gives strings."""
    def conv(k):
        if isinstance(k, str):
            return _one(k, spec.get("str"))
        out = {"pem": _one(k["pem"], spec.get("str"))}
        if "passphrase" in k:
            out["passphrase"] = k["passphrase"]
        return out
    return [conv(k) for k in spec["key"]] if isinstance(spec["key"], list) else conv(spec["key"])


def self_signed(test, subject: str, newkey=("ec", "-pkeyopt", "ec_paramgen_curve:P-256")):
    """A fresh self-signed key (P-256 unless `newkey`, openssl's -newkey
    arguments, says otherwise) and certificate for `subject` (openssl's
    -subj form, UTF-8), for what the shared PKI does not have; answers
    (key PEM, cert PEM). Skips the test without openssl."""
    import os
    import subprocess
    import tempfile
    import nodeport
    if not nodeport.OPENSSL:
        test.skipTest("openssl is not installed")
    with tempfile.TemporaryDirectory() as d:
        key, cert = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
        subprocess.run([nodeport.OPENSSL, "req", "-x509", "-newkey", *newkey,
                        "-nodes", "-keyout", key, "-out", cert,
                        "-days", "30", "-utf8", "-subj", subject],
                       check=True, capture_output=True, timeout=30)
        with open(key, "rb") as k, open(cert, "rb") as c:
            return k.read(), c.read()


def make_pfx(test, name: str, password: str) -> bytes:
    """A PKCS#12 bundle of the PKI's `name`.key and `name`.pem with the
    intermediate and the root, as Node's agent pfx fixtures carry their CA;
    answers its DER bytes. Skips the test without openssl."""
    import os
    import subprocess
    import tempfile
    import nodeport
    if not nodeport.OPENSSL:
        test.skipTest("openssl is not installed")
    p = lambda n: os.path.join(nodeport.PKI, n)  # noqa: E731
    with tempfile.TemporaryDirectory() as d:
        extra = os.path.join(d, "extra.pem")
        with open(extra, "wb") as f:
            f.write(pki("int.pem") + pki("ca.pem"))
        out = os.path.join(d, "b.pfx")
        subprocess.run([nodeport.OPENSSL, "pkcs12", "-export", "-inkey", p(name + ".key"),
                        "-in", p(name + ".pem"), "-certfile", extra, "-passout",
                        "pass:" + password, "-out", out], check=True, capture_output=True,
                       timeout=30)
        with open(out, "rb") as f:
            return f.read()


_NODE_SUBJECT = """
const c = tls.connect({host: '127.0.0.1', port: PORT, rejectUnauthorized: false}, () => {
  const s = c.getPeerCertificate().subject; c.end(); c.on('close', () => report(s));
});
c.resume();
"""


def subjects(test, key: bytes, cert: bytes):
    """Serve key/cert from tlsplug (answering "World" to a "Hello"); answers
    the subject live node reads as a client, the tlsplug client's peer
    subject and the server's own (getCertificate()) subject."""
    import tlsplug
    from nodeport import close_server, listening_server, run_until
    from nodeport_b import NodePeer
    local = []

    def on_secure_connection(s):
        local.append(s.get_certificate()["subject"])
        s.end(b"World")
    server, port = listening_server(test, {"key": key, "cert": cert},
                                    listener=on_secure_connection)
    peer = NodePeer(_NODE_SUBJECT, port=port)
    try:
        want = peer.result(test)
    finally:
        peer.kill()
    got = []

    def on_secure():
        got.append(client.get_peer_certificate()["subject"])
    client = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                             on_secure_connect=on_secure)
    client.on("data", lambda d: None)
    closed = []
    client.on("close", closed.append)
    client.end(b"Hello")
    run_until(test, lambda: closed and len(local) == 2, what="both clients done")
    close_server(test, server)
    return want, got[0], local[-1]


def one_client(test, server, port: int):
    """A tlsplug client that ends as soon as it is secure and reads what
    comes; waits until it closed, then closes `server`."""
    import tlsplug
    from nodeport import close_server, run_until
    c = tlsplug.connect(port, "127.0.0.1", reject_unauthorized=False,
                        on_secure_connect=lambda: c.end())
    c.on("data", lambda d: None)
    closed = []
    c.on("close", closed.append)
    run_until(test, lambda: closed, what="client close")
    close_server(test, server)
