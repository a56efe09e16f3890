# SPDX-License-Identifier: MIT
# Debian packages: libsodium-dev liblmdb-dev libargon2-dev libjansson-dev
# libcurl4-openssl-dev pkg-config.  Each missing one stops the build with
# the package to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

function(cv_require_pkg var module debpkg)
  pkg_check_modules(${var} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${var}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debpkg}")
  endif()
endfunction()

cv_require_pkg(SODIUM libsodium libsodium-dev)
cv_require_pkg(LMDB lmdb liblmdb-dev)
cv_require_pkg(ARGON2 libargon2 libargon2-dev)
cv_require_pkg(JANSSON jansson libjansson-dev)
cv_require_pkg(CURL libcurl libcurl4-openssl-dev)
