"""The Python binding's PEP 517 build backend, standard library only.

The package is pure Python (ctypes), so building it needs nothing that
pip would have to download: pyproject.toml declares no build requirements
and `pip install ./bindings/python` works offline, with no flags, in any
Python >= 3.8. This backend writes a py3-none-any wheel (with an editable
variant) and an sdist with PKG-INFO and LICENSE, from the [project] table
of pyproject.toml (read with tomllib where it exists, else by the small
reader below, which understands the file's own simple layout).
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- pyproject.toml ----------------------------------------------------------

def _toml_value(text):
    text = text.strip()
    if text.startswith('"'):
        return text[1:text.index('"', 1)]
    if text.startswith("["):
        tables = re.findall(r'\{[^}]*\}', text)
        if tables:  # an array of inline tables: authors = [{ name = "..." }]
            return [dict(re.findall(r'(\w[\w-]*)\s*=\s*"([^"]*)"', t)) for t in tables]
        return re.findall(r'"([^"]*)"', text)
    if text.startswith("{"):
        return dict(re.findall(r'(\w[\w-]*)\s*=\s*"([^"]*)"', text))
    return text


def _pyproject():
    path = os.path.join(HERE, "pyproject.toml")
    try:
        import tomllib  # Python 3.11+
        with open(path, "rb") as f:
            return tomllib.load(f)
    except ImportError:
        pass
    data = {}
    table = data
    key, buf = None, ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.split("#", 1)[0].rstrip() if not line.lstrip().startswith('"') else line.rstrip()
            if key is not None:  # a multi-line array
                buf += stripped
                if "]" in stripped:
                    table[key] = _toml_value(buf)
                    key = None
                continue
            if not stripped.strip():
                continue
            m = re.match(r"^\[([\w.-]+)\]$", stripped.strip())
            if m:
                table = data
                for part in m.group(1).split("."):
                    table = table.setdefault(part, {})
                continue
            m = re.match(r'^("[^"]*"|[\w./-]+)\s*=\s*(.*)$', stripped.strip())
            if m:
                k = m.group(1).strip('"')
                if m.group(2).startswith("[") and "]" not in m.group(2):
                    key, buf = k, m.group(2)
                else:
                    table[k] = _toml_value(m.group(2))
    return data


def _license_path(required=True):
    """LICENSE: in this directory (an sdist) or at the repository's top.
    An sdist must carry it; a wheel built from a bare copy of the directory
    goes without (its metadata still says License: MIT)."""
    for candidate in (os.path.join(HERE, "LICENSE"), os.path.join(HERE, "..", "..", "LICENSE")):
        if os.path.exists(candidate):
            return candidate
    if required:
        raise FileNotFoundError("LICENSE: neither in the package directory nor at the "
                                "repository's top; an sdist must include it")
    return None


def _metadata():
    p = _pyproject()["project"]
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {p['name']}",
        f"Version: {p['version']}",
        f"Summary: {p['description']}",
    ]
    license_ = p.get("license", {})
    if isinstance(license_, dict) and license_.get("text"):
        lines.append(f"License: {license_['text']}")
    for author in p.get("authors", []):
        name = author.get("name") if isinstance(author, dict) else author
        if name:
            lines.append(f"Author: {name}")
    if p.get("keywords"):
        lines.append("Keywords: " + ",".join(p["keywords"]))
    for c in p.get("classifiers", []):
        lines.append(f"Classifier: {c}")
    for label, url in p.get("urls", {}).items():
        lines.append(f"Project-URL: {label}, {url}")
    lines.append(f"Requires-Python: {p['requires-python']}")
    if _license_path(required=False):
        lines.append("License-File: LICENSE")
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(HERE, p.get("readme", "README.md")), encoding="utf-8") as f:
        readme = f.read()
    return p["name"], p["version"], "\n".join(lines) + "\n\n" + readme


def _package_files():
    pkg = os.path.join(HERE, "tlsplug")
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py") or name == "py.typed":
            yield os.path.join(pkg, name), "tlsplug/" + name


def _digest(data):
    d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={d},{len(data)}"


# ---- PEP 517 / 660 hooks -----------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def _dist_info_files(name, version):
    _, _, metadata = _metadata()
    info = f"{name}-{version}.dist-info"
    files = [
        (f"{info}/METADATA", metadata.encode()),
        (f"{info}/WHEEL", ("Wheel-Version: 1.0\nGenerator: tlsplug_backend\n"
                           "Root-Is-Purelib: true\nTag: py3-none-any\n").encode()),
        (f"{info}/top_level.txt", b"tlsplug\n"),
    ]
    license_path = _license_path(required=False)
    if license_path:
        with open(license_path, "rb") as f:
            files.append((f"{info}/LICENSE", f.read()))
    return info, files


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name, version, _ = _metadata()
    info, files = _dist_info_files(name, version)
    for arc, data in files:
        path = os.path.join(metadata_directory, arc)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def _write_wheel(wheel_directory, entries):
    name, version, _ = _metadata()
    info, meta = _dist_info_files(name, version)
    entries = entries + meta
    whl = f"{name}-{version}-py3-none-any.whl"
    record = "".join(f"{arc},{_digest(data)}\n" for arc, data in entries) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(wheel_directory, whl), "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in entries:
            z.writestr(arc, data)
        z.writestr(f"{info}/RECORD", record)
    return whl


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for path, arc in _package_files():
        with open(path, "rb") as f:
            entries.append((arc, f.read()))
    return _write_wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A .pth file that puts this directory on sys.path (PEP 660)."""
    return _write_wheel(wheel_directory, [("tlsplug_editable.pth", (HERE + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    name, version, metadata = _metadata()
    base = f"{name}-{version}"
    out = f"{base}.tar.gz"

    def add_bytes(t, arc, data):
        info = tarfile.TarInfo(f"{base}/{arc}")
        info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(os.path.join(sdist_directory, out), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for rel in ("pyproject.toml", "README.md", "build_backend/tlsplug_backend.py"):
            t.add(os.path.join(HERE, rel), f"{base}/{rel}")
        for path, arc in _package_files():
            t.add(path, f"{base}/{arc}")
        t.add(_license_path(), f"{base}/LICENSE")
        add_bytes(t, "PKG-INFO", metadata.encode())
    return out
