#!/bin/sh
# wdn-enrich --sqs and --lambda: every shape S3 delivers an object-created
# notification in (direct, SQS, SNS, SNS in SQS, EventBridge, CloudTrail's
# own) against s3rver behind the SigV4-checking proxy. Each log file is
# enriched once, into the same objects and markers a batch run writes;
# redelivery, duplicates, a concurrent batch run and 30 % injected S3
# faults add nothing; a poison message ends in the dead-letter queue;
# digests and other objects are skipped with a note.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }

. tests/cmd/live.sh
export WDN_PEERS_CREDS="$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
stand_in sqs "the SQS stand-in" sqs.js || { done_testing; exit; }
echo "$stand_in_pid" >>"$PEERS/pids"
SQS=http://127.0.0.1:$(cat "$T/sqs.port")
export AWS_ENDPOINT_URL_SQS="$SQS"
stand_in rt "the Runtime API stand-in" lambda-runtime.js || { done_testing; exit; }
echo "$stand_in_pid" >>"$PEERS/pids"
RT=http://127.0.0.1:$(cat "$T/rt.port")

empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3curl() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"; }
s3put() { s3curl -H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)" -T "$3" "$AWS_ENDPOINT_URL_S3/$1/$2" >/dev/null; }
s3mb() { s3curl -H "x-amz-content-sha256: $empty" -X PUT "$AWS_ENDPOINT_URL_S3/$1" >/dev/null; }
s3ls() { # s3ls BUCKET PREFIX
	s3curl -H "x-amz-content-sha256: $empty" "$AWS_ENDPOINT_URL_S3/$1?list-type=2&prefix=$(echo "$2" | sed 's|/|%2F|g')" |
		grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}
# tree PREFIX: every object under out/PREFIX/, its name and its lines
tree() {
	for k in $(s3ls out "$1/" | sort); do
		echo "== ${k#"$1"/}"
		case $k in
		*.json.gz) s3curl -H "x-amz-content-sha256: $empty" "$AWS_ENDPOINT_URL_S3/out/$k" | zcat ;;
		*) s3curl -H "x-amz-content-sha256: $empty" "$AWS_ENDPOINT_URL_S3/out/$k"; echo ;;
		esac
	done
}
# same PREFIX DESCRIPTION: the tree under PREFIX is the batch run's
same() {
	tree "$1" >"$T/tree.$1"
	cmp -s "$T/tree.ref" "$T/tree.$1"
	ok "$2" || { echo "#   got/want:"; diff "$T/tree.$1" "$T/tree.ref" | head -10 | sed 's/^/#   /'; }
}
sqs() {
	curl -sS --aws-sigv4 "aws:amz:us-east-1:sqs" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: AmazonSQS.$1" -d "$2" "$SQS/"
}
mkq() { # mkq NAME MAX-RECEIVES: a queue with a dead-letter queue NAME-dlq
	sqs CreateQueue "{\"QueueName\":\"$1\",\"Attributes\":{\"VisibilityTimeout\":\"1\",\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"arn:aws:sqs:us-east-1:000000000000:$1-dlq\\\",\\\"maxReceiveCount\\\":\\\"$2\\\"}\"}}" | jq -r .QueueUrl
}
send() { curl -sSf -X POST --data-binary @"$2" "$SQS/__send?queue=$1" | jq -r .MessageId; }
state() { curl -sSf "$SQS/__queue?queue=$1"; }
invoke() { curl -sSf -X POST --data-binary @"$1" "$RT/__invoke${2:+?id=$2}" | jq -r .id; }
answer() { curl -sSf "$RT/__results" | jq -c --arg id "$1" '[.[] | select(.id == $id)] | last'; }
enr() { # enr QUEUE PREFIX N [options]: the stream, N messages
	_q=$1 _p=$2 _m=$3
	shift 3
	timeout 120 wdn-enrich --sqs "$SQS/000000000000/$_q" --store "$T/s.db" -o "s3://out/$_p" \
		--max-messages "$_m" "$@" >"$T/out" 2>"$T/err"
}

s3mb trail && s3mb out
ok "buckets created"

# ---- five log files, a digest, an object of another service, a cut one -----
inputs="$FIX/seed-example.json $(find "$FIX/paths" -name '*.json' | sort | tr '\n' ' ')"
# shellcheck disable=SC2086
wdn-record -q --store "$T/s.db" $inputs 2>/dev/null
ok "the store holds the fixtures"
# shellcheck disable=SC2086
cat $inputs | jq -c '.Records[]' >"$T/all.jsonl"
total=$(wc -l <"$T/all.jsonl")
dir() { echo "AWSLogs/o-abc123/$1/CloudTrail/us-east-1/2021/07/0$2"; }
keys=""
i=0
for acct in 607481580000 226947510000 111122223333 444455556666 777788889999; do
	i=$((i + 1))
	awk -v i=$i 'NR % 5 == i % 5' "$T/all.jsonl" | jq -sc '{Records: .}' | gzip -c >"$T/log$i.json.gz"
	k="$(dir $acct $i)/${acct}_CloudTrail_us-east-1_2021070${i}T2310Z_u$i.json.gz"
	s3put trail "$k" "$T/log$i.json.gz" || fail "upload $k"
	keys="$keys $k"
	eval "key$i=\$k"
done
digest="AWSLogs/o-abc123/607481580000/CloudTrail-Digest/us-east-1/2021/07/03/607481580000_CloudTrail-Digest_us-east-1_t_us-east-1_20210703T2310Z.json.gz"
other="AWSLogs/607481580000/Config/us-east-1/2021/7/3/ConfigSnapshot/607481580000_Config_us-east-1_ConfigSnapshot_x.json.gz"
cut="$(dir 607481580000 3)/607481580000_CloudTrail_us-east-1_20210703T2355Z_cut.json.gz"
printf '{"awsAccountId":"607481580000"}' | gzip -c >"$T/digest.json.gz"
head -c 100 "$T/log1.json.gz" >"$T/cut.json.gz"
s3put trail "$digest" "$T/digest.json.gz" && s3put trail "$other" "$T/log1.json.gz" &&
	s3put trail "$cut" "$T/cut.json.gz"
ok "five log files, a digest, a Config object and a truncated log file uploaded"

# the reference: a batch run over the five log files
refs=""
for k in $keys; do refs="$refs s3://trail/$k"; done
# shellcheck disable=SC2086
wdn-enrich -q --store "$T/s.db" -o s3://out/ref $refs 2>"$T/err"
ok "the batch run over the five log files" || sed 's/^/#   /' "$T/err"
tree ref >"$T/tree.ref"
is "$(grep -c '^{' "$T/tree.ref")" "$total" "the batch run writes each of the $total events once"
is "$(grep -c '^== _whodunnit/done/' "$T/tree.ref")" 5 "and five markers"

# ---- notifications, one shape each -----------------------------------------
s3note() { # s3note BUCKET KEY: S3's notification (keys URL-encoded)
	jq -nc --arg b "$1" --arg k "$(printf '%s' "$2" | jq -sRr @uri | sed 's/%2F/\//g')" \
		'{Records: [{eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1",
		  eventTime: "2021-07-03T23:12:00.000Z", eventName: "ObjectCreated:Put",
		  s3: {s3SchemaVersion: "1.0", bucket: {name: $b, arn: ("arn:aws:s3:::" + $b)},
		       object: {key: $k, size: 1000, sequencer: "0055AED6DCD90281E5"}}}]}'
}
sns() { # sns MESSAGE-FILE: SNS's notification wrapping it (as SNS delivers to SQS)
	jq -Rsc '{Type: "Notification", MessageId: "5f3a0000-1111-2222-3333-444455556666",
		TopicArn: "arn:aws:sns:us-east-1:000000000000:trail", Message: ., Timestamp: "2021-07-03T23:12:01.000Z"}' "$1"
}
eb() { # eb BUCKET KEY: EventBridge's Object Created (keys as they are)
	jq -nc --arg b "$1" --arg k "$2" '{version: "0", id: "17793124-05d4-b198-2fde-7ededc63b103",
		"detail-type": "Object Created", source: "aws.s3", account: "607481580000",
		time: "2021-07-03T23:12:00Z", region: "us-east-1", resources: [("arn:aws:s3:::" + $b)],
		detail: {version: "0", bucket: {name: $b}, object: {key: $k, size: 1000}, reason: "PutObject"}}'
}
trailnote() { jq -nc --arg b "$1" --arg k "$2" '{s3Bucket: $b, s3ObjectKey: [$k]}'; }

mkdir -p "$T/n"
s3note trail "$key1" >"$T/n/1.json"            # S3 -> SQS
s3note trail "$key2" >"$T/n/2.s3"
sns "$T/n/2.s3" >"$T/n/2.json"                  # S3 -> SNS -> SQS
trailnote trail "$key3" >"$T/n/3.ct"
sns "$T/n/3.ct" >"$T/n/3.json"                  # CloudTrail -> SNS -> SQS
eb trail "$key4" >"$T/n/4.json"                 # S3 -> EventBridge -> SQS
s3note trail "$key5" >"$T/n/5.json"
s3note trail "$digest" >"$T/n/digest.json"
s3note trail "$other" >"$T/n/other.json"
echo '{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2021-07-03T23:20:00.000Z","Bucket":"trail"}' >"$T/n/test.json"

q=$(mkq shapes 2)
is "$q" "$SQS/000000000000/shapes" "a queue with a dead-letter queue"
for f in 1 2 3 4 5 digest other test; do send shapes "$T/n/$f.json" >/dev/null; done
enr shapes sqs 8
is "$?" 0 "--sqs: eight messages of five shapes, a digest, a Config object and a test event: exit 0" ||
	sed 's/^/#   /' "$T/err"
same sqs "the stream wrote exactly the batch run's objects and markers"
is "$(state shapes | jq '.messages | length')" 0 "every message deleted"
grep -q "note: 's3://trail/$digest' skipped: a digest file" "$T/err"
ok "the digest skipped with a note" || sed 's/^/#   /' "$T/err"
grep -q "note: 's3://trail/$other' skipped: not a CloudTrail log file" "$T/err"
ok "the Config object skipped with a note" || sed 's/^/#   /' "$T/err"
grep -q "^wdn-enrich: 8 messages, 5 objects enriched, 2 skipped, 0 failed, $total events" "$T/err"
ok "the summary counts them" || tail -n 1 "$T/err" | sed 's/^/#   /'

# ---- redelivered and duplicated: nothing new -------------------------------
curl -sSf -X POST "$(peers_admin s3)/__reset" >/dev/null
for f in 1 2 3 4 5 1 1 4; do send shapes "$T/n/$f.json" >/dev/null; done
enr shapes sqs 8
is "$?" 0 "the same notifications again, some twice: exit 0"
grep -q "^wdn-enrich: 8 messages, 0 objects enriched, 8 skipped" "$T/err"
ok "each skipped as done" || tail -n 1 "$T/err" | sed 's/^/#   /'
is "$(peers_stats s3 '[.byTarget.PutObject // 0, .byTarget.GetObject // 0]' | jq -c .)" '[0,0]' \
	"nothing read or written: only markers looked at"
same sqs "the output is as it was"

# ---- a batch run and the stream at once ------------------------------------
for f in 1 2 3 4 5; do send shapes "$T/n/$f.json" >/dev/null; done
# shellcheck disable=SC2086
(wdn-enrich -q --store "$T/s.db" -o s3://out/conc $refs 2>"$T/err.batch") &
bpid=$!
enr shapes conc 5
st=$?
wait $bpid
is "$st/$?" "0/0" "the stream and a batch run into the same output, at once"
same conc "together they wrote each event once, with the batch run's markers"

# ---- 30 % of S3 requests fail ---------------------------------------------
mkq faulty 20 >/dev/null
for f in 1 2 3 4 5; do send faulty "$T/n/$f.json" >/dev/null; done
peers_faults s3 '{"rate":0.3,"kinds":["500","503","drop","throttle"],"seed":7}'
rounds=0
while [ "$(state faulty | jq '.messages | length')" -gt 0 ] && [ $rounds -lt 15 ]; do
	rounds=$((rounds + 1))
	enr faulty faulty 5
	sleep 1.1
done
inj=$(peers_stats s3 .injected)
peers_faults s3 '{}'
is "$(state faulty | jq '.messages | length')" 0 "through 30 % faults every message is done ($rounds runs, $inj faults)"
n=$(state faulty-dlq 2>/dev/null | jq ".messages | length")
is "${n:-0}" 0 "none in the dead-letter queue"
same faulty "the output is exactly once"

# ---- poison: a truncated log file, a bucket that does not exist, no notification
mkq poison 2 >/dev/null
s3note trail "$cut" >"$T/n/cut.json"
s3note no-such-bucket-here "$key1" >"$T/n/nobucket.json"
jq -c '.Records[0]' "$FIX/seed-example.json" | envelope >"$T/n/event.json"
for f in cut nobucket event 5; do eval "id_$f=\$(send poison \"\$T/n/\$f.json\")"; done
enr poison poison 4
is "$?" 1 "three poison messages and a good one: exit 1"
is "$(state poison | jq -c '[.messages[].MessageId] | sort')" "$(printf '%s\n' "$id_cut" "$id_nobucket" "$id_event" | jq -Rsc 'split("\n")[:-1] | sort')" \
	"the good one deleted, the poison ones kept"
grep -q "'sqs:$id_event': 'sqs:$id_event': not an S3 object notification" "$T/err"
ok "an inline event is no notification" || sed 's/^/#   /' "$T/err"
sleep 1.1
enr poison poison 3
sleep 1.1
# the third receive moves them; the good message ends the run
send poison "$T/n/5.json" >/dev/null
enr poison poison 1 -q
is "$(state poison-dlq | jq -c '[.messages[].MessageId] | sort')" "$(printf '%s\n' "$id_cut" "$id_nobucket" "$id_event" | jq -Rsc 'split("\n")[:-1] | sort')" \
	"after two receives each poison message is in the dead-letter queue"
is "$(s3ls out poison/ | grep -c cut)" 0 "nothing of the truncated file is written"

# ---- SIGTERM: the object in hand is finished, no other begun ---------------
mkq term 5 >/dev/null
send term "$T/n/1.json" >/dev/null
timeout 120 wdn-enrich --sqs "$SQS/000000000000/term" --store "$T/s.db" -o s3://out/term >"$T/out" 2>"$T/err" &
pid=$!
i=0
until [ "$(state term | jq '.messages | length')" -eq 0 ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5 # in the next long poll
kill -TERM "$pid"
sleep 0.2
id=$(send term "$T/n/2.json") # ends that poll with a message, not begun
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
is "$(state term | jq -c '[.messages[].MessageId]')" "[\"$id\"]" "the message received after it is left to come again"
is "$(s3ls out term/_whodunnit/done/ | wc -l | tr -d ' ')" 1 "the object before it was finished"

# ---- Lambda: direct, SNS, SQS batches, EventBridge ---------------------------
export AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")"
lam() { timeout 120 wdn-enrich --lambda --store "$T/s.db" --max-messages "$1" >"$T/out" 2>"$T/err"; }
export WDN_ENRICH_OUTPUT=s3://out/lambda
s3note trail "$key1" >"$T/l1.json"
jq -c --slurpfile m "$T/n/2.s3" '{Records: [{EventSource: "aws:sns", EventVersion: "1.0",
	Sns: {Type: "Notification", MessageId: "sns-2", Message: ($m[0] | tojson)}}]}' -n >"$T/l2.json"
jq -nc --rawfile a "$T/n/3.json" --rawfile b "$T/n/cut.json" --rawfile c "$T/n/5.json" \
	'{Records: [{messageId: "m-3", receiptHandle: "r3", body: $a, eventSource: "aws:sqs"},
	            {messageId: "m-cut", receiptHandle: "rc", body: $b, eventSource: "aws:sqs"},
	            {messageId: "m-5", receiptHandle: "r5", body: $c, eventSource: "aws:sqs"}]}' >"$T/l3.json"
cp "$T/n/4.json" "$T/l4.json"
for f in 1 2 3 4; do invoke "$T/l$f.json" "inv-$f" >/dev/null; done
lam 4
is "$?" 1 "--lambda: four invocations, a truncated file among them: exit 1" || sed 's/^/#   /' "$T/err"
is "$(answer inv-3 | jq -c .body)" '{"batchItemFailures":[{"itemIdentifier":"m-cut"}]}' \
	"an SQS batch names only its failed record"
is "$(answer inv-1 | jq -c '[.kind, .body.objects]')" '["response",1]' "S3's notification, direct"
is "$(answer inv-4 | jq -c '[.kind, .body.objects]')" '["response",1]' "EventBridge's Object Created"
same lambda "direct, SNS, SQS and EventBridge invocations wrote the batch run's objects and markers"
curl -sSf -X POST "$(peers_admin s3)/__reset" >/dev/null
invoke "$T/l1.json" "inv-1" >/dev/null # Lambda's retry
invoke "$T/l3.json" "inv-3" >/dev/null
lam 2
is "$(answer inv-1 | jq -c .kind)" '"response"' "a retried invocation is answered"
is "$(peers_stats s3 '[.byTarget.PutObject // 0]' | jq -c .)" '[0]' "and writes nothing new"
same lambda "the output is as it was"

# ---- --record: from the one download ---------------------------------------
invoke "$T/l1.json" rec-1 >/dev/null
WDN_ENRICH_OUTPUT=s3://out/rec timeout 60 wdn-enrich --lambda --record --store "$T/r.db" --max-messages 1 \
	>"$T/out" 2>"$T/err"
is "$?" 0 "--record --lambda" || sed 's/^/#   /' "$T/err"
wdn-record -q --store "$T/r2.db" "s3://trail/$key1" 2>/dev/null
cmp -s "$(dump "$T/r.db" >"$T/d1"; echo "$T/d1")" "$(dump "$T/r2.db" >"$T/d2"; echo "$T/d2")"
ok "the object is recorded as wdn-record records it" || diff "$T/d1" "$T/d2" | head -5 | sed 's/^/#   /'
is "$(tree rec | grep -c '^== _whodunnit/done/')" 1 "and enriched, with its marker"

# ---- usage ------------------------------------------------------------------
unset WDN_ENRICH_OUTPUT
wdn-enrich --sqs "$q" 2>"$T/err"
is "$?" 2 "--sqs without an S3 output: usage error"
wdn-enrich --sqs "$q" -o s3://out/x s3://trail/a 2>"$T/err"
is "$?" 2 "--sqs with an INPUT: usage error"
wdn-enrich --max-messages 3 -o s3://out/x s3://trail/a 2>"$T/err"
is "$?" 2 "--max-messages without --lambda or --sqs: usage error"
done_testing
