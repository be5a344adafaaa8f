"""Helpers for the ports of branch ports2 (on top of nodeport and
nodeport_b): openssl s_client as the common client of a node server and a
tlsplug server, and what a user reads in its transcript."""
import re

from node_server import NodeServer
from nodeport import close_server, listening_server
from nodeport_b import run_openssl

REPLY = "I AM THE WALRUS"  # something recognisable the servers end with


def s_client(test, port: int, *args):
    """openssl s_client to 127.0.0.1:port (extra args given), stdin closed
    at once; answers what a user reads: exit code, whether the servers'
    REPLY arrived, the negotiated cipher and the server's temporary key."""
    code, out = run_openssl(test, ["s_client", "-connect", f"127.0.0.1:{port}", *args])
    cipher = re.search(r"Cipher\s+:\s+(\S+)", out)
    temp = re.search(r"Server Temp Key: ([^\n]+)", out)
    return {"exit": code, "reply": REPLY in out, "cipher": cipher and cipher.group(1),
            "tempKey": temp and temp.group(1).strip()}


def node_s_client(test, server_js: str, *args):
    """s_client against a node server `s` made by server_js (node_server's
    prelude), as s_client() answers it."""
    with NodeServer(server_js) as node:
        return s_client(test, node.port, *args)


def ecdh_case(test, curve: str):
    """Node's ecdh.js / ecdh-auto.js: a TLS 1.2 server limited to
    ECDHE-RSA-AES128-SHA256 with ecdhCurve `curve` serves openssl s_client,
    which reads the server's reply; asserts the cipher and the server's
    temporary key s_client reports from tlsplug's server are node's."""
    ciphers = "-ALL:ECDHE-RSA-AES128-SHA256"
    want = node_s_client(test, f"""
const s = tls.createServer({{key: pem('server.key'), cert: pem('server-chain.pem'), ciphers: '{ciphers}',
                            ecdhCurve: '{curve}', maxVersion: 'TLSv1.2'}}, (c) => c.end('{REPLY}'));
""", "-cipher", ciphers)
    test.assertTrue(want["reply"], want)
    server, port = listening_server(test, {"ciphers": ciphers, "ecdh_curve": curve,
                                           "max_version": "TLSv1.2"},
                                    listener=lambda c: c.end(REPLY))
    test.assertEqual(s_client(test, port, "-cipher", ciphers), want)
    close_server(test, server)


def accept_with_data(listener, timeout: float = 10.0):
    """Accept one connection on a plain listening socket and wait (bounded)
    until its first bytes have arrived, unread: what a late TLS attach
    finds waiting. Answers the connected socket."""
    import selectors
    listener.settimeout(timeout)
    conn, _ = listener.accept()
    with selectors.DefaultSelector() as sel:
        sel.register(conn, selectors.EVENT_READ)
        if not sel.select(timeout):
            conn.close()
            raise AssertionError("the peer sent nothing")
    return conn
