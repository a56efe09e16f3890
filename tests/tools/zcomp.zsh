# SPDX-License-Identifier: MIT
# zsh -f zcomp.zsh FPATH_DIR LINE: type LINE and a tab in an interactive
# zsh (a pseudo-terminal, zsh/zpty) with the completions of FPATH_DIR,
# then print what the terminal showed, escape sequences removed: the
# completed line, or the list of candidates.
zmodload zsh/zpty || exit 1
zpty z 'zsh -f -i'
zpty -w z "PS1='%% '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u; setopt NO_BEEP; LISTMAX=1000"
sleep 0.5
zpty -r -t z junk '*'
zpty -n -w z "$2"$'\t'
sleep 1.5
out=
while zpty -r -t z chunk; do out+=$chunk; done
print -r -- "$out" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
zpty -d z
