"""examples/python: the echo server and client, against each other, as
processes on 127.0.0.1 (the server on an ephemeral port), and the asyncio
example."""
import os
import subprocess
import sys
import unittest

import support
from test_interop import read_line

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                        "examples", "python")
TIMEOUT = 20


@support.need_pki
@unittest.skipUnless(os.path.exists(os.path.join(EXAMPLES, "echo_server.py")), "no examples")
class EchoExamples(unittest.TestCase):
    def test_echo_client_against_echo_server(self):
        pki = support.PKI
        server = subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, "echo_server.py"), "--port", "0", "--once",
             "--key", os.path.join(pki, "server.key"), "--cert", os.path.join(pki, "server-chain.pem"),
             "--timeout", str(TIMEOUT)],
            stdout=subprocess.PIPE)
        try:
            line = read_line(server, TIMEOUT)
            self.assertTrue(line.startswith("listening on 127.0.0.1:"), line)
            port = line.rsplit(":", 1)[1]
            client = subprocess.run(
                [sys.executable, os.path.join(EXAMPLES, "echo_client.py"), "--port", port,
                 "--ca", os.path.join(pki, "ca.pem"), "--timeout", str(TIMEOUT)],
                input=b"hello\nworld\n", capture_output=True, timeout=TIMEOUT)
            self.assertEqual(client.returncode, 0, client.stderr)
            self.assertEqual(client.stdout, b"welcome!\nhello\nworld\n")
            self.assertIn(b"client connected authorized", client.stderr)
            self.assertIn(b"server ends connection", client.stderr)
            self.assertEqual(server.wait(TIMEOUT), 0)
            self.assertEqual(read_line(server, TIMEOUT), "server connected unauthorized")
        finally:
            server.kill()
            server.wait()
            server.stdout.close()

    def test_asyncio_example(self):
        pki = support.PKI
        r = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "asyncio_echo.py"),
             "--key", os.path.join(pki, "server.key"),
             "--cert", os.path.join(pki, "server-chain.pem"),
             "--ca", os.path.join(pki, "ca.pem"), "--clients", "5", "--timeout", str(TIMEOUT)],
            capture_output=True, timeout=TIMEOUT + 5)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(lines[-1], "done 5")
        self.assertEqual(lines[0], "client 0: 'hello 0' over TLSv1.3")


if __name__ == "__main__":
    unittest.main()
