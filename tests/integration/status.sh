#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# credvault status (DESIGN.md section 11): after hits, misses, a mint
# failure and a denial, --json reports them with the right counts and no
# token anywhere (text, JSON or OpenMetrics); another uid that can reach
# the socket is refused "denied" (exit 5); the OpenMetrics form passes a
# strict parser written here (every line's grammar, TYPE before samples,
# _total on counters, escaped labels, "# EOF" last); a locked agent still
# answers, and says it is locked.
set -uo pipefail

# shellcheck source=../lib/agent.sh
. "$CV_SOURCE_DIR/tests/lib/agent.sh"

if [ "$(id -u)" != 0 ]; then
	echo "status: needs root to create a user; skipped"
	exit 0
fi
sfx=$$
GSOCK=cvt_sock_$sfx
UOTHER=cvt_other_$sfx
t_cleanup_hooks+=("userdel $UOTHER 2>/dev/null; groupdel $GSOCK 2>/dev/null")
groupadd "$GSOCK" && useradd -M -N -s /usr/sbin/nologin -g "$GSOCK" "$UOTHER" ||
	{ not_ok "cannot create a test user"; exit 1; }

a_setup
chmod 711 "$T"
a_record shop ct-shop
a_record other ct-other "view_orders:demo"
printf 'not-the-secret\n' | cv add broken --provider commercetools \
	--client-id ct-shop --auth-url "$FAKE_URL" --api-url "$FAKE_URL" \
	--project-key demo --scope "view_products:demo" >/dev/null 2>&1 ||
	{ not_ok "cannot add the record with a wrong secret"; exit 1; }
a_stack default "mint required $MINT"
a_start --socket-group "$GSOCK" || exit 1

st() { "$CV" status --socket "$SOCK" "$@"; }
expect_exit 0 "status of a fresh agent" -- st --json
srv_py - "$T_OUT" "$VAULT" <<'PYEOF' && ok "nothing counted yet, and the vault named" || not_ok "fresh status"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["locked"] is False and j["vault"] == sys.argv[2], j
assert j["counters"]["token_requests"] == 0 and j["cache"]["entries"] == 0, j
assert j["hook_workers"] > 0 and j["uptime_s"] >= 0 and j["pid"] > 0, j
PYEOF

expect_exit 0 "a token (a miss)" -- a_token shop
TOKEN=$(cat "$T_OUT")
expect_exit 0 "the same again (a hit)" -- a_token shop
expect_exit 0 "and again (a hit)" -- a_token shop
expect_exit 0 "a subset of the scopes (a miss: another key)" -- a_token shop --scope view_products:demo
TOKEN2=$(cat "$T_OUT")
expect_exit 0 "another record (a miss)" -- a_token other
TOKEN3=$(cat "$T_OUT")
expect_exit 5 "a scope the record lacks (a denial)" -- a_token shop --scope manage_project:demo
expect_exit 7 "a wrong secret (a miss, and a mint failure)" -- a_token broken
expect_exit 0 "a hit on the subset" -- a_token shop --scope view_products:demo

expect_exit 0 "status --json" -- st --json
cp "$T_OUT" "$T/status.json"
srv_py - "$T/status.json" <<'PYEOF' && ok "the counts are right" || not_ok "counts"
import json, sys
j = json.load(open(sys.argv[1]))
c = j["counters"]
want = {"token_requests": 8, "tokens_issued": 6, "cache_hits": 3,
        "cache_misses": 4, "mints": 4, "mint_failures": 1, "denials": 1,
        "rotations": 0}
bad = {k: (c[k], v) for k, v in want.items() if c[k] != v}
assert not bad, bad
assert c["requests"] >= 8, c
assert j["records_served"] == 2, j["records_served"]
assert j["cache"]["entries"] == 3 and j["cache"]["truncated"] is False, j["cache"]
assert j["mints_in_flight"] == 0 and j["hooks_running"] == 0, j
toks = {(t["record"], t["scope"]): t for t in j["cache"]["tokens"]}
full = toks[("shop", "manage_orders:demo view_products:demo")]
sub = toks[("shop", "view_products:demo")]
oth = toks[("other", "view_orders:demo")]
assert full["hits"] == 2 and sub["hits"] == 1 and oth["hits"] == 0, toks
assert 3000 < full["expires_in"] <= 3600 and full["lifetime"] == 3600, full
assert 6000 < oth["expires_in"] <= 7200, oth
assert full["generation"] == 1 and full["refreshing"] is False, full
for t in j["cache"]["tokens"]:
    assert set(t) == {"record", "generation", "scope", "expires_in",
                      "lifetime", "hits", "refreshing"}, t
PYEOF
expect_exit 0 "status (text)" -- st
cp "$T_OUT" "$T/status.txt"
expect_match "the text names the state" "$T/status.txt" "^agent +serving, pid $APID, up "
expect_match "and the cached tokens with their hits" "$T/status.txt" \
	"^shop +1 +view_products:demo +[0-9]+m [0-9]+s +1$"
expect_match "and the counters" "$T/status.txt" "^  cache hits +3$"
expect_exit 0 "status --format openmetrics" -- st --format openmetrics
cp "$T_OUT" "$T/status.om"
for f in status.json status.txt status.om; do
	leaked=0
	for tok in "$TOKEN" "$TOKEN2" "$TOKEN3"; do
		[ -n "$tok" ] && grep -qF -- "$tok" "$T/$f" && leaked=1
	done
	[ "$leaked" = 0 ] && ok "$f holds none of the tokens" || not_ok "$f holds a token"
done
grep -qF -- "$(secret_of ct-shop)" "$T/status.json" "$T/status.txt" "$T/status.om" &&
	not_ok "a secret in the status" || ok "nor a secret"

# A strict OpenMetrics parser: the grammar of every line, families
# declared before their samples, counters sampled only as NAME_total
# (or _created), info as NAME_info, values numbers, "# EOF" last.
srv_py - "$T/status.om" <<'PYEOF' && ok "the OpenMetrics text parses strictly" || not_ok "OpenMetrics"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("# EOF\n"), "no final # EOF"
lines = text.split("\n")[:-1]
assert lines[-1] == "# EOF" and "# EOF" not in lines[:-1]
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LVAL = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
LABELS = r"\{(?:%s=%s(?:,%s=%s)*)?\}" % (NAME, LVAL, NAME, LVAL)
NUM = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)"
sample = re.compile(r"^(%s)(%s)? (%s)(?: (%s))?$" % (NAME, LABELS, NUM, NUM))
types, helps, seen, current = {}, set(), set(), None
SUFFIX = {"counter": ("_total", "_created"), "gauge": ("",), "info": ("_info",)}
for n, line in enumerate(lines[:-1], 1):
    if line.startswith("#"):
        m = re.match(r"^# (TYPE|HELP|UNIT) (%s) (.*)$" % NAME, line)
        assert m, "line %d: bad comment %r" % (n, line)
        kind, fam, rest = m.groups()
        if kind == "TYPE":
            assert fam not in types, "line %d: %s typed twice" % (n, fam)
            assert rest in SUFFIX, "line %d: type %r" % (n, rest)
            assert fam not in seen, "line %d: %s after samples" % (n, fam)
            types[fam] = rest
            current = fam
        elif kind == "HELP":
            assert fam in types and fam == current, "line %d: HELP before TYPE" % n
            assert fam not in helps
            assert not re.search(r'\\[^\\n"]', rest), "line %d: bad escape" % n
            helps.add(fam)
        continue
    m = sample.match(line)
    assert m, "line %d: bad sample %r" % (n, line)
    name = m.group(1)
    fams = [f for f in types if any(name == f + s for s in SUFFIX[types[f]])]
    assert len(fams) == 1, "line %d: %s has no TYPE before it" % (n, name)
    fam = fams[0]
    assert fam == current, "line %d: %s interleaved with another family" % (n, name)
    if types[fam] == "counter":
        assert name.endswith("_total"), "line %d: counter without _total" % n
        assert float(m.group(3)) >= 0
    seen.add(fam)
assert "credvault_cache_hits" in types and types["credvault_cache_hits"] == "counter"
vals = {}
for line in lines:
    m = sample.match(line)
    if m:
        vals[m.group(1) + (m.group(2) or "")] = float(m.group(3))
assert vals["credvault_cache_hits_total"] == 3, vals
assert vals["credvault_denials_total"] == 1
assert vals["credvault_mint_failures_total"] == 1
assert vals["credvault_locked"] == 0
assert vals['credvault_token_hits_total{record="shop",scope="view_products:demo"}'] == 1
PYEOF

# Another uid, in the socket's group: it connects and is refused.
expect_exit 5 "another uid is refused" -- setpriv --reuid "$UOTHER" \
	--regid "$GSOCK" --init-groups "$CV" status --socket "$SOCK"
expect_match "told it was denied" "$T_ERR" "refused: denied"
expect_no_match "and nothing of the status" "$T_OUT" "."
expect_exit 0 "the refusal shows in the counters" -- st --json
srv_py - "$T_OUT" <<'PYEOF' && ok "(denials 2)" || not_ok "denials after the refusal"
import json, sys
assert json.load(open(sys.argv[1]))["counters"]["denials"] == 2
PYEOF
expect_exit 2 "an unknown format is a usage error" -- st --format xml

expect_exit 0 "lock the agent" -- "$CV" lock --socket "$SOCK"
expect_exit 0 "a locked agent still answers status" -- st --json
srv_py - "$T_OUT" <<'PYEOF' && ok "it says it is locked, with no tokens" || not_ok "locked status"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["locked"] is True and j["cache"]["entries"] == 0 and j["cache"]["tokens"] == []
PYEOF
a_finish
expect_exit 1 "no agent: exit 1" -- st
t_done
