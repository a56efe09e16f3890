#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package end to end (as root, on a throwaway machine; CI runs
# it from tests/run-all.sh): build the packages from a clean copy of the
# tree, check them with lintian (no error or warning), install them with
# apt-get, check where things went, then mint a token with the installed
# /usr/bin/credvault and the hook at its compiled-in path
# (/usr/libexec/credvault/oauth2-mint: the stack has no mint line), and
# one through the installed client library.  The packages are purged at
# the end.  CV_PKG_KEEP=1 keeps them installed and the work directory.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JOBS=${JOBS:-$(nproc)}

if [ "$(id -u)" -ne 0 ]; then
	echo "package: run as root (it installs the packages it builds)" >&2
	exit 1
fi
for c in dpkg-buildpackage lintian apt-get mandoc; do
	command -v "$c" >/dev/null || {
		echo "package: $c not found: run tests/setup.sh" >&2
		exit 1
	}
done

# The helpers of the integration tests, on the installed programs.
export CV_SOURCE_DIR=$ROOT CV_BUILD_DIR=$ROOT/build-package-unused
# shellcheck source=../lib/agent.sh
. "$ROOT/tests/lib/agent.sh"
CV=/usr/bin/credvault
MINT=/usr/libexec/credvault/oauth2-mint
W=$T_DIR/pkg
mkdir -p "$W"
[ -n "${CV_PKG_KEEP:-}" ] && export CV_TEST_KEEP=1

# --- build from a clean copy: only what git tracks or would add, never a
# build directory or node_modules ---
version=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
SRC=$W/credvault-$version
mkdir -p "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$SRC"
else # an unpacked tree: everything but builds, modules and VCS files
	tar -C "$ROOT" --exclude='./build' --exclude='./build-*' --exclude='./obj-*' \
		--exclude=node_modules --exclude-vcs -cf - . | tar -xf - -C "$SRC"
fi
if [ -e "$SRC/build-ci" ] || [ -e "$SRC/tests/npm/node_modules" ]; then
	not_ok "the clean copy holds a build directory or node_modules"
fi
t0=$SECONDS
# The unit tests already ran on this tree: nocheck.
if (cd "$SRC" && DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($((SECONDS - t0)) s)"
else
	not_ok "dpkg-buildpackage failed; the end of its log:"
	tail -40 "$W/build.log" | sed 's/^/    | /'
	t_done
	exit 1
fi
arch=$(dpkg --print-architecture)
debs=()
for p in credvault libcredvault-client0 libcredvault-client-dev; do
	f="$W/${p}_${version}_$arch.deb"
	if [ -f "$f" ]; then ok "built $p"; debs+=("$f"); else not_ok "no $f"; fi
done

# --- lintian: no errors, no warnings ---
changes="$W/credvault_${version}_$arch.changes"
lintian --fail-on error,warning --display-info "$changes" >"$W/lintian.out" 2>&1
lrc=$?
if [ "$lrc" -eq 0 ] && ! grep -Eq '^[EW]: ' "$W/lintian.out"; then
	ok "lintian: no errors or warnings ($(grep -c '^[IP]: ' "$W/lintian.out") info tags)"
else
	not_ok "lintian (exit $lrc):"
	sed 's/^/    | /' "$W/lintian.out" | head -30
fi

# --- what the package holds ---
dpkg-deb -c "$W/credvault_${version}_$arch.deb" | awk '{print $6}' >"$W/contents"
for f in ./usr/bin/credvault ./usr/libexec/credvault/oauth2-mint \
	./usr/libexec/credvault/ct-rotate ./usr/share/man/man1/credvault.1.gz \
	./usr/share/man/man5/credvault-hooks.5.gz \
	./usr/share/man/man8/credvault-agent.8.gz \
	./usr/share/bash-completion/completions/credvault \
	./usr/share/zsh/vendor-completions/_credvault \
	./usr/share/fish/vendor_completions.d/credvault.fish \
	./usr/lib/sysusers.d/credvault.conf \
	./usr/share/doc/credvault/examples/hooks.d/shop \
	./usr/share/doc/credvault/hooks.md.gz ./usr/share/doc/credvault/copyright; do
	grep -qxF "$f" "$W/contents" && ok "credvault ships $f" ||
		not_ok "credvault lacks $f"
done
expect_no_match "no build tree or test file in the package" "$W/contents" \
	'build-|node_modules|/tests/'

# --- install, as CI installs anything: apt-get ---
dpkg -r libcredvault-client-dev libcredvault-client0 credvault >/dev/null 2>&1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${debs[@]}" \
	>"$W/apt.log" 2>&1; then
	ok "apt-get install ./credvault_*.deb and the library packages"
else
	not_ok "apt-get install failed:"
	tail -20 "$W/apt.log" | sed 's/^/    | /'
	t_done
	exit 1
fi
pkg_purge() {
	[ -n "${CV_PKG_KEEP:-}" ] && return 0
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
		libcredvault-client-dev libcredvault-client0 credvault >/dev/null 2>&1
}
t_cleanup_hooks+=(pkg_purge)

getent passwd credvault >"$W/passwd" && ok "the credvault system user exists" ||
	not_ok "no credvault user after install"
expect_match "its home is /var/lib/credvault, no login shell" "$W/passwd" \
	'^credvault:[^:]*:[0-9]+:[0-9]+:[^:]*:/var/lib/credvault:/usr/sbin/nologin$'
getent group credvault-clients >/dev/null &&
	ok "the group of the agent's clients exists (the units' SocketGroup=)" ||
	not_ok "no credvault-clients group after install"
[ "$(stat -c '%U %a' /var/lib/credvault 2>/dev/null)" = "credvault 700" ] &&
	ok "/var/lib/credvault is the user's, 0700" ||
	not_ok "/var/lib/credvault: $(stat -c '%U %a' /var/lib/credvault 2>&1)"
expect_exit 0 "the installed credvault runs" -- "$CV" --version
expect_match "and says its version" "$T_OUT" "^credvault $(ere_quote "$version")$"
expect_exit 0 "its example stacks name the installed hooks" -- \
	grep -l "^mint .*/usr/libexec/credvault/oauth2-mint$" \
	/usr/share/doc/credvault/examples/hooks.d/shop

# The installed manual pages are lint-clean (mandoc reads the .gz).
for page in man1/credvault.1 man5/credvault-hooks.5 man8/credvault-agent.8; do
	zcat "/usr/share/man/$page.gz" >"$W/${page#*/}"
	expect_exit 0 "mandoc -Tlint -Wwarning: installed $page.gz" -- \
		mandoc -Tlint -Wwarning "$W/${page#*/}"
done
expect_match "the installed pages name /usr/libexec/credvault" \
	<(zcat /usr/share/man/man5/credvault-hooks.5.gz) '/usr/libexec/credvault/oauth2'

# --- the quick start's token path, with the installed programs ---
a_setup
a_record shop ct-shop "view_products:demo"
# No stack file: the agent's own uid is authorised, and the mint hook is
# the shipped one at its compiled-in path.
a_start || { t_done; exit 1; }
ok "the installed agent started"
expect_exit 0 "a token from the installed agent" -- a_token shop
TOKEN=$(cat "$T_OUT")
cp "$T_OUT" "$W/token"
[[ $TOKEN =~ ^[A-Za-z0-9_-]{20,}$ ]] && ok "it is a token" || not_ok "token '$TOKEN'"
[ "$(fake_stat token_requests)" = 1 ] &&
	ok "minted by /usr/libexec/credvault/oauth2-mint against the fake endpoint" ||
	not_ok "token_requests $(fake_stat token_requests)"
expect_exit 0 "the token is the one the fake issued" -- \
	srv_http_get "$FAKE_URL/demo/products" "$W/token"
expect_match "and the fake accepts it (HTTP 200)" "$T_OUT" '^200$'

# The client library: the shipped example, built against the -dev package.
if cc -o "$W/token-example" /usr/share/doc/libcredvault-client-dev/examples/token.c \
	$(pkg-config --cflags --libs credvault-client) 2>"$W/cc.err"; then
	ok "the example builds with pkg-config credvault-client"
	expect_exit 0 "and gets a token through libcredvault-client.so.0" -- \
		env CREDVAULT_SOCKET="$SOCK" "$W/token-example" shop
	[ "$(head -1 "$T_OUT")" = "Authorization: Bearer $TOKEN" ] &&
		ok "the cached token" ||
		not_ok "library token differs"
	ldd "$W/token-example" >"$W/ldd"
	expect_match "linked to the installed shared library" "$W/ldd" \
		'libcredvault-client\.so\.0 => (/usr)?/lib/'
else
	not_ok "the example does not build:"
	sed 's/^/    | /' "$W/cc.err" | head -10
fi
a_finish
t_done
