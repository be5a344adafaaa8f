"""Port of Node's test/parallel/tls/no-sslv23.js: secureProtocol names.
An unknown name fails with ERR_TLS_INVALID_PROTOCOL_METHOD ("Unknown
method: blargh"), the SSLv2 and SSLv3 methods fail ("SSLv2 methods
disabled", "SSLv3 methods disabled"), and SSLv23 and the TLSv1, TLSv1_1,
TLSv1_2 methods (plain, client, server) make a context."""
import json
import unittest

from nodeport import node_eval
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

NAMES = ["blargh"] + [f"{base}{side}_method" for base in
                      ("SSLv2", "SSLv3", "SSLv23", "TLSv1", "TLSv1_1", "TLSv1_2")
                      for side in ("", "_client", "_server")]

NODE = """
report(%s.map((secureProtocol) => {
  try { tls.createSecureContext({secureProtocol}); return {ok: true}; }
  catch (e) { return {ok: false, code: e.code || null, message: e.message}; }
}));
""" % json.dumps(NAMES)


class NoSslv23(unittest.TestCase):
    def test_secure_protocol_names(self):
        want = node_eval(NODE)
        for name, expected in zip(NAMES, want):
            with self.subTest(secure_protocol=name):
                try:
                    tlsplug.create_secure_context(secure_protocol=name).close()
                    got = {"ok": True}
                except tlsplug.TLSError as e:
                    got = {"ok": False, "code": e.code, "message": e.message}
                self.assertEqual(got["ok"], expected["ok"], (got, expected))
                if not expected["ok"]:
                    self.assertEqual(got["message"], expected["message"])
                    if expected["code"]:
                        self.assertEqual(got["code"], expected["code"])


if __name__ == "__main__":
    unittest.main()
