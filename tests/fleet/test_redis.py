"""The Redis session store: servers in different processes and languages
resume each other's TLS 1.2 session ids through one redis-server; when
Redis is killed, stopped or holds garbage, handshakes go on as full ones
(no error, no connection lost, no wait beyond the store's timeout), the
server logs it once, and resumption comes back with Redis."""
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

from fleet_support import TOOL, WAIT, FleetTest, new_reused, pki, s_client

sys.path.insert(0, os.path.join(os.environ.get("TLSPLUG_SOURCE", ""), "bindings", "python"))
import tlsplug  # noqa: E402  (this tree's binding, TLSPLUG_LIBRARY's library)


class RedisStore(FleetTest):
    def setUp(self):
        super().setUp()
        self.sess = os.path.join(self.tmp, "session.pem")

    def first(self, port):
        """A full TLS 1.2 handshake whose session s_client saves."""
        out = s_client(port, "-tls1_2", "-no_ticket", "-sess_out", self.sess)
        self.assertEqual(new_reused(out), [("New", "TLSv1.2")], out[-400:])

    def again(self, port):
        """The saved session offered again: 'New' or 'Reused', and the time taken."""
        t0 = time.monotonic()
        out = s_client(port, "-tls1_2", "-no_ticket", "-sess_in", self.sess)
        took = time.monotonic() - t0
        lines = new_reused(out)
        self.assertEqual(len(lines), 1, out[-400:])  # the handshake completed either way
        return lines[0][0], took

    def test_shared_by_servers_in_three_languages(self):
        redis = self.redis()
        keys = self.ticket_keys()
        servers = [self.server(lang, "--session-store", redis.url, "--ticket-keys", keys)
                   for lang in ("c", "python", "ruby")]
        self.first(servers[0].port)
        for srv in servers[1:] + servers[:1]:
            self.assertEqual(self.again(srv.port)[0], "Reused")
        # One key per session, namespaced, with sessionTimeout (300 s) to live.
        keys = redis.cli("KEYS", "tlsplug:session:*")
        self.assertEqual(len(keys), 1)
        self.assertTrue(0 < int(redis.cli("TTL", keys[0])[0]) <= 300)

    def test_tcp_url(self):
        redis = self.redis(tcp=True)
        a = self.server("c", "--session-store", redis.tcp_url)
        b = self.server("c", "--session-store", redis.tcp_url)
        self.first(a.port)
        self.assertEqual(self.again(b.port)[0], "Reused")

    def test_session_timeout_is_the_ttl(self):
        redis = self.redis()
        srv = self.server("c", "--session-store", redis.url, "--session-timeout", "7")
        self.first(srv.port)
        (key,) = redis.cli("KEYS", "tlsplug:session:*")
        self.assertTrue(0 < int(redis.cli("TTL", key)[0]) <= 7)

    def test_redis_killed_then_restarted(self):
        redis = self.redis()
        timeout_ms = 300
        srv = self.server("c", "--session-store", "%s?timeout_ms=%d" % (redis.url, timeout_ms))
        self.first(srv.port)
        self.assertEqual(self.again(srv.port)[0], "Reused")
        redis.kill()
        for _ in range(3):
            outcome, took = self.again(srv.port)
            self.assertEqual(outcome, "New")
            self.assertLess(took, timeout_ms / 1000 + 2.0)
        srv.proc.wait_err(r"session store .*full handshakes until it answers")
        redis.start()
        # The store reconnects by itself: a new session is stored and resumed.
        deadline = time.monotonic() + 15
        while True:
            self.first(srv.port)
            if self.again(srv.port)[0] == "Reused":
                break
            self.assertLess(time.monotonic(), deadline, srv.proc.stderr())
        srv.proc.wait_err(r"session store .*reachable again")

    def test_redis_stopped_costs_at_most_the_timeout(self):
        redis = self.redis()
        timeout_ms = 400
        srv = self.server("c", "--session-store", "%s?timeout_ms=%d" % (redis.url, timeout_ms))
        self.first(srv.port)
        redis.proc.proc.send_signal(signal.SIGSTOP)  # alive, but answers nothing
        try:
            outcome, took = self.again(srv.port)
        finally:
            redis.proc.proc.send_signal(signal.SIGCONT)
        self.assertEqual(outcome, "New")
        self.assertLess(took, timeout_ms / 1000 + 2.0)
        srv.proc.wait_err(r"session store .*full handshakes until it answers")

    def test_corrupt_value_means_a_full_handshake(self):
        redis = self.redis()
        srv = self.server("c", "--session-store", redis.url)
        for garbage in (b"\x00" + os.urandom(80), b"not a session", b"\x00"):
            self.first(srv.port)
            (key,) = redis.cli("KEYS", "tlsplug:session:*")
            redis.cli("SET", key, value=garbage)
            self.assertEqual(self.again(srv.port)[0], "New")
            redis.cli("FLUSHDB")

    def test_failures_are_counted_in_process(self):
        # A Python server on this thread's loop; s_client runs on another
        # thread while the loop turns.
        redis = self.redis()
        srv = tlsplug.create_server(cert=open(pki("server-chain.pem"), "rb").read(),
                                    key=open(pki("server.key"), "rb").read(),
                                    session_store=redis.url + "?timeout_ms=200")
        srv.on("secureConnection", lambda sock: sock.on("error", lambda err: None))
        srv.listen(0, "127.0.0.1")
        tlsplug.run(timeout=WAIT, until=lambda: srv.listening)
        port = srv.address()["port"]

        def client(fn):
            out = []
            t = threading.Thread(target=lambda: out.append(fn(port)))
            t.start()
            tlsplug.run(timeout=WAIT * 2, until=lambda: not t.is_alive())
            t.join(WAIT)
            return out[0]

        try:
            client(self.first)
            self.assertEqual(client(self.again)[0], "Reused")
            self.assertEqual(srv.session_store_failures, 0)
            redis.kill()
            self.assertEqual(client(self.again)[0], "New")
            self.assertGreater(srv.session_store_failures, 0)
        finally:
            srv.close()
            tlsplug.run(timeout=WAIT, until=lambda: not srv.listening)

    def test_bad_store_urls(self):
        opts = dict(cert=open(pki("server-chain.pem"), "rb").read(),
                    key=open(pki("server.key"), "rb").read())
        for url, code in (("redis://127.0.0.1:notaport/0", "ERR_INVALID_URL"),
                          ("redis://127.0.0.1/0?ttl=5", "ERR_INVALID_URL"),
                          ("memcached://127.0.0.1", "ERR_INVALID_ARG_VALUE"),
                          ("", "ERR_INVALID_ARG_VALUE")):
            with self.assertRaises(tlsplug.TLSError) as cm:
                tlsplug.create_server(session_store=url, **opts)
            self.assertEqual(cm.exception.code, code, url)
        with self.assertRaises(TypeError) as cm:
            tlsplug.create_server(session_store=6379, **opts)
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")

    def test_without_the_module(self):
        # The library itself does not need hiredis: without its module a
        # redis:// store is refused, clearly; memory still works.
        env = dict(os.environ, TLSPLUG_REDIS_MODULE=os.path.join(self.tmp, "none.so"))
        p = subprocess.run([TOOL, "server", "--port", "0", "--session-store",
                            "redis://127.0.0.1:6379/0"],
                           capture_output=True, text=True, timeout=WAIT, env=env)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--session-store: ERR_FEATURE_UNAVAILABLE_ON_PLATFORM:", p.stderr)
        self.assertIn("the Redis module is not installed", p.stderr)
        out = subprocess.run(["ldd", os.environ["TLSPLUG_LIBRARY"]], capture_output=True,
                             text=True, timeout=WAIT).stdout
        self.assertNotIn("hiredis", out)


if __name__ == "__main__":
    unittest.main()
