#!/bin/sh
# wdn-record --sqs against a small SQS (tests/peers/sqs.js: the JSON
# protocol, visibility timeouts, a redrive policy, SigV4 checked with AWS's
# own signer): messages are deleted only once recorded, a bad one stays and
# reaches the dead-letter queue, a message delivered again changes nothing,
# S3 and CloudTrail notifications are read from s3rver, and SIGTERM ends the
# run after the batch in hand.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }

. tests/cmd/live.sh
export WDN_PEERS_CREDS="$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" # the keys the stand-in takes
stand_in sqs "the SQS stand-in" sqs.js || { done_testing; exit; }
echo "$stand_in_pid" >>"$PEERS/pids" # stopped with the peers
SQS=http://127.0.0.1:$(cat "$T/sqs.port")
export AWS_ENDPOINT_URL_SQS="$SQS"

# sqs OP JSON: an SQS call signed by curl's own SigV4
sqs() {
	curl -sS --aws-sigv4 "aws:amz:us-east-1:sqs" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: AmazonSQS.$1" -d "$2" "$SQS/"
}
send() { curl -sSf -X POST --data-binary @"$2" "$SQS/__send?queue=$1" | jq -r .MessageId; }
state() { curl -sSf "$SQS/__queue?queue=$1"; }
rec() { timeout 120 wdn-record --sqs "$q" --store "$T/q.db" "$@" >"$T/out" 2>"$T/err"; }

q=$(sqs CreateQueue '{"QueueName":"trail","Attributes":{"VisibilityTimeout":"1","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:trail-dlq\",\"maxReceiveCount\":\"2\"}"}}' | jq -r .QueueUrl)
case $q in "$SQS/000000000000/trail") pass "a queue with a dead-letter queue is created (signed by curl)" ;;
*) fail "a queue with a dead-letter queue is created (signed by curl)"; echo "#   got: $q" ;; esac

inputs="$FIX/seed-example.json"
[ -d "$FIX/paths" ] && inputs="$inputs $(find "$FIX/paths" -name '*.json' | sort | tr '\n' ' ')"
# shellcheck disable=SC2086
wdn-record -q --store "$T/direct.db" $inputs 2>/dev/null
dump "$T/direct.db" >"$T/direct"

# ---- a queue of EventBridge events, one of them not CloudTrail's -------------
mkdir -p "$T/m"
# shellcheck disable=SC2086
cat $inputs | envelope >"$T/envelopes.jsonl"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$T/m/$n.json"
	send trail "$T/m/$n.json" >/dev/null
	if [ "$n" -eq 20 ]; then
		printf '%s' '{"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012","time":"2021-07-03T23:12:09Z","region":"us-east-1","resources":[],"detail":{"instance-id":"i-0123456789abcdef0","state":"running"}}' >"$T/bad.json"
		bad=$(send trail "$T/bad.json")
	fi
done <"$T/envelopes.jsonl"
rec --max-messages $((n + 1))
is "$?" 3 "$n events and a bad message: exit 3 (--max-messages $((n + 1)))"
dump "$T/q.db" >"$T/got"
test_cmp "$T/direct" "$T/got"
ok "the store holds what wdn-record of the same files holds" || diff "$T/direct" "$T/got" | head -5 | sed 's/^/#   /'
is "$(state trail | jq -c '[.messages[].MessageId]')" "[\"$bad\"]" "every message recorded is deleted; the bad one stays"
grep -q "'sqs:$bad': record 1 (line 1): not a CloudTrail event" "$T/err"
ok "a warning names the bad message" || sed 's/^/#   /' "$T/err"
grep -q "^wdn-record: $((n + 1)) messages, $n events" "$T/err"
ok "the summary counts messages and events" || tail -n 1 "$T/err" | sed 's/^/#   /'
is "$(curl -sSf "$SQS/__stats" | jq -c '[.rejected, .byTarget.ReceiveMessage > 0, .byTarget.DeleteMessageBatch > 0]')" \
	'[0,true,true]' "ReceiveMessage and DeleteMessageBatch, every signature accepted"

# the bad message comes back after its visibility timeout, then goes to the DLQ
sleep 1.2
rec --max-messages 1
is "$?" 3 "received again, rejected again"
sleep 1.2
send trail "$T/m/1.json" >/dev/null
rec --max-messages 1
is "$?" 0 "after maxReceiveCount receives the bad message is not delivered"
is "$(state trail-dlq | jq -r '.messages[0].MessageId')" "$bad" "it is in the dead-letter queue"
is "$(state trail | jq '.messages | length')" 0 "and the queue is empty"

# ---- delivered again: a delete that failed ---------------------------------
dump "$T/q.db" >"$T/before"
curl -sSf -X POST -d '{"failDeletes":1}' "$SQS/__faults" >/dev/null
send trail "$T/m/2.json" >/dev/null
rec --max-messages 1
is "$?" 1 "a message that could not be deleted: exit 1"
grep -q "DeleteMessageBatch: InternalError" "$T/err"
ok "with a warning that it will come again" || sed 's/^/#   /' "$T/err"
sleep 1.2
# the endpoint from the queue URL itself this time
(unset AWS_ENDPOINT_URL_SQS; rec --max-messages 1)
is "$?" 0 "it comes again and is recorded again (endpoint from the queue URL)"
is "$(state trail | jq '.messages | length')" 0 "then deleted"
dump "$T/q.db" >"$T/after"
test_cmp "$T/before" "$T/after"
ok "the store is as it was"

# ---- S3 and CloudTrail notifications ----------------------------------------
curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
	-X PUT "$AWS_ENDPOINT_URL_S3/org-trail" >/dev/null
jq -c '{Records: [.Records[0]]}' "$FIX/seed-example.json" | gzip -c >"$T/a.json.gz"
jq -c '{Records: [.Records[1], .Records[2]]}' "$FIX/seed-example.json" | gzip -c >"$T/b.json.gz"
dir=AWSLogs/o-abc123/607481580000/CloudTrail/us-east-1/2021/07/03
for f in a b; do
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $(sha256sum <"$T/$f.json.gz" | cut -d' ' -f1)" \
		-T "$T/$f.json.gz" "$AWS_ENDPOINT_URL_S3/org-trail/$dir/$f.json.gz" >/dev/null
done
jq -nc --arg k "$dir/a.json.gz" '{Records: [{eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1",
	eventName: "ObjectCreated:Put", s3: {bucket: {name: "org-trail"}, object: {key: $k, size: 1}}}]}' >"$T/n1.json"
# CloudTrail's log-file notification, through SNS
jq -nc --arg k "$dir/b.json.gz" '{Type: "Notification", MessageId: "sns-1", TopicArn: "arn:aws:sns:us-east-1:000000000000:trail",
	Message: ({s3Bucket: "org-trail", s3ObjectKey: [$k]} | tojson)}' >"$T/n2.json"
echo '{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2021-07-03T23:20:00.000Z","Bucket":"org-trail"}' >"$T/n3.json"
for f in n1 n2 n3; do send notes "$T/$f.json" >/dev/null; done
timeout 120 wdn-record --sqs "$SQS/000000000000/notes" --store "$T/s3.db" --max-messages 3 >"$T/out" 2>"$T/err"
is "$?" 0 "an S3 notification, CloudTrail's through SNS, and S3's test event: exit 0" || sed 's/^/#   /' "$T/err"
is "$(wdn-lookup --store "$T/s3.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 \
	"the objects they name are recorded: the seed key's whole chain"
is "$(state notes | jq '.messages | length')" 0 "all three deleted"

# ---- signing: the region in the queue URL, a wrong secret --------------------
send trail "$T/m/3.json" >/dev/null
timeout 60 wdn-record --sqs https://sqs.eu-west-1.amazonaws.com/000000000000/trail --store "$T/q.db" \
	--max-messages 1 >/dev/null 2>"$T/err"
is "$?" 1 "a queue URL in eu-west-1 is signed for eu-west-1 (the stand-in wants us-east-1)"
grep -q "eu-west-1" "$T/err"
ok "and the refusal says so" || sed 's/^/#   /' "$T/err"
timeout 60 wdn-record --sqs https://sqs.eu-west-1.amazonaws.com/000000000000/trail --region us-east-1 \
	--store "$T/q.db" --max-messages 1 >/dev/null 2>"$T/err"
is "$?" 0 "--region overrides it"
send trail "$T/m/3.json" >/dev/null
AWS_SECRET_ACCESS_KEY=wrong rec --max-messages 1
is "$?" 1 "a wrong secret: exit 1"
grep -q SignatureDoesNotMatch "$T/err"
ok "SignatureDoesNotMatch: the stand-in checks signatures" || sed 's/^/#   /' "$T/err"

# ---- SIGTERM: the batch in hand is finished, then the run ends --------------
state trail | jq -e '.messages | length == 1' >/dev/null
ok "one message waits"
timeout 120 wdn-record --sqs "$q" --store "$T/q.db" >"$T/out" 2>"$T/err" &
pid=$!
i=0
until [ "$(state trail | jq '.messages | length')" -eq 0 ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5 # now in the next long poll, with nothing to receive
kill -TERM "$pid"
send trail "$T/m/4.json" >/dev/null # ends that poll with a message
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
is "$(state trail | jq '.messages | length')" 0 "after recording and deleting what it had received"
done_testing
