"""Shared plumbing for the server tests: server_tool as a subprocess whose
stdout lines are read by a thread (every wait bounded, synchronised on
output), and the peers (openssl s_client, Node's tls.connect through
node_client.js) run with bounded timeouts."""
import json
import os
import queue
import subprocess
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.environ.get("TLSPLUG_PKI", "")
TOOL = os.environ.get("TLSPLUG_SERVER_TOOL", "")
OPENSSL = os.environ.get("TLSPLUG_OPENSSL") or "openssl"
NODE = os.environ.get("TLSPLUG_NODE") or "node"
WAIT = 20.0
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def pki(name):
    return os.path.join(PKI, name)


def fingerprint(pem_path):
    """SHA-256 fingerprint of a certificate, from openssl, colon form."""
    out = subprocess.run([OPENSSL, "x509", "-in", pem_path, "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, timeout=WAIT, check=True).stdout
    return out.strip().split("=", 1)[1]


class Tool:
    """server_tool running; lines() are its stdout lines as they come."""

    def __init__(self, *args):
        self.args = [TOOL, "--timeout", "15000"] + list(args)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.q = queue.Queue()
        self.err = []
        self.threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.q), daemon=True),
            threading.Thread(target=self._drain, daemon=True)]
        for t in self.threads:
            t.start()
        self.ticket_keys = None
        line = self.next_line()
        if line.startswith("TICKET_KEYS "):
            self.ticket_keys = line.split()[1]
            line = self.next_line()
        if not line.startswith("PORT "):
            raise AssertionError("server_tool did not print PORT: %r %s" % (line, self.stderr()))
        self.port = int(line.split()[1])

    @staticmethod
    def _read(f, q):
        for line in f:
            q.put(line.rstrip("\n"))
        q.put(None)

    def _drain(self):
        for line in self.proc.stderr:
            self.err.append(line)

    def stderr(self):
        return "".join(self.err)

    def next_line(self, timeout=WAIT):
        try:
            line = self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("server_tool: no output within %ss; stderr: %s"
                                 % (timeout, self.stderr()))
        if line is None:
            raise AssertionError("server_tool ended early (rc %s); stderr: %s"
                                 % (self.proc.wait(timeout=WAIT), self.stderr()))
        return line

    def connection(self, timeout=WAIT):
        """The next per-connection JSON line."""
        while True:
            line = self.next_line(timeout)
            obj = json.loads(line)
            if obj.get("event") == "connection":
                return obj

    def connections(self, n):
        return [self.connection() for _ in range(n)]

    def finish(self):
        """Wait for a clean exit; fail on a nonzero status or sanitizer report."""
        rc = self.proc.wait(timeout=WAIT)
        for t in self.threads:
            t.join(timeout=WAIT)
        if rc != 0:
            raise AssertionError("server_tool exit %s; stderr: %s" % (rc, self.stderr()))
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            pass
        for t in self.threads:
            t.join(timeout=WAIT)

    def check_sanitizers(self, testcase):
        text = self.stderr()
        for mark in SANITIZER_MARKS:
            testcase.assertNotIn(mark, text, text)


def s_client(port, *args, stdin="", timeout=WAIT):
    """openssl s_client to the tool: (returncode, stdout+stderr)."""
    cmd = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port] + list(args)
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def node_client(port, **cfg):
    """Node's tls.connect to the tool: the list of JSON events it printed."""
    cfg["port"] = port
    p = subprocess.run([NODE, os.path.join(HERE, "node_client.js"), json.dumps(cfg)],
                       capture_output=True, text=True, timeout=WAIT)
    events = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    if not events:
        raise AssertionError("node_client printed nothing: %s" % p.stderr)
    return events


def first(events, name):
    for e in events:
        if e.get("event") == name:
            return e
    return None


class ToolTest(unittest.TestCase):
    """Tracks every Tool started and kills it in tearDown."""

    def setUp(self):
        if not PKI or not TOOL:
            self.fail("TLSPLUG_PKI and TLSPLUG_SERVER_TOOL must be set")
        self.tools = []

    def tearDown(self):
        for c in getattr(self, "clients", []):
            c.kill()
        for t in self.tools:
            t.kill()
            t.check_sanitizers(self)

    def tool(self, *args):
        t = Tool(*args)
        self.tools.append(t)
        return t

    def interactive(self, port, *args):
        if not hasattr(self, "clients"):
            self.clients = []
        c = Interactive(port, *args)
        self.clients.append(c)
        return c

    def default_args(self):
        return ["--key", pki("server.key"), "--cert", pki("server-chain.pem")]


class Interactive:
    """openssl s_client kept open: send lines on its stdin, wait for its
    output (stdout and stderr merged) to match."""

    def __init__(self, port, *args):
        cmd = [OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port] + list(args)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.q = queue.Queue()
        self.text = ""
        self.thread = threading.Thread(target=Tool._read, args=(self.proc.stdout, self.q),
                                       daemon=True)
        self.thread.start()
        self.eof = False

    def wait_for(self, needle, count=1, timeout=WAIT):
        """Wait until `needle` occurs `count` times in the output; the output."""
        import time
        deadline = time.monotonic() + timeout
        while self.text.count(needle) < count:
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                raise AssertionError("s_client: %r x%d not seen; output:\n%s"
                                     % (needle, count, self.text))
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.eof = True
            else:
                self.text += line + "\n"
        return self.text

    def send(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close(self):
        """Close stdin and wait for s_client to exit; its whole output."""
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait(timeout=WAIT)
        self.thread.join(timeout=WAIT)
        while not self.q.empty():
            line = self.q.get()
            if line is not None:
                self.text += line + "\n"
        return self.text

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT)
