"""Plumbing for the fleet tests: a redis-server of the test's own (a Unix
socket in a temporary directory, or an ephemeral TCP port), tlsplug servers
in C (the tlsplug command), Python and Ruby as subprocesses whose output is
read by threads, and openssl s_client runs. Every wait is bounded and
synchronised on output; everything started is killed in teardown."""
import os
import queue
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.environ.get("TLSPLUG_PKI", "")
TOOL = os.environ.get("TLSPLUG_TOOL", "")
REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
OPENSSL = shutil.which("openssl")
WAIT = 20.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def pki(name):
    return os.path.join(PKI, name)


class Proc:
    """A subprocess whose stdout and stderr lines are collected as they come."""

    def __init__(self, args, env=None):
        self.args = args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        self.out, self.err = queue.Queue(), []
        self.err_changed = threading.Condition()
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self):
        for line in self.proc.stdout:
            self.out.put(line.rstrip("\n"))
        self.out.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            with self.err_changed:
                self.err.append(line.rstrip("\n"))
                self.err_changed.notify_all()
        with self.err_changed:
            self.err.append(None)
            self.err_changed.notify_all()

    def wait_out(self, pattern, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("%s: no %r on stdout; stderr: %s" % (
                    self.args[0], pattern, self.stderr()))
            try:
                line = self.out.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("%s exited: %s" % (self.args, self.stderr()))
            m = re.search(pattern, line)
            if m:
                return m

    def wait_err(self, pattern, count=1, timeout=WAIT):
        """Until `count` stderr lines match; those lines."""
        deadline = time.monotonic() + timeout
        with self.err_changed:
            while True:
                hits = [l for l in self.err if l is not None and re.search(pattern, l)]
                if len(hits) >= count:
                    return hits
                left = deadline - time.monotonic()
                if left <= 0 or None in self.err:
                    raise AssertionError("%s: %d of %d %r on stderr: %s" % (
                        self.args[0], len(hits), count, pattern, self.stderr()))
                self.err_changed.wait(left)

    def stderr(self):
        with self.err_changed:
            return "\n".join(l for l in self.err if l is not None)

    def stop(self):
        """SIGTERM (the servers exit cleanly on it, so the sanitizers check
        leaks), then SIGKILL if it is still there after a bounded wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(timeout=WAIT)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """redis-server on a Unix socket in `tmp` (and a TCP port if asked)."""

    def __init__(self, tmp, procs, tcp=False):
        procs.append(self)  # killed in teardown, even if it never gets ready
        self.tmp = tmp
        self.path = os.path.join(tmp, "redis.sock")
        self.port = free_port() if tcp else 0
        self.proc = None
        self.start()

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.proc = Proc([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                          "--unixsocket", self.path, "--save", "", "--appendonly", "no",
                          "--dir", self.tmp])
        # The Unix socket's line comes last (after the TCP port's, if any).
        self.proc.wait_out(r"(?i)ready to accept connections at " + re.escape(self.path))

    def kill(self):
        self.proc.stop()

    def stop(self):
        if self.proc:
            self.proc.stop()

    @property
    def url(self):
        return "redis+unix://" + self.path

    @property
    def tcp_url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def cli(self, *args, value=None):
        """redis-cli's answer to one command, as lines; `value` (bytes) is
        appended as the last argument, through stdin (-x), for binary data."""
        cmd = [REDIS_CLI, "-s", self.path] + (["-x"] if value is not None else []) + list(args)
        p = subprocess.run(cmd, input=value if value is not None else b"",
                           capture_output=True, timeout=WAIT, check=True)
        return p.stdout.decode(errors="replace").splitlines()


def python_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(os.environ["TLSPLUG_SOURCE"], "bindings", "python")
    return env


def ruby_env():
    env = dict(os.environ)
    env["RUBYLIB"] = os.path.join(os.environ["TLSPLUG_SOURCE"], "bindings", "ruby", "lib")
    return env


class Server:
    """A tlsplug server in `lang` (c, python, ruby, go): .port, .proc."""

    def __init__(self, lang, procs, *args):
        procs.append(self)
        self.proc = None
        cert = ["--cert", pki("server-chain.pem"), "--key", pki("server.key")]
        if lang == "c":
            # Built with the sanitizers when the library is: leaks checked too.
            env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1")
            self.proc = Proc([TOOL, "server", "--host", "127.0.0.1", "--port", "0"]
                             + cert + list(args), env=env)
        elif lang == "python":
            self.proc = Proc(["python3", os.path.join(HERE, "fleet_server.py")] + cert
                             + list(args), env=python_env())
        elif lang == "ruby":
            self.proc = Proc(["ruby", os.path.join(HERE, "fleet_server.rb")] + cert
                             + list(args), env=ruby_env())
        elif lang == "go":
            env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(os.environ["TLSPLUG_LIBRARY"]))
            # Go's flag package spells options with one dash.
            self.proc = Proc([os.environ["TLSPLUG_FLEET_GO"]]
                             + [a[1:] if a.startswith("--") else a for a in cert + list(args)],
                             env=env)
        self.port = int(self.proc.wait_out(r"listening on .*:(\d+)$").group(1))

    def stop(self):
        if self.proc:
            self.proc.stop()


def s_client(port, *args, timeout=WAIT):
    """openssl s_client against 127.0.0.1:port with empty input: its output."""
    p = subprocess.run([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", "localhost", "-CAfile", pki("ca.pem")] + list(args),
                       input="", capture_output=True, text=True, timeout=timeout)
    return p.stdout + p.stderr


def new_reused(out):
    """s_client's New/Reused lines, in order."""
    return re.findall(r"^(New|Reused), (TLSv1\.\d)", out, re.M)


class FleetTest(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory()
        self.tmp = self.tmpdir.name
        self.procs = []
        # A cleanup, not tearDown: it runs even when a subclass's setUp fails
        # half-way, so nothing it started outlives the test.
        self.addCleanup(self.stop_all)

    def stop_all(self):
        for p in self.procs:
            p.stop()
        self.tmpdir.cleanup()

    def tearDown(self):
        self.stop_all()
        for p in self.procs:
            if isinstance(p, Server) and p.proc:
                err = p.proc.stderr()
                self.assertFalse([m for m in SANITIZER_MARKS if m in err], err[-3000:])

    def redis(self, tcp=False):
        return Redis(self.tmp, self.procs, tcp)

    def server(self, lang, *args):
        return Server(lang, self.procs, *args)

    def ticket_keys(self):
        path = os.path.join(self.tmp, "ticket.keys")
        with open(path, "wb") as f:
            f.write(os.urandom(48))
        return path
