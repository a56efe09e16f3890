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

# A team vault: group rwx directory gets group-readable files.
TEAM="$T_DIR/team"
mkdir -m 0770 "$TEAM"
expect_exit 0 "init in a team directory" -- "$CV" --vault "$TEAM" --passphrase-file "$T_DIR/pass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
[ "$(stat -c %a "$TEAM/data.mdb")" = 660 ] && ok "team files are 0660" || not_ok "team data mode $(stat -c %a "$TEAM/data.mdb")"
mkdir -m 0777 "$T_DIR/open"
expect_exit 1 "init refuses a world-writable directory" -- "$CV" --vault "$T_DIR/open" --passphrase-file "$T_DIR/pass" init --kdf-memory 8 --kdf-iterations 1 --kdf-parallelism 1
expect_exit 4 "a missing vault exits 4 and says how to create one" -- "$CV" --vault "$T_DIR/none" --passphrase-file "$T_DIR/pass" list
expect_match "with init" "$T_ERR" "credvault --vault .* init"
mkdir "$T_DIR/empty"
expect_exit 4 "an empty directory is not a vault" -- "$CV" --vault "$T_DIR/empty" --passphrase-file "$T_DIR/pass" list
printf 'garbage' > "$T_DIR/empty/data.mdb"
expect_exit 6 "a garbage data file is an integrity failure" -- "$CV" --vault "$T_DIR/empty" --passphrase-file "$T_DIR/pass" list

t_done
