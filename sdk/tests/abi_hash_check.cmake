# cmake -DSDK_DIR=<repo>/sdk -P abi_hash_check.cmake
cmake_minimum_required(VERSION 3.22)
# Fails when abi.h changed without a version bump: its SHA-256 must be listed in abi.sha256
# next to the MAJOR.MINOR of version.h.
file(SHA256 ${SDK_DIR}/include/memolib/sdk/abi.h hash)
file(STRINGS ${SDK_DIR}/include/memolib/sdk/version.h lines
  REGEX "^#define MEMOLIB_SDK_ABI_(MAJOR|MINOR) [0-9]+$")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*" "\\1" major "${lines}")
string(REGEX REPLACE ".*MINOR ([0-9]+).*" "\\1" minor "${lines}")
file(STRINGS ${SDK_DIR}/abi.sha256 entries REGEX "^[0-9]+\\.[0-9]+ [0-9a-f]+$")
set(listed_for_version "")
foreach(entry ${entries})
  string(REPLACE " " ";" parts "${entry}")
  list(GET parts 0 version)
  list(GET parts 1 listed)
  if(listed STREQUAL hash AND NOT version STREQUAL "${major}.${minor}")
    message(FATAL_ERROR "abi.h is the ABI ${version} header, but version.h says ${major}.${minor}")
  endif()
  if(version STREQUAL "${major}.${minor}")
    list(APPEND listed_for_version ${listed})
  endif()
endforeach()
if(NOT hash IN_LIST listed_for_version)
  message(FATAL_ERROR
    "abi.h changed (SHA-256 ${hash}) but sdk/abi.sha256 does not list it for ABI "
    "${major}.${minor}: an ABI change needs a version bump in version.h and a new line in "
    "sdk/abi.sha256 (docs/sdk.md, \"Changing the ABI\")")
endif()
message(STATUS "abi.h matches ABI ${major}.${minor} (${hash})")
