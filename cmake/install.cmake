# Installation: the shared library with its SONAME links, the public header,
# a pkg-config file and a CMake package exporting tlsplug::tlsplug.
# Included at the end of the top-level CMakeLists.txt, after src/ has
# defined the `tlsplug` target.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# In-tree users (examples, tests) can spell the target the way outside
# consumers do, so code moves between the two without edits.
if(NOT TARGET tlsplug::tlsplug)
  add_library(tlsplug::tlsplug ALIAS tlsplug)
endif()

set(TLSPLUG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tlsplug)

# NAMELINK is installed too: libtlsplug.so -> .so.1 -> .so.<version>, so
# that `-ltlsplug` finds it. gnutls and Threads are PRIVATE to the shared
# library, so the export set needs neither and consumers see only tlsplug.h.
# Components (the Debian packages of cmake/cpack.cmake): lib is what
# programs run with (libtlsplug1), dev what they build with (libtlsplug-dev).
install(TARGETS tlsplug
  EXPORT tlsplugTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

install(EXPORT tlsplugTargets
  NAMESPACE tlsplug::
  FILE tlsplugTargets.cmake
  DESTINATION ${TLSPLUG_CMAKE_DIR}
  COMPONENT dev)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/tlsplugConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tlsplugConfig.cmake
  INSTALL_DESTINATION ${TLSPLUG_CMAKE_DIR})
# SameMajorVersion mirrors the SONAME policy: only a new major breaks users.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/tlsplugConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/tlsplugConfig.cmake
  ${PROJECT_BINARY_DIR}/tlsplugConfigVersion.cmake
  DESTINATION ${TLSPLUG_CMAKE_DIR}
  COMPONENT dev)

include(${CMAKE_CURRENT_LIST_DIR}/pkgconfig.cmake)
