# The language bindings as their ecosystems install them on Debian:
#   python  <prefix>/lib/python3/dist-packages/tlsplug   (python3-tlsplug)
#   ruby    <prefix>/lib/ruby/vendor_ruby                (ruby-tlsplug)
#   go      <prefix>/share/gocode/src/tlsplug.dev/tlsplug (golang-tlsplug-dev)
# Each finds the library on the system path (libtlsplug1), so nothing needs
# a path variable once the packages are installed. The Debian packages
# always carry them (cmake/cpack.cmake); a plain `cmake --install` installs
# them only when asked, with -DTLSPLUG_INSTALL_BINDINGS=ON, since a source
# install usually has its own site-packages or gem home.
option(TLSPLUG_INSTALL_BINDINGS "cmake --install also installs the Python, Ruby and Go bindings" OFF)
set(TLSPLUG_PYTHON_INSTALL_DIR lib/python3/dist-packages CACHE STRING
    "Where the Python package goes, under the prefix")
set(TLSPLUG_RUBY_INSTALL_DIR lib/ruby/vendor_ruby CACHE STRING
    "Where the Ruby library goes, under the prefix")
set(TLSPLUG_GO_INSTALL_DIR share/gocode/src/tlsplug.dev/tlsplug CACHE STRING
    "Where the Go module's source goes, under the prefix")

if(TLSPLUG_INSTALL_BINDINGS)
  set(_bindings_all "")
else()
  # Still installed by a component install, which is what CPack does.
  set(_bindings_all EXCLUDE_FROM_ALL)
endif()

set(_b ${PROJECT_SOURCE_DIR}/bindings)
install(DIRECTORY ${_b}/python/tlsplug DESTINATION ${TLSPLUG_PYTHON_INSTALL_DIR}
        COMPONENT python ${_bindings_all}
        PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)
install(FILES ${_b}/ruby/lib/tlsplug.rb DESTINATION ${TLSPLUG_RUBY_INSTALL_DIR}
        COMPONENT ruby ${_bindings_all})
install(DIRECTORY ${_b}/ruby/lib/tlsplug DESTINATION ${TLSPLUG_RUBY_INSTALL_DIR}
        COMPONENT ruby ${_bindings_all})
# The module's source without its tests (they need the build tree's PKI).
install(DIRECTORY ${_b}/go/tlsplug/ DESTINATION ${TLSPLUG_GO_INSTALL_DIR}
        COMPONENT go ${_bindings_all}
        FILES_MATCHING PATTERN "*.go" PATTERN "*.c" PATTERN "*.h" PATTERN "go.mod"
        PATTERN "*_test.go" EXCLUDE)
