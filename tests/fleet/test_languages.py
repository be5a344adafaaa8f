"""A fleet on one machine: one redis-server and four servers, in C (the
tlsplug command), Python, Ruby and Go, sharing the session store and the
ticket keys. Clients (openssl, Node, tlsplug) connect to them round-robin:
after the first full handshake every connection resumes, whichever
server made the session - TLS 1.2 by session id, TLS 1.3 by ticket."""
import os
import shutil
import subprocess
import unittest

from fleet_support import (HERE, WAIT, FleetTest, new_reused, pki, python_env, s_client)

NODE = shutil.which("node") or shutil.which("nodejs")
ROUNDS = 2


class Languages(FleetTest):
    def setUp(self):
        super().setUp()
        redis = self.redis()
        keys = self.ticket_keys()
        self.servers = [self.server(lang, "--session-store", redis.url, "--ticket-keys", keys)
                        for lang in ("c", "python", "ruby", "go")]
        self.ports = [s.port for s in self.servers] * ROUNDS

    def test_openssl_tls12_session_ids(self):
        sess = os.path.join(self.tmp, "s.pem")
        first = new_reused(s_client(self.ports[0], "-tls1_2", "-no_ticket", "-sess_out", sess))
        self.assertEqual(first, [("New", "TLSv1.2")])
        for port in self.ports[1:]:
            out = s_client(port, "-tls1_2", "-no_ticket", "-sess_in", sess)
            self.assertEqual(new_reused(out), [("Reused", "TLSv1.2")], port)

    def check_round_robin(self, lines):
        self.assertEqual(lines, ["%d resumed=%s" % (p, "no" if i == 0 else "yes")
                                 for i, p in enumerate(self.ports)])

    @unittest.skipUnless(NODE, "node is not installed")
    def test_node_tls13_tickets(self):
        p = subprocess.run([NODE, os.path.join(HERE, "fleet_client.js"), pki("ca.pem")]
                           + [str(x) for x in self.ports],
                           capture_output=True, text=True, timeout=WAIT * 2)
        self.check_round_robin(p.stdout.split("\n")[:-1])

    def test_tlsplug_tls13_tickets(self):
        p = subprocess.run(["python3", os.path.join(HERE, "fleet_client.py"), pki("ca.pem")]
                           + [str(x) for x in self.ports],
                           capture_output=True, text=True, timeout=WAIT * 2, env=python_env())
        self.check_round_robin(p.stdout.split("\n")[:-1])


if __name__ == "__main__":
    unittest.main()
