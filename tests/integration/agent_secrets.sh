#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 3, test 7: secrets never reach the argv or environment of hooks
# (a hook dumps its argv, environ and /proc/self/cmdline), nor the agent's
# log, command line, environment or audit entries; tokens never reach the
# log either.  The hook does get the secret on stdin.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
SECRET=$(secret_of ct-shop)
WRONG=$(secret_of ct-other)
printf '%s' "$WRONG" | cv add wrong --provider commercetools --client-id ct-shop \
	--auth-url "$FAKE_URL" --project-key demo --scope view_products:demo \
	>/dev/null 2>&1 || { not_ok "add wrong"; exit 1; }
a_stack default "mint required $MINT"
mkdir -m 700 "$T/dump"
# The dumping hooks: everything they can see of how they were started.
dump='d='"$T"'/dump/$1; mkdir -p "$d"
for a in "$0" "$@"; do printf "%s\n" "$a"; done >"$d/argv"
env >"$d/environ"
tr "\0" "\n" </proc/self/cmdline >"$d/cmdline"
tr "\0" "\n" </proc/self/environ >"$d/proc-environ"
ls -l /proc/self/fd >"$d/fds" 2>&1'
a_hook authz '#!/bin/sh
'"$dump"'
cat >"$d/stdin"
exit 0'
a_hook mint '#!/bin/sh
'"$dump"'
input=$(cat)
printf "%s" "$input" >"$d/stdin"
printf "%s" "$input" | exec "'"$MINT"'"'
a_stack shop "authorize required $T/hooks/authz authz
mint required $T/hooks/mint mint"
a_start || exit 1

expect_exit 0 "a token through dumping hooks" -- a_token shop
TOKEN=$(cat "$T_OUT")
expect_exit 0 "exec with the token" -- "$CV" exec shop --socket "$SOCK" -- \
	sh -c 'env >"$0"' "$T/dump/exec-env"

grep -qF -- "$SECRET" "$T/dump/mint/stdin" && ok "the mint hook got the secret on stdin" ||
	not_ok "the secret is not on the mint hook's stdin"
for phase in authz mint; do
	for f in argv environ cmdline proc-environ; do
		if grep -qF -- "$SECRET" "$T/dump/$phase/$f"; then
			not_ok "the secret is in the $phase hook's $f"
		else
			ok "not in the $phase hook's $f"
		fi
	done
done
grep -qF -- "$SECRET" "$T/dump/authz/stdin" && not_ok "authorize got the secret" ||
	ok "the authorize hook never gets the secret"
[ "$(grep -c . "$T/dump/mint/environ")" -le 4 ] &&
	ok "hooks get a minimal environment ($(tr '\n' ' ' <"$T/dump/mint/environ"))" ||
	not_ok "hook environment: $(cat "$T/dump/mint/environ")"
[ "$(grep -c -- '->' "$T/dump/mint/fds")" -le 4 ] && ok "only stdin, stdout, stderr are open" ||
	not_ok "hook descriptors: $(cat "$T/dump/mint/fds")"
grep -qF -- "$TOKEN" "$T/dump/exec-env" && ok "exec: the token is in the command's env" ||
	not_ok "exec env lacks the token"
grep -qF -- "$SECRET" "$T/dump/exec-env" && not_ok "exec: the secret is in the env" ||
	ok "exec: the secret is not"

# The agent's own traces.
expect_exit 7 "a wrong secret (the failure goes to the log)" -- a_token wrong
tr '\0' '\n' </proc/"$APID"/cmdline >"$T/agent.cmdline"
tr '\0' '\n' </proc/"$APID"/environ >"$T/agent.environ"
sleep 1.3
cv audit >"$T/audit.txt" 2>&1
a_finish
for f in agent.log agent.out agent.cmdline agent.environ audit.txt fake.requests; do
	if grep -qF -e "$SECRET" -e "$WRONG" "$T/$f"; then
		not_ok "a secret is in $f"
	else
		ok "no secret in $f"
	fi
	if grep -qF -- "$TOKEN" "$T/$f"; then
		not_ok "the token is in $f"
	else
		ok "the token is not in $f"
	fi
done

t_done
