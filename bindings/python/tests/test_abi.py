"""The generated layer: it loads, binds every registry function, and refuses
a library older than the ABI it was generated for."""
import ctypes
import os
import unittest
from unittest import mock

import support  # noqa: F401  (puts the package on sys.path)
import tlsplug
from tlsplug import _abi, _lib


class GeneratedLayer(unittest.TestCase):
    def test_every_function_is_bound(self):
        for name, (restype, argtypes, names, doc) in _abi.FUNCTIONS.items():
            f = getattr(_lib.lib, name[len("tlsplug_"):])
            self.assertEqual(f.argtypes, argtypes, name)
            self.assertIs(f.restype, restype, name)
            self.assertEqual(len(names), len(argtypes), name)
            self.assertTrue(doc.strip(), name)
            self.assertEqual(f.__doc__, doc, name)

    def test_library_version_matches(self):
        self.assertGreaterEqual(_lib.lib.abi_version(), _abi.ABI_VERSION)
        self.assertIn(_abi.VERSION, _lib.lib.version_string().decode())

    def test_enums_and_codes(self):
        self.assertEqual(_abi.Status.E_BADHANDLE, -1)
        self.assertEqual(_abi.E_BADHANDLE, -1)
        self.assertEqual(_abi.Event.SECURE_CONNECT, _abi.EV_SECURE_CONNECT)
        self.assertEqual(_abi.EVENT_NODE_NAMES[_abi.EV_DATA], "data")
        self.assertTrue(_abi.State.CLOSED & _abi.STATE_CLOSED)
        self.assertEqual(tlsplug._lib.status_name(_abi.E_VERIFY), "TLSPLUG_E_VERIFY")
        # an unknown status (from a newer library) is tolerated
        self.assertEqual(tlsplug._lib.status_name(-999), "TLSPLUG_E_UNKNOWN")

    def test_callback_type(self):
        self.assertTrue(issubclass(_abi.EVENT_CB, ctypes._CFuncPtr))
        self.assertEqual(len(_abi.EVENT_CB._argtypes_), 6)

    def test_refuses_an_older_library(self):
        path = os.environ["TLSPLUG_LIBRARY"]
        with self.assertRaises(tlsplug.AbiVersionError) as cm:
            _abi.load(path, expected=_abi.ABI_VERSION + 1)
        self.assertIn("older than the version", str(cm.exception))
        # the package's own loader, as the import runs it, with the expected
        # version monkeypatched above what the library answers
        with mock.patch.object(_abi, "ABI_VERSION", _lib.lib.abi_version() + 1):
            with self.assertRaises(ImportError) as cm:
                _lib.load_library()
        self.assertIn("ABI version", str(cm.exception))

    def test_loads_current_version(self):
        lib = _lib.load_library()
        self.assertEqual(lib.abi_version(), _lib.lib.abi_version())

    def test_missing_library_is_a_clear_import_error(self):
        with mock.patch.dict(os.environ, {"TLSPLUG_LIBRARY": "/nonexistent/libtlsplug.so.1"}):
            with self.assertRaises(OSError):
                _lib.load_library()


if __name__ == "__main__":
    unittest.main()
