# Manual pages as Debian ships them: gzip -9n at build time (no name or
# timestamp in the header, so the package is reproducible), installed as
# <page>.gz under <mandir>/man<section>. man(1) reads them as they are.
#   tlsplug_install_man(COMPONENT <component> PAGES <file.N>...)
find_program(TLSPLUG_GZIP gzip REQUIRED)

function(tlsplug_install_man)
  cmake_parse_arguments(M "" "COMPONENT" "PAGES" ${ARGN})
  foreach(page ${M_PAGES})
    get_filename_component(name ${page} NAME)
    string(REGEX REPLACE ".*\\.([1-9])$" "\\1" section ${name})
    set(out ${PROJECT_BINARY_DIR}/man/${name}.gz)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${TLSPLUG_GZIP} -9nc ${page} > ${out}
      DEPENDS ${page}
      COMMENT "gzip ${name}"
      VERBATIM)
    list(APPEND outs ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
            COMPONENT ${M_COMPONENT})
  endforeach()
  string(MAKE_C_IDENTIFIER "man_${M_COMPONENT}" target)
  add_custom_target(${target} ALL DEPENDS ${outs})
endfunction()
