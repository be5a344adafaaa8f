"""The Python binding's PEP 517 build backend: setuptools, with a fallback.

With setuptools and wheel importable (Debian's python3-setuptools and
python3-wheel), every hook is setuptools.build_meta's. Where `wheel` is
missing (a bare python.org or pyenv interpreter with an older setuptools,
which then cannot build a wheel), the package, being pure Python, is packed
into a py3-none-any wheel by the standard library below, so that
`pip install --no-build-isolation ./bindings/python` works offline anywhere.
"""
import base64
import hashlib
import os
import re
import tarfile
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import wheel  # noqa: F401  (setuptools < 70.1 needs it for bdist_wheel)
    from setuptools import build_meta as _setuptools
except ImportError:
    _setuptools = None

if _setuptools is not None:
    from setuptools.build_meta import *  # noqa: F401,F403
else:
    def _project():
        with open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8") as f:
            text = f.read()
        section = text.split("[project]", 1)[1].split("\n[", 1)[0]
        get = lambda key: re.search(rf'^{key}\s*=\s*"([^"]*)"', section, re.M).group(1)  # noqa: E731
        return get("name"), get("version"), get("description"), get("requires-python")

    def _files():
        pkg = os.path.join(HERE, "tlsplug")
        for name in sorted(os.listdir(pkg)):
            if name.endswith(".py") or name == "py.typed":
                yield os.path.join(pkg, name), "tlsplug/" + name

    def _digest(data):
        d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        return f"sha256={d},{len(data)}"

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def get_requires_for_build_sdist(config_settings=None):
        return []

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        name, version, summary, requires = _project()
        info = f"{name}-{version}.dist-info"
        whl = f"{name}-{version}-py3-none-any.whl"
        entries = []
        for path, arc in _files():
            with open(path, "rb") as f:
                entries.append((arc, f.read()))
        readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
        entries.append((f"{info}/METADATA", (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n"
            f"Requires-Python: {requires}\nDescription-Content-Type: text/markdown\n\n{readme}"
        ).encode()))
        entries.append((f"{info}/WHEEL", (
            "Wheel-Version: 1.0\nGenerator: tlsplug_backend\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n").encode()))
        entries.append((f"{info}/top_level.txt", b"tlsplug\n"))
        record = "".join(f"{arc},{_digest(data)}\n" for arc, data in entries) + f"{info}/RECORD,,\n"
        with zipfile.ZipFile(os.path.join(wheel_directory, whl), "w", zipfile.ZIP_DEFLATED) as z:
            for arc, data in entries:
                z.writestr(arc, data)
            z.writestr(f"{info}/RECORD", record)
        return whl

    def build_sdist(sdist_directory, config_settings=None):
        name, version, _, _ = _project()
        base = f"{name}-{version}"
        out = f"{base}.tar.gz"
        with tarfile.open(os.path.join(sdist_directory, out), "w:gz") as t:
            for rel in ("pyproject.toml", "README.md", "build_backend/tlsplug_backend.py"):
                t.add(os.path.join(HERE, rel), f"{base}/{rel}")
            for path, arc in _files():
                t.add(path, f"{base}/{arc}")
        return out
