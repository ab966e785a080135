#!/bin/sh
# Coverage: from the digests recorded, every answer lists the gaps (hours no
# digest covers, listed log files never read) overlapping its accounts and
# window, [] when complete and null when no digests were recorded there;
# wdn-record --coverage lists every gap. Both stores answer alike.
. tests/cmd/lib.sh
. tests/cmd/digest-trail.sh
have_digest_tools || { done_testing; exit; }
make_trail "$T/tr" || { fail "making the signed trail"; done_testing; exit; }
leaf=ASIATJVZAAAARRT5X7PR
noise=$LOGS/2021/07/03/${ACCT}_CloudTrail_us-east-1_20210703T2035Z_noise001.json.gz
leaflog=$LOGS/2021/07/04/${ACCT}_CloudTrail_us-east-1_20210704T0010Z_leafdddd.json.gz
d23=$DIGS/2021/07/04/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210704T000100Z.json.gz
show() { sed 's/^/#   /' "$1"; }
cov() { wdn-lookup --store "$1" --no-trails "${2:-$leaf}" 2>/dev/null | jq -c '.Coverage'; }
gap() { printf '{"Account":"%s","Region":"us-east-1","From":"%s","To":"%s","Missing":[%s]}' "$ACCT" "$1" "$2" "${3:+\"$3\"}"; }

wdn-record -q --store "$T/ok.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
is "$(cov "$T/ok.db")" '[]' "intact trail: Coverage [] (the digests show the window complete)"
is "$(wdn-record --coverage --store "$T/ok.db")" "" "wdn-record --coverage: no gap, no line"
is "$(cov "$T/ok.db" ASIAXXXXXXXXXXXXXXXX)" null "a key of an account with no digests recorded: Coverage null"
wdn-record -q --store "$T/nod.db" "$T/tr/AWSLogs/$ACCT/CloudTrail" 2>/dev/null
is "$(cov "$T/nod.db")" null "logs recorded without digests: Coverage null"

# a listed log deleted: exit 4, and the gap in the answer whose window overlaps it
cp -r "$T/tr" "$T/t1"
rm "$T/t1/$noise"
wdn-record -q --store "$T/t1.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>"$T/t1.err"
is "$?" 4 "a listed log deleted: exit 4"
want="[$(gap 2021-07-03T20:01:00Z 2021-07-03T21:01:00Z "$noise")]"
is "$(cov "$T/t1.db")" "$want" "the chain's answer (window 20:12 to 23:27) names the missing log and its hour"
is "$(cov "$T/t1.db" ASIAY24FZZZZJJS7IPOU)" "$want" "so does the chain's first hop's"
is "$(wdn-record --coverage --store "$T/t1.db")" "$(gap 2021-07-03T20:01:00Z 2021-07-03T21:01:00Z "$noise")" \
	"wdn-record --coverage prints it, one JSON line"
is "$(wdn-lookup --store "$T/t1.db" --no-trails --at 2021-07-04T00:30:00Z $leaf | jq -c .Coverage)" "$want" \
	"asked at another time, the same key's window is the same"
# the log read later closes the gap
wdn-record -q --store "$T/t1.db" "$T/tr/$noise" 2>/dev/null
wdn-record -q --store "$T/t1.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
is "$(cov "$T/t1.db")" '[]' "once a run reads the missing log with its digest, the gap closes"
wdn-record -q --store "$T/t1.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
is "$(cov "$T/t1.db")" '[]' "and a later run without it does not reopen it"

# a digest deleted: its hour has no digest at all
cp -r "$T/tr" "$T/t2"
rm "$T/t2/$d23"
wdn-record -q --store "$T/t2.db" --public-keys "$T/keys-v2.json" "$T/t2" 2>/dev/null
is "$?" 4 "a digest deleted: exit 4 (the chain is broken)"
is "$(cov "$T/t2.db")" "[$(gap 2021-07-03T23:01:00Z 2021-07-04T00:01:00Z)]" \
	"the hour with no digest is a gap of the answer whose window reaches into it"
is "$(cov "$T/t2.db" ASIAY24FZZZZJJS7IPOU)" "[$(gap 2021-07-03T23:01:00Z 2021-07-04T00:01:00Z)]" \
	"(every hop ends at 23:27)"

# a digest altered: it proves nothing, so its hour is uncovered
cp -r "$T/tr" "$T/t3"
d21=$T/t3/$DIGS/2021/07/03/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210703T220100Z.json.gz
gzip -dc "$d21" | jq -c '.newestEventTime = "2021-07-03T21:59:59Z"' | gzip -n >"$T/d.gz" && mv "$T/d.gz" "$d21"
wdn-record -q --store "$T/t3.db" --public-keys "$T/keys-v2.json" "$T/t3" 2>/dev/null
is "$?" 4 "a digest altered: exit 4"
got=$(cov "$T/t3.db")
case $got in *'"From":"2021-07-03T21:01:00Z"'*) pass "the altered digest's hour is a gap: $got" ;;
*) fail "the altered digest's hour is a gap: $got" ;; esac

# --since/--until leave logs out on purpose: not reported missing
wdn-record -q --store "$T/t4.db" --public-keys "$T/keys-v2.json" --until 2021-07-03 "$T/tr" 2>/dev/null
is "$(wdn-record --coverage --store "$T/t4.db" | grep -c leafdddd)" 0 \
	"a log left out by --until is not a gap" || wdn-record --coverage --store "$T/t4.db" | sed 's/^/#   /'

# usage
wdn-record --coverage "$T/tr" 2>/dev/null
is "$?" 2 "--coverage takes no INPUT"
wdn-record --coverage --public-keys "$T/keys-v2.json" 2>/dev/null
is "$?" 2 "nor a recording option"

# the report
wdn-lookup --store "$T/t1.db" --format markdown $leaf >/dev/null
rm -f "$T/t5.db"
wdn-record -q --store "$T/t5.db" --public-keys "$T/keys-v2.json" "$T/t2" 2>/dev/null
wdn-lookup --store "$T/t5.db" --format markdown $leaf >"$T/r.md"
grep -q '^\*\*Coverage\.\*\* 1 gap' "$T/r.md"
ok "Markdown: a coverage paragraph counts the gaps" || show "$T/r.md"
grep -q '2021-07-03T23:01:00Z to 2021-07-04T00:01:00Z' "$T/r.md"
ok "and lists each" || show "$T/r.md"
wdn-lookup --store "$T/ok.db" --format markdown $leaf >"$T/ok.md"
grep -q 'the digests show every log file of the hops. hours delivered and read' "$T/ok.md"
ok "Markdown: a complete window is said to be complete" || show "$T/ok.md"

# the DynamoDB store keeps the same and answers alike
. tests/peers/use.sh
peers_up || { done_testing; exit; }
wdn-record -q --store dynamodb:cov --create-table </dev/null
wdn-record -q --store dynamodb:cov --public-keys "$T/keys-v2.json" "$T/t2" 2>/dev/null
is "$?" 4 "DynamoDB: the trail with a digest deleted, exit 4"
wdn-record -q --store dynamodb:cov --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
rm -f "$T/cmp.db"
wdn-record -q --store "$T/cmp.db" --public-keys "$T/keys-v2.json" "$T/t2" 2>/dev/null
wdn-record -q --store "$T/cmp.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
printf '%s\n' $leaf ASIAY24FZZZZIJJL6PUI ASIAY24FZZZZJJS7IPOU ASIAXXXXXXXXXXXXXXXX >"$T/keys"
wdn-lookup --store "$T/cmp.db" --no-trails <"$T/keys" >"$T/a" 2>/dev/null
wdn-lookup --store dynamodb:cov --no-trails <"$T/keys" >"$T/b" 2>/dev/null
is "$(jq -c .Coverage "$T/b" | sort -u | grep -c Missing)" 1 "DynamoDB: the answers have gaps"
cmp -s "$T/a" "$T/b"
ok "SQLite and DynamoDB give identical answers, Coverage included" || diff "$T/a" "$T/b" | head -5 | sed 's/^/# /'
wdn-lookup --store dynamodb:cov --no-trails $leaf >"$T/one" 2>/dev/null
head -n 1 "$T/a" | cmp -s - "$T/one"
ok "one key alone (no batched reads) answers the same"
is "$(wdn-record --coverage --store dynamodb:cov)" "$(wdn-record --coverage --store "$T/cmp.db")" \
	"wdn-record --coverage: the same gaps from both stores"
done_testing
