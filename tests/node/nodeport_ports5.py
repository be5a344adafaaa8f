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


# ---- ticket.js and ticket-12.js: three servers sharing ticket keys, a
# client resuming its first session across them nine times (servers
# 0 1 2 0 1 2 0 1 2). Each server, on its first connection, checks
# getTicketKeys() is the keys it was given and switches to fresh keys; on
# its second switches back; on its third changes nothing. Once the client
# holds the current ticket (its 'session') or resumed (so the keys were
# used), the switch is safe. Answers, per connection: which server, whether
# it resumed, and the tickets logged (on a resume the ticket it resumed
# with, and the first ticket it received), each as the index of the
# ticket's first appearance so runs compare without the bytes.
NODE_TICKETS = """
const maxVersion = %s;
const crypto = require('crypto');
const keys = crypto.randomBytes(48);
let current, keysOk = true;
const servers = [0, 1, 2].map(id => {
  let counter = 0, previous = null;
  const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'), ticketKeys: keys,
                                   maxVersion}, c => {
    c.end('x');
    counter++;
    const rotate = k => c.isSessionReused() ? server.setTicketKeys(k)
                                            : current.once('session', () => server.setTicketKeys(k));
    if (counter === 1) { previous = server.getTicketKeys(); keysOk = keysOk && previous.equals(keys);
                         rotate(crypto.randomBytes(48)); }
    else if (counter === 2) rotate(previous);
  });
  return server;
});
const seen = [], log = [];
const id = t => { const h = t.toString('hex'); if (!seen.includes(h)) seen.push(h); return seen.indexOf(h); };
let sess = null, listening = 0;
servers.forEach(s => s.listen(0, '127.0.0.1', () => { if (++listening === 3) next(0); }));
function next(i) {
  if (i === 9) { servers.forEach(s => s.close()); return report({keysOk, log}); }
  const entry = {server: i %% 3, reused: false, tickets: []};
  log.push(entry);
  const s = current = tls.connect({port: servers[i %% 3].address().port, host: '127.0.0.1', session: sess,
                                   rejectUnauthorized: false, maxVersion}, () => {
    entry.reused = s.isSessionReused();
    if (entry.reused) entry.tickets.push(id(s.getTLSTicket()));
  });
  s.on('data', () => s.end());
  s.on('session', session => { sess = sess || session; });
  s.once('session', () => entry.tickets.push(id(s.getTLSTicket())));
  s.on('close', () => next(i + 1));
}
"""


def ticket_rounds(test, max_version):
    """tlsplug's side of NODE_TICKETS, answering the same shape."""
    import os
    import tlsplug
    from nodeport import listening_server, close_server, run_until
    keys = os.urandom(48)
    state = {"current": None, "keys_ok": True, "got_session": False}
    servers = []

    def make(idx):
        counter = [0]
        previous = [None]

        def on_conn(conn):
            conn.end("x")
            counter[0] += 1
            server = servers[idx][0]

            def rotate(k):
                # Under TLS 1.3 a tlsplug client may already hold its
                # ticket here (docs/NODE_MAP.md, "session before
                # secureConnection"): then the keys were used already.
                if conn.is_session_reused() or state["got_session"]:
                    server.set_ticket_keys(k)
                else:
                    state["current"].once("session", lambda *_: server.set_ticket_keys(k))
            if counter[0] == 1:
                previous[0] = server.get_ticket_keys()
                state["keys_ok"] = state["keys_ok"] and previous[0] == keys
                rotate(os.urandom(48))
            elif counter[0] == 2:
                rotate(previous[0])
        return on_conn

    for idx in range(3):
        servers.append(listening_server(test, {"ticket_keys": keys, "max_version": max_version},
                                        make(idx)))
    seen, log, sess = [], [], [None]

    def ident(t):
        if t not in seen:
            seen.append(t)
        return seen.index(t)

    for i in range(9):
        entry = {"server": i % 3, "reused": False, "tickets": []}
        log.append(entry)
        closed = []
        opts = {"reject_unauthorized": False, "max_version": max_version}
        if sess[0]:
            opts["session"] = sess[0]
        state["got_session"] = False
        s = state["current"] = tlsplug.connect(servers[i % 3][1], "127.0.0.1", **opts)

        def on_secure(s=s, entry=entry):
            entry["reused"] = bool(s.is_session_reused())
            if entry["reused"]:
                entry["tickets"].append(ident(s.get_tls_ticket()))
        s.once("secureConnect", on_secure)
        s.on("data", lambda d, s=s: s.end())
        s.on("session", lambda session: (sess.__setitem__(0, sess[0] or session),
                                         state.__setitem__("got_session", True)))
        s.once("session", lambda session, s=s, entry=entry: entry["tickets"].append(
            ident(s.get_tls_ticket())))
        s.on("close", closed.append)
        run_until(test, lambda: closed, what=f"connection {i} closed")
    for server, _ in servers:
        close_server(test, server)
    return {"keysOk": state["keys_ok"], "log": log}
