# SPDX-License-Identifier: MIT
# bash completion for credvault(1): commands, the options of each, and
# record names from the vault's agent.
#
# Record names come from `credvault list` through an agent only: the
# completion never prompts and never unlocks vault files itself.  It runs
# in a new session (no terminal to ask on), with stdin from /dev/null, no
# passphrase file and a 2 s timeout; anything else gives no names.

_credvault_commands="init add import list show reveal rm keyslot rekey audit
check backup restore rotate policy agent token exec lock status explain"

_credvault_global_opts="--vault --passphrase-file --passphrase-fd --keyfile
--keyslot --socket --local --json --verbose --help --version"

# The options of command $1, on stdout.
_credvault_cmd_opts()
{
	local kdf="--kdf-time --kdf-memory --kdf-iterations --kdf-parallelism"
	case $1 in
	init) echo "--label --allow-weak-passphrase $kdf --help" ;;
	add) echo "--provider --client-id --auth-url --project-key --scope" \
		"--api-url --no-reveal --help" ;;
	import) echo "--from-env --json --no-reveal --help" ;;
	list) echo "--provider --long --json --help" ;;
	show) echo "--json --help" ;;
	policy) echo "--auto-rotate --max-age --grace --json --help" ;;
	keyslot) echo "--new-passphrase-file --keyfile --allow-weak-passphrase" \
		"--json $kdf --help" ;;
	rm) echo "--yes --help" ;;
	audit) echo "--verify --json -n --since --record --actor --action" \
		"--follow --help" ;;
	rotate) echo "--force --secret-stdin --client-id --abort --help" ;;
	agent) echo "--socket --socket-group --foreground --keyfile" \
		"--lifetime --clients-per-uid --help" ;;
	token) echo "--socket --scope --min-ttl --format --help" ;;
	exec) echo "--socket --scope --min-ttl --env --help" ;;
	lock) echo "--socket --help" ;;
	status) echo "--socket --json --format --help" ;;
	explain) echo "--uid --user --gid --group --exe --scope --help" ;;
	*) echo "--help" ;;
	esac
}

# Record names, from the agent the command line (or the environment)
# names, or the one at the default socket when it serves the vault.
_credvault_records()
{
	local i w prog=${COMP_WORDS[0]} sock="" args=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--vault | --socket)
			[ $((i + 1)) -lt "$COMP_CWORD" ] || continue
			args+=("$w" "${COMP_WORDS[i + 1]}")
			[ "$w" = --socket ] && sock=${COMP_WORDS[i + 1]}
			i=$((i + 1))
			;;
		--vault=* | --socket=*)
			args+=("$w")
			[ "${w%%=*}" = --socket ] && sock=${w#*=}
			;;
		esac
	done
	# Tilde in a typed path, as the shell would expand it.
	sock=${sock/#\~/$HOME}
	[ -n "$sock" ] || sock=${CREDVAULT_SOCKET:-}
	if [ -z "$sock" ] && [ -n "${XDG_RUNTIME_DIR:-}" ]; then
		sock=$XDG_RUNTIME_DIR/credvault.sock
	fi
	[ -S "$sock" ] || return 0
	command -v timeout >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1 ||
		return 0
	prog=${prog/#\~/$HOME}
	CREDVAULT_PASSPHRASE_FILE= timeout 2 setsid -w "$prog" "${args[@]}" \
		list </dev/null 2>/dev/null
}

# The command: the first word after the global options and their values.
_credvault_find_cmd()
{
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--vault | --passphrase-file | --passphrase-fd | --keyfile | \
			--keyslot | --socket)
			i=$((i + 1))
			;;
		-*) ;;
		*)
			_credvault_cmd=$w
			_credvault_cmd_at=$i
			return 0
			;;
		esac
	done
	return 1
}

_credvault()
{
	local cur prev cmd words cword _credvault_cmd="" _credvault_cmd_at=0
	local i nargs=0 w
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=""
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# Values of options, wherever they are.
	case $prev in
	--vault)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	--passphrase-file | --keyfile | --new-passphrase-file | --from-env | \
		--json | --socket)
		# --json takes a file only for import; elsewhere it is a flag.
		_credvault_find_cmd
		if [ "$prev" != --json ] || [ "$_credvault_cmd" = import ]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
		fi
		;;
	--provider)
		mapfile -t COMPREPLY < <(compgen -W \
			"commercetools commercelayer oauth2" -- "$cur")
		return 0
		;;
	--format)
		_credvault_find_cmd
		if [ "$_credvault_cmd" = status ]; then
			mapfile -t COMPREPLY < <(compgen -W "openmetrics" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"raw json header exec-credential" -- "$cur")
		fi
		return 0
		;;
	--auto-rotate)
		mapfile -t COMPREPLY < <(compgen -W \
			"off invalid-client age both" -- "$cur")
		return 0
		;;
	--socket-group | --group)
		mapfile -t COMPREPLY < <(compgen -g -- "$cur")
		return 0
		;;
	--user)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return 0
		;;
	--exe)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--record)
		mapfile -t COMPREPLY < <(compgen -W "$(_credvault_records)" \
			-- "$cur")
		return 0
		;;
	--passphrase-fd | --keyslot | --label | --kdf-time | --kdf-memory | \
		--kdf-iterations | --kdf-parallelism | --client-id | --auth-url | \
		--project-key | --scope | --api-url | -n | --since | --actor | \
		--action | --max-age | --grace | --lifetime | --clients-per-uid | \
		--min-ttl | --env | --uid | --gid)
		return 0 # a value of the user's own
		;;
	esac

	if ! _credvault_find_cmd; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W \
				"$_credvault_global_opts" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"$_credvault_commands" -- "$cur")
		fi
		return 0
	fi
	cmd=$_credvault_cmd

	# After `exec NAME ... --`, complete the command to run.
	if [ "$cmd" = exec ]; then
		for ((i = _credvault_cmd_at + 1; i < COMP_CWORD; i++)); do
			if [ "${COMP_WORDS[i]}" = -- ]; then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur")
				return 0
			fi
		done
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W \
			"$(_credvault_cmd_opts "$cmd")" -- "$cur")
		return 0
	fi

	# Operands so far (words after the command that are not options or
	# their values).
	for ((i = _credvault_cmd_at + 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--json | --long | --no-reveal | --verify | --follow | --force | \
			--secret-stdin | --abort | --foreground | --help | -l | -f | \
			--yes | -y | --allow-weak-passphrase) ;;
		-*) [[ $w == *=* ]] || i=$((i + 1)) ;;
		*) nargs=$((nargs + 1)) ;;
		esac
	done
	case $cmd in
	show | reveal | rm | rotate | policy | token | exec | explain)
		[ "$nargs" -eq 0 ] &&
			mapfile -t COMPREPLY < <(compgen -W \
				"$(_credvault_records)" -- "$cur")
		;;
	keyslot)
		[ "$nargs" -eq 0 ] &&
			mapfile -t COMPREPLY < <(compgen -W "add remove list" \
				-- "$cur")
		;;
	backup | restore)
		if [ "$nargs" -eq 0 ]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		;;
	esac
	return 0
}

complete -F _credvault credvault
