"""tlsplug's exceptions are Python's own kinds and keep Node's code: a
refused port is a ConnectionRefusedError, a name that does not resolve a
socket.gaierror, a refused certificate an ssl.SSLCertVerificationError, a
handshake timeout a TimeoutError with a message; all stay TLSErrors.
Codes come from Node connecting to the same peers in the same run."""
import asyncio
import errno
import socket
import ssl
import unittest

import support
import tlsplug
import tlsplug.asyncio as tlsaio
from ssl_peers import NODE, NODE_VERIFY_JS, NodeHTTPSServer, node_run, stdlib_verify_error

NODE_CONNECT_CODE_JS = r"""
const net = require('net');
const [port, host] = process.argv.slice(1);
const s = net.connect(+port, host);
s.on('error', e => console.log(JSON.stringify({code: e.code})));
s.on('connect', () => { console.log(JSON.stringify({code: null})); s.end(); });
"""


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def first_error(port, host, **options):
    """The 'error' a tlsplug.connect() socket emits (run on the loop)."""
    errors = []
    sock = tlsplug.connect(port, host, **options)
    sock.on("error", errors.append)
    tlsplug.run(timeout=support.LOOP_TIMEOUT, until=lambda: errors or sock.closed)
    sock.close()
    return errors[0] if errors else None


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class ConnectionErrorsTest(unittest.TestCase):
    def test_refused_port_is_connection_refused_error(self):
        port = closed_port()
        node = node_run(NODE_CONNECT_CODE_JS, str(port), "127.0.0.1")
        err = first_error(port, "127.0.0.1", ca=support.pki("ca.pem"))
        self.assertIsInstance(err, ConnectionRefusedError)
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertIsInstance(err, tlsplug.TLSConnectionRefusedError)
        self.assertEqual(err.errno, errno.ECONNREFUSED)
        self.assertEqual(err.code, node["code"])
        self.assertTrue(str(err))

    def test_unresolvable_name_is_gaierror(self):
        host = "no-such-host.invalid"
        node = node_run(NODE_CONNECT_CODE_JS, "443", host)
        err = first_error(443, host)
        self.assertIsInstance(err, socket.gaierror)
        self.assertIsInstance(err, tlsplug.TLSHostLookupError)
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertEqual(err.code, node["code"])
        self.assertEqual(err.errno, socket.EAI_NONAME)

    def test_refused_port_with_asyncio_raises_connection_refused(self):
        port = closed_port()

        async def main():
            await tlsaio.open_connection("127.0.0.1", port, ca=support.pki("ca.pem"))

        with self.assertRaises(ConnectionRefusedError) as cm:
            asyncio.run(main())
        self.assertEqual(cm.exception.code, "ECONNREFUSED")


@support.need_pki
@unittest.skipUnless(NODE, "node is not installed")
class VerificationErrorsTest(unittest.TestCase):
    def check_refused(self, cert, key, servername, ca="ca.pem"):
        with NodeHTTPSServer(cert, key) as srv:
            node = node_run(NODE_VERIFY_JS, support.PKI, str(srv.port), servername, ca)
            oracle = stdlib_verify_error(srv.port, servername, ca)
            err = first_error(srv.port, "127.0.0.1", ca=support.pki(ca),
                              servername=servername)
        self.assertIsNotNone(node["code"])
        self.assertIsInstance(err, ssl.SSLCertVerificationError)
        self.assertIsInstance(err, ssl.SSLError)
        self.assertIsInstance(err, tlsplug.TLSCertVerificationError)
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertEqual(err.code, node["code"])
        self.assertEqual(err.verify_code, oracle.verify_code)
        self.assertTrue(err.verify_message)
        return err

    def test_self_signed(self):
        self.check_refused("self.pem", "self.key", "localhost")

    def test_host_name_mismatch(self):
        self.check_refused("wronghost-chain.pem", "wronghost.key", "localhost")

    def test_unknown_ca(self):
        self.check_refused("untrusted-chain.pem", "untrusted.key", "localhost")

    def test_expired(self):
        self.check_refused("expired-chain.pem", "expired.key", "localhost")

    def test_check_server_identity_answers_a_verification_error(self):
        cert = {"raw": ssl.PEM_cert_to_DER_cert(support.pki("server.pem").decode())}
        err = tlsplug.check_server_identity("other.example", cert)
        self.assertIsInstance(err, ssl.SSLCertVerificationError)
        self.assertEqual(err.code, "ERR_TLS_CERT_ALTNAME_INVALID")


@support.need_pki
class TimeoutAndArgumentsTest(unittest.TestCase):
    def test_handshake_timeout_is_timeout_error_with_a_message(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts TCP, never answers TLS
        port = listener.getsockname()[1]

        async def main():
            await tlsaio.open_connection("127.0.0.1", port, ca=support.pki("ca.pem"),
                                         handshake_timeout=0.3)

        try:
            with self.assertRaises(TimeoutError) as cm:
                asyncio.run(main())
        finally:
            listener.close()
        err = cm.exception
        self.assertIsInstance(err, tlsplug.TLSError)
        self.assertEqual(err.code, "ERR_TLS_HANDSHAKE_TIMEOUT")
        self.assertEqual(err.errno, errno.ETIMEDOUT)
        self.assertIn("did not complete", str(err))

    @unittest.skipUnless(NODE, "node is not installed")
    def test_swapped_connect_arguments_raise_at_the_call(self):
        node = node_run(r"""
            const tls = require('tls');
            try { tls.connect({port: 8000, host: 8000}); console.log('{"code": null}'); }
            catch (e) { console.log(JSON.stringify({code: e.code})); }""")
        with self.assertRaises(TypeError) as cm:
            tlsplug.connect("localhost", 8000)
        self.assertEqual(cm.exception.code, node["code"])
        with self.assertRaises(TypeError) as cm:
            tlsplug.connect(8000, 8000)
        self.assertEqual(cm.exception.code, node["code"])

        async def swapped():
            await tlsaio.open_connection(8000, "localhost")

        with self.assertRaises(TypeError) as cm:
            asyncio.run(swapped())
        self.assertEqual(cm.exception.code, "ERR_INVALID_ARG_TYPE")

    def test_bad_port_is_a_range_error(self):
        with self.assertRaises(ValueError) as cm:
            tlsplug.connect(70000, "127.0.0.1")
        self.assertEqual(cm.exception.code, "ERR_SOCKET_BAD_PORT")

    def test_classes_are_exported_and_catchable_as_tls_error(self):
        for name in ("TLSOSError", "TLSConnectionRefusedError", "TLSConnectionResetError",
                     "TLSConnectionAbortedError", "TLSBrokenPipeError", "TLSHostLookupError",
                     "TLSTimeoutError", "TLSSSLError", "TLSCertVerificationError",
                     "InvalidArgTypeError", "OutOfRangeError", "WrongThreadError"):
            cls = getattr(tlsplug, name)
            self.assertIn(name, tlsplug.__all__)
            self.assertTrue(issubclass(cls, tlsplug.TLSError), name)


if __name__ == "__main__":
    unittest.main()
