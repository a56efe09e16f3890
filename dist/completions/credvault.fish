# SPDX-License-Identifier: MIT
# fish completion for credvault(1): commands, the options of each, and
# record names from the vault's agent.
#
# Record names come from `credvault list` through an agent only: the
# completion never prompts and never unlocks vault files itself.  It runs
# in a new session (no terminal to ask on), with stdin from /dev/null, no
# passphrase file and a 2 s timeout; anything else gives no names.

# The command: the first word after the global options and their values.
function __credvault_cmd
    set -l words (commandline -opc)
    set -e words[1]
    while set -q words[1]
        switch $words[1]
            case --vault --passphrase-file --passphrase-fd --keyfile --keyslot --socket
                set -e words[1]
            case '-*'
            case '*'
                echo $words[1]
                return 0
        end
        set -e words[1]
    end
    return 1
end

function __credvault_no_cmd
    not __credvault_cmd >/dev/null
end

function __credvault_using
    set -l cmd (__credvault_cmd)
    test "$cmd" = "$argv[1]"
end

# Operands after the command so far (not options or their values).
function __credvault_nargs
    set -l words (commandline -opc)
    set -l cmd (__credvault_cmd)
    set -l seen 0
    set -l n 0
    set -l skip 0
    for w in $words[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if test $seen = 0
            switch $w
                case --vault --passphrase-file --passphrase-fd --keyfile --keyslot --socket
                    set skip 1
                case '-*'
                case '*'
                    set seen 1
            end
            continue
        end
        switch $w
            case --json --long --no-reveal --verify --follow --force --secret-stdin \
                --abort --foreground --help -l -f --yes -y --allow-weak-passphrase '--*=*'
            case '-*'
                set skip 1
            case '*'
                set n (math $n + 1)
        end
    end
    echo $n
end

function __credvault_wants_record
    set -l cmd (__credvault_cmd)
    contains -- "$cmd" show reveal rm rotate policy token exec explain
    and test (__credvault_nargs) = 0
end

# Record names, from the agent the command line (or the environment)
# names, or the one at the default socket when it serves the vault.
function __credvault_records
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -l args
    set -l sock
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        switch $w
            case --vault --socket
                set -l j (math $i + 1)
                if test $j -le (count $words)
                    set -a args $w $words[$j]
                    test $w = --socket; and set sock $words[$j]
                end
                set i $j
            case '--vault=*' '--socket=*'
                set -a args $w
                string match -q -- '--socket=*' $w; and set sock (string replace -- '--socket=' '' $w)
        end
        set i (math $i + 1)
    end
    test -n "$sock"; or set sock "$CREDVAULT_SOCKET"
    if test -z "$sock"; and test -n "$XDG_RUNTIME_DIR"
        set sock $XDG_RUNTIME_DIR/credvault.sock
    end
    test -S "$sock"; or return 0
    command -q timeout; and command -q setsid; or return 0
    env CREDVAULT_PASSPHRASE_FILE= timeout 2 setsid -w $prog $args list </dev/null 2>/dev/null
end

complete -c credvault -f

# Global options, before the command.
complete -c credvault -n __credvault_no_cmd -l vault -r -xa '(__fish_complete_directories)' -d 'vault directory'
complete -c credvault -n __credvault_no_cmd -l passphrase-file -r -F -d 'read the passphrase from a file'
complete -c credvault -n __credvault_no_cmd -l passphrase-fd -x -d 'read the passphrase from a descriptor'
complete -c credvault -n __credvault_no_cmd -l keyfile -r -F -d 'unlock with a key file'
complete -c credvault -n __credvault_no_cmd -l keyslot -x -d 'try only this keyslot'
complete -c credvault -n __credvault_no_cmd -l socket -r -F -d "the agent's socket"
complete -c credvault -n __credvault_no_cmd -l local -d 'open the vault files, not the agent'
complete -c credvault -n __credvault_no_cmd -l json -d 'JSON output'
complete -c credvault -n __credvault_no_cmd -l verbose -d 'say whether the agent or the files answer'
complete -c credvault -n __credvault_no_cmd -l help -d usage
complete -c credvault -n __credvault_no_cmd -l version -d version

# Commands.
complete -c credvault -n __credvault_no_cmd -a init -d 'create a vault with its first keyslot'
complete -c credvault -n __credvault_no_cmd -a add -d 'store an API client (secret on stdin)'
complete -c credvault -n __credvault_no_cmd -a import -d 'store API clients from CTP_* .env files or JSON'
complete -c credvault -n __credvault_no_cmd -a list -d 'list records (never secrets)'
complete -c credvault -n __credvault_no_cmd -a show -d 'show one record and its generations'
complete -c credvault -n __credvault_no_cmd -a reveal -d 'print the active secret, once'
complete -c credvault -n __credvault_no_cmd -a rm -d 'remove a record'
complete -c credvault -n __credvault_no_cmd -a keyslot -d 'add, remove or list keyslots'
complete -c credvault -n __credvault_no_cmd -a rekey -d 'replace the vault master key'
complete -c credvault -n __credvault_no_cmd -a audit -d 'print or verify the audit log'
complete -c credvault -n __credvault_no_cmd -a check -d 'verify keyslots, records, the audit log and stack files'
complete -c credvault -n __credvault_no_cmd -a backup -d 'write a verified copy of the vault to a file'
complete -c credvault -n __credvault_no_cmd -a restore -d 'put a verified backup in place of the vault'
complete -c credvault -n __credvault_no_cmd -a rotate -d 'replace a secret (new API client), resumable'
complete -c credvault -n __credvault_no_cmd -a policy -d 'when the agent may rotate a record itself'
complete -c credvault -n __credvault_no_cmd -a agent -d 'unlock once and serve tokens on a socket'
complete -c credvault -n __credvault_no_cmd -a token -d 'get a short-lived token from the agent'
complete -c credvault -n __credvault_no_cmd -a exec -d 'run a command with a token in its environment'
complete -c credvault -n __credvault_no_cmd -a lock -d 'make the agent wipe its keys and tokens'
complete -c credvault -n __credvault_no_cmd -a status -d 'what the agent is doing'
complete -c credvault -n __credvault_no_cmd -a explain -d 'whether a peer would get a token, and why'

# Record names as the first operand.
complete -c credvault -n __credvault_wants_record -xa '(__credvault_records)'

# Every command has --help.
complete -c credvault -n 'not __credvault_no_cmd' -l help -d 'describe the command'

# init, keyslot add: labels and Argon2id costs.
complete -c credvault -n '__credvault_using init' -l label -x -d 'label of the first keyslot'
complete -c credvault -n '__credvault_using rm' -s y -l yes -d 'do not ask'
for c in init keyslot
    complete -c credvault -n "__credvault_using $c" -l allow-weak-passphrase -d 'accept a passphrase libpwquality calls weak'
    complete -c credvault -n "__credvault_using $c" -l kdf-time -x -d 'calibrate Argon2id to this unlock time (ms)'
    complete -c credvault -n "__credvault_using $c" -l kdf-memory -x -d 'Argon2id memory (MiB)'
    complete -c credvault -n "__credvault_using $c" -l kdf-iterations -x -d 'Argon2id iterations'
    complete -c credvault -n "__credvault_using $c" -l kdf-parallelism -x -d 'Argon2id lanes'
end

# add
complete -c credvault -n '__credvault_using add' -l provider -xa 'commercetools commercelayer oauth2' -d provider
complete -c credvault -n '__credvault_using add' -l client-id -x -d 'client id'
complete -c credvault -n '__credvault_using add' -l auth-url -x -d 'auth URL or token endpoint'
complete -c credvault -n '__credvault_using add' -l project-key -x -d 'commercetools project key'
complete -c credvault -n '__credvault_using add' -l scope -x -d 'space-separated scopes'
complete -c credvault -n '__credvault_using add' -l api-url -x -d 'API URL'
complete -c credvault -n '__credvault_using add' -l no-reveal -d 'the secret can never be revealed'

# import
complete -c credvault -n '__credvault_using import' -l from-env -r -F -d 'commercetools environment preset'
complete -c credvault -n '__credvault_using import' -l json -r -F -d 'JSON array of records (- for stdin)'
complete -c credvault -n '__credvault_using import' -l no-reveal -d 'the secrets can never be revealed'

# list
complete -c credvault -n '__credvault_using list' -l provider -xa 'commercetools commercelayer oauth2' -d 'only this provider'
complete -c credvault -n '__credvault_using list' -s l -l long -d 'more columns'
complete -c credvault -n '__credvault_using list' -l json -d 'a JSON array'

# show, keyslot, policy: --json
for c in show keyslot policy
    complete -c credvault -n "__credvault_using $c" -l json -d 'JSON output'
end

# keyslot
complete -c credvault -n '__credvault_using keyslot; and test (__credvault_nargs) = 0' -xa 'add remove list'
complete -c credvault -n '__credvault_using keyslot' -l new-passphrase-file -r -F -d 'passphrase of the new slot'
complete -c credvault -n '__credvault_using keyslot' -l keyfile -r -F -d 'key file of the new slot'

# audit
complete -c credvault -n '__credvault_using audit' -l verify -d 'only check the chain'
complete -c credvault -n '__credvault_using audit' -l json -d 'JSON output'
complete -c credvault -n '__credvault_using audit' -s n -x -d 'the last N entries'
complete -c credvault -n '__credvault_using audit' -l since -x -d 'entries from then on (90s, 15m, 2h, 7d, a UTC date)'
complete -c credvault -n '__credvault_using audit' -l record -xa '(__credvault_records)' -d "one record's entries"
complete -c credvault -n '__credvault_using audit' -l actor -x -d 'actor contains'
complete -c credvault -n '__credvault_using audit' -l action -x -d 'action starts with'
complete -c credvault -n '__credvault_using audit' -s f -l follow -d 'print new entries as they come'

# backup, restore: a file
complete -c credvault -n '__credvault_using backup; or __credvault_using restore' -F

# rotate
complete -c credvault -n '__credvault_using rotate' -l force -d 'rotate again within a minute'
complete -c credvault -n '__credvault_using rotate' -l secret-stdin -d 'store a secret created by hand'
complete -c credvault -n '__credvault_using rotate' -l client-id -x -d 'client id of the new secret'
complete -c credvault -n '__credvault_using rotate' -l abort -d 'abandon an unfinished rotation'

# policy
complete -c credvault -n '__credvault_using policy' -l auto-rotate -xa 'off invalid-client age both' -d 'when the agent rotates'
complete -c credvault -n '__credvault_using policy' -l max-age -x -d 'rotate secrets older than (s)'
complete -c credvault -n '__credvault_using policy' -l grace -x -d 'keep retired secrets (s)'

# agent
complete -c credvault -n '__credvault_using agent' -l socket -r -F -d 'socket path'
complete -c credvault -n '__credvault_using agent' -l socket-group -xa '(__fish_complete_groups)' -d 'socket mode 0660 for this group'
complete -c credvault -n '__credvault_using agent' -l foreground -d 'stay attached; log to stderr'
complete -c credvault -n '__credvault_using agent' -l keyfile -r -F -d 'unlock with a key-file keyslot'
complete -c credvault -n '__credvault_using agent' -l lifetime -x -d 'lock after seconds without a request'
complete -c credvault -n '__credvault_using agent' -l clients-per-uid -x -d 'connections of one uid'

# token, exec, lock, status: the agent's socket
for c in token exec lock status
    complete -c credvault -n "__credvault_using $c" -l socket -r -F -d "the agent's socket"
end
for c in token exec
    complete -c credvault -n "__credvault_using $c" -l scope -x -d "a subset of the record's scopes"
    complete -c credvault -n "__credvault_using $c" -l min-ttl -x -d 'minimum remaining lifetime (s)'
end
complete -c credvault -n '__credvault_using token' -l format -xa 'raw json header exec-credential' -d 'output format'
complete -c credvault -n '__credvault_using exec' -l env -x -d 'variable for the token'

# status
complete -c credvault -n '__credvault_using status' -l json -d 'JSON output'
complete -c credvault -n '__credvault_using status' -l format -xa openmetrics -d 'output format'

# explain
complete -c credvault -n '__credvault_using explain' -l uid -x -d 'as this uid'
complete -c credvault -n '__credvault_using explain' -l user -xa '(__fish_complete_users)' -d 'as this user'
complete -c credvault -n '__credvault_using explain' -l gid -x -d 'as this gid'
complete -c credvault -n '__credvault_using explain' -l group -xa '(__fish_complete_groups)' -d 'as this group'
complete -c credvault -n '__credvault_using explain' -l exe -r -F -d 'as this executable'
complete -c credvault -n '__credvault_using explain' -l scope -x -d 'for these scopes'
