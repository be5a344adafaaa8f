# Debian packages with CPack: `cpack -G DEB` in the build tree (after the
# build) writes three, as Debian names a library's:
#   libtlsplug1     the shared library (lib component), with a shlibs file
#                   and the ldconfig trigger
#   libtlsplug-dev  headers, the libtlsplug.so link, tlsplug.pc and the
#                   CMake package (dev component)
#   tlsplug         the command and its man pages (tool component)
# Everything installs under /usr. Dependencies are declared here rather
# than computed by dpkg-shlibdeps, which cannot see libtlsplug1 while it is
# being built beside tlsplug.
set(CPACK_PACKAGE_NAME tlsplug)
set(CPACK_PACKAGE_VENDOR "tlsplug")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Node.js's tls module as a C library on GnuTLS")
set(CPACK_PACKAGE_CONTACT "tlsplug maintainers <tlsplug@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL lib dev tool)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(_tlsplug_exact "${PROJECT_VERSION}")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libtlsplug${TLSPLUG_SOVERSION})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_PACKAGE_DEPENDS "libgnutls30 (>= 3.7.9), libuv1 (>= 1.44)")
set(CPACK_DEBIAN_LIB_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_LIB_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(_tlsplug_triggers ${PROJECT_BINARY_DIR}/cpack-lib/triggers)
file(WRITE ${_tlsplug_triggers} "activate-noawait ldconfig\n")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${_tlsplug_triggers})
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_LIB_DESCRIPTION
  "Node.js's tls module as a C library on GnuTLS (shared library)\n"
  "libtlsplug implements Node's tls API (TLSSocket, Server, SecureContext)\n"
  "in C11 on GnuTLS behind an opaque-handle C ABI.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libtlsplug-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libtlsplug${TLSPLUG_SOVERSION} (= ${_tlsplug_exact})")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "Node.js's tls module as a C library on GnuTLS (development files)\n"
  "Headers, pkg-config file and CMake package for libtlsplug.")

set(CPACK_DEBIAN_TOOL_PACKAGE_NAME tlsplug)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOL_PACKAGE_DEPENDS
  "libtlsplug${TLSPLUG_SOVERSION} (= ${_tlsplug_exact}), libgnutls30 (>= 3.7.9)")
set(CPACK_COMPONENT_TOOL_DESCRIPTION
  "TLS client and server command on libtlsplug\n"
  "tlsplug client shows a server's chain and the negotiated parameters (text\n"
  "or JSON); tlsplug server is an echo server, an HTTPS status page or a\n"
  "static file server.")

include(CPack)
