# SPDX-License-Identifier: MIT
# A vault that others can write is refused with a message saying the fix.
. "$CV_SOURCE_DIR/tests/lib/common.sh"

cv_init
chmod o+w "$VAULT"
expect_exit 1 "a world-writable vault directory is refused" -- cv list
expect_match "with the fix" "$T_ERR" "writable by others; run: chmod o-w"
chmod o-w "$VAULT"
chmod o+w "$VAULT/data.mdb"
expect_exit 1 "a world-writable data file is refused" -- cv list
expect_match "naming it" "$T_ERR" "data.mdb' is writable by others"
chmod o-w "$VAULT/data.mdb"
expect_exit 0 "fixed permissions open again" -- cv list

# The old team model (a 0770 directory of 0660 files for a group) is
# refused, with the way to the new one: one owner, members via the agent.
chmod 0770 "$VAULT"
expect_exit 1 "a group-writable vault directory is refused" -- cv list
expect_line "with how to move to the new model" "$T_ERR" "credvault list: '$VAULT' is writable by its group; a vault now belongs to one owner and team members use the owner's agent. To move to that model, run as the owner: chmod -R go-w '$VAULT', then 'credvault agent' and an admin stack (docs/vault.md, \"Team vaults\")"
chmod 0700 "$VAULT"
chmod 0660 "$VAULT/data.mdb"
expect_exit 1 "a group-writable data file is refused" -- cv list
expect_match "naming it" "$T_ERR" "'$(ere_quote "$VAULT")/data\.mdb' is writable by its group"
chmod 0600 "$VAULT/data.mdb"
chmod 0660 "$VAULT/lock.mdb"
expect_exit 1 "a group-writable lock file is refused" -- cv list
chmod 0600 "$VAULT/lock.mdb"
expect_exit 0 "the migrated vault opens" -- cv list
TEAM="$T_DIR/team"
mkdir -m 0770 "$TEAM"
expect_exit 1 "init refuses a group-writable directory" -- "$CV" --vault "$TEAM" --passphrase-file "$T_DIR/pass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_match "the same way" "$T_ERR" "is writable by its group; a vault now belongs to one owner"
chmod 0750 "$TEAM"
expect_exit 0 "init in a group-readable directory" -- "$CV" --vault "$TEAM" --passphrase-file "$T_DIR/pass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
[ "$(stat -c %a "$TEAM/data.mdb")" = 600 ] && ok "its files are the owner's alone (0600)" || not_ok "data mode $(stat -c %a "$TEAM/data.mdb")"

# Only the owner opens the files, root included.
OTHER=cvt_perm_$$
t_cleanup_hooks+=("userdel $OTHER 2>/dev/null")
useradd -M -N -s /usr/sbin/nologin "$OTHER" || { not_ok "cannot create a test user"; exit 1; }
chown -R "$OTHER" "$TEAM"
expect_exit 1 "another user's vault is refused" -- "$CV" --vault "$TEAM" --local --passphrase-file "$T_DIR/pass" list
expect_line "saying whose it is and what to do" "$T_ERR" "credvault list: '$TEAM' belongs to $OTHER (uid $(id -u "$OTHER")), not to you; administer the vault through its agent (--socket PATH or \$CREDVAULT_SOCKET), or run as its owner"
mkdir -m 0777 "$T_DIR/open"
expect_exit 1 "init refuses a world-writable directory" -- "$CV" --vault "$T_DIR/open" --passphrase-file "$T_DIR/pass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_exit 1 "a missing vault exits 1 and says how to create one" -- "$CV" --vault "$T_DIR/none" --passphrase-file "$T_DIR/pass" list
expect_line "with init" "$T_ERR" "credvault list: no vault at '$T_DIR/none'; create one with: credvault --vault '$T_DIR/none' init"
mkdir "$T_DIR/empty"
expect_exit 1 "an empty directory is not a vault" -- "$CV" --vault "$T_DIR/empty" --passphrase-file "$T_DIR/pass" list
printf 'garbage' > "$T_DIR/empty/data.mdb"
expect_exit 6 "a garbage data file is an integrity failure" -- "$CV" --vault "$T_DIR/empty" --passphrase-file "$T_DIR/pass" list

t_done
