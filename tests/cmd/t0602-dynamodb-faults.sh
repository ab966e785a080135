#!/bin/sh
# DynamoDB under faults: 10 000 issuances recorded while 30% of requests are
# throttled, fail, drop or come back half done land exactly once; kill -9 of wdn-record mid-run and
# a rerun give the same table as a clean run.
. tests/cmd/lib.sh
gen="$WDN_BUILD/tests/gentrail"
[ -x "$gen" ] || { skip "gentrail not built (make tools)"; done_testing; exit; }
. tests/peers/use.sh
peers_up || { done_testing; exit; }
admin=$(peers_admin dynamodb)
"$gen" -s 5 -n 5200 -f 2 -i 100 -o "$T/trail" --keys "$T/keys" 2>/dev/null
issued=$(wc -l <"$T/keys" | tr -d ' ')
[ "$issued" -ge 10000 ]
ok "the trail issues $issued keys"

# every item of a table, straight from dynalite (past the proxy), sorted
dump() {
	_start=
	while :; do
		_body="{\"TableName\":\"$1\"${_start:+,\"ExclusiveStartKey\":$_start}}"
		curl -s -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.Scan' \
			-H "X-Amz-Date: $(date -u +%Y%m%dT%H%M%SZ)" \
			-H 'Authorization: AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x' \
			-d "$_body" "$WDN_PEER_DYNALITE/" >"$T/page"
		jq -e '.Items' "$T/page" >/dev/null || { echo "scan failed: $(head -c 300 "$T/page")" >&2; echo SCAN-FAILED; break; }
		jq -c '.Items[] | del(.ttl)' "$T/page"
		_start=$(jq -c '.LastEvaluatedKey // empty' "$T/page")
		[ -n "$_start" ] || break
	done | jq -cS . | sort
}

wdn-record -q --store dynamodb:clean --create-table "$T/trail"
is "$?" 0 "a clean run records into DynamoDB"
dump clean >"$T/clean"
! grep -q SCAN-FAILED "$T/clean" && [ "$(wc -l <"$T/clean")" -gt "$issued" ]
ok "the clean table can be read back whole ($(wc -l <"$T/clean" | tr -d ' ') items)"
# one key item per key ID issued; other items only for the copies a
# cross-account AssumeRole logs in the role's account, when the caller's
# copy came later in the run
is "$(grep -c '"sk":{"S":"I"}' "$T/clean")" "$(sort -u "$T/keys" | wc -l | tr -d ' ')" "one key item per key ID issued"
side=$(find "$T/trail" -name '*.gz' -exec zcat {} + | jq '[.Records[] | select(.errorCode == null and .responseElements.credentials.accessKeyId != null and .userIdentity.type == "AWSAccount")] | length' | paste -sd+ | bc)
others=$(grep -c '"sk":{"S":"I#' "$T/clean")
[ "$others" -le "$side" ] && ! grep '"sk":{"S":"I#' "$T/clean" | grep -q '"caller_key"'
ok "$others items for other copies, of $side role-side copies, none naming a caller key"

curl -s -X POST "$admin/__reset" >/dev/null
curl -s -X POST -d '{"rate":0.3,"kinds":["throttle","throughput","500","503","drop","unprocessed"],"seed":99}' "$admin/__faults" >/dev/null
wdn-record -q --store dynamodb:faulty --create-table "$T/trail" 2>"$T/err"
st=$?
curl -s -X POST -d '{}' "$admin/__faults" >/dev/null
stats=$(curl -s "$admin/__stats")
is "$st" 0 "recording $issued issuances through 30% faults succeeds" || sed 's/^/# /' "$T/err" | head -3
[ "$(echo "$stats" | jq .injected)" -gt 50 ]
ok "faults injected: $(echo "$stats" | jq .injected) of $(echo "$stats" | jq .requests) requests"
dump faulty >"$T/faulty"
test_cmp "$T/clean" "$T/faulty"
ok "every item landed exactly once: the table equals the clean run's"

for delay in 0.5 1.5; do
	t=killed$(echo "$delay" | tr -d .)
	wdn-record -q --store "dynamodb:$t" --create-table </dev/null
	wdn-record -q --store "dynamodb:$t" "$T/trail" &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wdn-record -q --store "dynamodb:$t" "$T/trail"
	dump "$t" >"$T/$t"
	test_cmp "$T/clean" "$T/$t"
	ok "killed after ${delay}s, the rerun gives the clean run's table"
done
done_testing
