# SPDX-License-Identifier: MIT
# Warnings and hardening for every target.
include(CheckCCompilerFlag)

set(CV_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wformat=2
  -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wimplicit-fallthrough)
add_compile_options(${CV_WARNINGS})
if(CV_WERROR)
  add_compile_options(-Werror)
endif()

add_compile_options(-fstack-protector-strong -fPIE)
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug" AND NOT CV_SANITIZE)
  add_compile_definitions(_FORTIFY_SOURCE=2)
endif()
check_c_compiler_flag(-ftrivial-auto-var-init=zero CV_HAS_AUTOINIT)
if(CV_HAS_AUTOINIT)
  add_compile_options(-ftrivial-auto-var-init=zero)
else()
  set(CMAKE_REQUIRED_FLAGS "-ftrivial-auto-var-init=zero -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang")
  check_c_compiler_flag("" CV_HAS_AUTOINIT_CLANG14)
  unset(CMAKE_REQUIRED_FLAGS)
  if(CV_HAS_AUTOINIT_CLANG14)
    add_compile_options(-ftrivial-auto-var-init=zero
      -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang)
  endif()
endif()
add_link_options(-pie -Wl,-z,relro -Wl,-z,now)

if(CV_SANITIZE)
  string(REPLACE ";" "," cv_san "${CV_SANITIZE}")
  add_compile_options(-fsanitize=${cv_san} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${cv_san})
endif()

# Fuzz builds instrument every library for coverage, not only the harness.
if(CV_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
