"""Port of Node's test/parallel/tls/async-cb-after-socket-end.js: a server
without tickets stores the first client's session (newSession); when a
second client offers it, the server's resumeSession callback is held, the
client is destroyed, and the callback is called only afterwards -- which
must neither crash nor complete a handshake: exactly one secure connection,
one newSession and one resumeSession, as live node counts in this run."""
import unittest

from nodeport import LoopTestCase, close_server, listening_server, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const NO_TICKET = require('crypto').constants.SSL_OP_NO_TICKET;
const n = {secure: 0, news: 0, resumes: 0, noTicket: NO_TICKET};
let held = null, client = null;
const server = tls.createServer({key: pem('server.key'), cert: pem('server-chain.pem'),
                                 secureOptions: NO_TICKET}, () => { n.secure++; });
server.on('newSession', (id, data, done) => { n.news++; done(); });
server.on('resumeSession', (id, cb) => { n.resumes++; held = cb; later(); });
server.listen(0, '127.0.0.1', () => {
  const o = {port: server.address().port, host: '127.0.0.1', maxVersion: 'TLSv1.2',
             rejectUnauthorized: false, session: false};
  const c1 = tls.connect(o, () => {
    o.session = c1.getSession(); c1.destroy();
    const c2 = tls.connect(o, () => c2.destroy());
    c2.on('connect', () => { client = c2; later(); });
  });
});
function later() {
  if (!client || !held) return;
  client.destroy();
  setTimeout(() => { held(); server.close(() => report(n)); }, 100);
}
"""


class AsyncCbAfterSocketEnd(LoopTestCase):
    def test_resume_callback_after_client_destroyed(self):
        want = node_eval(NODE)
        self.assertEqual(want["resumes"], 1)  # the oracle held a resumeSession callback
        n = {"secure": 0, "news": 0, "resumes": 0, "noTicket": want["noTicket"]}
        held, state = [], {}
        server, port = listening_server(self, {"secure_options": want["noTicket"]},
                                        listener=lambda s: n.__setitem__("secure", n["secure"] + 1))

        def on_new(sid, data, done):
            n["news"] += 1
            done()

        def on_resume(sid, cb):
            n["resumes"] += 1
            held.append(cb)
            later()

        def later():
            if "client" not in state or not held:
                return
            state["client"].destroy()

            def answer():
                held[0]()
                state["answered"] = True
            tlsplug.set_timeout(answer, 100)  # as Node: the server has seen the close

        server.on("newSession", on_new)
        server.on("resumeSession", on_resume)
        opts = {"max_version": "TLSv1.2", "reject_unauthorized": False}

        def first_secure():
            session = c1.get_session()
            c1.destroy()
            c2 = tlsplug.connect(port, "127.0.0.1", session=session, **opts,
                                 on_secure_connect=lambda: c2.destroy())
            c2.on("connect", lambda: (state.__setitem__("client", c2), later()))

        c1 = tlsplug.connect(port, "127.0.0.1", on_secure_connect=first_secure, **opts)
        run_until(self, lambda: state.get("answered"), what="the held resumeSession answered")
        close_server(self, server)
        self.assertEqual(n, want)


if __name__ == "__main__":
    unittest.main()
