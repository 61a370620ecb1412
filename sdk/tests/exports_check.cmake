# cmake -DPLUGINS="<a.so>;<b.so>" -P exports_check.cmake
# Each plugin built with memolib_add_plugin() exports its entry point and nothing else (the
# SDK's version script), so that no symbol of it can bind to another plugin's or the host's.
cmake_minimum_required(VERSION 3.22)
foreach(plugin ${PLUGINS})
  execute_process(COMMAND nm -D --defined-only --format=posix ${plugin}
    OUTPUT_VARIABLE exported RESULT_VARIABLE status)
  string(REGEX REPLACE " [^\n]*" "" exported "${exported}")
  string(STRIP "${exported}" exported)
  if(NOT status EQUAL 0 OR NOT exported STREQUAL "memolib_plugin_v1")
    message(FATAL_ERROR "${plugin} must export memolib_plugin_v1 alone; it exports:\n${exported}")
  endif()
  message(STATUS "${plugin}: memolib_plugin_v1 alone")
endforeach()
