"""tlsplug.asyncio: the tlsplug loop inside a running asyncio loop.
open_connection against a tlsplug server and against Python's ssl server
(both in the same asyncio loop), 20 concurrent tasks each; start_server
with Python ssl clients; tlsplug events and timers beside await code."""
import asyncio
import os
import ssl
import unittest

import support
from support import pki
import tlsplug
import tlsplug.asyncio as tlsaio

TIMEOUT = 20
TASKS = 20


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (tlsplug.TLSError, ConnectionError, ssl.SSLError):
        pass  # a client that gave up (the handshake-failure test)
    writer.close()


async def exchange(port, i, size=50000, **opts):
    reader, writer = await tlsaio.open_connection(
        "127.0.0.1", port, ca=pki("ca.pem"), servername="localhost", **opts)
    msg = (b"%03d:" % i) * (size // 4)
    writer.write(msg)
    await writer.drain()
    got = await reader.readexactly(len(msg))
    info = (writer.get_extra_info("cipher"), writer.get_extra_info("peercert")["subject"]["CN"],
            writer.get_extra_info("ssl_object").authorized)
    writer.close()
    await writer.wait_closed()
    return got == msg, info


def ssl_server_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(support.PKI, "server-chain.pem"),
                        os.path.join(support.PKI, "server.key"))
    return ctx


@support.need_pki
class AsyncioIntegration(support.LoopTestCase):
    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, TIMEOUT))

    def test_open_connection_against_tlsplug_server(self):
        async def main():
            srv = await tlsaio.start_server(echo, "127.0.0.1", 0, key=pki("server.key"),
                                            cert=pki("server-chain.pem"))
            results = await asyncio.gather(*(exchange(srv.port, i) for i in range(TASKS)))
            srv.close()
            await srv.wait_closed()
            return results

        results = self.run_async(main())
        self.assertEqual(len(results), TASKS)
        for ok, (cipher, cn, authorized) in results:
            self.assertTrue(ok)
            self.assertEqual(cipher[1], "TLSv1.3")
            self.assertEqual(cn, "localhost")
            self.assertTrue(authorized)

    def test_open_connection_against_python_ssl_server(self):
        async def main():
            server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=ssl_server_context())
            port = server.sockets[0].getsockname()[1]
            results = await asyncio.gather(*(exchange(port, i, alpn_protocols=["h2"])
                                             for i in range(TASKS)))
            server.close()
            await server.wait_closed()
            return results

        results = self.run_async(main())
        self.assertTrue(all(ok for ok, _ in results))

    def test_python_ssl_clients_against_start_server(self):
        async def client(port, i):
            ctx = ssl.create_default_context(cafile=os.path.join(support.PKI, "ca.pem"))
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                                           server_hostname="localhost")
            msg = b"ssl-%d" % i * 1000
            writer.write(msg)
            await writer.drain()
            got = await reader.readexactly(len(msg))
            writer.close()
            try:
                await writer.wait_closed()
            except (ssl.SSLError, ConnectionError):
                pass
            return got == msg

        async def main():
            srv = await tlsaio.start_server(echo, "127.0.0.1", 0, key=pki("server.key"),
                                            cert=pki("server-chain.pem"))
            ok = await asyncio.gather(*(client(srv.port, i) for i in range(TASKS)))
            srv.close()
            await srv.wait_closed()
            return ok

        self.assertTrue(all(self.run_async(main())))

    def test_slow_reader_pauses_reading(self):
        total = 4 * 1024 * 1024

        async def flood(reader, writer):
            chunk = b"f" * 65536
            for _ in range(total // len(chunk)):
                writer.write(chunk)
                await writer.drain()
            writer.close()

        async def main():
            srv = await tlsaio.start_server(flood, "127.0.0.1", 0, key=pki("server.key"),
                                            cert=pki("server-chain.pem"))
            reader, writer = await tlsaio.open_connection(
                "127.0.0.1", srv.port, ca=pki("ca.pem"), servername="localhost", limit=32768)
            transport = writer.transport
            paused_seen = False
            got = 0
            while True:
                await asyncio.sleep(0.001)
                paused_seen = paused_seen or not transport.is_reading()
                data = await reader.read(1 << 20)
                if not data:
                    break
                got += len(data)
            writer.close()
            await writer.wait_closed()
            srv.close()
            await srv.wait_closed()
            return got, paused_seen

        got, paused_seen = self.run_async(main())
        self.assertEqual(got, total)
        self.assertTrue(paused_seen)

    def test_events_and_timers_beside_await(self):
        async def main():
            fired = asyncio.get_running_loop().create_future()
            tlsaio.install()
            tlsplug.set_timeout(lambda: fired.set_result("timer"), 20)
            self.assertEqual(await fired, "timer")
            # A Node-style server (listeners) serving an await-style client.
            server = tlsplug.create_server(
                {"key": pki("server.key"), "cert": pki("server-chain.pem")},
                lambda sock: (sock.write(b"welcome!\n"), sock.on("data", sock.write)))
            listening = asyncio.get_running_loop().create_future()
            server.listen(0, "127.0.0.1", callback=lambda: listening.set_result(None))
            await listening
            reader, writer = await tlsaio.open_connection(
                "127.0.0.1", server.address()["port"], ca=pki("ca.pem"), servername="localhost")
            self.assertEqual(await reader.readline(), b"welcome!\n")
            writer.write(b"ping\n")
            self.assertEqual(await reader.readline(), b"ping\n")
            writer.close()
            await writer.wait_closed()
            closed = asyncio.get_running_loop().create_future()
            server.close(lambda *a: closed.set_result(a))
            await closed

        self.run_async(main())

    def test_handshake_failure_raises_with_code(self):
        async def main():
            srv = await tlsaio.start_server(echo, "127.0.0.1", 0, key=pki("server.key"),
                                            cert=pki("server-chain.pem"))
            try:
                with self.assertRaises(tlsplug.TLSError) as cm:
                    await tlsaio.open_connection("127.0.0.1", srv.port, servername="localhost")
                self.assertEqual(cm.exception.code, "UNABLE_TO_GET_ISSUER_CERT_LOCALLY")
                with self.assertRaises(tlsplug.TLSError) as cm:
                    await tlsaio.open_connection("127.0.0.1", srv.port, ca=pki("ca.pem"),
                                                 servername="wrong.example")
                self.assertEqual(cm.exception.code, "ERR_TLS_CERT_ALTNAME_INVALID")
            finally:
                srv.close()
                await srv.wait_closed()

        self.run_async(main())


if __name__ == "__main__":
    unittest.main()
