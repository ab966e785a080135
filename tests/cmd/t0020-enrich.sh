#!/bin/sh
# wdn-enrich: every input event exactly once, unchanged but for the added
# whodunnit member, resolved at its own time; partitioned output written
# whole or not at all; reruns add nothing; a killed run leaves no partial
# output and the rerun completes it.
. tests/cmd/lib.sh
seed="$FIX/seed-example.json"

# stdout: the seed trail, recorded first by --record
wdn-enrich -q --record "$seed" >"$T/out"
is "$?" 0 "wdn-enrich --record exits 0"
is "$(wc -l <"$T/out" | tr -d ' ')" 3 "one line per event"
is "$(jq -c '.whodunnit.Principal' "$T/out" | tr '\n' ' ')" \
	'"arn:aws:iam::607481580000:user/asteele" "arn:aws:iam::607481580000:role/whodunnit-e2e-Initial" "arn:aws:iam::607481580000:role/whodunnit-e2e-Secondary" ' \
	"each event is attributed to the principal whose key made it"
is "$(jq -c '.whodunnit.PrincipalChain | length' "$T/out" | tr '\n' ' ')" "1 2 3 " "with the chain behind it"
is "$(jq -c 'del(.whodunnit)' "$T/out" | md5sum)" "$(jq -c '.Records[]' "$seed" | md5sum)" "the events are otherwise unchanged"
is "$(jq -c '.whodunnit | keys_unsorted' "$T/out" | head -1)" \
	'["Principal","PrincipalChain","Identity","Tags","TransitiveTags","SourceIdentity","Start","End","Complete","Integrity"]' \
	"the whodunnit object has the documented members"

# byte for byte: compact input passes through as read
jq -c '.Records[]' "$seed" >"$T/compact.jsonl"
wdn-enrich -q "$T/compact.jsonl" | sed 's/,"whodunnit":{.*}}$/}/' >"$T/stripped"
test_cmp "$T/compact.jsonl" "$T/stripped"
ok "compact events keep their bytes"

# pretty input is re-serialized compactly, members in order, values as they were
jq '.Records[0] | .requestParameters.durationSeconds = 9.50e2' "$seed" >"$T/pretty.json"
wdn-enrich -q "$T/pretty.json" >"$T/p"
is "$(wc -l <"$T/p" | tr -d ' ')" 1 "a pretty-printed event is one output line"
grep -q '"durationSeconds":950' "$T/p" || grep -q '"durationSeconds":9.50e2' "$T/p"
ok "numbers keep their value"
is "$(jq -c 'del(.whodunnit) | keys_unsorted' "$T/p")" "$(jq -c 'keys_unsorted' "$T/pretty.json")" "members keep their order"

# events without a key pass through with what their userIdentity tells
printf '%s\n' '{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"eventTime":"2021-07-03T23:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"svc-1"}' >"$T/svc.json"
is "$(wdn-enrich -q "$T/svc.json" | jq -c '[.whodunnit.Principal, .whodunnit.Identity.Service, .whodunnit.Complete]')" \
	'["ec2.amazonaws.com","ec2.amazonaws.com",true]' "an AWS service's event names the service"

# bad records are reported and left out; the rest still come
printf '%s\n{"bad\n' "$(jq -c '.Records[0]' "$seed")" >"$T/bad.json"
wdn-enrich -q "$T/bad.json" >"$T/b" 2>"$T/err"
is "$?" 3 "an input with a bad record exits 3"
is "$(wc -l <"$T/b" | tr -d ' ')" 1 "and the good event is still written"

# the real trails: every event once, principals of keys issued in the dataset
if have_testdata invictus-ir-aws_dataset/CloudTrail; then
	D="$WDN_TESTDATA/invictus-ir-aws_dataset/CloudTrail"
	rm -f "$WDN_STORE"*
	wdn-enrich -q --record "$D" >"$T/inv"
	is "$?" 0 "enriching the 55 real files exits 0"
	want=$(cat "$D"/*.json | jq '.Records | length' | paste -sd+ | bc)
	is "$(wc -l <"$T/inv" | tr -d ' ')" "$want" "the line count equals the input's event count"
	sed 's/,"whodunnit":{.*}}$/}/' "$T/inv" | sort >"$T/inv-events"
	cat "$D"/*.json | jq -c '.Records[]' | sort >"$T/in-events"
	is "$(jq -c . "$T/inv-events" | sort | md5sum)" "$(sort "$T/in-events" | md5sum)" "every event is unchanged apart from the added object"
	cat "$D"/*.json >"$T/all-in"
	n=$(grep -c -F -f "$T/inv-events" "$T/all-in")
	is "$n" 55 "and every event's bytes stand in the input as they were read"
	cat "$D"/*.json | jq -r '.Records[] | select(.errorCode == null) | select(.responseElements.credentials.accessKeyId != null)
		| "\(.responseElements.credentials.accessKeyId) \(.requestParameters.roleArn)"' | sort -u >"$T/issued"
	jq -r 'select(.userIdentity.accessKeyId != null) | "\(.userIdentity.accessKeyId) \(.whodunnit.Principal)"' "$T/inv" |
		sort -u >"$T/used"
	n=$(awk 'NR == FNR { want[$1] = $2; next } ($1 in want) { n++; if (want[$1] != $2) bad++ }
		END { print bad ? -1 : n }' "$T/issued" "$T/used")
	[ "$n" -ge 5 ]
	ok "every event made with a key issued in the dataset names the role it was issued for ($n keys)"

	# partitioned output, reruns, a killed run
	wdn-enrich -q -o "$T/o" "$D"
	is "$?" 0 "wdn-enrich -o DIR exits 0"
	find "$T/o" -name '*.json.gz' ! -path '*/_whodunnit/*' | sort >"$T/files"
	is "$(xargs zcat <"$T/files" | wc -l | tr -d ' ')" "$want" "the partitioned files hold every event once"
	bad=0
	for f in $(cat "$T/files"); do
		p=${f#"$T/o/"}; acct=${p%%/*}; acct=${acct#account=}
		zcat "$f" | jq -e --arg a "$acct" 'select((.recipientAccountId // .userIdentity.accountId) != $a)' >/dev/null && bad=1
	done
	is "$bad" 0 "each file holds only its partition's events"
	grep -q '/account=[0-9]*/region=[a-z0-9-]*/day=2023-07-10/' "$T/files"
	ok "partitions are Hive-style account=/region=/day="
	ls -lR "$T/o" | md5sum >"$T/before"
	wdn-enrich -o "$T/o" "$D" 2>"$T/err"
	grep -q "0 inputs enriched, 55 skipped as done" "$T/err"
	ok "a rerun skips every input already done"
	is "$(find "$T/o" -name '*.json.gz' ! -path '*/_whodunnit/*' | sort | xargs zcat | wc -l | tr -d ' ')" "$want" "and adds nothing"

	# killed midway: no partial output; the rerun completes it
	mkfifo "$T/fifo"
	wdn-enrich -q -o "$T/k" "$T/fifo" &
	pid=$!
	{ cat "$D"/*.json; sleep 30; } >"$T/fifo" &
	feeder=$!
	sleep 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	kill "$feeder" 2>/dev/null
	is "$(find "$T/k" -name '*.json.gz' ! -path '*/_whodunnit/*' | wc -l | tr -d ' ')" 0 "a killed run leaves no output file"
	cat "$D"/*.json >"$T/fifo-data"
	wdn-enrich -q -o "$T/k" "$T/fifo-data"
	is "$(find "$T/k" -name '*.json.gz' ! -path '*/_whodunnit/*' | xargs zcat | wc -l | tr -d ' ')" "$want" "the rerun writes everything, once"
	is "$(ls "$T/k/_whodunnit/tmp" | wc -l | tr -d ' ')" 0 "and cleans up what the killed run left"

	# -j 2 and shards give the same events
	wdn-enrich -q -j 2 "$D" | sort | md5sum >"$T/j2"
	sort "$T/inv" | md5sum >"$T/j1"
	test_cmp "$T/j1" "$T/j2"
	ok "-j 2 writes the same lines as -j 1"
	{ wdn-enrich -q --shard 1/3 "$D"; wdn-enrich -q --shard 2/3 "$D"; wdn-enrich -q --shard 3/3 "$D"; } | sort | md5sum >"$T/sh"
	test_cmp "$T/j1" "$T/sh"
	ok "three shards together write every line exactly once"
fi

# a key with no issuance is answered from the event that uses it, not from
# the store's other sightings of the key
ui='{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/NAME","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEYSEEN01"}'
use() { printf '{"eventVersion":"1.08","userIdentity":%s,"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"%s"}\n' "$(echo "$ui" | sed "s/NAME/$1/")" "$2" "$3"; }
use alice 2021-01-01T00:00:00Z s1 >"$T/seen1.json"
wdn-record -q --store "$T/seen.db" "$T/seen1.json"
use bob 2021-02-01T00:00:00Z s2 | wdn-enrich -q --store "$T/seen.db" | jq -c '[.whodunnit.Principal, .whodunnit.Identity.AccountId, .whodunnit.Complete]' >"$T/seen.out"
is "$(cat "$T/seen.out")" '["arn:aws:iam::111122223333:user/bob","111122223333",true]' "a key with no issuance: the event's own user, account and completeness"

# a key used a moment before its issuance's time (clocks differ): that event
# is not found, and the session's own events after it still are
jq -c '.Records[0]' "$seed" >"$T/issue.json"
k=$(jq -r '.responseElements.credentials.accessKeyId' "$T/issue.json")
t=$(jq -r '.eventTime' "$T/issue.json")
wdn-record -q --store "$T/early.db" "$T/issue.json"
ui='{"type":"AssumedRole","arn":"arn:aws:sts::607481580000:assumed-role/whodunnit-e2e-Initial/s","accountId":"607481580000","accessKeyId":"'"$k"'"}'
{
	printf '{"eventVersion":"1.08","userIdentity":%s,"eventTime":"2021-07-03T23:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"x1"}\n' "$ui"
	printf '{"eventVersion":"1.08","userIdentity":%s,"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"x2"}\n' "$ui" "$t"
} | wdn-enrich -q --store "$T/early.db" | jq -c '.whodunnit.Start' >"$T/early.out"
is "$(tr '\n' ' ' <"$T/early.out")" "null \"$t\" " "a use before the issuance is not found; the next use, inside it, is"

wdn-enrich --athena-ddl >"$T/ddl"
grep -q "CREATE EXTERNAL TABLE IF NOT EXISTS whodunnit_cloudtrail_json" "$T/ddl" &&
	grep -q "'projection.account.type' = 'enum'" "$T/ddl" &&
	grep -q "'storage.location.template' = 's3://BUCKET/PREFIX/account=\${account}/region=\${region}/day=\${day}'" "$T/ddl" &&
	grep -q "whodunnit STRUCT<" "$T/ddl"
ok "--athena-ddl prints the table with partition projection for the layout"
wdn-enrich --shard 4/3 "$seed" >/dev/null 2>&1
is "$?" 2 "--shard K/N with K > N is a usage error"
done_testing
