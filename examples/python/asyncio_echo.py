#!/usr/bin/env python3
"""asyncio_echo: tlsplug inside asyncio: an echo server (tlsplug.asyncio.start_server)
and concurrent clients (tlsplug.asyncio.open_connection), plus a Node-style
timer on the same loop, all in one asyncio.run().

    python3 examples/python/asyncio_echo.py --key server.key \\
        --cert server-chain.pem --ca ca.pem --clients 10

Prints one line per client, then "done N". The tlsplug loop is embedded in
asyncio through its backend fd: await code and tlsplug events interleave.
"""
import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bindings", "python"))
import tlsplug  # noqa: E402
import tlsplug.asyncio as tlsaio  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


async def echo(reader, writer):
    writer.write(b"welcome!\n")
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def client(port, ca, i):
    reader, writer = await tlsaio.open_connection("127.0.0.1", port, ca=ca,
                                                  servername="localhost")
    assert await reader.readline() == b"welcome!\n"
    writer.write(b"hello %d\n" % i)
    await writer.drain()
    line = await reader.readline()
    cipher = writer.get_extra_info("cipher")
    writer.close()
    await writer.wait_closed()
    return f"client {i}: {line.decode().strip()!r} over {cipher[1]}"


async def main(args):
    server = await tlsaio.start_server(echo, "127.0.0.1", 0, key=read(args.key),
                                       cert=read(args.cert))
    ticks = []
    interval = tlsplug.set_interval(lambda: ticks.append(1), 5)  # Node's timers coexist
    ca = read(args.ca)
    for line in await asyncio.gather(*(client(server.port, ca, i) for i in range(args.clients))):
        print(line)
    tlsplug.clear_interval(interval)
    server.close()
    await server.wait_closed()
    print(f"done {args.clients}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    asyncio.run(asyncio.wait_for(main(a), a.timeout))
