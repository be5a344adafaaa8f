//go:build !cgo

package tlsplug

// tlsplug is libtlsplug (C, on GnuTLS) bound through cgo: there is no pure
// Go fallback. With CGO_ENABLED=0 every other file of the package is left
// out, and the build stops here on a name that says why, rather than on
// "undefined: Config". Build with CGO_ENABLED=1, a C compiler and
// libtlsplug installed (pkg-config finds tlsplug.pc).
var _ = tlsplug_needs_cgo__build_with_CGO_ENABLED_1_and_libtlsplug_installed
