"""Helpers shared by the ports5 ports (tests/node/test_wrap_econnreset*.py
and friends): a plain TCP or Unix listener that accepts connections and
closes them at once, as Node's `net.createServer(c => c.end())`."""
import os
import socket
import tempfile
import threading


class ClosingListener:
    """Accepts up to `count` connections on a thread and closes each as soon
    as it is accepted. Bounded: the accept gives up after `timeout` s."""

    def __init__(self, count: int = 1, unix: bool = False, timeout: float = 10.0):
        if unix:
            self._dir = tempfile.mkdtemp(prefix="tlsplug-node-")
            self.path = os.path.join(self._dir, "pipe.sock")
            self._sock = socket.socket(socket.AF_UNIX)
            self._sock.bind(self.path)
            self.port = None
        else:
            self._dir = None
            self.path = None
            self._sock = socket.socket()
            self._sock.bind(("127.0.0.1", 0))
            self.port = self._sock.getsockname()[1]
        self._sock.listen(count)
        self._sock.settimeout(timeout)
        self.accepted = 0
        self._thread = threading.Thread(target=self._run, args=(count,), daemon=True)
        self._thread.start()

    def _run(self, count):
        try:
            for _ in range(count):
                conn, _ = self._sock.accept()
                self.accepted += 1
                conn.close()
        except OSError:
            pass  # timed out or closed: close() reports what was accepted

    def close(self):
        self._sock.close()
        self._thread.join(timeout=11)
        if self._dir:
            if os.path.exists(self.path):
                os.unlink(self.path)
            os.rmdir(self._dir)


# The Node side of the econnreset ports: `how` says how the client
# connects (port, port+localAddress, path, socket); reports the first
# error's code and its host/port/path/localAddress fields, and whether
# 'close' came after it.
NODE_ECONNRESET = """
const how = %s;
const server = net.createServer(c => c.end());
const where = how === 'path' ? require('path').join(require('os').tmpdir(), 'tlsplug-ports5-' + process.pid)
                             : 0;
server.listen(where, () => {
  const port = server.address().port;
  let s, sock;
  if (how === 'port') s = tls.connect(port, '127.0.0.1');
  else if (how === 'local') s = tls.connect({port, family: 4, localAddress: '127.0.0.1'}, '127.0.0.1');
  else if (how === 'path') s = tls.connect({path: where});
  else { sock = new net.Socket(); s = tls.connect({socket: sock}); }
  let first = null;
  s.once('error', e => {
    first = {code: e.code, host: e.host === undefined ? null : e.host,
             port: e.port === undefined ? null : (e.port === port ? 'the port' : e.port),
             path: e.path === undefined ? null : (e.path === where ? 'the path' : e.path),
             localAddress: e.localAddress === undefined ? null : e.localAddress};
    server.close();
  });
  s.on('close', () => report({error: first}));
  if (sock) sock.connect(port);
});
"""


def reset_before_handshake(test, make_client, peer):
    """Connects with make_client() to `peer` (a ClosingListener), drives the
    loop until 'close', checks 'error' came first and 'close' said
    had_error; answers the error."""
    from nodeport import run_until
    try:
        events = []
        client = make_client()
        client.on("error", lambda e: events.append(("error", e)))
        client.on("close", lambda had_error: events.append(("close", had_error)))
        run_until(test, lambda: events and events[-1][0] == "close", what="client close")
    finally:
        peer.close()
    test.assertEqual([name for name, _ in events], ["error", "close"])
    test.assertTrue(events[1][1], "close(had_error) after an error")
    return events[0][1]
