#!/bin/sh
# wdn-record --lambda with the protocol peers: recording into DynamoDB
# (dynalite behind the SigV4-checking proxy) as the deployed function does,
# redelivery, a store that fails (answered as an error, then recorded when
# delivered again), and S3 object-created notifications (s3rver): the
# object named is read and recorded.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }
ddb=$(peers_admin dynamodb)
s3=$(peers_admin s3)

. tests/cmd/live.sh
stand_in rt "the Runtime API stand-in" lambda-runtime.js || { done_testing; exit; }
echo "$stand_in_pid" >>"$PEERS/pids" # stopped with the peers
RT=http://127.0.0.1:$(cat "$T/rt.port")
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")"
export AWS_LAMBDA_RUNTIME_API

invoke() { curl -sSf -X POST --data-binary @"$1" "$RT/__invoke${2:+?id=$2}" | jq -r .id; }
answer() { curl -sSf "$RT/__results" | jq -c --arg id "$1" '[.[] | select(.id == $id)] | last'; }
run() { # run STORE N [OPTIONS...]
	store=$1 n=$2
	shift 2
	timeout 120 wdn-record --lambda --store "$store" --max-messages "$n" "$@" >"$T/out" 2>"$T/err"
}
# items TABLE: how many items the table holds
items() {
	curl -sSf --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.Scan' \
		-d "{\"TableName\":\"$1\",\"Select\":\"COUNT\"}" "$AWS_ENDPOINT_URL_DYNAMODB/" | jq .Count
}

inputs="$FIX/seed-example.json"
[ -d "$FIX/paths" ] && inputs="$inputs $(find "$FIX/paths" -name '*.json' | sort | tr '\n' ' ')"
# shellcheck disable=SC2086
wdn-record -q --store "$T/direct.db" $inputs 2>/dev/null
sqlite3 "$T/direct.db" 'SELECT key_id FROM issuance UNION SELECT key_id FROM sighting UNION SELECT caller_key FROM issuance WHERE caller_key IS NOT NULL' | sort -u >"$T/keys"
wdn-lookup --store "$T/direct.db" --descendants <"$T/keys" 2>/dev/null |
	jq -c 'del(.Links[]?.Source)' >"$T/want" # read from files, or delivered

# ---- into DynamoDB, as deployed ---------------------------------------------
wdn-record -q --store dynamodb:whodunnit --create-table --ttl-days 400 </dev/null
ok "the table is created"
mkdir -p "$T/inv"
# shellcheck disable=SC2086
cat $inputs | envelope >"$T/envelopes.jsonl"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$T/inv/$n.json"
	invoke "$T/inv/$n.json" "eb-$n" >/dev/null
done <"$T/envelopes.jsonl"
run dynamodb:whodunnit "$n" -q --ttl-days 400
is "$?" 0 "$n EventBridge events into DynamoDB: exit 0" || sed 's/^/#   /' "$T/err" | head -5
is "$(curl -sSf "$RT/__results" | jq '[.[] | select(.kind == "response")] | length')" "$n" "each answered with a response"
is "$(curl -sSf "$ddb/__stats" | jq .rejected)" 0 "the proxy accepted every signature"
wdn-lookup --store dynamodb:whodunnit --descendants <"$T/keys" 2>/dev/null |
	jq -c 'del(.Links[]?.Source)' >"$T/got" # read from files, or delivered
test_cmp "$T/want" "$T/got"
ok "DynamoDB answers as wdn-record of the same files into SQLite" || diff "$T/want" "$T/got" | head -5 | sed 's/^/#   /'
before=$(items whodunnit)
[ "$before" -gt "$n" ]
ok "the table holds $before items"

for k in $(seq 1 "$n"); do invoke "$T/inv/$k.json" "eb-$k" >/dev/null; done
run dynamodb:whodunnit "$n" -q --ttl-days 400
is "$?" 0 "every invocation delivered again: exit 0"
is "$(items whodunnit)" "$before" "the table holds the same items"
wdn-lookup --store dynamodb:whodunnit --descendants <"$T/keys" 2>/dev/null |
	jq -c 'del(.Links[]?.Source)' >"$T/got2" # read from files, or delivered
test_cmp "$T/want" "$T/got2"
ok "and gives the same answers"

# ---- a store that fails: answered as an error, recorded when delivered again -
wdn-record -q --store dynamodb:faulty --create-table </dev/null
invoke "$T/inv/1.json" fail >/dev/null
peers_faults dynamodb '{"rate":1,"kinds":["503"],"ops":["BatchWriteItem"]}'
AWS_MAX_ATTEMPTS=2 run dynamodb:faulty 1 -q
is "$?" 1 "DynamoDB down: exit 1, for a fresh runtime to take over"
is "$(answer fail | jq -r '[.kind, .errorType] | join(" ")')" "error whodunnit.StoreFailed" \
	"the invocation is answered with an error, so Lambda delivers it again"
peers_faults dynamodb '{}'
invoke "$T/inv/1.json" fail >/dev/null
run dynamodb:faulty 1 -q
is "$(answer fail | jq -r .kind)" response "delivered again once DynamoDB is back: a response"
wdn-lookup --store dynamodb:faulty --no-trails ASIAY24FZZZZJJS7IPOU | jq -e '.Found' >/dev/null
ok "and the event is stored"

# ---- S3 object-created notifications ----------------------------------------
s3put() { # s3put BUCKET KEY(URL-encoded) FILE
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)" \
		-T "$3" "$AWS_ENDPOINT_URL_S3/$1/$2" >/dev/null
}
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
	-X PUT "$AWS_ENDPOINT_URL_S3/org-trail" >/dev/null
ok "the trail bucket is created"
gzip -c "$FIX/seed-example.json" >"$T/seed.json.gz"
dir=AWSLogs/o-abc123/607481580000/CloudTrail/us-east-1/2021/07/03
# a key with a space and a plus: S3 sends it URL-encoded, the space as '+'
s3put org-trail "$dir/607481580000_CloudTrail_us-east-1_20210703T2315Z_a%20b%2Bc.json.gz" "$T/seed.json.gz"
ok "a trail file is put"
# notification BUCKET EVENT KEY...: an S3 event for KEYs (as S3 encodes them)
notification() {
	b=$1 e=$2
	shift 2
	printf '%s\n' "$@" | jq -cRs --arg b "$b" --arg e "$e" '{Records: [split("\n")[] | select(. != "") |
		{eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1", eventTime: "2021-07-03T23:20:00.000Z",
		 eventName: $e, s3: {s3SchemaVersion: "1.0", configurationId: "whodunnit",
		 bucket: {name: $b, arn: ("arn:aws:s3:::" + $b)}, object: {key: ., size: 1024}}}]}'
}
notification org-trail ObjectCreated:Put "$dir/607481580000_CloudTrail_us-east-1_20210703T2315Z_a+b%2Bc.json.gz" >"$T/s3.json"
invoke "$T/s3.json" s3 >/dev/null
peers_reset s3
run "$T/s3.db" 1
is "$?" 0 "an S3 notification: exit 0" || sed 's/^/#   /' "$T/err" | head -5
is "$(answer s3 | jq -c .body)" '{"messages":1,"events":3}' "the object it names is read: three events"
is "$(wdn-lookup --store "$T/s3.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 \
	"and recorded: the seed key's whole chain"
is "$(peers_stats s3 '.byTarget.GetObject')" 1 "with one GetObject"

notification org-trail ObjectCreated:Put "AWSLogs/o-abc123/607481580000/CloudTrail-Digest/us-east-1/2021/07/03/x.json.gz" >"$T/digest.json"
notification org-trail ObjectRemoved:Delete "$dir/gone.json.gz" >"$T/removed.json"
echo '{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2021-07-03T23:20:00.000Z","Bucket":"org-trail","RequestId":"x","HostId":"y"}' >"$T/test-event.json"
invoke "$T/digest.json" digest >/dev/null
invoke "$T/removed.json" removed >/dev/null
invoke "$T/test-event.json" test-event >/dev/null
peers_reset s3
run "$T/s3.db" 3
is "$?" 0 "a digest, a removal and S3's test event: exit 0"
is "$(for i in digest removed test-event; do answer $i | jq -r .kind; done | sort -u)" response "each a response"
is "$(peers_stats s3 '.requests')" 0 "and nothing is read for them"

notification org-trail ObjectCreated:Put "$dir/missing.json.gz" >"$T/missing.json"
invoke "$T/missing.json" missing >/dev/null
run "$T/s3.db" 1
is "$?" 1 "an object that is not there: exit 1"
is "$(answer missing | jq -r '[.kind, .errorType] | join(" ")')" "error whodunnit.Failed" "an error, to be delivered again"
answer missing | jq -r .body.errorMessage | grep -q NoSuchKey
ok "naming S3's error"

# an SQS batch of S3 notifications (bucket -> SQS -> Lambda): only the missing one fails
{ cat "$T/s3.json"; cat "$T/missing.json"; } | jq -cs '{Records: [to_entries[] | {messageId: ("m-\(.key)"),
	receiptHandle: "rh", body: (.value | tojson), attributes: {}, messageAttributes: {}, md5OfBody: "",
	eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:trail", awsRegion: "us-east-1"}]}' >"$T/batch.json"
invoke "$T/batch.json" batch >/dev/null
run "$T/s3.db" 1
is "$(answer batch | jq -c .body)" '{"batchItemFailures":[{"itemIdentifier":"m-1"}]}' \
	"S3 notifications through SQS: batchItemFailures names the missing object's message"
is "$(curl -sSf "$s3/__stats" | jq .rejected)" 0 "the S3 proxy accepted every signature"
done_testing
