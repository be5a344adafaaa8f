"""Port of Node's test/parallel/tls/client-abort2.js: a client connecting
to port 0 never becomes secure; it gets an 'error' (the refused connect,
code ECONNREFUSED) and then 'close' with had_error true."""
import unittest

from nodeport import LoopTestCase, node_eval, run_until
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NODE = """
const ev = [];
const c = tls.connect(0, '127.0.0.1', () => ev.push('secureConnect'));
c.on('error', (e) => { ev.push('error:' + e.code); c.destroy(); });
c.on('close', (hadError) => { ev.push('close:' + hadError); setImmediate(() => report(ev)); });
"""


class ClientAbort2(LoopTestCase):
    def test_connect_to_port_zero_errors_then_closes(self):
        want = node_eval(NODE)
        events = []

        def on_error(err):
            events.append(f"error:{err.code}")
            client.destroy()

        client = tlsplug.connect(0, "127.0.0.1",
                                 on_secure_connect=lambda: events.append("secureConnect"))
        client.on("error", on_error)
        client.on("close", lambda had_error: events.append(f"close:{str(had_error).lower()}"))
        run_until(self, lambda: any(e.startswith("close") for e in events), what="close")
        self.assertEqual(events, want)


if __name__ == "__main__":
    unittest.main()
