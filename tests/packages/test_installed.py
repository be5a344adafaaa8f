"""The Debian packages installed for real, on a root where tlsplug was never
installed: every package CPack makes is installed with dpkg -i, then the
command, a C program, and a program in each language run against the
installed library with no path variable (no LD_LIBRARY_PATH, PYTHONPATH,
RUBYLIB, PKG_CONFIG_PATH or TLSPLUG_LIBRARY): what a user gets from
`apt-get install ./*.deb`.

The root is this machine's own filesystem seen through an overlay in a
private mount namespace (unshare -m), chrooted into: dpkg writes only to
the overlay's upper directory, which goes with the test, so the machine
itself is never changed. Needs root (CAP_SYS_ADMIN) for the mounts."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("TLSPLUG_BUILD", "")
SOURCE = os.path.dirname(os.path.dirname(HERE))
PKI = os.environ.get("TLSPLUG_PKI", "")
TIMEOUT = 240

# Run inside the chroot; every step prints one "step: ..." line or fails.
INSIDE = r"""
set -eu
cd "$T"
export HOME="$T/home" GOCACHE="$T/home/gocache" GOPATH="$T/home/go" GOFLAGS=-mod=mod GOPROXY=off
mkdir -p "$HOME"
unset LD_LIBRARY_PATH PYTHONPATH RUBYLIB PKG_CONFIG_PATH TLSPLUG_LIBRARY LD_PRELOAD
if ls /usr/lib/libtlsplug* /usr/lib/*/libtlsplug* >/dev/null 2>&1; then
  echo "root: tlsplug is already installed"; exit 1
fi
dpkg -i debs/*.deb >dpkg.log 2>&1 || { cat dpkg.log; exit 1; }
echo "installed: $(dpkg-query -W -f='${Package} ' libtlsplug1 libtlsplug-dev tlsplug python3-tlsplug ruby-tlsplug golang-tlsplug-dev)"
# The core library needs no hiredis; the Redis module, packaged apart, does.
echo "redis module: $(ls /usr/lib/libtlsplug-redis.so 2>/dev/null) core-needs-hiredis=$(ldd /usr/lib/libtlsplug.so.1 | grep -c hiredis || true)"
echo "version: $(tlsplug version)"
echo "man3: $(man -w libtlsplug)"
mkfifo server.out
tlsplug server --host 127.0.0.1 --port 0 --cert "$T/pki/server-chain.pem" --key "$T/pki/server.key" >server.out 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
exec 3<server.out   # kept open: the server logs each connection to it
port=""
while IFS= read -t 20 -r l <&3; do
  case $l in "listening on 127.0.0.1:"*) port=${l##*:}; break;; esac
done
[ -n "$port" ] || { echo "server: no listening line within 20 s"; exit 1; }
cc -std=c11 -Wall -Werror "$T/consumer.c" -o consumer $(pkg-config --cflags --libs tlsplug)
echo "c: $(./consumer "$T/pki/server.pem" "$T/pki/server.key" | tr '\n' ' ')"
timeout 60 /usr/bin/python3 "$T/client.py" "$port" "$T/pki/ca.pem"
timeout 60 ruby "$T/client.rb" "$port" "$T/pki/ca.pem"
(cd "$T/go" && timeout 180 go build -o "$T/goclient" . ) && timeout 60 "$T/goclient" "127.0.0.1:$port" "$T/pki/ca.pem"
# The gem, built and installed offline, then loaded in preference to the
# ruby-tlsplug copy; it finds the library on the system too.
(cd "$T/gem" && gem build tlsplug.gemspec >gem.log 2>&1 && \
  gem install --local --no-document ./tlsplug-*.gem >>gem.log 2>&1) || { cat "$T/gem/gem.log"; exit 1; }
echo "gem: $(ruby -e 'gem "tlsplug"; require "tlsplug"; f = $LOADED_FEATURES.grep(%r{/tlsplug\.rb$}).first
  puts "#{f.include?("/gems/tlsplug-") ? "from the gem" : f} #{Tlsplug.version}"')"
"""

# Run in the new mount namespace: mount the overlay, give it /proc and
# /dev, then chroot. $1 is the scratch directory (T).
OUTSIDE = r"""
set -eu
T=$1
mount --make-rprivate /
mkdir -p "$T/upper" "$T/work" "$T/merged"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$T/merged"
mount --rbind /proc "$T/merged/proc"
mount --rbind /dev "$T/merged/dev"
exec chroot "$T/merged" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin T="$T" \
  /bin/bash "$T/inside.sh"
"""


def can_overlay() -> str:
    """Why this machine cannot build the overlay root ('' when it can)."""
    if os.geteuid() != 0:
        return "needs root for the overlay mount"
    for tool in ("unshare", "chroot", "dpkg", "cc", "pkg-config", "ruby", "go", "man"):
        if not shutil.which(tool):
            return f"{tool} not found"
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30)
    if r.returncode != 0:
        return f"unshare -m refused: {r.stderr.decode().strip()}"
    return ""


class InstalledPackages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = can_overlay()
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="tlsplug-installed.")
        T = cls.tmp
        r = subprocess.run([os.environ["CPACK"], "-G", "DEB", "-B", os.path.join(T, "debs"),
                            "--config", os.path.join(BUILD, "CPackConfig.cmake")],
                           capture_output=True, timeout=150)
        if r.returncode != 0:
            raise AssertionError(f"cpack failed:\n{r.stdout.decode()}\n{r.stderr.decode()}")
        shutil.copytree(PKI, os.path.join(T, "pki"))
        for name in ("client.py", "client.rb"):
            shutil.copy(os.path.join(HERE, "installed", name), T)
        shutil.copytree(os.path.join(HERE, "installed", "go"), os.path.join(T, "go"))
        ruby = os.path.join(SOURCE, "bindings", "ruby")
        shutil.copytree(ruby, os.path.join(T, "gem"), ignore=shutil.ignore_patterns("test"))
        shutil.copy(os.path.join(HERE, "consumer.c"), T)
        with open(os.path.join(T, "inside.sh"), "w") as f:
            f.write(INSIDE)
        with open(os.path.join(T, "outside.sh"), "w") as f:
            f.write(OUTSIDE)
        r = subprocess.run(["unshare", "-m", "bash", os.path.join(T, "outside.sh"), T],
                           capture_output=True, timeout=TIMEOUT)
        cls.rc, cls.out = r.returncode, r.stdout.decode() + r.stderr.decode()

    @classmethod
    def tearDownClass(cls):
        # The overlay went with its namespace; only the scratch files remain.
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def line(self, step):
        m = re.search(rf"(?m)^{step}: (.*)$", self.out)
        self.assertIsNotNone(m, f"no '{step}:' line; the run said:\n{self.out}")
        return m.group(1)

    def test_every_package_installs(self):
        self.assertEqual(sorted(self.line("installed").split()),
                         ["golang-tlsplug-dev", "libtlsplug-dev", "libtlsplug1", "python3-tlsplug",
                          "ruby-tlsplug", "tlsplug"])

    def test_redis_store_module_packaged_apart(self):
        if not os.path.exists(os.path.join(BUILD, "src", "libtlsplug-redis.so")):
            self.skipTest("built without hiredis")
        self.assertEqual(self.line("redis module"),
                         "/usr/lib/libtlsplug-redis.so core-needs-hiredis=0")

    def test_command_and_manual(self):
        self.assertRegex(self.line("version"), r"^tlsplug \d+\.\d+\.\d+ \(GnuTLS 3\.")
        self.assertEqual(self.line("man3"), "/usr/share/man/man3/libtlsplug.3.gz")

    def test_c_program_links_through_pkg_config(self):
        self.assertRegex(self.line("c"), r"^version: tlsplug \S+ .* context: ok $")

    def test_gem_builds_installs_and_finds_the_system_library(self):
        self.assertRegex(self.line("gem"), r"^from the gem tlsplug \S+ \(GnuTLS 3\.")

    def test_each_language_talks_tls_with_no_path_variables(self):
        self.assertEqual(self.rc, 0, self.out)
        for lang in ("python", "ruby", "go"):
            self.assertRegex(self.line(lang), r"^authorized=(True|true) echo=(True|true)$", lang)


if __name__ == "__main__":
    unittest.main()
