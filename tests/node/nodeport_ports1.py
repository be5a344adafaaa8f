"""Helpers shared by the ports1 ports of Node's tls tests: one handshake
against a tlsplug server, with the same scenario's JavaScript for live
node, and the peer chain reduced to what the tests compare."""
import json

from nodeport import close_server, listening_server, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

CHAIN_FIELDS = ("subject", "issuer", "serialNumber")

# JavaScript: chain(cert) walks issuerCertificate to the self-signed end.
NODE_CHAIN = """
function chain(c) {
  const out = [];
  for (let n = 0; c && Object.keys(c).length && n < 5; n++) {
    out.push({subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber});
    if (c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return out;
}
"""


def chain(cert):
    """The detailed peer certificate as a list of its CHAIN_FIELDS, leaf
    first, up to the self-signed root (bounded)."""
    out = []
    while cert and len(out) < 5:
        out.append({k: cert.get(k) for k in CHAIN_FIELDS})
        nxt = cert.get("issuerCertificate")
        if nxt is cert or nxt is None:
            break
        cert = nxt
    return out


def node_files(opts):
    """A dict of PKI file names -> JavaScript reading them, for NODE scripts:
    {"cert": "server.pem"} -> "{cert: pem('server.pem')}"."""
    return "{" + ",".join(f"{k}: pem({json.dumps(v)})" for k, v in opts.items()) + "}"


def handshake(test, server_opts, client_opts, on_secure):
    """Connect a tlsplug client to a tlsplug server made of server_opts;
    on_secure(client, server_socket) runs at secureConnect, with the
    server's side once it is secure too. Answers the client's errors."""
    sides, errors, done = [], [], []
    server, port = listening_server(test, server_opts, listener=sides.append)
    client = tlsplug.connect(port, "127.0.0.1", **client_opts)
    client.on("secureConnect", lambda: sides.insert(0, client))
    client.on("error", lambda e: errors.append(e))
    run_until(test, lambda: len(sides) == 2 or errors, what="handshake")
    if not errors:
        on_secure(*sides)
        done.append(True)
    client.destroy()
    close_server(test, server)
    return errors
