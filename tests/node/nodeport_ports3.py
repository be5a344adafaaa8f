"""Helpers of the third batch of Node ports (ports3): a raw TCP peer run in
a thread beside the tlsplug loop, and PKCS#12 files made by openssl from
the test PKI (the PKI has no pfx of its own)."""
import os
import socket
import subprocess
import tempfile
import threading

import nodeport
from nodeport import run_until

RAW_TIMEOUT = 10.0


class RawClient(threading.Thread):
    """A plain TCP client that sends `payload` to 127.0.0.1:port, then reads
    until the peer closes. `outcome` is 'eof' (an orderly close) or the
    errno name of the error that ended it (ECONNRESET, EPIPE)."""

    def __init__(self, port: int, payload: bytes):
        super().__init__(daemon=True)
        self.port, self.payload = port, payload
        self.outcome = None
        self.received = b""

    def run(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=RAW_TIMEOUT) as s:
                s.sendall(self.payload)
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        self.outcome = "eof"
                        return
                    self.received += chunk
        except socket.timeout:
            self.outcome = "timeout"
        except OSError as e:
            import errno
            self.outcome = errno.errorcode.get(e.errno, str(e))

    def wait(self, test):
        """Drive the loop until the client is done; answers its outcome."""
        self.start()
        run_until(test, lambda: not self.is_alive(), timeout=RAW_TIMEOUT + 5,
                  what="the raw client", poll_ms=20)
        return self.outcome


def make_pfx(test, *, cert: str, key=None, chain=None, password: str = "sample") -> str:
    """A PKCS#12 file of the PKI's `cert` (with `key` if given, and the
    `chain` certificates), made by openssl in a temporary directory that
    the test removes; answers its path."""
    if not nodeport.OPENSSL:
        test.skipTest("openssl is not installed")
    tmp = tempfile.mkdtemp(prefix="tlsplug-pfx-")
    test.addCleanup(lambda: subprocess.run(["rm", "-rf", tmp], check=False))
    out = os.path.join(tmp, "out.pfx")
    args = [nodeport.OPENSSL, "pkcs12", "-export", "-in", os.path.join(nodeport.PKI, cert),
            "-out", out, "-passout", "pass:" + password]
    args += ["-inkey", os.path.join(nodeport.PKI, key)] if key else ["-nokeys"]
    if chain:
        args += ["-certfile", os.path.join(nodeport.PKI, chain)]
    subprocess.run(args, check=True, capture_output=True, timeout=30)
    return out


def serve(test, options, listener=None):
    """A tlsplug server with exactly `options` (no default key or cert, as
    support.listening_server adds) on an ephemeral port of 127.0.0.1;
    answers (server, port)."""
    import tlsplug
    server = tlsplug.create_server(options, listener)
    server.listen(0, "127.0.0.1")
    run_until(test, lambda: server.listening, what="listening")
    return server, server.address()["port"]


# Node's net-socket-keepalive scenario, for its two ports (TLS 1.3 and 1.2):
# a client made over a half-open-capable net.Socket writes and ends, the
# server writes and ends; answers the events each end saw, in order.
KEEPALIVE_NODE = """
const max = %r;
const ev = {server: [], client: []};
const s = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'), maxVersion: max}, (conn) => {
  conn.write('hello', () => ev.server.push('written'));
  conn.on('data', () => ev.server.push('data'));
  conn.on('end', () => ev.server.push('end'));
  conn.on('close', () => ev.server.push('close'));
  conn.end();
});
s.listen(0, '127.0.0.1', () => {
  const raw = new net.Socket({allowHalfOpen: true});
  const c = tls.connect({socket: raw, rejectUnauthorized: false, maxVersion: max});
  raw.connect({port: s.address().port, host: '127.0.0.1'});
  c.on('secureConnect', () => ev.client.push('secureConnect'));
  c.on('data', () => ev.client.push('data'));
  c.on('end', () => ev.client.push('end'));
  c.on('close', () => { ev.client.push('close'); s.close(() => setImmediate(() => report(ev))); });
  c.write('hello'); c.end();
});
"""


def keepalive_scenario(test, max_version: str):
    """The same with tlsplug: the client adopts a connected Python socket
    (allow_half_open), writes before the handshake and ends. Answers
    {server: [...], client: [...]} with each kind of event once, in the
    order first seen (Node's counts per chunk differ by transport)."""
    import socket as pysocket
    import tlsplug
    ev = {"server": [], "client": []}

    def note(side, name):
        if name not in ev[side]:
            ev[side].append(name)

    def on_conn(conn):
        conn.on("data", lambda d: note("server", "data"))
        conn.on("end", lambda: note("server", "end"))
        conn.on("close", lambda *a: note("server", "close"))
        conn.write("hello")
        note("server", "written")
        conn.end()

    server = tlsplug.create_server({"key": nodeport_pki("server.key"),
                                    "cert": nodeport_pki("server-chain.pem"),
                                    "max_version": max_version}, on_conn)
    server.listen(0, "127.0.0.1")
    run_until(test, lambda: server.listening, what="listening")
    raw = pysocket.create_connection(("127.0.0.1", server.address()["port"]), timeout=10)
    client = tlsplug.connect(socket=raw, reject_unauthorized=False, allow_half_open=True,
                             max_version=max_version)
    client.on("secureConnect", lambda: note("client", "secureConnect"))
    client.on("data", lambda d: note("client", "data"))
    client.on("end", lambda: note("client", "end"))
    client.on("close", lambda *a: note("client", "close"))
    client.write("hello")
    client.end()
    run_until(test, lambda: "close" in ev["client"] and "close" in ev["server"],
              what="both ends closed")
    done = []
    server.close(lambda *a: done.append(a))
    run_until(test, lambda: done, what="server close")
    return ev


def nodeport_pki(name):
    from nodeport import pki
    return pki(name)


def connect_once(test, port, record, **options):
    """tlsplug.connect to 127.0.0.1:port with `options`; on secureConnect
    answers record(client) and ends, on an error its code. Waits (bounded)
    for the close."""
    import tlsplug
    out = []
    client = tlsplug.connect(port, "127.0.0.1", **options)
    client.on("secureConnect", lambda: (out.append(record(client)), client.end()))
    client.on("error", lambda e: out.append(e.code))
    closed = []
    client.on("close", closed.append)
    run_until(test, lambda: closed, what="client close")
    return out[0] if out else None


class KeepAliveCase:
    """Node's net-socket-keepalive test, for a MAX version (a mixin: the
    ports subclass it with unittest's LoopTestCase)."""
    MAX = None

    def test_half_open_socket_does_not_hang(self):
        want = nodeport.node_eval(KEEPALIVE_NODE % self.MAX)
        want = {side: once_each(events) for side, events in want.items()}
        self.assertEqual(sorted(want["client"]), ["close", "data", "end", "secureConnect"])
        got = keepalive_scenario(self, self.MAX)
        self.assertEqual(sorted(got["client"]), sorted(want["client"]))
        self.assertEqual(sorted(got["server"]), sorted(want["server"]))
        self.assertEqual(got["client"][0], "secureConnect")
        self.assertEqual(got["client"][-1], "close")
        self.assertEqual(got["server"][-1], "close")


def once_each(events):
    """Each kind of event once, in the order first seen."""
    out = []
    for e in events:
        if e not in out:
            out.append(e)
    return out
