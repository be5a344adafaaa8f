"""Shared by the Python-driven test suites (interop, options): child
processes whose output can be waited on, and the environment's paths."""
import os
import re
import subprocess
import threading
import time

# A bound for anything that should take well under a second; generous so a
# loaded machine (ASan, ctest -j) does not fail a correct exchange.
TIMEOUT = 30


def env_path(name):
    """The path in environment variable `name`; fails the test if unset or missing."""
    value = os.environ.get(name)
    if not value:
        raise AssertionError(f"{name} is not set: run the tests through ctest")
    if not os.path.exists(value):
        raise AssertionError(f"{name}={value} does not exist")
    return value


def pki(name):
    return os.path.join(env_path("TLSPLUG_PKI"), name)


class Peer:
    """A child process whose stdout and stderr are collected by threads, so
    a test can wait for a line on either without blocking, write to its
    stdin, and always kill it at the end."""

    def __init__(self, name, argv, stdin=subprocess.PIPE, env=None, cwd=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._cv = threading.Condition()
        self._buf = {"out": bytearray(), "err": bytearray()}
        self._open = {"out": True, "err": True}
        self._threads = [threading.Thread(target=self._collect, args=(k, p), daemon=True)
                         for k, p in (("out", self.proc.stdout), ("err", self.proc.stderr))]
        for t in self._threads:
            t.start()

    def _collect(self, key, pipe):
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            with self._cv:
                if not chunk:
                    self._open[key] = False
                    self._cv.notify_all()
                    return
                self._buf[key] += chunk
                self._cv.notify_all()

    @property
    def out(self):
        with self._cv:
            return bytes(self._buf["out"])

    @property
    def err(self):
        with self._cv:
            return bytes(self._buf["err"])

    def text(self):
        return (self.out + self.err).decode("utf-8", "replace")

    def describe(self):
        return (f"--- {self.name}: {' '.join(self.argv)} (exit {self.proc.poll()})\n"
                f"stdout: {self.out[-4000:]!r}\nstderr: {self.err[-4000:]!r}")

    def wait_for(self, pattern, stream="out", timeout=TIMEOUT):
        """The first match of `pattern` (bytes regex, multiline) on the
        stream ("out", "err" or "any"); fails with all the peer said if it
        does not come before the timeout or the stream's end."""
        rx = re.compile(pattern, re.M)
        keys = ("out", "err") if stream == "any" else (stream,)
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for k in keys:
                    m = rx.search(bytes(self._buf[k]))
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or not any(self._open[k] for k in keys):
                    break
                self._cv.wait(min(left, 0.5))
        raise AssertionError(f"{self.name}: no {pattern!r} within {timeout}s\n{self.describe()}")

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def close_stdin(self):
        try:
            if self.proc.stdin and not self.proc.stdin.closed:
                self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def wait(self, timeout=TIMEOUT):
        """The exit status, once the output is collected; fails (after
        killing it) if it does not exit."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not exit within {timeout}s\n{self.describe()}")
        for t in self._threads:
            t.join(timeout)
        return rc

    def kill(self):
        """Stop this one pid if still running: SIGTERM, then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.close_stdin()
        # Once it is gone the collectors reach EOF; then the pipes can close.
        for t in self._threads:
            t.join(TIMEOUT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if not any(t.is_alive() for t in self._threads):
                pipe.close()
