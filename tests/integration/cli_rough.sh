#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The rough edges a new user met, each with its exact message: URLs checked
# at add, a missing option named, a global option after the command, the
# nearest command, exec without '--', no lock advice for a busy socket,
# weak passphrases, --json token, the C example without an agent, a peer
# without --scope under a scopes= rule, the allowed values in the agent's
# log, typed-ahead passphrases (init under script(1)), add and rm saying
# what they did and rm asking on a terminal.  (A missing vault: vault_perms;
# rotate --abort with no client: rotate_cli.)
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

a_setup
a_record shop ct-shop
a_record limited ct-shop
a_stack shop "authorize requisite peer uid=$(id -u)
mint required $MINT"
a_stack limited "authorize requisite peer uid=$(id -u) scopes=view_products:demo
mint required $MINT"

# --- URLs at add
add_url() { printf 'a-secret\n' | cv add url1 --provider oauth2 --client-id c --auth-url "$1"; }
expect_exit 2 "add refuses a URL without a scheme" -- add_url 127.0.0.1:1
expect_line "naming what is wrong and what to type" "$T_ERR" "credvault add: invalid --auth-url '127.0.0.1:1': it has no https:// scheme; use https://HOST[:PORT][/PATH]"
expect_exit 2 "add refuses a malformed URL" -- add_url 'ftp://[bad'
expect_line "with libcurl's reason" "$T_ERR" "credvault add: invalid --auth-url 'ftp://[bad': bad IPv6 address; use https://HOST[:PORT][/PATH]"
expect_exit 2 "add refuses plain http to another host" -- add_url http://auth.example.com/oauth/token
expect_line "saying why" "$T_ERR" "credvault add: invalid --auth-url 'http://auth.example.com/oauth/token': plain http is only for a loopback host (the secret would travel in clear); use https://HOST[:PORT][/PATH]"
expect_exit 2 "add refuses credentials in a URL" -- add_url https://user:pw@auth.example.com/
expect_line "saying why" "$T_ERR" "credvault add: invalid --auth-url 'https://user:pw@auth.example.com/': it holds a user name or password, which would travel and be logged with it; use https://HOST[:PORT][/PATH]"
printf '[{"name":"j1","provider":"oauth2","client_id":"c","auth_url":"127.0.0.1:1","secret":"s"}]' >"$T/bad.json"
expect_exit 2 "import checks the URLs too" -- cv import --json "$T/bad.json"
expect_line "with the record's name" "$T_ERR" "credvault import: 'j1': invalid --auth-url '127.0.0.1:1': it has no https:// scheme; use https://HOST[:PORT][/PATH]"

# --- add says what it did; a missing option is named
add_ok() { printf 'a-secret\n' | cv add new1 --provider oauth2 --client-id c1 --auth-url https://auth.example.com/t; }
expect_exit 0 "add succeeds" -- add_ok
expect_line "and says so on stderr" "$T_ERR" "added 'new1' (oauth2, client id c1); 'credvault reveal' prints its secret once"
[ ! -s "$T_OUT" ] && ok "stdout stays empty" || not_ok "add printed on stdout: $(cat "$T_OUT")"
expect_exit 2 "add without --provider" -- cv add x --client-id c --auth-url https://a.example/t
expect_line "names the missing option" "$T_ERR" "credvault add: missing --provider P (commercetools, commercelayer or oauth2)"
expect_exit 2 "add without --auth-url" -- cv add x --provider oauth2 --client-id c
expect_line "names it" "$T_ERR" "credvault add: missing --auth-url URL"
expect_exit 2 "add without a name" -- cv add --provider oauth2 --client-id c --auth-url https://a.example/t
expect_line "names the operand" "$T_ERR" "credvault add: missing the record's NAME"
expect_exit 2 "token without a name" -- a_token
expect_line "names it" "$T_ERR" "credvault token: missing NAME"
expect_exit 2 "a misspelt option" -- cv list --provder oauth2
expect_line "suggests the right one" "$T_ERR" "credvault list: unknown option '--provder'; did you mean '--provider'?"

# --- global options, commands
expect_exit 2 "a global option after the command" -- "$CV" list --vault "$VAULT"
expect_line "says to put it first" "$T_ERR" "credvault list: --vault is a global option: put it before the command (credvault --vault DIR list ...)"
expect_exit 2 "an unknown command" -- "$CV" lsit
expect_line "suggests the nearest" "$T_ERR" "credvault: unknown command 'lsit'; did you mean 'list'? (see 'credvault --help')"
expect_exit 2 "an unknown command far from all" -- "$CV" frobnicate
expect_line "only points at --help" "$T_ERR" "credvault: unknown command 'frobnicate'; see 'credvault --help'"
expect_exit 2 "exec without --" -- "$CV" exec shop env
expect_line "explains itself" "$T_ERR" "credvault exec: the command to run goes after '--', so that its options are not taken for exec's: credvault exec shop -- env"
expect_exit 2 "exec with nothing after --" -- "$CV" exec shop --
expect_line "names what is missing" "$T_ERR" "credvault exec: missing the command to run after '--'"

# --- weak passphrases
printf 'password\n' >"$T/weak"
expect_exit 5 "init refuses a dictionary word" -- "$CV" --vault "$T/w1" --passphrase-file "$T/weak" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_line "with libpwquality's reason" "$T_ERR" "credvault init: the new passphrase is too weak: the password fails the dictionary check - it is based on a dictionary word; choose a longer one (a few unrelated words do), or pass --allow-weak-passphrase"
[ ! -e "$T/w1/data.mdb" ] && ok "and creates nothing" || not_ok "a vault was created"
printf 'abc\n' >"$T/short"
expect_exit 5 "keyslot add refuses a short one" -- cv keyslot add weak --new-passphrase-file "$T/short" --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_line "saying why" "$T_ERR" "credvault keyslot: the new passphrase is too weak: the password is shorter than 8 characters; choose a longer one (a few unrelated words do), or pass --allow-weak-passphrase"
expect_exit 0 "unless forced" -- "$CV" --vault "$T/w1" --passphrase-file "$T/weak" init --allow-weak-passphrase --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1

# --- init under script(1): both lines typed ahead of their prompts
if command -v script >/dev/null; then
	printf 'three unrelated words here\nthree unrelated words here\n' |
		timeout 20 script -qec "$CV --vault $T/typed init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1" /dev/null >"$T/script.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && ok "init under script does not hang at Repeat:" || not_ok "init under script: exit $rc"
	printf 'three unrelated words here\n' >"$T/typed.pass"
	expect_exit 0 "the typed-ahead passphrase is the vault's" -- "$CV" --vault "$T/typed" --passphrase-file "$T/typed.pass" list
	# rm asks on a terminal; n keeps the record, y removes it.
	printf 'n\n' | timeout 20 script -qec "$CV --vault $VAULT --passphrase-file $T/pass rm new1" /dev/null >"$T/rm.out" 2>&1
	grep -Fq "Remove 'new1' and its secrets for good? [y/N]" "$T/rm.out" && ok "rm asks on a terminal" || not_ok "rm did not ask: $(cat "$T/rm.out")"
	grep -Fq "credvault rm: 'new1' was not removed" "$T/rm.out" && ok "n keeps it" || not_ok "rm after n: $(cat "$T/rm.out")"
	expect_exit 0 "the record is still there" -- cv show new1
	printf 'y\n' | timeout 20 script -qec "$CV --vault $VAULT --passphrase-file $T/pass rm new1" /dev/null >"$T/rm.out" 2>&1
	grep -Fq "removed 'new1'" "$T/rm.out" && ok "y removes it, and rm says so" || not_ok "rm after y: $(cat "$T/rm.out")"
	expect_exit 4 "it is gone" -- cv show new1
else
	not_ok "script(1) is missing (util-linux)"
fi
printf 'a-secret\n' | cv add new2 --provider oauth2 --client-id c2 --auth-url https://auth.example.com/t 2>/dev/null
expect_exit 0 "rm --yes in a script" -- cv rm --yes new2
expect_line "says what it removed" "$T_ERR" "removed 'new2'"

# --- the agent
a_start || exit 1
"$CV" --vault "$VAULT" --passphrase-file "$T/pass" agent --foreground --socket "$SOCK" >/dev/null 2>"$T/second.err" </dev/null
expect_line "a second agent on the socket is told to stop the first, not to lock it" "$T/second.err" "credvault agent: another agent is serving '$SOCK'; stop it first (kill -TERM its pid: 'credvault lock' only locks it, it keeps the socket) or choose another --socket"
expect_exit 0 "--json before token" -- "$CV" --socket "$SOCK" --json token shop
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["access_token"] and d["expires_in"] > 0' "$T_OUT" &&
	ok "prints the token as JSON" || not_ok "not JSON: $(head -c 200 "$T_OUT")"
expect_exit 5 "no --scope under a scopes= rule" -- a_token limited
expect_line "is told to name the scopes" "$T_ERR" "credvault token: the agent could not give a token for 'limited': the record's rules allow this process only some of its scopes; ask for them with --scope (scope_required)"
expect_exit 0 "and with the allowed scope gets a token" -- a_token limited --scope view_products:demo
expect_exit 5 "a scope outside the rule" -- a_token limited --scope manage_orders:demo
expect_line "is only denied" "$T_ERR" "credvault token: the agent denied a token for 'limited' to this process; its log says why (the vault owner allows peers in hooks.d/limited)"
expect_match "the log names the allowed values" "$T/agent.log" "record 'limited': denied to peer uid=$(id -u) .*peer: requested scope 'manage_orders:demo' is not in scopes=view_products:demo"
expect_match "and says who was told to name scopes" "$T/agent.log" "record 'limited': denied to peer uid=$(id -u) [^:]* \\(told to name scopes\\)"
"$CV" --socket "$SOCK" lock >/dev/null 2>&1
"$CV" --vault "$VAULT" --passphrase-file "$T/pass" agent --foreground --socket "$SOCK" >/dev/null 2>"$T/second.err" </dev/null
expect_match "a locked agent still holds the socket" "$T/second.err" "another agent is serving"
a_finish

# --- the C example, with no agent anywhere
expect_exit 1 "the example with no socket to try" -- env -u CREDVAULT_SOCKET -u XDG_RUNTIME_DIR "$CV_BUILD_DIR/bin/credvault-token-example" shop
expect_line "says there is no agent" "$T_ERR" "$CV_BUILD_DIR/bin/credvault-token-example: no token for 'shop': no agent; start one with 'credvault agent', or set CREDVAULT_SOCKET to its socket"
expect_exit 1 "the example with a socket nobody serves" -- env CREDVAULT_SOCKET="$T/none.sock" "$CV_BUILD_DIR/bin/credvault-token-example" shop
expect_line "says the same" "$T_ERR" "$CV_BUILD_DIR/bin/credvault-token-example: no token for 'shop': no agent; start one with 'credvault agent', or set CREDVAULT_SOCKET to its socket"

t_done
