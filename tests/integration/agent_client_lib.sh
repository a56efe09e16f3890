#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libcredvault-client as a user gets it: installed with its header and
# pkg-config file, the example built against it (shared and static) and
# run against a live agent; the built example too.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
a_stack default "mint required $MINT"
a_start || exit 1
export CREDVAULT_SOCKET=$SOCK

expect_exit 0 "the example built with the project" -- \
	"$CV_BUILD_DIR/bin/credvault-token-example" shop view_products:demo
expect_match "prints an Authorization header" "$T_OUT" "^Authorization: Bearer [A-Za-z0-9_-]+$"
expect_exit 1 "the example reports a failure class" -- \
	"$CV_BUILD_DIR/bin/credvault-token-example" shop manage_project:demo
expect_match "with the library's description" "$T_ERR" "no token for 'shop': denied"

P="$T/prefix"
if ! cmake --install "$CV_BUILD_DIR" --prefix "$P" >"$T/install.log" 2>&1; then
	not_ok "cmake --install"
	cat "$T/install.log"
	t_done
	exit 1
fi
ok "installed to a prefix"
libdir=$(dirname "$(find "$P" -name credvault-client.pc | head -1)")/..
[ -f "$P/include/credvault.h" ] && ok "credvault.h installed" || not_ok "no header"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
if pkg-config --exists credvault-client; then
	ok "pkg-config finds credvault-client $(pkg-config --modversion credvault-client)"
else
	not_ok "pkg-config does not find credvault-client"
fi
if cv_sanitized; then
	ok "sanitized build: skipping compiles against the installed library"
	t_done
	exit $?
fi
nm -D --defined-only "$libdir/libcredvault-client.so" | awk '{print $3}' |
	grep -v '^credvault_' >"$T/extra.syms"
[ ! -s "$T/extra.syms" ] && ok "the shared library exports credvault_* only" ||
	not_ok "also exports: $(tr '\n' ' ' <"$T/extra.syms")"
# shellcheck disable=SC2046
cc -o "$T/token-shared" "$P/share/doc/credvault/example/token.c" \
	$(pkg-config --cflags --libs credvault-client) 2>"$T/cc.err" &&
	ok "the example compiles with pkg-config" || { not_ok "compile"; cat "$T/cc.err"; }
expect_exit 0 "and runs against the agent" -- env LD_LIBRARY_PATH="$libdir" \
	"$T/token-shared" shop
expect_match "printing the header" "$T_OUT" "^Authorization: Bearer "
# shellcheck disable=SC2046
cc -o "$T/token-static" "$P/share/doc/credvault/example/token.c" \
	$(pkg-config --cflags credvault-client) "$libdir/libcredvault-client.a" \
	$(pkg-config --static --libs-only-l libsodium jansson) -lpthread \
	2>"$T/cc.err" && ok "and links statically" || { not_ok "static link"; cat "$T/cc.err"; }
expect_exit 0 "the static one runs too" -- "$T/token-static" shop

a_finish
t_done
