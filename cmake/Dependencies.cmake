# SPDX-License-Identifier: MIT
# Debian packages: libsodium-dev liblmdb-dev libargon2-dev libjansson-dev
# libcurl4-openssl-dev libsystemd-dev pkg-config.  Each missing one stops the build with
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
# Loaded on first use (base/dynlib.h), so only their headers at build time.
cv_require_pkg(PWQUALITY pwquality libpwquality-dev)
# The agent's service-manager side (socket activation, readiness, the
# journal): headers at build time; libsystemd.so.0 itself is loaded at
# run time, only by an agent that systemd started
# (agent/transport/service.c).
cv_require_pkg(SYSTEMD libsystemd libsystemd-dev)

# `credvault token` must start in well under a millisecond (bench/agent):
# each shared library loaded costs about 50 us there.  So the credvault
# command (a program whose CV_STATIC_DEPS property is ON) takes LMDB and
# jansson from the static archives of Debian's -dev packages.  Not
# libsodium: its archive carries its own Argon2 under libargon2's public
# names (argon2id_hash_raw, ...), which would replace libargon2's (threads,
# lanes) in the vault's KDF; and not libargon2 alone either, for the same
# clash.  Every other program keeps the .so files.
option(CV_STATIC_DEPS "Link LMDB and jansson statically into credvault" ON)
if(CV_STATIC_DEPS AND NOT CV_SANITIZE AND NOT CV_FUZZ)
  foreach(pkg LMDB JANSSON)
    string(TOLOWER ${pkg} lib)
    find_library(CV_STATIC_${pkg} NAMES lib${lib}.a)
    get_target_property(cv_shared PkgConfig::${pkg} INTERFACE_LINK_LIBRARIES)
    if(CV_STATIC_${pkg} AND cv_shared)
      set_target_properties(PkgConfig::${pkg} PROPERTIES INTERFACE_LINK_LIBRARIES
        "$<IF:$<BOOL:$<TARGET_PROPERTY:CV_STATIC_DEPS>>,${CV_STATIC_${pkg}};Threads::Threads,${cv_shared}>")
    endif()
  endforeach()
endif()
