#!/bin/sh
# wdn-record --lambda against a stand-in for the Lambda Runtime API
# (tests/peers/lambda-runtime.js), into a SQLite store: EventBridge events,
# CloudTrail forms, SNS events and SQS batches with partial failures; every
# event lands once, a redelivered invocation changes nothing, and each
# answer comes after the store has it.
. tests/cmd/lib.sh
if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	skip "node or curl not installed: no Lambda Runtime API stand-in"
	done_testing
	exit
fi
command -v sqlite3 >/dev/null || { skip "sqlite3 missing"; done_testing; exit; }

. tests/cmd/live.sh
trap 'kill "$stand_in_pid" 2>/dev/null; rm -rf "$T"' EXIT
stand_in rt "the Runtime API stand-in" lambda-runtime.js || { done_testing; exit; }
RT=http://127.0.0.1:$(cat "$T/rt.port")
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")"
export AWS_LAMBDA_RUNTIME_API

# invoke FILE [ID]: queue FILE's bytes as an invocation; prints its ID
invoke() { curl -sSf -X POST --data-binary @"$1" "$RT/__invoke${2:+?id=$2}" | jq -r .id; }
# answer ID: the last answer to invocation ID, {kind, body, errorType}
answer() { curl -sSf "$RT/__results" | jq -c --arg id "$1" '[.[] | select(.id == $id)] | last'; }
# run N [OPTIONS...]: wdn-record --lambda for N invocations, into $T/l.db
run() {
	n=$1
	shift
	timeout 120 wdn-record --lambda --store "$T/l.db" --max-messages "$n" "$@" >"$T/out" 2>"$T/err"
}

inputs="$FIX/seed-example.json"
[ -d "$FIX/paths" ] && inputs="$inputs $(find "$FIX/paths" -name '*.json' | sort | tr '\n' ' ')"
# shellcheck disable=SC2086
wdn-record -q --store "$T/direct.db" $inputs 2>/dev/null
dump "$T/direct.db" >"$T/direct"

# ---- one EventBridge event per invocation, as the central rule sends them ----
mkdir -p "$T/inv"
# shellcheck disable=SC2086
cat $inputs | envelope >"$T/envelopes.jsonl"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$T/inv/$n.json"
	invoke "$T/inv/$n.json" "eb-$n" >/dev/null
done <"$T/envelopes.jsonl"
[ "$n" -gt 30 ]
ok "$n events wrapped as EventBridge events"
run "$n"
is "$?" 0 "wdn-record --lambda answers $n invocations and exits 0 (--max-messages)" || sed 's/^/#   /' "$T/err" | head -5
is "$(curl -sSf "$RT/__results" | jq '[.[] | select(.kind == "response")] | length')" "$n" "every invocation got a response"
is "$(answer eb-1 | jq -c .body)" '{"messages":1,"events":1}' "a response says what it recorded"
dump "$T/l.db" >"$T/l"
test_cmp "$T/direct" "$T/l"
ok "the store holds what wdn-record of the same files holds" || diff "$T/direct" "$T/l" | head -5 | sed 's/^/#   /'
is "$(wc -l <"$T/out" | tr -d ' ')" "$(wdn-record --store "$T/again.db" $inputs 2>/dev/null | wc -l | tr -d ' ')" \
	"one JSON line per issuance and change, as wdn-record prints them"
grep -q "^wdn-record: $n messages, $n events" "$T/err"
ok "the summary counts messages" || sed 's/^/#   /' "$T/err"
is "$(wdn-lookup --store "$T/l.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 \
	"the seed's key has its whole chain"

# ---- a redelivery: the same invocations again change nothing ---------------
for k in 1 2 3; do invoke "$T/inv/$k.json" "eb-$k" >/dev/null; done
run 3
is "$?" 0 "redelivered invocations are answered"
is "$(answer eb-2 | jq -r .kind)" response "with a response"
dump "$T/l.db" >"$T/l2"
test_cmp "$T/l" "$T/l2"
ok "and the store is as it was"

# ---- CloudTrail's own forms: a log file, an SNS event ----------------------
rm -f "$T/l.db"*
invoke "$FIX/seed-example.json" log >/dev/null
jq -c '{Records: [.Records[] | {EventSource: "aws:sns", EventVersion: "1.0",
	Sns: {Type: "Notification", MessageId: ("sns-" + .eventID), TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
	      Message: tojson}}]}' "$FIX/seed-example.json" >"$T/sns.json"
invoke "$T/sns.json" sns >/dev/null
run 2
is "$?" 0 "a log file and an SNS event are answered"
is "$(answer log | jq -c .body)" '{"messages":1,"events":3}' "a log file: three events"
is "$(answer sns | jq -r .kind)" response "an SNS event: a response"
is "$(sqlite3 "$T/l.db" 'SELECT count(*) FROM issuance')" 3 "both forms record the same three issuances"

# ---- SQS batches: a partial batch response names exactly the bad message ---
# sqs_batch BODIES_FILE: an SQS event whose messages are the lines of the file
sqs_batch() {
	jq -cs '{Records: [to_entries[] | {messageId: ("m-\(.key)"), receiptHandle: "rh-\(.key)", body: (.value | tojson),
		attributes: {ApproximateReceiveCount: "1", SentTimestamp: "1625353929000"}, messageAttributes: {},
		md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:whodunnit",
		awsRegion: "us-east-1"}]}' "$1"
}
bad_event="$WDN_TESTDATA/cloud-custodian-cwe/event-instance-state.json"
if [ -f "$bad_event" ]; then
	jq -c . "$bad_event" >"$T/bad.json" # a real EventBridge event, not CloudTrail's
else
	printf '%s\n' '{"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012","time":"2021-07-03T23:12:09Z","region":"us-east-1","resources":[],"detail":{"instance-id":"i-0123456789abcdef0","state":"running"}}' >"$T/bad.json"
fi
rm -f "$T/l.db"*
{ sed -n 1,2p "$T/envelopes.jsonl"; cat "$T/bad.json"; sed -n 3p "$T/envelopes.jsonl"; } >"$T/bodies"
sqs_batch "$T/bodies" >"$T/batch.json"
invoke "$T/batch.json" batch >/dev/null
run 1
is "$?" 3 "a batch with a bad message: exit 3, the rest recorded"
is "$(answer batch | jq -c .body)" '{"batchItemFailures":[{"itemIdentifier":"m-2"}]}' \
	"batchItemFailures names exactly the bad message"
grep -q "'sqs:m-2': record 1 (line 1): not a CloudTrail event" "$T/err"
ok "a warning names the message and why" || sed 's/^/#   /' "$T/err"
is "$(sqlite3 "$T/l.db" 'SELECT count(*) FROM issuance')" 3 "the three good messages are recorded"
dump "$T/l.db" >"$T/b1"
invoke "$T/batch.json" batch >/dev/null
run 1
is "$(answer batch | jq -c .body)" '{"batchItemFailures":[{"itemIdentifier":"m-2"}]}' \
	"the batch redelivered: the same answer"
dump "$T/l.db" >"$T/b2"
test_cmp "$T/b1" "$T/b2"
ok "and the same store"
sed -n 1,3p "$T/envelopes.jsonl" >"$T/good"
sqs_batch "$T/good" >"$T/good.json"
invoke "$T/good.json" good >/dev/null
run 1
is "$(answer good | jq -c .body)" '{"batchItemFailures":[]}' "a batch all recorded: no failures"
printf '%s\n' '"not an event"' '""' >"$T/junk"
sqs_batch "$T/junk" >"$T/junk.json"
invoke "$T/junk.json" junk >/dev/null
run 1
is "$(answer junk | jq -c '[.body.batchItemFailures[].itemIdentifier]')" '["m-0","m-1"]' \
	"messages that are no JSON object, or empty, fail alone"

# ---- an invocation that is no event: an error, named -----------------------
invoke "$T/bad.json" bad >/dev/null
run 1
is "$?" 3 "an invocation that is not a CloudTrail event: exit 3"
is "$(answer bad | jq -r '[.kind, .errorType, .body.errorType] | join(" ")')" \
	"error whodunnit.Rejected whodunnit.Rejected" "answered with an error of type whodunnit.Rejected"
answer bad | jq -r .body.errorMessage | grep -q "not a CloudTrail event"
ok "whose message says why"

# ---- hostile nesting: refused, never parsed whole ---------------------------
awk 'BEGIN { printf "{\"Records\":"; for (i = 0; i < 200000; i++) printf "["; for (i = 0; i < 200000; i++) printf "]"; printf "}" }' >"$T/deep.json"
invoke "$T/deep.json" deep >/dev/null
jq -Rsc '{Records: [{messageId: "deep", body: ., eventSource: "aws:sqs"}]}' "$T/deep.json" >"$T/deep-batch.json"
invoke "$T/deep-batch.json" deep-batch >/dev/null
run 2
is "$(answer deep | jq -r .errorType)" whodunnit.Rejected "a payload nested 200000 deep is rejected"
is "$(answer deep-batch | jq -c .body)" '{"batchItemFailures":[{"itemIdentifier":"deep"}]}' "and so is such a message"

# ---- real EventBridge samples: the Lambda answers as wdn-record exits -------
if have_testdata cloud-custodian-cwe; then
	n=0
	bad=
	for f in "$WDN_TESTDATA"/cloud-custodian-cwe/*.json; do
		n=$((n + 1))
		invoke "$f" "sample-$n" >/dev/null
	done
	run "$n"
	n=0
	for f in "$WDN_TESTDATA"/cloud-custodian-cwe/*.json; do
		n=$((n + 1))
		wdn-record -q --store "$T/sample.db" "$f" 2>/dev/null
		case $? in 0) want=response ;; 3) want=error ;; *) want=unexpected ;; esac
		[ "$(answer "sample-$n" | jq -r .kind)" = "$want" ] || bad="$bad $(basename "$f")"
	done
	is "$bad" "" "each of $n real samples: a response where wdn-record records it, an error where it rejects it"
fi

# ---- failing to start: the Runtime API hears of it --------------------------
: >"$T/not-a-dir"
timeout 30 wdn-record --lambda --store "sqlite:$T/not-a-dir/x.db" --max-messages 1 2>"$T/err"
is "$?" 1 "a store that cannot be opened: exit 1"
is "$(curl -sSf "$RT/__init-errors" | jq -r '.[0].errorType')" whodunnit.StoreFailed \
	"after POST /runtime/init/error"

# ---- usage ----------------------------------------------------------------
wdn-record --lambda "$FIX/seed-example.json" 2>/dev/null
is "$?" 2 "--lambda takes no INPUT"
wdn-record --lambda --sqs http://127.0.0.1:1/0/q 2>/dev/null
is "$?" 2 "--lambda and --sqs exclude each other"
wdn-record --max-messages 3 "$FIX/seed-example.json" 2>/dev/null
is "$?" 2 "--max-messages without --lambda or --sqs"
wdn-record --lambda --max-messages 0 2>/dev/null
is "$?" 2 "--max-messages 0"
(unset AWS_LAMBDA_RUNTIME_API; timeout 30 wdn-record --lambda --store "$T/x.db" 2>"$T/err")
is "$?" 1 "--lambda outside Lambda: exit 1"
grep -q AWS_LAMBDA_RUNTIME_API "$T/err"
ok "naming what is missing"
done_testing
