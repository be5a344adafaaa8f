"""A Python program as a user of the python3-tlsplug package writes it: no
path set up, the package from /usr/lib/python3/dist-packages and the
library from the system. Connects to PORT on 127.0.0.1 trusting CA, sends a
line, prints what came back once the echo is complete.
usage: python3 client.py PORT CA"""
import sys

import tlsplug

port, ca = int(sys.argv[1]), open(sys.argv[2], "rb").read()
line = b"hello from python\n"
got = bytearray()
sock = tlsplug.connect(port, "127.0.0.1", ca=[ca], servername="localhost")
sock.on("secureConnect", lambda: sock.write(line))
sock.on("data", got.extend)
tlsplug.run(timeout=10, until=lambda: line in got)
sock.end()
print(f"python: authorized={sock.authorized} echo={line in got}")
sys.exit(0 if line in got else 1)
