"""Port of Node's test/parallel/tls/client-abort.js: a client (with its
own certificate and key) destroyed in the same tick as connect() never
calls its secureConnect listener and closes without a crash; the events it
does emit are compared with live node's."""
import unittest

from nodeport import LoopTestCase, node_eval, pki, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const ev = [];
const c = tls.connect({port: 0, host: '127.0.0.1', cert: pem('client.pem'), key: pem('client.key')},
                      () => ev.push('secureConnect'));
c.on('error', (e) => ev.push('error'));
c.on('close', (hadError) => { ev.push('close:' + hadError); setTimeout(() => report(ev), 50); });
c.destroy();
"""


class ClientAbort(LoopTestCase):
    def test_destroy_before_connect(self):
        want = node_eval(NODE)
        events = []
        client = tlsplug.connect(0, "127.0.0.1", cert=pki("client.pem"), key=pki("client.key"),
                                 on_secure_connect=lambda: events.append("secureConnect"))
        client.on("error", lambda err: events.append("error"))
        client.on("close", lambda had_error: events.append(f"close:{str(had_error).lower()}"))
        client.destroy()
        run_until(self, lambda: events, what="close")
        tlsplug.run(timeout=0.2)  # a late error or secureConnect would land here
        self.assertEqual(events, want)
        self.assertTrue(client.destroyed)


if __name__ == "__main__":
    unittest.main()
