#!/bin/sh
# The DynamoDB store (dynalite behind the SigV4-checking proxy) holds the same
# records as SQLite and gives identical answers for the same input, recorded
# in any order, twice, or through injected faults.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }
admin=$(peers_admin dynamodb)

inputs="$FIX/seed-example.json"
[ -d "$FIX/paths" ] && inputs="$inputs $FIX/paths"
[ -d "$WDN_TESTDATA/invictus-ir-aws_dataset/CloudTrail" ] && inputs="$inputs $WDN_TESTDATA/invictus-ir-aws_dataset/CloudTrail"
[ -d "$WDN_TESTDATA/awsdocs-iam-user-guide" ] && inputs="$inputs $WDN_TESTDATA/awsdocs-iam-user-guide/cloudtrail-integration.02.json $WDN_TESTDATA/awsdocs-iam-user-guide/cloudtrail-integration.03.json"

wdn-record -q --store dynamodb:wdn --create-table --ttl-days 400 </dev/null
is "$?" 0 "--create-table creates the table (on demand, GSI, TTL) and waits for it"
wdn-record -q --store dynamodb:wdn --create-table </dev/null
is "$?" 0 "--create-table on an existing table is fine"

# shellcheck disable=SC2086
wdn-record -q --store "$T/s.db" $inputs 2>/dev/null
# shellcheck disable=SC2086
wdn-record -q --store dynamodb:wdn $inputs 2>/dev/null
st=$?
[ "$st" -eq 0 ] || [ "$st" -eq 3 ]
ok "recording into DynamoDB succeeds (exit $st)"
is "$(curl -s "$admin/__stats" | jq .rejected)" 0 "the proxy accepted every signature"

# every key either store knows, asked of both
sqlite3 "$T/s.db" 'SELECT key_id FROM issuance UNION SELECT key_id FROM sighting UNION SELECT caller_key FROM issuance WHERE caller_key IS NOT NULL' | sort -u >"$T/keys"
n=$(wc -l <"$T/keys" | tr -d ' ')
[ "$n" -gt 3 ]
ok "there are $n keys to compare"
wdn-lookup --store "$T/s.db" --descendants <"$T/keys" >"$T/a" 2>/dev/null
wdn-lookup --store dynamodb:wdn --descendants <"$T/keys" >"$T/b" 2>/dev/null
test_cmp "$T/a" "$T/b"
ok "wdn-lookup answers identically from SQLite and DynamoDB" || diff "$T/a" "$T/b" | head -5 | sed 's/^/# /'
# before any issuance: keys issued later were not there yet, in both stores
# (DynamoDB keeps no sightings inside the windows of issuances it wrote)
wdn-lookup --store "$T/s.db" --no-trails --at 2010-01-01T00:00:00Z <"$T/keys" >"$T/early-a" 2>/dev/null
wdn-lookup --store dynamodb:wdn --no-trails --at 2010-01-01T00:00:00Z <"$T/keys" >"$T/early-b" 2>/dev/null
test_cmp "$T/early-a" "$T/early-b" && grep -q '"Found":false' "$T/early-a" && grep -q '"Found":true' "$T/early-a"
ok "--at before the sessions began: the same answers from both ($(grep -c '"Found":true' "$T/early-a") keys known from sightings only)" ||
	diff "$T/early-a" "$T/early-b" | head -4 | cut -c1-300 | sed 's/^/# /'
wdn-chain --store dynamodb:wdn <"$T/keys" | wdn-tags --store dynamodb:wdn >"$T/c"
wdn-chain --store "$T/s.db" <"$T/keys" | wdn-tags --store "$T/s.db" >"$T/d"
test_cmp "$T/c" "$T/d"
ok "and so do the filters"

# again, in reverse order and split: nothing changes
for f in $(find $inputs -type f | sort -r); do jq -c '.Records[]? // .' "$f" 2>/dev/null; done >"$T/rev.jsonl"
wdn-record -q --store dynamodb:wdn "$T/rev.jsonl" 2>/dev/null
wdn-lookup --store dynamodb:wdn --descendants <"$T/keys" >"$T/b2" 2>/dev/null
# but for each link's Source: the file its event was last read from
jq -c 'del(.Links[]?.Source)' "$T/a" >"$T/a.ns"
jq -c 'del(.Links[]?.Source)' "$T/b2" >"$T/b2.ns"
test_cmp "$T/a.ns" "$T/b2.ns"
ok "recording again in reverse order leaves the same answers"
wdn-record -q --store "$T/s.db" "$T/rev.jsonl" 2>/dev/null # the same sources in both

# many keys on stdin are read in bulk: BatchGetItem, no Query per key
curl -s -X POST "$admin/__reset" >/dev/null
wdn-chain --store dynamodb:wdn <"$T/keys" >/dev/null
st=$(curl -s "$admin/__stats")
gets=$(echo "$st" | jq '.byTarget.BatchGetItem // 0')
queries=$(echo "$st" | jq '.byTarget.Query // 0')
[ "$gets" -gt 0 ] && [ "$queries" -lt "$n" ]
ok "wdn-chain over $n keys: $gets BatchGetItem, $queries Query" || echo "# $st"

# wdn-enrich holds events back to read their keys together: same lines, in
# the same order, as from SQLite
# shellcheck disable=SC2086
wdn-enrich -q --store "$T/s.db" $inputs >"$T/e1" 2>/dev/null
curl -s -X POST "$admin/__reset" >/dev/null
# shellcheck disable=SC2086
wdn-enrich -q --store dynamodb:wdn $inputs >"$T/e2" 2>/dev/null
st=$(curl -s "$admin/__stats")
[ -s "$T/e1" ] && test_cmp "$T/e1" "$T/e2"
ok "wdn-enrich writes the same $(wc -l <"$T/e1" | tr -d ' ') lines from SQLite and DynamoDB" || diff "$T/e1" "$T/e2" | head -4 | cut -c1-300 | sed 's/^/# /'
[ "$(echo "$st" | jq '.byTarget.BatchGetItem // 0')" -gt 0 ]
ok "reading keys in bulk ($(echo "$st" | jq -c .byTarget))"

# wdn-lookup with many keys as operands reads them together too
set -- $(head -n 200 "$T/keys")
wdn-lookup --store "$T/s.db" "$@" >"$T/l1" 2>/dev/null
curl -s -X POST "$admin/__reset" >/dev/null
wdn-lookup --store dynamodb:wdn "$@" >"$T/l2" 2>/dev/null
gets=$(curl -s "$admin/__stats" | jq '.byTarget.BatchGetItem // 0')
test_cmp "$T/l1" "$T/l2" && [ "$gets" -gt 0 ]
ok "wdn-lookup of $# keys as operands: the same answers, read with $gets BatchGetItem"

# a recycled key ID: whichever order its issuances come in, in one run or
# two, each is found at its time and the later is the latest
ev=$(jq -c '.Records[0]' "$FIX/seed-example.json")
echo "$ev" | jq -c '.eventID = "e-old" | .eventTime = "2021-01-01T00:00:00Z" | .requestParameters.roleArn = "arn:aws:iam::607481580000:role/Old" | .responseElements.credentials.expiration = "Jan 1, 2021 1:00:00 AM" | .responseElements.credentials.accessKeyId = "ASIAY24FZZZZRECYCLED"' >"$T/old.json"
echo "$ev" | jq -c '.eventID = "e-new" | .eventTime = "2022-06-01T12:00:00Z" | .requestParameters.roleArn = "arn:aws:iam::607481580000:role/New" | .responseElements.credentials.expiration = "Jun 1, 2022, 1:00:00 PM" | .responseElements.credentials.accessKeyId = "ASIAY24FZZZZRECYCLED"' >"$T/new.json"
recycled() { # table, then what each lookup names
	for at in 2021-01-01T00:30:00Z 2022-06-01T12:30:00Z 2021-06-01T00:00:00Z; do
		wdn-lookup --store "dynamodb:$1" --no-trails --at "$at" ASIAY24FZZZZRECYCLED | jq -r .Principal
	done
	wdn-lookup --store "dynamodb:$1" --no-trails ASIAY24FZZZZRECYCLED | jq -r .Principal
	printf '{"eventTime":"2021-01-01T00:40:00Z","userIdentity":{"accessKeyId":"ASIAY24FZZZZRECYCLED"}}\nASIAY24FZZZZRECYCLED\n' |
		wdn-chain --store "dynamodb:$1" | jq -r .Principal
}
want=$(printf '%s\n' Old New Old New Old New | sed 's,^,arn:aws:iam::607481580000:role/,')
wdn-record -q --store dynamodb:rec1 --create-table </dev/null
curl -s -X POST "$admin/__reset" >/dev/null
wdn-record -q --store dynamodb:rec1 "$T/old.json" "$T/new.json"
is "$(curl -s "$admin/__stats" | jq -c '[.byTarget.GetItem, .byTarget.PutItem]')" "[1,1]" \
	"a key ID seen issued again: its key item read once (GetItem) and moved forward once (conditional PutItem)"
is "$(recycled rec1)" "$want" "a recycled key ID recorded in time order, in one run"
wdn-record -q --store dynamodb:rec2 --create-table "$T/new.json" "$T/old.json"
is "$(recycled rec2)" "$want" "in reverse order, in one run"
# in two runs the key's item is the later's: the earlier is not kept
# (BatchWriteItem cannot ask what it replaces; see wdn(7))
wdn-record -q --store dynamodb:rec3 --create-table "$T/old.json"
wdn-record -q --store dynamodb:rec3 "$T/new.json"
is "$(recycled rec3 | sed -n '2p;4p;6p' | sort -u)" "arn:aws:iam::607481580000:role/New" "in two runs, the later is found at its time and as the latest"

# 30% of requests throttled, failed, dropped or half done (the rest of a
# batch answered as unprocessed): every record lands exactly once
wdn-record -q --store dynamodb:faulty --create-table </dev/null
curl -s -X POST -d '{"rate":0.3,"kinds":["throttle","500","503","drop","unprocessed"],"seed":7}' "$admin/__faults" >/dev/null
# shellcheck disable=SC2086
AWS_MAX_ATTEMPTS=12 wdn-record -q --store dynamodb:faulty $inputs 2>"$T/err"
st=$?
curl -s -X POST -d '{}' "$admin/__faults" >/dev/null
injected=$(curl -s "$admin/__stats" | jq .injected)
[ "$injected" -gt 0 ]
ok "faults were injected ($injected)"
[ "$st" -eq 0 ] || [ "$st" -eq 3 ]
ok "recording through faults succeeds" || sed 's/^/# /' "$T/err" | head -5
wdn-lookup --store dynamodb:faulty --descendants <"$T/keys" >"$T/f" 2>/dev/null
test_cmp "$T/a" "$T/f"
ok "and the store answers as if there had been none"
# reading in bulk while half of every batch of keys comes back unprocessed
curl -s -X POST -d '{"rate":1,"kinds":["unprocessed"],"ops":["BatchGetItem"]}' "$admin/__faults" >/dev/null
wdn-chain --store dynamodb:faulty <"$T/keys" | wdn-tags --store dynamodb:faulty >"$T/g"
# shellcheck disable=SC2086
wdn-enrich -q --store dynamodb:faulty $inputs >"$T/e3" 2>/dev/null
injected=$(curl -s "$admin/__stats" | jq .injected)
curl -s -X POST -d '{}' "$admin/__faults" >/dev/null
test_cmp "$T/d" "$T/g" && test_cmp "$T/e1" "$T/e3"
ok "BatchGetItem answering half of each batch unprocessed ($injected times): the same answers"

# a store that stays down: a clear error and exit 1, never a hang
curl -s -X POST -d '{"rate":1,"kinds":["503"]}' "$admin/__faults" >/dev/null
AWS_MAX_ATTEMPTS=3 timeout 60 wdn-record -q --store dynamodb:wdn "$FIX/seed-example.json" 2>"$T/err"
is "$?" 1 "an endpoint that stays down: exit 1 after the retries"
grep -q "ServiceUnavailable" "$T/err"
ok "naming the error" || sed 's/^/# /' "$T/err"
curl -s -X POST -d '{}' "$admin/__faults" >/dev/null
done_testing
