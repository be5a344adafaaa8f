#!/usr/bin/env python3
"""echo_client: Node's tls.connect() example, in Python on tlsplug.

    const socket = tls.connect(8000, options, () => {
      console.log('client connected',
                  socket.authorized ? 'authorized' : 'unauthorized');
      process.stdin.pipe(socket);
      process.stdin.resume();
    });
    socket.setEncoding('utf8');
    socket.on('data', (data) => { console.log(data); });
    socket.on('end', () => { console.log('server ends connection'); });

Standard input is read to its end, written, and the connection ended; what
the server sends back goes to standard output. The connection is driven by
the binding's small blocking driver (TLSSocket.run_until).
"""
import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import tlsplug  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--servername", default="localhost")
    ap.add_argument("--ca")
    ap.add_argument("--key")
    ap.add_argument("--cert")
    ap.add_argument("--insecure", action="store_true", help="rejectUnauthorized: false")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()

    ctx = tlsplug.create_secure_context(ca=read(args.ca) if args.ca else None,
                                        key=read(args.key) if args.key else None,
                                        cert=read(args.cert) if args.cert else None)
    transport = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock = tlsplug.TLSSocket(transport, secure_context=ctx, servername=args.servername,
                             reject_unauthorized=not args.insecure)
    failed = []

    def on_connect():
        why = "" if sock.authorized else f" ({sock.authorization_error})"
        print("client connected", "authorized" if sock.authorized else "unauthorized" + why,
              file=sys.stderr, flush=True)
        sock.end(sys.stdin.buffer.read())  # process.stdin.pipe(socket)

    def on_error(e):
        failed.append(e)
        print(f"client error {e.code}: {e.message}", file=sys.stderr, flush=True)

    sock.on("secureConnect", on_connect)
    sock.on("data", lambda d: (sys.stdout.buffer.write(d), sys.stdout.flush()))
    sock.on("end", lambda: print("server ends connection", file=sys.stderr, flush=True))
    sock.on("error", on_error)
    try:
        sock.run_until(timeout=args.timeout)
    finally:
        sock.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
