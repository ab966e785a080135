#!/bin/sh
# Hostile deliveries: what arrives through the organisation's automation is
# checked before it is believed or used.
# - EventBridge envelopes: wdn-record --lambda (Runtime API stand-in) and
#   --sqs (SQS stand-in) refuse an envelope whose source is not AWS's own
#   (aws.*), whose account is not its event's recipientAccountId, or whose
#   shape lies (members twice, detail not an object, no detail-type...),
#   report and count it, acknowledge it (no retry), and record the genuine
#   events of the same batch; look-ups show the genuine principal.
# - Bucket names and keys from notifications (S3, SQS, SNS, SNS in SQS,
#   CloudTrail's, S3's EventBridge event) and s3:// operands: a name S3
#   could not have is refused before any connection is made (a loopback
#   listener must hear nothing).
# - The templates: the central rule takes aws.* sources only, the member's
#   ForwardRole may put only the sources its rule forwards.
. tests/cmd/lib.sh
if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
	skip "node, curl or jq not installed: no stand-ins"
	done_testing
	exit
fi
. tests/cmd/live.sh
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
ACCT=111122223333

# ---- the templates ------------------------------------------------------------
check="$WDN_TOP/tests/peers/cfn-check.js"
if node "$check" --dump "$WDN_TOP/deploy/central.yaml" >"$T/central.json" 2>"$T/cfn.err" &&
	node "$check" --dump "$WDN_TOP/deploy/member.yaml" >"$T/member.json" 2>>"$T/cfn.err"; then
	pass "the templates dump as JSON"
	# matches PATTERN-FIELD VALUE: does an EventBridge pattern's list (exact
	# strings, {prefix}, {anything-but}) admit VALUE? No list admits all.
	matches() {
		jq -r --arg v "$2" "($1) as \$l | if \$l == null then true else any(\$l[];
			if type == \"string\" then . == \$v
			elif type == \"object\" and has(\"prefix\") then (.prefix as \$p | \$v | startswith(\$p))
			else false end) end"
	}
	rule=$(jq -r '.Resources | to_entries[] | select(.value.Type == "AWS::Events::Rule") | .key' "$T/central.json")
	bad=
	for s in custom.app aws awsx.sts AWS.sts Aws.iam aws_sts xaws.sts whodunnit.forged ""; do
		[ "$(matches ".Resources[\"$rule\"].Properties.EventPattern.source" "$s" <"$T/central.json")" = false ] ||
			bad="$bad '$s'"
	done
	is "$bad" "" "the central rule admits no custom source (custom, aws without dot, awsx., AWS., ...)"
	bad=
	for s in aws.sts aws.iam aws.sso aws.cloudformation aws.signin; do
		[ "$(matches ".Resources[\"$rule\"].Properties.EventPattern.source" "$s" <"$T/central.json")" = true ] ||
			bad="$bad $s"
	done
	is "$bad" "" "and every aws.* source the members forward"
	# allowed FILE STATEMENTS SOURCE: would IAM's events:source condition of
	# every PutEvents statement let an entry of SOURCE through?
	allowed() {
		jq -r --arg v "$3" "[$2 | select(.Action == \"events:PutEvents\" or (.Action | arrays | index(\"events:PutEvents\")))
			| .Condition // {} | [to_entries[] | select(.value | has(\"events:source\"))] as \$c
			| if (\$c | length) == 0 then true else all(\$c[];
				(.value[\"events:source\"] | if type == \"array\" then . else [.] end) as \$vals
				| if (.key | test(\"StringLike\$\")) then any(\$vals[]; (\"^\" + (gsub(\"[.]\"; \"\\\\.\") | gsub(\"[*]\"; \".*\") | gsub(\"[?]\"; \".\")) + \"\$\") as \$re | \$v | test(\$re))
				elif (.key | test(\"StringEquals\$\")) then any(\$vals[]; . == \$v)
				elif .key == \"Null\" then true
				else false end) end] | all" "$1"
	}
	role='.Resources.ForwardRole.Properties.Policies[].PolicyDocument.Statement[]'
	is "$(jq -c "[$role | select(.Action == \"events:PutEvents\") | .Condition | keys[] | select(test(\"^ForAllValues:String(Equals|Like)\$\"))] | length" "$T/member.json")" 1 \
		"ForwardRole's PutEvents has an events:source condition over every entry (ForAllValues)"
	is "$(jq -c "[$role | select(.Action == \"events:PutEvents\") | .Condition.Null[\"events:source\"]]" "$T/member.json")" '["false"]' \
		"and demands the key (Null false), since ForAllValues holds for no value at all"
	bad=
	for s in custom.app aws awsx.sts AWS.sts whodunnit.forged aws.partner/evil.com/x; do
		[ "$(allowed "$T/member.json" "$role" "$s")" = false ] || bad="$bad '$s'"
	done
	is "$bad" "" "ForwardRole cannot put custom sources on the central bus"
	bad=
	for s in $(jq -r '.Resources.ForwardRule.Properties.EventPattern.source[]' "$T/member.json"); do
		[ "$(allowed "$T/member.json" "$role" "$s")" = true ] || bad="$bad $s"
	done
	is "$bad" "" "but every source its own rule forwards"
	pol='.Resources.EventBusPolicy.Properties.Statement | if type == "array" then .[] else . end'
	is "$(allowed "$T/central.json" "$pol" custom.app)/$(allowed "$T/central.json" "$pol" aws.sts)" false/true \
		"the central bus takes no custom source from the organisation either"
else
	fail "the templates dump as JSON"
	sed 's/^/#   /' "$T/cfn.err"
fi

# ---- events, genuine and forged -------------------------------------------------
# ev KEY USER TIME ID [ACCOUNT]: a CreateAccessKey event of ACCOUNT (default $ACCT)
jq -c '(.Records[]? // .) | select(.eventName == "CreateAccessKey")' "$FIX/paths/iam-rename.json" | head -n 1 >"$T/tpl.json"
ev() {
	jq -c --arg k "$1" --arg u "$2" --arg t "$3" --arg id "$4" --arg a "${5:-$ACCT}" '
		.requestParameters.userName = $u | .responseElements.accessKey.userName = $u
		| .responseElements.accessKey.accessKeyId = $k | .eventTime = $t | .eventID = $id
		| .recipientAccountId = $a | .userIdentity.accountId = $a
		| .userIdentity.arn = ("arn:aws:iam::" + $a + ":user/admin")' "$T/tpl.json"
}
# rename OLD NEW TIME ID: an UpdateUser event of $ACCT
jq -c '(.Records[]? // .) | select(.eventName == "UpdateUser")' "$FIX/paths/iam-rename.json" | head -n 1 >"$T/tpl-rename.json"
rename() {
	jq -c --arg o "$1" --arg n "$2" --arg t "$3" --arg id "$4" '
		.requestParameters = {userName: $o, newUserName: $n} | .eventTime = $t | .eventID = $id' "$T/tpl-rename.json"
}
# wrap SOURCE ACCOUNT: the EventBridge event carrying the event on stdin
wrap() {
	jq -c --arg s "$1" --arg a "$2" '{version: "0", id: ("eb-" + .eventID), "detail-type": "AWS API Call via CloudTrail",
		source: $s, account: $a, time: .eventTime, region: "us-east-1", resources: [], detail: .}'
}
[ -s "$T/tpl.json" ] && [ -s "$T/tpl-rename.json" ]
ok "event templates from the fixtures"

GENUINE=AKIAGENUINEZZZZZZZZZ
ev "$GENUINE" alice 2024-03-01T10:00:00Z genuine-1 | wrap aws.iam "$ACCT" >"$T/genuine1"
ev AKIAGENUINEZZZZZZZZY bob 2024-03-01T10:05:00Z genuine-2 | wrap aws.iam "$ACCT" >"$T/genuine2"
# forged N: a distinct key per forgery, so a look-up tells which got in
fkey() { printf 'AKIAFRGDZZZZZZZZZZ%s' "$(printf '%s' "$1" | tr 0-9 A-J)" | cut -c1-20; }
fev() { ev "$(fkey "$1")" ceo "2024-03-01T11:$1:00Z" "forged-$1" "${2:-$ACCT}"; }
: >"$T/forged"
add() { cat >>"$T/forged"; echo >>"$T/forged"; }
fev 10 | wrap custom.app "$ACCT" | add
fev 11 | wrap aws "$ACCT" | add
fev 12 | wrap awsx.iam "$ACCT" | add
fev 13 | wrap AWS.iam "$ACCT" | add
fev 14 | wrap aws. "$ACCT" | add
fev 15 | wrap aws.partner/evil.example/app "$ACCT" | add
fev 16 | wrap "aws.iam " "$ACCT" | add
fev 17 | wrap aws.iam 999999999999 | add                       # account mismatch
fev 18 999999999999 | wrap aws.iam "$ACCT" | add              # the event of another account
fev 19 | jq -c 'del(.recipientAccountId)' | wrap aws.iam "$ACCT" | add
fev 20 | wrap aws.iam "$ACCT" | jq -c 'del(.account)' | add
fev 21 | wrap aws.iam "$ACCT" | jq -c '.account = 111122223333' | add
fev 22 | wrap aws.iam "$ACCT" | jq -c 'del(.source)' | add
fev 23 | wrap aws.iam "$ACCT" | jq -c '.source = ["aws.iam"]' | add
fev 24 | wrap aws.iam "$ACCT" | jq -c 'del(."detail-type")' | add
fev 25 | wrap aws.iam "$ACCT" | jq -c '."detail-type" = 7' | add
fev 26 | wrap aws.iam "$ACCT" | jq -c '.detail |= tojson' | add                 # detail a string
fev 27 | wrap aws.iam "$ACCT" | jq -c '. + .detail | .detail = null' | add     # flattened, detail null
fev 28 | wrap aws.iam "$ACCT" | jq -c '.detail = [.detail]' | add             # detail an array
fev 29 | wrap custom.app 999999999999 | jq -c '.detail.recipientAccountId = "999999999999"' | add
# JSON names twice: checked first, read last (or the other way round)
fev 30 | wrap custom.app "$ACCT" | sed 's/^{/{"source":"aws.iam",/' | add
fev 31 | wrap aws.iam 999999999999 | sed "s/^{/{\"account\":\"$ACCT\",/" | add
fev 32 | wrap aws.iam "$ACCT" | sed 's/"recipientAccountId":"111122223333"/"recipientAccountId":"111122223333","recipientAccountId":"999999999999"/' | add
{ printf '{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"%s","detail":' "$ACCT"
  ev "$GENUINE" alice 2024-03-01T10:00:00Z genuine-1 | tr -d '\n'
  printf ',"detail":'; fev 33 | tr -d '\n'; printf '}'; } | add
fev 34 | wrap aws.iam "$ACCT" | jq -c '.Records = [.detail]' | add
# the attack of the issue: the genuine key made another account's user/ceo,
# and the genuine user renamed to ceo
ev "$GENUINE" ceo 2024-03-01T10:30:00Z forged-35 999999999999 | wrap custom.app 999999999999 | add
ev "$GENUINE" ceo 2024-03-01T10:31:00Z forged-36 | wrap AWS.iam "$ACCT" | add
rename alice ceo 2024-03-01T10:32:00Z forged-37 | wrap custom.iam "$ACCT" | add
rename alice ceo 2024-03-01T10:33:00Z forged-38 | wrap aws.iam 999999999999 | add
sed -i '/^$/d' "$T/forged"
nforged=$(wc -l <"$T/forged" | tr -d ' ')
fkeys=$(seq 10 34 | while read -r i; do fkey "$i"; echo; done)

# lookups DB: the genuine principals, then each forged key's Found
lookups() {
	wdn-lookup --store "$1" --no-trails --at 2024-03-02T00:00:00Z "$GENUINE" AKIAGENUINEZZZZZZZZY 2>/dev/null |
		jq -r '[.AccessKeyId, .Principal] | join(" ")'
	# shellcheck disable=SC2086
	wdn-lookup --store "$1" --no-trails $fkeys 2>/dev/null | jq -r 'select(.Found) | .AccessKeyId'
}
want_lookups="$GENUINE arn:aws:iam::$ACCT:user/alice
AKIAGENUINEZZZZZZZZY arn:aws:iam::$ACCT:user/bob"

# ---- --lambda: one invocation per envelope, and an SQS batch of them -------------
stand_in rt "the Runtime API stand-in" lambda-runtime.js || { done_testing; exit; }
pids="$pids $stand_in_pid"
RT=http://127.0.0.1:$(cat "$T/rt.port")
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")"
export AWS_LAMBDA_RUNTIME_API
invoke() { curl -sSf -X POST --data-binary @"$1" "$RT/__invoke${2:+?id=$2}"; }
answer() { curl -sSf "$RT/__results" | jq -c --arg id "$1" '[.[] | select(.id == $id)] | last'; }
lrun() { timeout 300 wdn-record --lambda --store "$T/l.db" --max-messages "$1" --reject "$T/l.rej" >"$T/out" 2>"$T/err"; }

invoke "$T/genuine1" g1 >/dev/null
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s' "$line" >"$T/f$n.json"
	invoke "$T/f$n.json" "f$n" >/dev/null
done <"$T/forged"
invoke "$T/genuine2" g2 >/dev/null
lrun $((n + 2))
is "$?" 3 "$n forged envelopes among 2 genuine ones, one invocation each: exit 3"
is "$(lookups "$T/l.db")" "$want_lookups" "the genuine events are recorded, the forged ones are not, look-ups show the genuine principals"
is "$(answer g1 | jq -c '[.kind, .body]')" '["response",{"messages":1,"events":1}]' "a genuine invocation is answered as before"
curl -sSf "$RT/__results" >"$T/results"
bad=$(seq 1 "$n" | jq -Rr --slurpfile r "$T/results" '("f" + .) as $id | [$r[0][] | select(.id == $id)] | last
	| select([.kind, .body.events, .body.refused] != ["response", 0, 1]) | $id' | tr '\n' ' ')
is "$bad" "" "each forged invocation is answered (not failed: no retry, no dead letter) with refused: 1"
is "$(grep -c "^wdn-record: 'lambda:[^']*': record 1 (line 1): refused: " "$T/err")" "$n" \
	"each is reported on stderr, named" || sed 's/^/#   /' "$T/err" | head -n 20
grep -q "lambda:f1'.*source 'custom.app', not from AWS" "$T/err" &&
	grep -q "lambda:f8'.*account 999999999999 holding an event of account '$ACCT'" "$T/err" &&
	grep -q "lambda:f10'.*names no recipientAccountId" "$T/err" &&
	grep -q "lambda:f17'.*detail is not an object" "$T/err" &&
	grep -q "lambda:f21'.*'source' twice" "$T/err"
ok "saying why (source, account, recipientAccountId, detail, a member twice)" || sed 's/^/#   /' "$T/err" | head -n 40
grep -q ", 0 rejected, $n refused$" "$T/err"
ok "the summary counts them" || tail -n 1 "$T/err" | sed 's/^/#   /'
is "$(grep -c . "$T/l.rej")" "$n" "--reject keeps each refused envelope"

# the same in one SQS batch: the refused messages are not batch failures
sqs_batch() {
	jq -cs '{Records: [to_entries[] | {messageId: ("m-\(.key)"), receiptHandle: "rh-\(.key)", body: (.value | tostring),
		attributes: {ApproximateReceiveCount: "1"}, messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs",
		eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:whodunnit", awsRegion: "us-east-1"}]}'
}
rm -f "$T/l.db"*
{ cat "$T/genuine1"; head -n 8 "$T/forged"; cat "$T/genuine2"; sed -n '9,$p' "$T/forged"; } | jq -R . | sqs_batch >"$T/batch.json"
invoke "$T/batch.json" batch >/dev/null
lrun 1
is "$?" 3 "an SQS batch of both: exit 3"
is "$(answer batch | jq -c .body)" '{"batchItemFailures":[]}' "no message of it is a batch failure: the forged are acknowledged, not retried"
is "$(lookups "$T/l.db")" "$want_lookups" "the genuine ones of the batch are recorded, the forged are not"
is "$(grep -c "'sqs:m-[0-9]*': record 1 (line 1): refused: " "$T/err")" "$n" "each forged message reported" ||
	sed 's/^/#   /' "$T/err" | head -n 20

# several envelopes in one message cannot each be checked first: refused, and
# the events of a log file beside them still recorded
rm -f "$T/l.db"*
{ cat "$T/genuine1" "$T/genuine2"; } >"$T/two.jsonl"
{ ev "$GENUINE" alice 2024-03-01T10:00:00Z genuine-1; fev 10; } | jq -cs '{Records: .}' >"$T/log.json"
invoke "$T/two.jsonl" two >/dev/null
jq -Rs . "$T/two.jsonl" | sqs_batch >"$T/two-batch.json"
invoke "$T/two-batch.json" two-batch >/dev/null
invoke "$T/log.json" log >/dev/null
# envelopes as the records of an array or a log file, their event's fields beside
fev 11 | wrap custom.app "$ACCT" | jq -c '. + .detail' >"$T/flat1"
fev 12 | wrap aws.iam 999999999999 | jq -c '. + .detail' >"$T/flat2"
jq -cs . "$T/flat1" "$T/flat2" >"$T/array.json"
jq -cs '{Records: .}' "$T/flat1" "$T/flat2" >"$T/records.json"
invoke "$T/array.json" array >/dev/null
invoke "$T/records.json" records >/dev/null
lrun 5
is "$(answer two | jq -c '[.kind, .body.refused]')" '["response",2]' "two envelopes in one payload: both refused"
is "$(answer two-batch | jq -c .body)" '{"batchItemFailures":[]}' "and in one SQS message"
is "$(answer log | jq -c .body)" '{"messages":1,"events":2}' "a log file (no envelope) is read as before"
is "$(answer array | jq -c .body)/$(answer records | jq -c .body)" \
	'{"messages":1,"events":0,"refused":2}/{"messages":1,"events":0,"refused":2}' \
	"envelopes as records of an array or a log file: refused, never read as bare events"
is "$(lookups "$T/l.db" | sed 1,2d)" "$(fkey 10)" "(only the log file's bare forged event got in)"

# ---- --sqs: the same forgeries through a queue ------------------------------------
export AWS_ACCESS_KEY_ID=AKIDENVELOPETEST AWS_SECRET_ACCESS_KEY=envelope-test-secret AWS_REGION=us-east-1
export WDN_PEERS_CREDS="$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN AWS_PROFILE 2>/dev/null
AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
stand_in sqs "the SQS stand-in" sqs.js || { done_testing; exit; }
pids="$pids $stand_in_pid"
SQS=http://127.0.0.1:$(cat "$T/sqs.port")
export AWS_ENDPOINT_URL_SQS="$SQS"
sqs() {
	curl -sS --aws-sigv4 "aws:amz:us-east-1:sqs" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: AmazonSQS.$1" -d "$2" "$SQS/"
}
send() { curl -sSf -X POST --data-binary @"$2" "$SQS/__send?queue=$1" | jq -r .MessageId; }
state() { curl -sSf "$SQS/__queue?queue=$1"; }
mkq() { sqs CreateQueue "{\"QueueName\":\"$1\",\"Attributes\":{\"VisibilityTimeout\":\"60\"}}" | jq -r .QueueUrl; }
q=$(mkq forged)
[ -n "$q" ]
ok "a queue"
send forged "$T/genuine1" >/dev/null
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s' "$line" >"$T/q$i.json"
	send forged "$T/q$i.json" >/dev/null
	if [ $((i % 5)) -eq 0 ]; then
		# through SNS too: a topic's notification, raw or not
		jq -Rc '{Type: "Notification", MessageId: "sns-x", TopicArn: "arn:aws:sns:us-east-1:000000000000:t", Message: .}' \
			"$T/q$i.json" >"$T/q$i.sns"
		send forged "$T/q$i.sns" >/dev/null
	fi
done <"$T/forged"
nsns=$((i / 5))
send forged "$T/genuine2" >/dev/null
timeout 300 wdn-record --sqs "$q" --store "$T/q.db" --max-messages $((n + nsns + 2)) >"$T/out" 2>"$T/err"
is "$?" 3 "--sqs: $((n + nsns)) forged messages (some through SNS) among 2 genuine: exit 3"
is "$(lookups "$T/q.db")" "$want_lookups" "only the genuine are recorded"
is "$(state forged | jq '.messages | length')" 0 "every message is deleted: a refused one would only be refused again"
is "$(grep -c "'sqs:[^']*': record 1 (line 1): refused: " "$T/err")" "$((n + nsns))" "each refused one is reported" ||
	sed 's/^/#   /' "$T/err" | head -n 20
grep -q ", $((n + nsns)) refused$" "$T/err"
ok "and counted" || tail -n 1 "$T/err" | sed 's/^/#   /'

# ---- bucket names and keys: no request leaves for a name S3 could not have --------
cat >"$T/listen.js" <<'EOF'
// Counts the connections made to a loopback port, and answers nothing.
const net = require('net');
const fs = require('fs');
const [portFile, countFile] = process.argv.slice(2);
let n = 0;
fs.writeFileSync(countFile, '0\n');
const srv = net.createServer((c) => { n++; fs.writeFileSync(countFile, `${n}\n`); c.destroy(); });
srv.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, `${srv.address().port}\n`));
setTimeout(() => process.exit(0), 1800 * 1000).unref();
process.on('SIGTERM', () => process.exit(0));
EOF
node "$T/listen.js" "$T/listen.port" "$T/listen.count" >"$T/listen.log" 2>&1 &
pids="$pids $!"
i=0
while [ ! -s "$T/listen.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat "$T/listen.port")
[ -n "$P" ]
ok "a listener on 127.0.0.1:$P"
heard() { cat "$T/listen.count"; }
export AWS_MAX_ATTEMPTS=1

long=$(printf 'a%.0s' $(seq 1 64))
printf '%s\n' "localhost:$P/x#" "127.0.0.1:$P" "x@127.0.0.1:$P/" "localhost:$P" "127.0.0.1:$P#" "LOCALHOST:$P" \
	"localhost:$P?" "my_bucket" "UpperCase" "127.0.0.1" "10.0.0.1" "ab" "$long" "a..b" "-bucket" "bucket-" \
	".bucket" "bucket." "bucket/x" "bucket name" "%6cocalhost" "b%2ecom" "bücket" "xn--bucket" "sthree-bucket" \
	"amzn-s3-demo-bucket" "bucket-s3alias" "bucket--ol-s3" "bucket.mrap" "bucket--x-s3" "bucket--table-s3" \
	"bu\\cket" "b'ucket" >"$T/buckets"
nb=$(wc -l <"$T/buckets" | tr -d ' ')
# The notification shapes: S3's, CloudTrail's, S3's EventBridge event, each
# also in an SNS notification; for --lambda also an SNS event and an SQS batch.
JQ_NOTES='
def s3($b; $k): {Records: [{eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1",
	eventName: "ObjectCreated:Put", s3: {bucket: {name: $b}, object: {key: $k, size: 1}}}]};
def trail($b; $k): {s3Bucket: $b, s3ObjectKey: [$k]};
def eb($b; $k): {version: "0", id: "x", "detail-type": "Object Created", source: "aws.s3", account: $a,
	time: "2024-03-01T10:00:00Z", region: "us-east-1", resources: [],
	detail: {version: "0", bucket: {name: $b}, object: {key: $k, size: 1}, reason: "PutObject"}};
def sns($m): {Type: "Notification", MessageId: "sns-1", TopicArn: "arn:aws:sns:us-east-1:000000000000:trail",
	Message: ($m | tojson)};
def sqsmsg($i; $m): {messageId: "m-\($i)", receiptHandle: "rh-\($i)", body: ($m | tojson), attributes: {},
	messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
	awsRegion: "us-east-1"};
def queued($b; $k): [s3($b; $k), trail($b; $k), eb($b; $k), sns(s3($b; $k)), sns(trail($b; $k))];
def invoked($b; $k): {s3: s3($b; $k), eb: eb($b; $k),
	sns: {Records: [s3($b; $k), trail($b; $k)] | map({EventSource: "aws:sns", EventVersion: "1.0",
		Sns: {Type: "Notification", MessageId: "sns-1", TopicArn: "arn:aws:sns:us-east-1:000000000000:t",
		      Message: tojson}})},
	sqs: {Records: [queued($b; $k) | to_entries[] | sqsmsg(.key; .value)]}};
'
# notes invoked|queued KEY: for each bucket name on stdin, lines "N SHAPE JSON"
notes() {
	jq -Rnr --arg k "$2" --arg a "$ACCT" "$JQ_NOTES"' [inputs] | to_entries[] | .key as $i | .value as $b
		| if "'"$1"'" == "invoked" then invoked($b; $k) | to_entries[] | "\($i) \(.key) \(.value | tojson)"
		  else queued($b; $k) | to_entries[] | "\($i) \(.key) \(.value | tojson)" end'
}
# note SHAPE BUCKET KEY: one notification (SHAPE: s3, trail or eb)
note() { printf '%s\n' "$2" | jq -Rnr --arg k "$3" --arg a "$ACCT" "$JQ_NOTES"' input as $b | '"$1"'($b; $k) | tojson'; }
key=AWSLogs/$ACCT/CloudTrail/us-east-1/2024/03/01/x.json.gz

# through --lambda: S3 direct, EventBridge direct, an SNS event, an SQS batch
rm -f "$T/l.db"*
notes invoked "$key" <"$T/buckets" >"$T/invoked"
while read -r i s body; do
	printf '%s' "$body" >"$T/b$i-$s.json"
	invoke "$T/b$i-$s.json" "b$i-$s" >/dev/null
	echo "b$i-$s"
done <"$T/invoked" >"$T/inv-ids"
lrun $((nb * 4))
is "$(heard)" 0 "--lambda: $nb bad bucket names in S3, EventBridge, SNS and SQS shapes: no connection to the listener"
curl -sSf "$RT/__results" >"$T/results"
bad=$(jq -Rr --slurpfile r "$T/results" '. as $id | [$r[0][] | select(.id == $id)] | last
	| select(if ($id | endswith("-sqs")) then (.body.batchItemFailures | length) != 5
		 else (.kind + " " + .errorType) != "error whodunnit.Rejected" end) | $id' "$T/inv-ids" | tr '\n' ' ')
is "$bad" "" "every such message is rejected (an error; each SQS message a batch failure)"
is "$(grep -c "is not a valid S3 bucket name" "$T/err")" "$((nb * 9))" "each named in a warning that says why" ||
	grep -v "is not a valid S3 bucket name" "$T/err" | head -n 10 | sed 's/^/#   /'
grep -q "'localhost:$P/x#' is not a valid S3 bucket name (not only lowercase" "$T/err" &&
	grep -q "'127.0.0.1' is not a valid S3 bucket name (formatted as an IP address)" "$T/err" &&
	grep -q "'xn--bucket' is not a valid S3 bucket name (a reserved prefix)" "$T/err" &&
	grep -q "'bucket-s3alias' is not a valid S3 bucket name (a reserved suffix)" "$T/err"
ok "host:port, IP address, reserved prefix and suffix, each told apart" || sed 's/^/#   /' "$T/err" | head -n 5

# through --sqs: S3, CloudTrail's, S3's EventBridge event, and SNS in SQS
q=$(mkq buckets)
notes queued "$key" <"$T/buckets" | while read -r i s body; do
	printf '%s' "$body" | curl -sSf -X POST --data-binary @- "$SQS/__send?queue=buckets" >/dev/null
done
timeout 300 wdn-record --sqs "$q" --store "$T/q2.db" --max-messages $((nb * 5)) >"$T/out" 2>"$T/err"
is "$?" 3 "--sqs: $((nb * 5)) messages naming bad buckets: exit 3"
is "$(heard)" 0 "no connection to the listener"
is "$(grep -c "is not a valid S3 bucket name" "$T/err")" "$((nb * 5))" "each message rejected, named"
is "$(state buckets | jq '.messages | length')" "$((nb * 5))" "and left for the dead-letter queue, as other rejected messages"

# keys: with the listener as the S3 endpoint, a good name would reach it
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$P"
rm -f "$T/l.db"*
: >"$T/inv-ids"
long=$(printf 'k%.0s' $(seq 1 1025))
j=0
for k in "" "a%00b" "a%0Ab" "%0d%0aHost: x" "a%7Fb" "%ff%fe" "%c3%28" "a%zzb" "a%4" "%" "$long" "a%e2%80b"; do
	j=$((j + 1))
	note s3 org-trail "$k" >"$T/k$j.json"
	invoke "$T/k$j.json" "k$j" >/dev/null
	echo "k$j" >>"$T/inv-ids"
done
for k in "" "a$(printf '\001')b" "line
feed" "$long" "a$(printf '\177')b" "tab$(printf '\t')"; do
	j=$((j + 1))
	for s in trail eb; do
		note $s org-trail "$k" >"$T/k$j-$s.json"
		invoke "$T/k$j-$s.json" "k$j-$s" >/dev/null
		echo "k$j-$s" >>"$T/inv-ids"
	done
done
nk=$(wc -l <"$T/inv-ids" | tr -d ' ')
lrun "$nk"
is "$(heard)" 0 "$nk bad object keys (empty, NUL, control bytes, not UTF-8, bad %-escapes, 1025 bytes): no request"
curl -sSf "$RT/__results" >"$T/results"
bad=$(jq -Rr --slurpfile r "$T/results" '. as $id | [$r[0][] | select(.id == $id)] | last
	| select((.kind + " " + .errorType) != "error whodunnit.Rejected") | $id' "$T/inv-ids" | tr '\n' ' ')
is "$bad" "" "each rejected"
# and the harness hears what it should: good names do reach it
printf '%s\n' org-trail my.trail-bucket.2024 abc "$(printf 'a%.0s' $(seq 1 63))" >"$T/good-buckets"
j=0
while IFS= read -r b; do
	j=$((j + 1))
	note s3 "$b" "$key" >"$T/g$j.json"
	invoke "$T/g$j.json" "g$j" >/dev/null
done <"$T/good-buckets"
lrun "$j"
[ "$(heard)" -ge "$j" ]
ok "while good names (dots, hyphens, 3 and 63 characters) do reach S3 (the listener heard $(heard))"
grep -q "is not a valid S3 bucket name" "$T/err"
[ $? -ne 0 ]
ok "and are not called invalid" || grep "is not a valid" "$T/err" | sed 's/^/#   /'

# ---- s3:// operands: a usage error, no request -------------------------------------
before=$(heard)
bad=
grep -v / "$T/buckets" >"$T/cli-buckets" # a slash ends the bucket of an s3:// URL
while IFS= read -r b; do
	wdn-record --store "$T/cli.db" "s3://$b/AWSLogs/" >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" -eq 2 ] && grep -q "is not a valid S3 bucket name" "$T/err" || bad="$bad [$b]:$rc"
	wdn-enrich --store "$T/cli.db" -o "s3://$b/out" "$FIX/seed-example.json" >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" -eq 2 ] && grep -q "is not a valid S3 bucket name" "$T/err" || bad="$bad enrich[$b]:$rc"
done <"$T/cli-buckets"
is "$bad" "" "wdn-record s3://BAD/ and wdn-enrich -o s3://BAD/: exit 2, saying why, for each of $(wc -l <"$T/cli-buckets" | tr -d ' ') names"
is "$(heard)" "$before" "and no request made"
wdn-record "s3://localhost:$P/" 2>&1 >/dev/null | grep -q "^usage: wdn-record"
ok "with the usage"
done_testing
