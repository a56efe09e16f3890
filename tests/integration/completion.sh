#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The shell completions (dist/completions): bash's completion function
# driven through COMP_WORDS/COMP_CWORD for commands, options and their
# values; record names from a running agent (named by $CREDVAULT_SOCKET,
# by --socket, or at the default socket), and none, quickly and without
# unlocking the vault, when no agent serves it; fish's completions through
# `complete -C`; zsh's file parses.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

D="$CV_SOURCE_DIR/dist/completions"
# The completion runs the `credvault` on PATH, as typed.
mkdir -p "$T/bin"
ln -s "$CV" "$T/bin/credvault"
export PATH="$T/bin:$PATH"

# shellcheck source=../../dist/completions/credvault.bash
. "$D/credvault.bash"
complete -p credvault >"$T_OUT" 2>&1
expect_match "the file registers _credvault for credvault" "$T_OUT" \
	'^complete -F _credvault credvault$'

# comp WORD... : complete the last word; the candidates, one a line.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_credvault credvault "${COMP_WORDS[COMP_CWORD]}" \
		"${COMP_WORDS[COMP_CWORD - 1]:-}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
# expect_comp DESCRIPTION WANT WORD...: WANT is the candidates, space-separated.
expect_comp() {
	local desc=$1 want=$2 got
	shift 2
	got=$(comp "$@" | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then ok "$desc"; else
		not_ok "$desc: got '$got', want '$want'"
	fi
}

unset CREDVAULT_SOCKET
export XDG_RUNTIME_DIR="$T/xdg"
mkdir -m 700 "$XDG_RUNTIME_DIR"

expect_comp "a command from its first letters" "token" credvault to
expect_comp "commands starting with re" "rekey restore reveal" credvault re
expect_comp "the command after global options and their values" "token" \
	credvault --vault /srv/v --json to
expect_comp "global options before the command" "--verbose --version" credvault --ver
expect_comp "an option of the command" "--format" credvault token shop --fo
expect_comp "the values of --format" "exec-credential header json raw" \
	credvault token shop --format ""
expect_comp "the values of --provider" "commercelayer commercetools" \
	credvault add shop --provider comm
expect_comp "list's own options" "--long" credvault list --lo
expect_comp "rm's --yes" "--yes" credvault rm shop --y
expect_comp "init's --allow-weak-passphrase" "--allow-weak-passphrase" credvault init --all
expect_comp "keyslot's actions" "add list remove" credvault keyslot ""
expect_comp "policy's --auto-rotate values" "age both invalid-client off" credvault policy shop --auto-rotate ""
expect_comp "status's --format" "openmetrics" credvault status --format ""
got=$(comp credvault exec shop -- bas)
grep -qx bash <<<"$got" && ok "after exec NAME --, a command to run" ||
	not_ok "exec -- completes '$got'"
mkdir "$T/files"
: >"$T/files/shop.env"
expect_comp "import --from-env completes a file" "$T/files/shop.env" \
	credvault import shop --from-env "$T/files/sh"
expect_comp "import --json takes a file too" "$T/files/shop.env" \
	credvault import --json "$T/files/sh"
expect_comp "but a global --json is a flag: commands follow" "rekey restore reveal" \
	credvault --json re

# --- record names, through an agent ---
a_setup
a_record shop ct-shop
a_record shop-eu ct-shop
a_record other ct-other "view_orders:demo"
expect_comp "no agent: no names" "" credvault show sh
a_start || exit 1
CREDVAULT_SOCKET=$SOCK
export CREDVAULT_SOCKET
expect_comp "record names from the agent of \$CREDVAULT_SOCKET" "shop shop-eu" \
	credvault show sh
expect_comp "for token too" "other" credvault token o
expect_comp "and audit --record" "shop shop-eu" credvault audit --record sh
expect_comp "only the first operand is a record" "" credvault show shop ""
unset CREDVAULT_SOCKET
expect_comp "from the agent that --socket names" "shop shop-eu" \
	credvault --socket "$SOCK" show sh
expect_comp "or the command's own --socket" "other" \
	credvault token --socket "$SOCK" o
ln -s "$SOCK" "$XDG_RUNTIME_DIR/credvault.sock"
expect_comp "from the default socket, when it serves this vault" "shop shop-eu" \
	credvault --vault "$VAULT" show sh

# The default agent serves another vault: `list` would open this one's
# files and want its passphrase.  The completion must give no names,
# quickly, and never unlock it (nor prompt), even with a passphrase file
# in the environment.
mkdir -m 700 "$T/v2"
"$CV" --vault "$T/v2/vault" --passphrase-file "$T/pass" init --kdf-memory 8 \
	--kdf-iterations 1 --kdf-parallelism 1 >/dev/null 2>&1
printf 'x\n' | "$CV" --vault "$T/v2/vault" --passphrase-file "$T/pass" add mine \
	--provider oauth2 --client-id c --auth-url http://127.0.0.1:1/t >/dev/null 2>&1
audit_count() {
	"$CV" --local --vault "$T/v2/vault" --passphrase-file "$T/pass" audit --json |
		srv_py -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
before=$(audit_count)
t0=$(now_ms)
got=$(CREDVAULT_PASSPHRASE_FILE="$T/pass" comp credvault --vault "$T/v2/vault" show m)
ms=$(($(now_ms) - t0))
after=$(audit_count)
[ -z "$got" ] && ok "another vault's agent: no names" || not_ok "names '$got'"
[ "$ms" -lt 2500 ] && ok "and an answer at once ($ms ms)" || not_ok "took $ms ms"
[ $((after - before)) -eq 1 ] &&
	ok "and the vault was not unlocked (one new audit entry: the count's own unlock)" ||
	not_ok "audit entries $before -> $after: the completion unlocked the vault"
rm -f "$XDG_RUNTIME_DIR/credvault.sock"

if command -v fish >/dev/null; then
	CREDVAULT_SOCKET=$SOCK fish --no-config -c "source $D/credvault.fish; complete -C'credvault show sh'" >"$T_OUT" 2>&1
	[ "$(sort "$T_OUT" | tr '\n' ' ')" = "shop shop-eu " ] &&
		ok "fish: record names from the agent" || not_ok "fish names: $(tr '\n' ' ' <"$T_OUT")"
fi


# --- fish and zsh ---
if command -v fish >/dev/null; then
	fish --no-config -c "source $D/credvault.fish; complete -C'credvault tok'" >"$T_OUT" 2>"$T_ERR"
	expect_match "fish: a command with its description" "$T_OUT" \
		'^token	get a short-lived token from the agent$'
	fish --no-config -c "source $D/credvault.fish; complete -C'credvault token shop --fo'" >"$T_OUT" 2>&1
	expect_match "fish: an option of the command" "$T_OUT" '^--format	'
	fish --no-config -c "source $D/credvault.fish; complete -C'credvault token shop --format '" >"$T_OUT" 2>&1
	expect_match "fish: the values of --format" "$T_OUT" '^exec-credential'
else
	not_ok "fish not found: run tests/setup.sh"
fi
if command -v zsh >/dev/null; then
	expect_exit 0 "zsh: _credvault parses" -- zsh -n "$D/_credvault"
	zcomp() { timeout 20 zsh -f "$CV_SOURCE_DIR/tests/tools/zcomp.zsh" "$D" "$1"; }
	zcomp "credvault to" >"$T_OUT" 2>&1
	expect_match "zsh: a command completed in a terminal" "$T_OUT" 'credvault token $'
	zcomp "credvault token shop --format " >"$T_OUT" 2>&1
	expect_match "zsh: the values of --format listed" "$T_OUT" \
		'exec-credential +header +json +raw'
	CREDVAULT_SOCKET=$SOCK zcomp "credvault show o" >"$T_OUT" 2>&1
	expect_match "zsh: a record name from the agent" "$T_OUT" 'credvault show other $'
	CREDVAULT_SOCKET=$SOCK zcomp "credvault --socket $SOCK token --scope x o" >"$T_OUT" 2>&1
	expect_match "zsh: after options, through the agent --socket names" "$T_OUT" \
		"token --scope x other \$"
	zcomp "credvault show o" >"$T_OUT" 2>&1
	expect_no_match "zsh: no agent, no names" "$T_OUT" 'credvault show other'
	expect_match "zsh: it is a #compdef file for credvault" "$D/_credvault" '^#compdef credvault$'
else
	not_ok "zsh not found: run tests/setup.sh"
fi
expect_exit 0 "bash: the file parses" -- bash -n "$D/credvault.bash"

# A locked agent answers nothing either.
CREDVAULT_SOCKET=$SOCK cv lock >/dev/null 2>&1
got=$(CREDVAULT_SOCKET=$SOCK comp credvault show sh)
[ -z "$got" ] && ok "a locked agent: no names" || not_ok "names '$got' from a locked agent"
a_finish
t_done
