"""Ticket keys across a fleet: servers given the same 48-byte master key
(Node's ticketKeys) derive the same working key for each period of
3 x sessionTimeout (GnuTLS's rotation, on the wall clock, so no server
talks to another): new tickets carry the new period's key, a ticket of
the previous period still resumes (on another server too), and an older
one gets a full handshake, never an error.

Rotation is a matter of the clock, so the test waits for points in the
period (bounded: a period is 9 s here) rather than for output."""
import os
import re
import subprocess
import time
import unittest

from fleet_support import OPENSSL, TOOL, WAIT, FleetTest, new_reused, s_client

TIMEOUT_S = 3
PERIOD_S = 3 * TIMEOUT_S


def wait_for(lo, hi, period=None):
    """Sleep until time() % PERIOD_S is in [lo, hi), in `period` (default:
    the first such moment; bounded by two periods); that period's number."""
    deadline = time.time() + 2 * PERIOD_S + 1
    while time.time() < deadline:
        now = time.time()
        number, phase = int(now // PERIOD_S), now % PERIOD_S
        if lo <= phase < hi and (period is None or number == period):
            return number
        time.sleep(max(0.01, (lo - phase) % PERIOD_S))
    raise AssertionError("the clock did not reach the point waited for")


class Rotation(FleetTest):
    def ticket_name(self, sess):
        """The ticket's key name (its first 16 bytes), from openssl sess_id."""
        out = subprocess.run([OPENSSL, "sess_id", "-in", sess, "-noout", "-text"],
                             capture_output=True, text=True, timeout=WAIT, check=True).stdout
        dump = out.split("TLS session ticket:", 1)[1]
        return "".join(re.findall(r"^\s*0000 - (.*?)  ", dump, re.M)[0].split()).replace("-", "")

    def connect(self, port, sess_in=None, sess_out=None):
        args = ["-tls1_2"]
        if sess_in:
            args += ["-sess_in", sess_in]
        if sess_out:
            args += ["-sess_out", sess_out]
        out = s_client(port, *args)
        lines = new_reused(out)
        self.assertEqual(len(lines), 1, out[-400:])  # never an error
        return lines[0][0]

    def ticket_late_in_a_period(self, port, path):
        """A full handshake whose ticket is issued late in a period (so it
        is still young after the boundary): that period's number. Retried
        in the next period when the handshake itself crossed the boundary."""
        for _ in range(3):
            period = wait_for(PERIOD_S - 1.6, PERIOD_S - 1.2)
            self.assertEqual(self.connect(port, sess_out=path), "New")
            if int(time.time() // PERIOD_S) == period:
                return period
        raise AssertionError("no handshake finished inside its period")

    def test_rotation_followed_by_every_server(self):
        keys = self.ticket_keys()
        common = ["--ticket-keys", keys, "--session-timeout", str(TIMEOUT_S)]
        a = self.server("c", *common)
        b = self.server("python", *common)
        old = os.path.join(self.tmp, "old.pem")
        new = os.path.join(self.tmp, "new.pem")
        period = self.ticket_late_in_a_period(a.port, old)
        old_name = self.ticket_name(old)
        # Early in the next period the previous period's ticket still
        # resumes, on server B...
        wait_for(0.05, 1.0, period + 1)
        self.assertEqual(self.connect(b.port, sess_in=old), "Reused")
        # ... while new tickets carry another key.
        self.assertEqual(self.connect(b.port, sess_out=new), "New")
        self.assertNotEqual(self.ticket_name(new), old_name)
        # Two periods on, it is refused: a full handshake, no error.
        wait_for(0.05, 1.0, period + 2)
        self.assertEqual(self.connect(a.port, sess_in=old), "New")
        # The same period's ticket resumes on both servers.
        fresh = os.path.join(self.tmp, "fresh.pem")
        self.assertEqual(self.connect(a.port, sess_out=fresh), "New")
        self.assertEqual(self.connect(b.port, sess_in=fresh), "Reused")
        self.assertEqual(self.connect(a.port, sess_in=fresh), "Reused")

    def test_other_master_key_means_a_full_handshake(self):
        a = self.server("c", "--ticket-keys", self.ticket_keys())
        b = self.server("c", "--ticket-keys", self.ticket_keys())  # another key
        sess = os.path.join(self.tmp, "s.pem")
        self.assertEqual(self.connect(a.port, sess_out=sess), "New")
        self.assertEqual(self.connect(b.port, sess_in=sess), "New")
        self.assertEqual(self.connect(a.port, sess_in=sess), "Reused")

    def test_master_key_from_redis(self):
        # The fleet keeps its 48 bytes in one place: every server reads them.
        redis = self.redis()
        redis.cli("SET", "tlsplug:ticket-keys", value=os.urandom(48))
        redis.cli("SET", "other-fleet", value=os.urandom(48))
        a = self.server("c", "--ticket-keys", redis.url)
        b = self.server("python", "--ticket-keys", redis.url + "#tlsplug:ticket-keys")
        c = self.server("c", "--ticket-keys", redis.url + "#other-fleet")
        d = self.server("ruby", "--ticket-keys", redis.url)
        sess = os.path.join(self.tmp, "s.pem")
        self.assertEqual(self.connect(a.port, sess_out=sess), "New")
        self.assertEqual(self.connect(b.port, sess_in=sess), "Reused")
        self.assertEqual(self.connect(d.port, sess_in=sess), "Reused")
        self.assertEqual(self.connect(c.port, sess_in=sess), "New")

    def test_master_key_source_errors(self):
        redis = self.redis()
        redis.cli("SET", "short", value=b"x" * 47)
        for source, code in ((redis.url + "#short", "ERR_INVALID_ARG_VALUE"),
                             (redis.url + "#missing", "EIO")):
            p = subprocess.run([TOOL, "server", "--port", "0", "--ticket-keys", source],
                               capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("--ticket-keys: %s:" % code, p.stderr)


if __name__ == "__main__":
    unittest.main()
