"""Packaging: a plain `pip install` (build isolation and all; --no-index
only proves nothing is fetched) works offline, without a compiler, from a
copy of bindings/python; the installed package finds
libtlsplug.so.1 in its own directory, and without any library it refuses to
import with a message that says what to do."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import support  # noqa: F401

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def has_pip():
    return subprocess.run([sys.executable, "-m", "pip", "--version"],
                          capture_output=True).returncode == 0


@unittest.skipUnless(has_pip(), "this python3 has no pip")
class Package(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tlsplug-pkg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_py(self, code, env):
        return subprocess.run([sys.executable, "-c", code], cwd=self.tmp, env=env,
                              capture_output=True, timeout=60)

    def test_pip_install_and_library_lookup(self):
        src = os.path.join(self.tmp, "src")
        shutil.copytree(HERE, src, ignore=shutil.ignore_patterns(
            "tests", "build", "*.egg-info", "__pycache__"))
        target = os.path.join(self.tmp, "site")
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index",
                            "--disable-pip-version-check", "--target", target, src],
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(os.path.join(target, "tlsplug", "_abi.py")))
        self.assertFalse(os.path.exists(os.path.join(target, "tlsplug", "libtlsplug.so.1")))

        env = {k: v for k, v in os.environ.items() if k != "TLSPLUG_LIBRARY"}
        env["PYTHONPATH"] = target
        env["LD_LIBRARY_PATH"] = ""
        probe = "import tlsplug; print(tlsplug._lib.lib.path); print(tlsplug.DEFAULT_MAX_VERSION)"
        # No library anywhere (unless one is installed system-wide): a clear refusal.
        r = self.run_py(probe, env)
        if r.returncode != 0:
            self.assertIn(b"TLSPLUG_LIBRARY", r.stderr)
            self.assertIn(b"ImportError", r.stderr)
        # A library placed next to the package is found there.
        shutil.copy(os.environ["TLSPLUG_LIBRARY"], os.path.join(target, "tlsplug", "libtlsplug.so.1"))
        r = self.run_py(probe, env)
        self.assertEqual(r.returncode, 0, r.stderr)
        path, version = r.stdout.decode().split()
        self.assertEqual(path, os.path.join(target, "tlsplug", "libtlsplug.so.1"))
        self.assertEqual(version, "TLSv1.3")
        # TLSPLUG_LIBRARY comes first.
        env["TLSPLUG_LIBRARY"] = os.environ["TLSPLUG_LIBRARY"]
        r = self.run_py(probe, env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().split()[0], os.environ["TLSPLUG_LIBRARY"])


if __name__ == "__main__":
    unittest.main()
