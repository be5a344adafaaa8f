"""Live peers for the tlsplug.ssl tests: Node (https server and client,
inline scripts), Python's own ssl, curl. Every wait is bounded."""
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import threading

import support

NODE = shutil.which("node")
CURL = shutil.which("curl")
PEER_TIMEOUT = 20.0


def pki_path(name: str) -> str:
    return os.path.join(support.PKI, name)


# argv: pki dir, cert file, key file[, minVersion]. Answers every request with a JSON
# description of it; prints {"port": n} once listening.
HTTPS_SERVER_JS = r"""
const https = require('https'), fs = require('fs');
const [pki, cert, key, minVersion] = process.argv.slice(1);
const srv = https.createServer({cert: fs.readFileSync(pki + '/' + cert),
                                key: fs.readFileSync(pki + '/' + key),
                                minVersion: minVersion || undefined,
                                ALPNProtocols: ['http/1.1']}, (req, res) => {
  let body = '';
  req.on('data', d => body += d);
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({method: req.method, url: req.url, body,
                            protocol: req.socket.getProtocol(),
                            cipher: req.socket.getCipher().name}));
  });
});
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: srv.address().port})));
setTimeout(() => process.exit(3), 60000);
"""

# argv: pki dir, port, path, body. GETs (POSTs with a body) over https
# trusting ca.pem; prints {"status", "body", "protocol"} or {"error": code}.
HTTPS_REQUEST_JS = r"""
const https = require('https'), fs = require('fs');
const [pki, port, path, body] = process.argv.slice(1);
const req = https.request({host: '127.0.0.1', port: +port, path, servername: 'localhost',
                           method: body ? 'POST' : 'GET', ca: fs.readFileSync(pki + '/ca.pem'),
                           timeout: 15000}, res => {
  let data = '';
  const protocol = res.socket.getProtocol();
  res.on('data', d => data += d);
  res.on('end', () => console.log(JSON.stringify({status: res.statusCode, body: data,
                                                  protocol})));
});
req.on('error', e => console.log(JSON.stringify({error: e.code || e.message})));
req.end(body || undefined);
"""

# argv: pki dir, port, servername, ca file ('' for none)[, maxVersion]. A Node TLS client's
# view of a server: {"code": the error code, or null when it verified}.
NODE_VERIFY_JS = r"""
const tls = require('tls'), fs = require('fs');
const [pki, port, servername, ca, maxVersion] = process.argv.slice(1);
const s = tls.connect({host: '127.0.0.1', port: +port, servername,
                       maxVersion: maxVersion || undefined,
                       ca: ca ? fs.readFileSync(pki + '/' + ca) : undefined}, () => {
  console.log(JSON.stringify({code: null})); s.end();
});
s.on('error', e => console.log(JSON.stringify({code: e.code})));
"""


def node_run(script: str, *args: str, timeout: float = PEER_TIMEOUT) -> dict:
    """Run a node script to completion; its last stdout line as JSON."""
    p = subprocess.run([NODE, "-e", script, *args], capture_output=True, text=True, env=peer_env(),
                       timeout=timeout)
    lines = p.stdout.strip().splitlines()
    if not lines:
        raise AssertionError(f"node printed nothing (rc {p.returncode}): {p.stderr}")
    return json.loads(lines[-1])


class NodeHTTPSServer:
    """Node's https server on 127.0.0.1 (`port`), for the test's duration."""

    def __init__(self, cert: str = "server-chain.pem", key: str = "server.key",
                 min_version: str = "") -> None:
        self.args = [support.PKI, cert, key, min_version]

    def __enter__(self) -> "NodeHTTPSServer":
        self.proc = subprocess.Popen([NODE, "-e", HTTPS_SERVER_JS, *self.args], env=peer_env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], PEER_TIMEOUT)
        if not ready:
            self.__exit__()
            raise AssertionError("node https server: no port within the timeout")
        self.port = json.loads(self.proc.stdout.readline())["port"]
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait(PEER_TIMEOUT)
        self.proc.stdout.close()
        self.proc.stderr.close()


def peer_env() -> dict:
    """The environment for a peer program: without the sanitizer build's
    LD_PRELOAD of the ASan runtime, which is for this Python (curl hangs
    under it, and node and openssl are no code of ours)."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def curl(url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CURL, "-sS", "--max-time", "15", "--cacert", pki_path("ca.pem"),
                           *extra, url], capture_output=True, text=True, timeout=PEER_TIMEOUT,
                          env=peer_env())


def stdlib_verify_error(port: int, hostname: str, cafile: str = "ca.pem"):
    """Python's own ssl (OpenSSL) connecting to the server: its
    SSLCertVerificationError, or None when it verified."""
    ctx = ssl.create_default_context(cafile=pki_path(cafile))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PEER_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=hostname):
                return None
    except ssl.SSLCertVerificationError as e:
        return e


def stdlib_server_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki_path("server-chain.pem"), pki_path("server.key"))
    return ctx


def serve_in_thread(server) -> threading.Thread:
    """socketserver's serve_forever on a thread (stopped by server.shutdown())."""
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True)
    t.start()
    return t


def stop_server(server, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(PEER_TIMEOUT)

