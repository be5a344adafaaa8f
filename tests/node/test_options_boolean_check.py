"""Port of Node's test/parallel/tls/options-boolean-check.js: createServer's
key, cert and ca accept a string or bytes (Buffer, ArrayBuffer, DataView:
bytes, bytearray, memoryview here), lists of them, {pem} objects in a key
list, and a falsy value for "not given"; anything else (true, a number, a
bare object, a bad list entry) throws ERR_INVALID_ARG_TYPE naming the
option. createSecureContext takes null/false/undefined/''/0 for all three.
Every case is run in node and here, from one table. A key without a
certificate, or the reverse, which Node takes (to fail at the first
handshake), is refused at the call here: a deviation, in docs/NODE_MAP.md."""
import json
import unittest

from nodeport import node_eval, pki
import tlsplug  # noqa: E402  (nodeport puts it on sys.path)

# Tokens: k/c/a = key/cert/ca (RSA server key, its cert, the root), k2/c2/a2
# the ECDSA key and cert and another root; suffix b = bytes (Buffer),
# s = str, a = bytearray (a Uint8Array; Node's file makes its
# "ArrayBuffer" cases with Buffer.map, so TypedArrays), d = memoryview (DataView).
# {"pem": token} is Node's key object. Other JSON values stand for themselves.
OK_KEY_CERT = [["kb", "cb"], [False, "cb"], ["kb", False], ["ks", "cs"], [False, "cs"], ["ks", False],
               [False, False], ["ka", "ca"], ["ka", False], [False, "ca"], ["kd", "cd"], ["kd", False],
               [False, "cd"], [["kb", "k2b"], ["cb", "c2b"]], [["ks", "k2s"], ["cs", "c2s"]],
               [["ks", "k2s"], False], [False, ["cs", "c2s"]], [[{"pem": "kb"}], False],
               [[{"pem": "kb"}, {"pem": "kb"}], False]]
BAD_KEY = [[True, "cb"], [True, "cs"], [True, "ca"], [True, "cd"], [True, False], [{"pem": "kb"}, False],
           [["kb", True], ["cb", "c2b"]], [[True, "k2s"], ["cs", "c2s"]], [[True, False], ["cb", "c2b"]],
           [True, ["cb", "c2b"]]]
BAD_CERT = [["kb", True], ["ks", True], ["ka", True], ["kd", True], [True, True], [False, True],
            [False, {"pem": "kb"}], [False, 1], [["kb", "k2b"], [True, "c2b"]],
            [["ks", "k2s"], ["cs", True]], [["ks", "k2s"], [True, False]], [["ks", "k2s"], True]]
OK_CA = [["kb", "cb", "ab"], ["kb", "cb", ["ab", "a2b"]], ["kb", "cb", "as"], ["kb", "cb", ["as", "a2s"]],
         ["kb", "cb", "aa"], ["kb", "cb", "ad"], ["kb", "cb", False]]
BAD_CA = [["kb", "cb", True], ["kb", "cb", {}], ["kb", "cb", 1], ["kb", "cb", ["ab", True]]]
FALSY = [None, False, "", 0]  # undefined is Python's None too

FILES = {"k": "server.key", "c": "server.pem", "a": "ca.pem",
         "k2": "server-ec.key", "c2": "server-ec.pem", "a2": "other-ca.pem"}

NODE = """
const files = %s, table = %s;
const val = (t) => {
  if (Array.isArray(t)) return t.map(val);
  if (t && typeof t === 'object') return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, val(v)]));
  if (typeof t !== 'string') return t;
  const buf = pem(files[t.slice(0, -1)]), kind = t.slice(-1);
  if (kind === 'b') return buf;
  if (kind === 's') return buf.toString();
  const bytes = new Uint8Array(buf);
  return kind === 'a' ? bytes : new DataView(bytes.buffer);
};
const run = ([key, cert, ca]) => {
  try { tls.createServer({key: val(key), cert: val(cert), ca: val(ca)}); return {ok: true}; }
  catch (e) { return {ok: false, code: e.code, message: e.message.split(' Received')[0]}; }
};
const out = {};
for (const name in table) out[name] = table[name].map(run);
out.falsy = %s.map((v) => { try { tls.createSecureContext({key: v, cert: v, ca: v}); return {ok: true}; }
                             catch (e) { return {ok: false, code: e.code}; } });
report(out);
"""


def value(token):
    if isinstance(token, list):
        return [value(t) for t in token]
    if isinstance(token, dict):
        return {k: value(v) for k, v in token.items()}
    if not isinstance(token, str):
        return token
    buf = pki(FILES[token[:-1]])
    return {"b": buf, "s": buf.decode(), "a": bytearray(buf), "d": memoryview(buf)}[token[-1]]


# What tlsplug answers where Node takes a key alone (True) or a cert alone.
HALF_PAIR = {True: "ERR_TLS_CERT_MISSING", False: "ERR_OSSL_X509_KEY_VALUES_MISMATCH"}


def half_pair(case):
    """A key without a certificate or a certificate without a key."""
    return (case[0] is False) != (case[1] is False)


def run(case):
    key, cert, ca = (list(case) + [None])[:3]
    try:
        tlsplug.create_server({"key": value(key), "cert": value(cert), "ca": value(ca)})
        return {"ok": True}
    except tlsplug.TLSError as e:
        return {"ok": False, "code": e.code, "message": str(e).split(" Received")[0]}


class OptionsBooleanCheck(unittest.TestCase):
    def test_key_cert_ca_types(self):
        table = {"okKeyCert": OK_KEY_CERT, "badKey": BAD_KEY, "badCert": BAD_CERT,
                 "okCa": OK_CA, "badCa": BAD_CA}
        want = node_eval(NODE % (json.dumps(FILES), json.dumps(table),
                                 json.dumps(FALSY).replace("null", "undefined, null", 1)))
        for name, cases in table.items():
            for case, expected in zip(cases, want[name]):
                with self.subTest(table=name, case=case):
                    got = run(case)
                    if expected["ok"] and half_pair(case):
                        # Deviation (docs/NODE_MAP.md): a key without its
                        # certificate, or the reverse, is refused at once.
                        self.assertEqual(got["code"], HALF_PAIR[case[1] is False])
                    else:
                        self.assertEqual(got, expected)
        self.assertTrue(all(w["ok"] for w in want["falsy"]), want["falsy"])
        for v in FALSY:
            with self.subTest(falsy=v):
                tlsplug.create_secure_context(key=v, cert=v, ca=v).close()


if __name__ == "__main__":
    unittest.main()
