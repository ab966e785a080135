#!/bin/sh
# Checks the protocol peers themselves: start.sh starts them, requests signed
# right (by curl's --aws-sigv4 and by AWS's JavaScript presigner) get through
# to dynalite and s3rver, requests signed wrong are refused as AWS would
# refuse them, fault injection and the counters work, stop.sh stops them.
# Run from the project root (tests/cmd/t0400-peers.sh runs it).
. tests/cmd/lib.sh
. tests/peers/use.sh
if ! curl --help all 2>/dev/null | grep -q -- --aws-sigv4; then
	skip "curl with --aws-sigv4 (7.75 or later) is not installed"
	done_testing
	exit
fi
peers_up || { done_testing; exit; }
pass "start.sh starts dynalite, s3rver and a checking proxy in front of each"

EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# ddb OPERATION JSON [SECRET]: a DynamoDB call signed by curl; prints the
# HTTP status, the answer is in $T/body.
ddb() {
	curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:dynamodb" \
		--user "$AWS_ACCESS_KEY_ID:${3:-$AWS_SECRET_ACCESS_KEY}" \
		-H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: DynamoDB_20120810.$1" \
		--data "$2" "$AWS_ENDPOINT_URL_DYNAMODB/"
}
# s3 METHOD PATH [FILE [SECRET]]: an S3 call signed by curl, FILE the body.
# curl 7.88 does not send x-amz-content-sha256, which S3 wants: we add it.
s3() {
	if [ -n "${3:-}" ]; then
		set -- "$1" "$2" "$3" "${4:-$AWS_SECRET_ACCESS_KEY}" -T "$3" \
			-H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)"
	else
		set -- "$1" "$2" "" "${4:-$AWS_SECRET_ACCESS_KEY}" -H "x-amz-content-sha256: $EMPTY"
	fi
	m=$1 p=$2 s=$4
	shift 4
	curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
		--user "$AWS_ACCESS_KEY_ID:$s" -X "$m" "$@" "$AWS_ENDPOINT_URL_S3$p"
}
code() { sed -n 's/.*<Code>\([^<]*\)<\/Code>.*/\1/p' "$T/body"; }
presign() { node "$WDN_TOP/tests/peers/presign.js" "$@"; }

# Everything on loopback, every process running.
is "$(grep -c '=http://127\.0\.0\.1:[0-9][0-9]*$' "$PEERS/env")" 6 "every endpoint in DIR/env is on 127.0.0.1"
n=0
for p in $(cat "$PEERS/pids"); do kill -0 "$p" && n=$((n + 1)); done
is "$n" 4 "DIR/pids has the four processes, all running"

# DynamoDB through the proxy.
is "$(ddb ListTables '{}')" 200 "DynamoDB ListTables signed by curl gets through"
is "$(cat "$T/body")" '{"TableNames":[]}' "and dynalite answers it"
is "$(ddb CreateTable '{"TableName":"wdn-t","KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}')" 200 \
	"CreateTable, a larger signed body, too"
ddb ListTables '{}' >/dev/null
is "$(jq -c .TableNames "$T/body")" '["wdn-t"]' "the table is there"

# S3 through the proxy; a key that needs percent-encoding, once (S3 style).
printf 'who did it\n' >"$T/obj"
is "$(s3 PUT /wdn-bucket)" 200 "S3 CreateBucket gets through"
is "$(s3 PUT '/wdn-bucket/dir/a%20b.txt' "$T/obj")" 200 "PutObject, its key percent-encoded"
is "$(s3 GET '/wdn-bucket/dir/a%20b.txt')" 200 "GetObject"
is "$(cat "$T/body")" "who did it" "gets back what was put"
is "$(s3 GET '/wdn-bucket?list-type=2&prefix=dir%2F')" 200 "ListObjectsV2 with a prefix"
grep -q '<Key>dir/a b.txt</Key>' "$T/body"
ok "lists the key"
is "$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
	--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	-T "$T/obj" "$AWS_ENDPOINT_URL_S3/wdn-bucket/unsigned")" 200 "PutObject with UNSIGNED-PAYLOAD"

# Presigned URLs (the signature in the query), made by AWS's JavaScript signer.
url=$(presign s3 GET "$AWS_ENDPOINT_URL_S3/wdn-bucket/dir/a%20b.txt" 60)
is "$(curl -sS -o "$T/body" -w '%{http_code}' "$url")" 200 "a presigned GET gets through"
is "$(cat "$T/body")" "who did it" "and gets the object"
is "$(curl -sS -o "$T/body" -w '%{http_code}' "$(echo "$url" | sed 's/a%20b/a%20c/')")" 403 \
	"a presigned URL for another key is refused"
is "$(code)" SignatureDoesNotMatch "as SignatureDoesNotMatch"
url=$(presign s3 GET "$AWS_ENDPOINT_URL_S3/wdn-bucket/dir/a%20b.txt" 60 $(($(date +%s) - 3600)))
is "$(curl -sS -o "$T/body" -w '%{http_code}' "$url")" 403 "an expired presigned URL is refused"
is "$(code)" AccessDenied "as AccessDenied"

# Wrong signatures are refused the way AWS refuses them.
is "$(ddb ListTables '{}' wrongSecret)" 400 "DynamoDB: a request signed with the wrong secret is refused (400, as DynamoDB does)"
is "$(jq -r .__type "$T/body")" com.amazon.coral.service#InvalidSignatureException "as InvalidSignatureException"
jq -r .message "$T/body" | grep -q "^x-amz-target:DynamoDB_20120810.ListTables$"
ok "whose message shows the canonical request expected"
grep -q '^--- expected canonical request ---$' "$PEERS/proxy-dynamodb.log"
ok "which the proxy logs too"
is "$(s3 GET /wdn-bucket/dir/a%20b.txt "" wrongSecret)" 403 "S3: a request signed with the wrong secret is refused (403)"
is "$(code)" SignatureDoesNotMatch "as SignatureDoesNotMatch"
grep -q '<CanonicalRequest>GET' "$T/body"
ok "with the canonical request expected"
printf 'other\n' >"$T/other"
is "$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
	--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: $EMPTY" \
	-T "$T/other" "$AWS_ENDPOINT_URL_S3/wdn-bucket/x")" 400 "S3: a body that is not what x-amz-content-sha256 says is refused"
is "$(code)" XAmzContentSHA256Mismatch "as XAmzContentSHA256Mismatch"
is "$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:dynamodb" --user AKIDNOBODY:x \
	-H 'X-Amz-Target: DynamoDB_20120810.ListTables' --data '{}' "$AWS_ENDPOINT_URL_DYNAMODB/")" 400 \
	"an access key the proxy does not know is refused"
is "$(jq -r .__type "$T/body")" com.amazon.coral.service#UnrecognizedClientException "as UnrecognizedClientException"
is "$(curl -sS -o "$T/body" -w '%{http_code}' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
	--data '{}' "$AWS_ENDPOINT_URL_DYNAMODB/")" 400 "an unsigned request is refused"
is "$(jq -r .__type "$T/body")" com.amazon.coral.service#MissingAuthenticationTokenException "as MissingAuthenticationTokenException"
is "$(curl -sS -o "$T/body" -w '%{http_code}' --aws-sigv4 "aws:amz:us-west-2:dynamodb" \
	--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
	--data '{}' "$AWS_ENDPOINT_URL_DYNAMODB/")" 400 "a request scoped to another region is refused"

# Counters.
peers_reset dynamodb
ddb ListTables '{}' >/dev/null
ddb DescribeTable '{"TableName":"wdn-t"}' >/dev/null
ddb ListTables '{}' wrongSecret >/dev/null
is "$(peers_stats dynamodb -c)" \
	'{"requests":3,"byTarget":{"ListTables":2,"DescribeTable":1},"inFlight":0,"maxInFlight":1,"rejected":1,"injected":0}' \
	"/__stats counts requests, by operation, and the refused ones"
is "$(peers_stats s3 '.byTarget | [.CreateBucket, .PutObject, .GetObject, .ListObjectsV2] | @csv')" '1,3,5,1' \
	"the S3 proxy counts by S3 operation"
peers_reset s3
is "$(peers_stats s3 .requests)" 0 "/__reset zeroes them"

# Faults.
peers_faults dynamodb '{"rate":1.0,"kinds":["throttle"],"seed":1}'
ok "POST /__faults sets rate 1.0"
is "$(ddb ListTables '{}')" 400 "DynamoDB: every request is then throttled (400)"
is "$(cat "$T/body")" '{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}' \
	"as ThrottlingException"
peers_faults s3 '{"rate":1,"kinds":["throttle"]}'
is "$(s3 GET /wdn-bucket/unsigned)" 503 "S3: throttled as 503"
is "$(code)" SlowDown "SlowDown"
peers_faults dynamodb '{"rate":1,"kinds":["500"]}'
is "$(ddb ListTables '{}')" 500 "kind 500: InternalServerError"
peers_faults dynamodb '{"rate":1,"kinds":["503"]}'
is "$(ddb ListTables '{}')" 503 "kind 503: ServiceUnavailable"
peers_faults dynamodb '{"rate":1,"kinds":["drop"]}'
ddb ListTables '{}' >/dev/null 2>&1
is "$?" 52 "kind drop: the connection closes with no answer (curl exit 52)"
peers_faults dynamodb '{"rate":1,"kinds":["500"],"count":2}'
is "$(ddb ListTables '{}') $(ddb ListTables '{}') $(ddb ListTables '{}')" "500 500 200" "count 2: two faults, then none"
runs() { # 12 requests at rate 0.5 seed 7: their statuses
	peers_faults dynamodb '{"rate":0.5,"kinds":["throttle","500"],"seed":7}'
	seq 12 | while read -r _; do ddb ListTables '{}'; echo; done | tr '\n' ' '
}
a=$(runs) b=$(runs)
is "$a" "$b" "the same seed injects the same faults into the same requests"
case $a in *200*) case $a in *400* | *500*) true ;; *) false ;; esac ;; *) false ;; esac
ok "rate 0.5 lets some through and not others ($a)"
is "$(peers_stats dynamodb .injected)" "$((6 + $(echo "$a $b" | tr ' ' '\n' | grep -c '^[45]00$')))" "/__stats counts injected faults"
peers_faults dynamodb '{}'
is "$(curl -sS "$WDN_PROXY_DYNAMODB/__faults")" '{"rate":0,"kinds":["throttle"],"seed":0,"count":null,"ops":null}' \
	"POST /__faults {} turns them off"
is "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d '{"rate":2}' "$WDN_PROXY_DYNAMODB/__faults")" 400 \
	"bad fault settings are refused"

# stop.sh stops them all.
pids=$(cat "$PEERS/pids")
sh tests/peers/stop.sh "$PEERS"
n=0
for p in $pids; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
is "$n" 0 "stop.sh stops every process"
curl -s -o /dev/null "$WDN_PROXY_DYNAMODB/__stats"
is "$?" 7 "and nothing listens any more"
done_testing
