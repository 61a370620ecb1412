# cmake -DBUILD_DIR=<gateway build> -DPREFIX=<dir> -P install_sdk.cmake
# Installs the SDK component alone into an empty PREFIX, then checks that the package is there.
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --component sdk --prefix ${PREFIX}
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install --component sdk failed (${status})")
endif()
foreach(file
    include/memolib/sdk/abi.h include/memolib/sdk/version.h include/memolib/sdk/adapter.hpp
    include/memolib/sdk/signing.hpp include/memolib/sdk/testing/fake_host.hpp
    lib/cmake/MemolibSDK/MemolibSDKConfig.cmake lib/cmake/MemolibSDK/memolib_plugin.map
    share/memolib-sdk/examples/slack/CMakeLists.txt
    share/memolib-sdk/examples/telegram/CMakeLists.txt
    lib/cmake/MemolibSDK/MemolibSDKConfigVersion.cmake
    lib/cmake/MemolibSDK/MemolibSDKTargets.cmake lib/cmake/MemolibSDK/MemolibPlugin.cmake)
  if(NOT EXISTS ${PREFIX}/${file})
    message(FATAL_ERROR "the SDK install lacks ${file}")
  endif()
endforeach()
# The component holds the SDK only: no host binary, library or header of core/.
file(GLOB_RECURSE installed RELATIVE ${PREFIX} ${PREFIX}/*)
foreach(file ${installed})
  if(NOT file MATCHES "^(include/memolib/sdk/|lib/cmake/MemolibSDK/|share/memolib-sdk/examples/)")
    message(FATAL_ERROR "the SDK component installs ${file}, which is not part of the SDK")
  endif()
endforeach()
