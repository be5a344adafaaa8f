# Debian packages with CPack: `cpack -G DEB` in the build tree (after the
# build) writes three, as Debian names a library's:
#   libtlsplug1     the shared library (lib component), with a shlibs file
#                   and the ldconfig trigger
#   libtlsplug-dev  headers, the libtlsplug.so link, tlsplug.pc and the
#                   CMake package (dev component)
#   tlsplug         the command and its man pages (tool component)
#   libtlsplug1-redis  the Redis session store module (redis component),
#                   when hiredis was found: libtlsplug loads it with dlopen
#                   on first use of a redis:// store, so only hosts that
#                   install this package depend on hiredis
#   python3-tlsplug, ruby-tlsplug, golang-tlsplug-dev
#                   the bindings, where Debian's python3, ruby and golang
#                   look for them (cmake/bindings_install.cmake)
# Everything installs under /usr. Dependencies are declared here rather
# than computed by dpkg-shlibdeps, which cannot see libtlsplug1 while it is
# being built beside tlsplug.
set(CPACK_PACKAGE_NAME tlsplug)
set(CPACK_PACKAGE_VENDOR "tlsplug")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPack would put it above every
# package's description; each component's description starts with its own
# summary line instead, as Debian's control files do.
set(CPACK_PACKAGE_CONTACT "tlsplug maintainers <tlsplug@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL lib dev tool python ruby go)
if(TARGET tlsplug_redis)
  list(APPEND CPACK_COMPONENTS_ALL redis)
endif()

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
"Node.js's tls module as a C library on GnuTLS (shared library)\nlibtlsplug implements Node's tls API (TLSSocket, Server, SecureContext)\nin C11 on GnuTLS behind an opaque-handle C ABI.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libtlsplug-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libtlsplug${TLSPLUG_SOVERSION} (= ${_tlsplug_exact})")
set(CPACK_COMPONENT_DEV_DESCRIPTION
"Node.js's tls module as a C library on GnuTLS (development files)\nHeaders, pkg-config file and CMake package for libtlsplug.")

set(CPACK_DEBIAN_TOOL_PACKAGE_NAME tlsplug)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOL_PACKAGE_DEPENDS
  "libtlsplug${TLSPLUG_SOVERSION} (= ${_tlsplug_exact}), libgnutls30 (>= 3.7.9)")
set(CPACK_COMPONENT_TOOL_DESCRIPTION
"TLS client and server command on libtlsplug\ntlsplug client shows a server's chain and the negotiated parameters (text\nor JSON); tlsplug server is an echo server, an HTTPS status page or a\nstatic file server.")

set(CPACK_DEBIAN_REDIS_PACKAGE_NAME libtlsplug${TLSPLUG_SOVERSION}-redis)
set(CPACK_DEBIAN_REDIS_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_REDIS_PACKAGE_DEPENDS
  "libtlsplug${TLSPLUG_SOVERSION} (= ${_tlsplug_exact}), libhiredis0.14")
set(CPACK_COMPONENT_REDIS_DESCRIPTION
"Node.js's tls module as a C library on GnuTLS (Redis session store)\nThe module libtlsplug loads for a redis:// session store, so that servers\nin a fleet resume each other's TLS sessions.")

# The bindings are source only (no compiled code of their own): Architecture
# all, and each depends on the library it loads.
set(_tlsplug_lib_exact "libtlsplug${TLSPLUG_SOVERSION} (= ${_tlsplug_exact})")
set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-tlsplug)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "${_tlsplug_lib_exact}, python3 (>= 3.9)")
set(CPACK_COMPONENT_PYTHON_DESCRIPTION
"Node.js's tls module for Python, on libtlsplug\nThe tlsplug package: TLSSocket, Server, connect and createServer with\nNode's semantics, through ctypes (standard library only).")

set(CPACK_DEBIAN_RUBY_PACKAGE_NAME ruby-tlsplug)
set(CPACK_DEBIAN_RUBY_PACKAGE_SECTION ruby)
set(CPACK_DEBIAN_RUBY_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_RUBY_PACKAGE_DEPENDS "${_tlsplug_lib_exact}, ruby (>= 1:3.0)")
set(CPACK_COMPONENT_RUBY_DESCRIPTION
"Node.js's tls module for Ruby, on libtlsplug\nrequire 'tlsplug': TLSSocket, Server, connect and createServer with\nNode's semantics, through Fiddle (standard library only).")

set(CPACK_DEBIAN_GO_PACKAGE_NAME golang-tlsplug-dev)
set(CPACK_DEBIAN_GO_PACKAGE_SECTION golang)
set(CPACK_DEBIAN_GO_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_GO_PACKAGE_DEPENDS "libtlsplug-dev (= ${_tlsplug_exact}), pkg-config")
set(CPACK_COMPONENT_GO_DESCRIPTION
"Node.js's tls module for Go, on libtlsplug (source)\nThe module tlsplug.dev/tlsplug under /usr/share/gocode/src, built with cgo\nagainst libtlsplug-dev through pkg-config.")

include(CPack)
