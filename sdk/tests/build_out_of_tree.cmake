# cmake -DSOURCE=<project> -DBINARY=<dir> -DPREFIX=<installed SDK> [-DCXX=<compiler>]
#       [-DCXX_FLAGS=<flags>] [-DLINK_FLAGS=<flags>] [-DBUILD_TYPE=Debug]
#       [-DEXPECT_NEEDED=<soname>] [-DPLUGIN=<name>] [-DNO_SDK=ON] -P build_out_of_tree.cmake
# Configures and builds an out-of-tree plugin project against the SDK installed in PREFIX, as a
# third party would, checks that it found that SDK and no other, then runs the project's own
# tests. EXPECT_NEEDED names a library the plugin must link (libc++.so.1 for the clang build).
# With PLUGIN, <PLUGIN>.so must export its entry point and nothing else (the SDK's version
# script). NO_SDK: the project uses no installed SDK (a plugin of a frozen ABI), and has no tests.
cmake_minimum_required(VERSION 3.22)
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Debug)
endif()
set(args -S ${SOURCE} -B ${BINARY} -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
  -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(CXX)
  list(APPEND args -DCMAKE_CXX_COMPILER=${CXX})
endif()
if(CXX_FLAGS)
  list(APPEND args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()
if(LINK_FLAGS)
  list(APPEND args "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}" "-DCMAKE_MODULE_LINKER_FLAGS=${LINK_FLAGS}")
endif()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "failed (${status}): ${command}")
  endif()
endfunction()

# A build directory configured from another source (an older layout) is started afresh.
if(EXISTS ${BINARY}/CMakeCache.txt)
  file(STRINGS ${BINARY}/CMakeCache.txt home REGEX "^CMAKE_HOME_DIRECTORY:")
  if(NOT home STREQUAL "CMAKE_HOME_DIRECTORY:INTERNAL=${SOURCE}")
    file(REMOVE_RECURSE ${BINARY})
  endif()
endif()
run(${CMAKE_COMMAND} ${args})
file(STRINGS ${BINARY}/CMakeCache.txt sdk_dir REGEX "^MemolibSDK_DIR:")
if(NOT NO_SDK AND NOT sdk_dir STREQUAL "MemolibSDK_DIR:PATH=${PREFIX}/lib/cmake/MemolibSDK")
  message(FATAL_ERROR "the project found another SDK than the installed one: ${sdk_dir}")
endif()
# One job: the gateway's own tests run beside this one.
run(${CMAKE_COMMAND} --build ${BINARY} -j 1)
if(EXPECT_NEEDED)
  execute_process(COMMAND readelf -d ${BINARY}/${PLUGIN}.so OUTPUT_VARIABLE dynamic)
  string(FIND "${dynamic}" "Shared library: [${EXPECT_NEEDED}]" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "${PLUGIN}.so does not link ${EXPECT_NEEDED}:\n${dynamic}")
  endif()
endif()
if(PLUGIN)
  execute_process(COMMAND ${CMAKE_COMMAND} -DPLUGINS=${BINARY}/${PLUGIN}.so
    -P ${CMAKE_CURRENT_LIST_DIR}/exports_check.cmake RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${PLUGIN}.so exports more than its entry point")
  endif()
endif()
if(NOT NO_SDK)
  run(${CMAKE_CTEST_COMMAND} --test-dir ${BINARY} --output-on-failure)
endif()
