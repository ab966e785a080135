#!/bin/sh
# Provenance in every answer: each link of a chain names the log file its
# issuing event was read from and that file's integrity as the digests
# showed it; the answer's Integrity is the weakest link's. Both stores keep
# it and answer alike; a store from before sources were kept still answers.
. tests/cmd/lib.sh
. tests/cmd/digest-trail.sh

# the README's incident report is what the seed gives: each line it shows,
# in order, is a line of the report
bin=$(cd "$WDN_BIN" && pwd) # WDN_BIN may be relative
(cd "$FIX" && "$bin/wdn-record" -q --store "$T/seed.db" seed-example.json)
wdn-lookup --store "$T/seed.db" --format markdown ASIATJVZAAAARRT5X7PR >"$T/seed.md"
awk '/^````markdown$/ { on = 1; next } /^````$/ { on = 0 } on && NF' "$WDN_TOP/README.md" >"$T/readme.md"
n=0 missing=
while IFS= read -r line; do
	at=$(tail -n +$((n + 1)) "$T/seed.md" | grep -n -F -x -m 1 -- "$line" | cut -d: -f1)
	if [ -z "$at" ]; then missing="$line"; break; fi
	n=$((n + at))
done <"$T/readme.md"
[ -s "$T/readme.md" ] && [ -z "$missing" ]
ok "README: the report shown is the one wdn-lookup --format markdown writes" ||
	printf '#   not in the output (in order): %s\n' "$missing"

have_digest_tools || { done_testing; exit; }
make_trail "$T/tr" || { fail "making the signed trail"; done_testing; exit; }
name() { echo "$T/$1/$LOGS/2021/07/$2/${ACCT}_CloudTrail_us-east-1_$3.json.gz"; }
hop2=$(name tr 03 20210703T2115Z_hop2bbbb)
leaf=ASIATJVZAAAARRT5X7PR
show() { sed 's/^/#   /' "$1"; }
# links STORE [KEY]: each link as "SOURCE-BASENAME INTEGRITY", then the answer's
links() {
	wdn-lookup --store "$1" --no-trails "${2:-$leaf}" 2>/dev/null |
		jq -r '(.Links[] | "\(.Source // "null" | split("/") | last) \(.Integrity)"), "answer \(.Integrity)"'
}
intact="${ACCT}_CloudTrail_us-east-1_20210703T2215Z_hop3cccc.json.gz verified
${ACCT}_CloudTrail_us-east-1_20210703T2115Z_hop2bbbb.json.gz verified
${ACCT}_CloudTrail_us-east-1_20210703T2015Z_hop1aaaa.json.gz verified
answer verified"

wdn-record -q --store "$T/ok.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>"$T/ok.err"
is "$?" 0 "the intact trail records (exit 0)" || show "$T/ok.err"
is "$(links "$T/ok.db")" "$intact" "intact: every link names its log file, verified; the answer verified"
is "$(wdn-lookup --store "$T/ok.db" --no-trails $leaf | jq -r '.Links[1].Source')" "$hop2" \
	"Source is the path the event was read from, as given"
is "$(wdn-lookup --store "$T/ok.db" --no-trails ASIAXXXXXXXXXXXXXXXX | jq -c '[.Links, .Integrity]')" '[[],null]' \
	"a key not found: no links, Integrity null"

# without digests among the inputs nothing is verified
wdn-record -q --store "$T/nod.db" "$T/tr/AWSLogs/$ACCT/CloudTrail" 2>/dev/null
is "$(links "$T/nod.db" | tail -n 2)" "${ACCT}_CloudTrail_us-east-1_20210703T2015Z_hop1aaaa.json.gz unverified
answer unverified" "logs recorded without digests: unverified"
# ... and a later run with the digests upgrades them
wdn-record -q --store "$T/nod.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
is "$(links "$T/nod.db")" "$intact" "a later run that verifies them upgrades unverified to verified"
wdn-record -q --store "$T/nod.db" "$T/tr/AWSLogs/$ACCT/CloudTrail" 2>/dev/null
is "$(links "$T/nod.db")" "$intact" "and a run without digests does not take verified back"

# one byte of a proving log changed: that hop tampered, the answer too
cp -r "$T/tr" "$T/t1"
# record STORE: the trail with hop 2 altered, then put back (both recorded)
record() {
	tamper
	wdn-record -q --store "$1" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
	restore
	wdn-record -q --store "$1" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
}
tamper() { gzip -dc "$hop2" | sed 's/whodunnit-e2e-Secondary/whodunnit-e2e-Secondarz/' | gzip -n >"$(name t1 03 20210703T2115Z_hop2bbbb)"; }
restore() { cp "$hop2" "$(name t1 03 20210703T2115Z_hop2bbbb)"; }
tamper
wdn-record -q --store "$T/t1.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
is "$?" 4 "one byte of a proving log changed: exit 4"
tampered="${ACCT}_CloudTrail_us-east-1_20210703T2215Z_hop3cccc.json.gz verified
${ACCT}_CloudTrail_us-east-1_20210703T2115Z_hop2bbbb.json.gz tampered
${ACCT}_CloudTrail_us-east-1_20210703T2015Z_hop1aaaa.json.gz verified
answer tampered"
is "$(links "$T/t1.db")" "$tampered" "that hop is tampered, the others verified, the answer tampered"
is "$(links "$T/t1.db" ASIAY24FZZZZIJJL6PUI | tail -n 1)" "answer tampered" \
	"the key the tampered event issued: tampered too"
# tampered is sticky: the file put back and verified later does not clear it
restore
wdn-record -q --store "$T/t1.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
is "$?" 0 "the file put back verifies again (exit 0)"
is "$(links "$T/t1.db")" "$tampered" "but the source found tampered stays tampered"
# another copy of the trail, verified: the events' latest reading is its
wdn-record -q --store "$T/t1.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
is "$(links "$T/t1.db")" "$intact" "recorded from an intact copy elsewhere, the links name that copy"

# a digest altered: the logs it lists are not verified
cp -r "$T/tr" "$T/t2"
d=$T/t2/$DIGS/2021/07/03/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210703T220100Z.json.gz
gzip -dc "$d" | jq -c '.newestEventTime = "2021-07-03T21:59:59Z"' | gzip -n >"$T/d.gz" && mv "$T/d.gz" "$d"
wdn-record -q --store "$T/t2.db" --public-keys "$T/keys-v2.json" "$T/t2" 2>/dev/null
is "$?" 4 "a digest altered: exit 4"
got=$(links "$T/t2.db" | sed -n 2p)
case $got in *hop2bbbb.json.gz\ verified | "") fail "the log the altered digest lists is not verified: $got" ;;
*) pass "the log the altered digest lists is not verified ($got)" ;; esac
is "$(links "$T/t2.db" | tail -n 1)" "answer tampered" "and the answer says so"

# wdn-chain adds the same provenance to an event using the key
gzip -dc "$(name tr 04 20210704T0010Z_leafdddd)" | jq -c '.Records[0]' >"$T/use.json"
tamper
wdn-record -q --store "$T/t1b.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
restore
is "$(wdn-chain --store "$T/t1b.db" <"$T/use.json" | jq -r '[.Links[].Integrity] + [.Integrity] | join(" ")')" \
	"verified tampered verified tampered" "wdn-chain: each link's Integrity and the weakest"
is "$(wdn-enrich -q --store "$T/t1b.db" "$T/use.json" | jq -r '.whodunnit.Integrity')" tampered \
	"wdn-enrich: the enriched event's whodunnit carries the chain's Integrity"

# the pictures: the report's table gives each hop's source and integrity,
# Graphviz draws a tampered hop red, an unverified one dashed
wdn-lookup --store "$T/t1b.db" --format markdown $leaf >"$T/r.md"
is "$(grep -c '^| [0-9] |' "$T/r.md")" 3 "Markdown: a row per hop"
is "$(grep '^| [0-9] |' "$T/r.md" | awk -F' [|] ' '{ n = split($8, p, "/"); print p[n], $9 }' | tr -d '|' | sed 's/ *$//; s/\\_/_/g')" \
	"${ACCT}_CloudTrail_us-east-1_20210703T2015Z_hop1aaaa.json.gz verified
${ACCT}_CloudTrail_us-east-1_20210703T2115Z_hop2bbbb.json.gz **tampered**
${ACCT}_CloudTrail_us-east-1_20210703T2215Z_hop3cccc.json.gz verified" \
	"Markdown: each hop's Source and Integrity, root-most first" || show "$T/r.md"
grep -q 'A log file behind it was tampered with' "$T/r.md"
ok "Markdown: the answer in words says a log file was tampered with"
wdn-lookup --store "$T/t1b.db" --format dot $leaf >"$T/r.dot"
is "$(grep -c 'color=red' "$T/r.dot")" 1 "DOT: the tampered hop's edge is red, and only it"
wdn-record -q --store "$T/unv.db" "$T/tr/AWSLogs/$ACCT/CloudTrail" 2>/dev/null
wdn-lookup --store "$T/unv.db" --format dot $leaf >"$T/u.dot"
is "$(grep -c 'style=dashed' "$T/u.dot")" 3 "DOT: unverified hops are dashed"
if command -v dot >/dev/null; then
	dot -Tsvg "$T/r.dot" >/dev/null 2>"$T/dot.err" && [ ! -s "$T/dot.err" ]
	ok "dot -Tsvg accepts it" || show "$T/dot.err"
else
	skip "graphviz not installed"
fi

# a schema 2 store (before sources were kept) still opens and answers; a
# writer brings it up to date
cp "$T/ok.db" "$T/old.db"
sqlite3 "$T/old.db" 'ALTER TABLE issuance DROP COLUMN source; DROP TABLE sources; PRAGMA user_version = 2;'
is "$(links "$T/old.db" | tail -n 2)" "null unverified
answer unverified" "a schema 2 store answers: no source known, unverified"
is "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" 2 "and a reader leaves it as it was"
wdn-record -q --store "$T/old.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>"$T/old.err"
is "$?" 0 "a writer opens a schema 2 store" || show "$T/old.err"
is "$(sqlite3 "$T/old.db" 'PRAGMA user_version')" 5 "and migrates it to schema 5 (2, 3, 4, 5 at once)"
is "$(links "$T/old.db")" "$intact" "after which it answers with provenance"

# a schema 3 store (issuances keyed WITHOUT ROWID, as schema 3 made them) is
# read as it is, and answers alike once a writer brings it to schema 5; two
# writers racing to migrate it both succeed
cp "$T/ok.db" "$T/v3.db"
sqlite3 "$T/v3.db" "CREATE TABLE v3 (key_id TEXT NOT NULL, start INTEGER NOT NULL,
 end_time INTEGER, event_id TEXT, event_name TEXT NOT NULL, shared_event_id TEXT, principal TEXT,
 account TEXT, session_name TEXT, caller_key TEXT, caller_type TEXT, caller_arn TEXT,
 caller_principal TEXT, caller_account TEXT, invoked_by TEXT, session_tags TEXT,
 transitive_keys TEXT, incoming_tags TEXT, source_identity TEXT, provider TEXT, subject TEXT,
 audience TEXT, event TEXT NOT NULL, source TEXT, PRIMARY KEY (key_id, start)) WITHOUT ROWID;
INSERT INTO v3 SELECT key_id, start, end_time, event_id, event_name, shared_event_id, principal,
 account, session_name, caller_key, caller_type, caller_arn, caller_principal, caller_account,
 invoked_by, session_tags, transitive_keys, incoming_tags, source_identity, provider, subject,
 audience, event, source FROM issuance;
DROP TABLE issuance; ALTER TABLE v3 RENAME TO issuance;
CREATE INDEX issuance_by_caller ON issuance (caller_key, start); PRAGMA user_version = 3;"
v3keys=$(sqlite3 "$T/v3.db" 'SELECT DISTINCT key_id FROM issuance ORDER BY 1')
printf '%s\n' $v3keys >"$T/v3.keys"
is "$(wc -l <"$T/v3.keys")" 3 "the schema 3 store holds three keys"
wdn-lookup --store "$T/v3.db" --no-trails <"$T/v3.keys" >"$T/v3.before" 2>"$T/v3.err"
is "$?" 0 "a reader opens a schema 3 store" || show "$T/v3.err"
is "$(sqlite3 "$T/v3.db" 'PRAGMA user_version')" 3 "and leaves it as it was"
wdn-lookup --store "$T/ok.db" --no-trails <"$T/v3.keys" >"$T/r.ok" 2>/dev/null
cmp -s "$T/v3.before" "$T/r.ok"
ok "it answers as the store it was made from" || diff "$T/r.ok" "$T/v3.before" | head -5 | sed 's/^/# /'
for w in 1 2; do
	wdn-record -q --store "$T/v3.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>"$T/v3.$w.err" &
	eval "pid$w=\$!"
done
wait $pid1; rc1=$?
wait $pid2; rc2=$?
is "$rc1 $rc2" "0 0" "two writers open it at once" || cat "$T/v3.1.err" "$T/v3.2.err" | sed 's/^/#   /'
is "$(sqlite3 "$T/v3.db" 'PRAGMA user_version')" 5 "and migrate it to schema 5"
is "$(sqlite3 "$T/v3.db" "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name='issuance'")" 0 \
	"issuances in a rowid table, in arrival order"
is "$(sqlite3 "$T/v3.db" "SELECT name FROM sqlite_master WHERE tbl_name='issuance' AND type='index' AND sql IS NOT NULL")" \
	issuance_by_caller "the caller index kept"
wdn-lookup --store "$T/v3.db" --no-trails <"$T/v3.keys" >"$T/v3.after" 2>/dev/null
cmp -s "$T/v3.before" "$T/v3.after"
ok "the same answers before and after" || diff "$T/v3.before" "$T/v3.after" | head -5 | sed 's/^/# /'

# the DynamoDB store keeps the same and answers alike
. tests/peers/use.sh
peers_up || { done_testing; exit; }
wdn-record -q --store dynamodb:prov --create-table </dev/null
tamper
wdn-record -q --store dynamodb:prov --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
is "$?" 4 "DynamoDB: the tampered trail, exit 4"
record dynamodb:prov
is "$(links dynamodb:prov)" "$tampered" "DynamoDB: the source found tampered stays tampered"
record "$T/cmp.db"
printf '%s\n' $leaf ASIAY24FZZZZIJJL6PUI ASIAXXXXXXXXXXXXXXXX >"$T/keys"
wdn-lookup --store "$T/cmp.db" --no-trails <"$T/keys" >"$T/a" 2>/dev/null
wdn-lookup --store dynamodb:prov --no-trails <"$T/keys" >"$T/b" 2>/dev/null
cmp -s "$T/a" "$T/b"
ok "SQLite and DynamoDB give identical answers, provenance included" || diff "$T/a" "$T/b" | head -5 | sed 's/^/# /'
wdn-lookup --store dynamodb:prov --no-trails $leaf >"$T/one" 2>/dev/null
head -n 1 "$T/b" | cmp -s - "$T/one"
ok "one key alone (no batched reads) answers the same"
wdn-record -q --store dynamodb:prov --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
is "$(links dynamodb:prov)" "$intact" "DynamoDB: recorded from an intact copy elsewhere, the links name that copy"
done_testing
