# memolib_add_plugin(NAME name SOURCES ... [LIBS ...])
# Builds a loadable channel plugin: a MODULE library named <name>.so with hidden
# visibility, position-independent code and no link to the host; only MemolibSDK::sdk is
# visible to it. In the gateway's own tree it lands in <build dir>/plugins.
# A version script exports only the entry point: hidden visibility alone leaves the template
# and inline symbols of libstdc++ (and of static libraries linked in) in the dynamic table,
# where they could bind to the host's or another plugin's copies.

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
  set(version_script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/memolib_plugin.map)
  target_link_options(${P_NAME} PRIVATE -Wl,--no-undefined -Wl,--version-script=${version_script})
  set_property(TARGET ${P_NAME} APPEND PROPERTY LINK_DEPENDS ${version_script})
endfunction()
