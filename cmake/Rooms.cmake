# SPDX-License-Identifier: MIT
# One room per concern (DESIGN.md section 2): each library target owns one
# folder, and its headers are reachable as "ROOM/header.h" only by targets
# that link it.  A build-tree folder per room holds a link to that room
# alone, so an include across the grain (crypto/ including a vault/
# header, say) finds no such file and fails to compile.

# The include folder that exposes ROOM (e.g. "agent/broker"), into VAR.
function(cv_room_root room var)
  string(REPLACE "/" "_" tag "${room}")
  set(root "${CMAKE_BINARY_DIR}/rooms/${tag}")
  get_filename_component(parent "${root}/${room}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  if(NOT EXISTS "${root}/${room}")
    file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${room}" "${root}/${room}" SYMBOLIC)
  endif()
  set(${var} "${root}" PARENT_SCOPE)
endfunction()

# TARGET is ROOM's library: whoever links it may include ROOM's headers.
function(cv_room target room)
  cv_room_root(${room} root)
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${root}>")
endfunction()
