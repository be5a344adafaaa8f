#!/usr/bin/env python3
"""echo_server: Node's tls.createServer() echo example, in Python on tlsplug.

    const server = tls.createServer(options, (socket) => {
      console.log('server connected',
                  socket.authorized ? 'authorized' : 'unauthorized');
      socket.write('welcome!\\n');
      socket.setEncoding('utf8');
      socket.pipe(socket);
    });
    server.listen(8000, () => { console.log('server bound'); });

Connections are accepted with Python's socket module and served one at a
time by the binding's small blocking driver (TLSSocket.run_until); the C
library's libuv loop will serve many at once. Needs the tlsplug package
(bindings/python) and libtlsplug.so.1 (TLSPLUG_LIBRARY or the system path).
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


def serve(conn, ctx, args):
    sock = tlsplug.TLSSocket(conn, is_server=True, secure_context=ctx,
                             request_cert=args.request_cert,
                             reject_unauthorized=not args.insecure)

    def on_secure():
        print("server connected", "authorized" if sock.authorized else "unauthorized", flush=True)
        sock.write(b"welcome!\n")

    sock.on("secure", on_secure)
    sock.on("data", sock.write)  # socket.pipe(socket)
    sock.on("error", lambda e: print(f"server connection error {e.code}: {e.message}",
                                     file=sys.stderr, flush=True))
    try:
        sock.run_until(timeout=args.timeout)
    except TimeoutError:
        print("server connection timed out", file=sys.stderr, flush=True)
    finally:
        sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--ca", help="trusted CAs for client certificates")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    ap.add_argument("--request-cert", action="store_true")
    ap.add_argument("--insecure", action="store_true", help="rejectUnauthorized: false")
    ap.add_argument("--once", action="store_true", help="exit after the first connection")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per connection")
    args = ap.parse_args()

    ctx = tlsplug.create_secure_context(key=read(args.key), cert=read(args.cert),
                                        ca=read(args.ca) if args.ca else None)
    with socket.create_server((args.host, args.port)) as ls:
        host, port = ls.getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        while True:
            conn, _ = ls.accept()
            serve(conn, ctx, args)
            if args.once:
                return 0


if __name__ == "__main__":
    sys.exit(main())
