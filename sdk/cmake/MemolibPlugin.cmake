# memolib_add_plugin(NAME name SOURCES ... [LIBS ...])
# Builds a loadable channel plugin: a MODULE library named <name>.so with hidden
# visibility, position-independent code and no link to the host; only MemolibSDK::sdk is
# visible to it. In the gateway's own tree it lands in <build dir>/plugins.
function(memolib_add_plugin)
  cmake_parse_arguments(P "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT P_NAME)
    message(FATAL_ERROR "memolib_add_plugin: NAME is required")
  endif()
  add_library(${P_NAME} MODULE ${P_SOURCES})
  set_target_properties(${P_NAME} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  if(DEFINED MEMOLIB_PLUGIN_OUTPUT_DIR)
    set_target_properties(${P_NAME} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${MEMOLIB_PLUGIN_OUTPUT_DIR})
  endif()
  target_link_libraries(${P_NAME} PRIVATE MemolibSDK::sdk ${P_LIBS})
  # A plugin must resolve every symbol itself: an undefined one would bind to the host.
  target_link_options(${P_NAME} PRIVATE -Wl,--no-undefined)
endfunction()
