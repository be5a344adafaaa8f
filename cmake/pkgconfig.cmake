# tlsplug.pc from tlsplug.pc.in. The file holds absolute paths (as .pc files
# conventionally do), and the prefix is only known for sure at install time:
# `cmake --install <build> --prefix <dir>` overrides the configured one. So
# configure_file() runs inside the install script, where
# CMAKE_INSTALL_PREFIX is the real prefix, and the result is then installed
# like any other file (DESTDIR and the install manifest keep working).

# Directories relative to the prefix become ${prefix}/...; absolute ones
# (a user's -DCMAKE_INSTALL_LIBDIR=/abs) are kept as given.
foreach(_kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_kind}}")
    set(TLSPLUG_PC_${_kind} "${CMAKE_INSTALL_${_kind}}")
  else()
    set(TLSPLUG_PC_${_kind} "\${prefix}/${CMAKE_INSTALL_${_kind}}")
  endif()
endforeach()

set(_tlsplug_pc_in ${CMAKE_CURRENT_LIST_DIR}/tlsplug.pc.in)
set(_tlsplug_pc_out ${PROJECT_BINARY_DIR}/tlsplug.pc)

# Bracket arguments keep the literal ${prefix} from being expanded by the
# install script itself.
install(CODE "
  set(TLSPLUG_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(TLSPLUG_PC_LIBDIR [=[${TLSPLUG_PC_LIBDIR}]=])
  set(TLSPLUG_PC_INCLUDEDIR [=[${TLSPLUG_PC_INCLUDEDIR}]=])
  set(PROJECT_VERSION [=[${PROJECT_VERSION}]=])
  configure_file([=[${_tlsplug_pc_in}]=] [=[${_tlsplug_pc_out}]=] @ONLY)
" COMPONENT dev)
install(FILES ${_tlsplug_pc_out} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
