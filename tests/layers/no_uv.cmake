# Fails when EXE needs libuv or libtlsplug at run time (readelf's NEEDED).
execute_process(COMMAND readelf -d ${EXE} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf failed on ${EXE}")
endif()
if(dyn MATCHES "libuv" OR dyn MATCHES "libtlsplug")
  message(FATAL_ERROR "${EXE} needs libuv or libtlsplug: the core must link without them\n${dyn}")
endif()
message(STATUS "${EXE}: no libuv, no libtlsplug")
