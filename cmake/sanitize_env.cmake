# TLSPLUG_TEST_ENV: environment entries for tests whose executable is NOT
# built with the sanitizers (python3, ruby, node, go test binaries, ...) but
# loads libtlsplug. A library built with -fsanitize=address needs the ASan
# runtime to be the first library in the process ("ASan runtime does not
# come first in initial library list"), which only LD_PRELOAD can arrange
# for a foreign interpreter. Use it as
#   set_property(TEST t APPEND PROPERTY ENVIRONMENT ${TLSPLUG_TEST_ENV})
# It is empty when TLSPLUG_SANITIZE is OFF, so the line can stay always.
#
# The preload is inherited by every child the test spawns (openssl, node
# peers, compilers); leak checking is off because interpreters free little
# at exit, and memory errors still abort.
set(TLSPLUG_TEST_ENV "")
set(TLSPLUG_ASAN_RUNTIME "")
if(TLSPLUG_SANITIZE)
  # GCC links libasan.so.N; Clang has its own runtime (and, asked for
  # libasan.so, would answer GCC's, which is the wrong one).
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(_tlsplug_asan_name libclang_rt.asan-${CMAKE_SYSTEM_PROCESSOR}.so)
  else()
    set(_tlsplug_asan_name libasan.so)
  endif()
  execute_process(
    COMMAND ${CMAKE_C_COMPILER} -print-file-name=${_tlsplug_asan_name}
    OUTPUT_VARIABLE _tlsplug_asan
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _tlsplug_asan_rc)
  # The compiler echoes the bare name back when it has no such file.
  if(_tlsplug_asan_rc EQUAL 0 AND IS_ABSOLUTE "${_tlsplug_asan}" AND EXISTS "${_tlsplug_asan}")
    get_filename_component(TLSPLUG_ASAN_RUNTIME "${_tlsplug_asan}" REALPATH)
    list(APPEND TLSPLUG_TEST_ENV "LD_PRELOAD=${TLSPLUG_ASAN_RUNTIME}")
  else()
    message(WARNING "tlsplug: no ASan runtime found for ${CMAKE_C_COMPILER}; "
      "tests that load libtlsplug from python3/node will fail under TLSPLUG_SANITIZE")
  endif()
  list(APPEND TLSPLUG_TEST_ENV
    "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  message(STATUS "tlsplug: TLSPLUG_TEST_ENV=${TLSPLUG_TEST_ENV}")
endif()
