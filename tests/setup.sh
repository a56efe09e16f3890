#!/bin/bash
# SPDX-License-Identifier: MIT
# Install what building and testing credvault needs on Debian 12 (as root),
# then the test-only npm packages from the committed lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
	cppcheck clang-tidy
	libsodium-dev liblmdb-dev libargon2-dev libjansson-dev
	libcurl4-openssl-dev libpwquality-dev cracklib-runtime
	ca-certificates util-linux passwd procps
	libsystemd-dev systemd
	debhelper dpkg-dev fakeroot lintian mandoc bash-completion zsh fish)
# Tools that may come from elsewhere (a NodeSource node ships its own npm):
# a package only when the command is missing.
CMDS=(node:nodejs npm:npm python3:python3 curl:curl xxd:xxd)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
for c in "${CMDS[@]}"; do
	command -v "${c%%:*}" >/dev/null || missing+=("${c#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: ${missing[*]}; run as root" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The commercetools mock for the integration tests, pinned by the lock file.
if [ ! -d tests/npm/node_modules ]; then
	(cd tests/npm && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
