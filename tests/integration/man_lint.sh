#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The manual pages as built (man/*.in configured): mandoc -Tlint -Wstyle
# finds nothing but cross-references to other projects' pages the host
# may lack, the pages refer to each other, and credvault(1) and
# credvault-agent(8) name every command and every option that the
# binary's --help texts list.
set -uo pipefail

# shellcheck source=../lib/common.sh
. "$CV_SOURCE_DIR/tests/lib/common.sh"

command -v mandoc >/dev/null || { not_ok "mandoc not found: run tests/setup.sh"; t_done; exit 1; }
M="$T_DIR/man"
for page in credvault.1 credvault-hooks.5 credvault-agent.8; do
	src="$CV_BUILD_DIR/man/$page"
	if [ -f "$src" ]; then
		mkdir -p "$M/man${page##*.}"
		cp "$src" "$M/man${page##*.}/"
		ok "built $page"
	else
		not_ok "no $src"
	fi
done
# A manual path of our own, so that the pages' references to each other
# resolve the way they will once installed.
makewhatis "$M" 2>/dev/null
for f in "$M"/man*/*; do
	page=$(basename "$f")
	MANPATH="$M:/usr/share/man" mandoc -Tlint -Wstyle "$f" >"$T_DIR/lint" 2>&1
	# The host's own mandoc.db may be stale, and it may not have the pages
	# of other projects installed (ssh-agent, systemd): those are fine.
	grep -v -e 'outdated mandoc\.db' \
		-e 'STYLE: referenced manual not found: Xr [a-z][a-z.-]* [0-9]' \
		"$T_DIR/lint" >"$T_DIR/lint.left"
	grep -E 'referenced manual not found: Xr credvault' "$T_DIR/lint" \
		>>"$T_DIR/lint.left"
	if [ -s "$T_DIR/lint.left" ]; then
		not_ok "mandoc -Tlint -Wstyle $page:"
		sed 's/^/    | /' "$T_DIR/lint.left" | head -20
	else
		ok "mandoc -Tlint -Wstyle $page: clean"
	fi
	mandoc -Tutf8 "$f" >"$T_DIR/$page.txt" 2>/dev/null && [ -s "$T_DIR/$page.txt" ] &&
		ok "$page renders" || not_ok "$page does not render"
done

# "--kdf-time" is written "Fl \-kdf\-time" in mdoc.
fl() {
	local o=${1#-}
	printf 'Fl %s' "${o//-/\\-}"
}

# Every command of `credvault --help`, and every option its --help lists,
# in credvault(1) (the mdoc source writes a hyphen \-).
P1="$M/man1/credvault.1"
"$CV" --help >"$T_DIR/help"
mapfile -t cmds < <(sed -n '/^commands:/,/^$/p' "$T_DIR/help" | awk 'NF > 1 { print $1 }')
[ "${#cmds[@]}" -ge 15 ] && ok "credvault --help lists ${#cmds[@]} commands" ||
	not_ok "only ${#cmds[@]} commands in --help"
missing=()
for c in "${cmds[@]}"; do
	grep -q "^\.It Cm $c\( \|$\)" "$P1" || missing+=("command $c")
	"$CV" "$c" --help 2>/dev/null | sed -n '1,/^$/p' | grep -o -- '--[a-z][a-z-]*' |
		sort -u >"$T_DIR/opts"
	while read -r o; do
		[ "$o" = --help ] && continue
		grep -qF "$(fl "$o")" "$P1" || missing+=("$c $o")
	done <"$T_DIR/opts"
done
"$CV" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T_DIR/opts"
while read -r o; do
	[ "$o" = --help ] && continue
	grep -qF "$(fl "$o")" "$P1" || missing+=("global $o")
done <"$T_DIR/opts"
[ ${#missing[@]} -eq 0 ] && ok "credvault(1) documents every command and option of --help" ||
	not_ok "credvault(1) lacks: ${missing[*]}"

# credvault-agent(8): every option of `credvault agent --help`.
missing=()
"$CV" agent --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T_DIR/opts"
while read -r o; do
	[ "$o" = --help ] && continue
	grep -qF "$(fl "$o")" "$M/man8/credvault-agent.8" || missing+=("$o")
done <"$T_DIR/opts"
[ ${#missing[@]} -eq 0 ] && ok "credvault-agent(8) documents every agent option" ||
	not_ok "credvault-agent(8) lacks: ${missing[*]}"

# The pages name the hook directory this build installs to.
hookdir=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$CV_BUILD_DIR/CMakeCache.txt")
expect_match "credvault-hooks(5) names the installed oauth2-mint" \
	"$M/man5/credvault-hooks.5" "$(ere_quote "$hookdir")/[a-z]*/credvault/oauth2"
t_done
