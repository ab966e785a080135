#!/bin/sh
# wdn-lookup --lambda, the lookup API, against the Lambda Runtime API
# stand-in: for every key of the fixtures, the direct payload
# {"AccessKeyId": K} and a function URL request GET /keys/K answer exactly
# the bytes wdn-lookup K prints; bulk payloads answer the array of them;
# malformed payloads get an error or a 4xx and the loop goes on.
. tests/cmd/lib.sh
if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	skip "node or curl not installed: no Lambda Runtime API stand-in"
	done_testing
	exit
fi

. tests/cmd/live.sh
trap 'kill "$stand_in_pid" 2>/dev/null; rm -rf "$T"' EXIT
stand_in rt "the Runtime API stand-in" lambda-runtime.js || { done_testing; exit; }
RT=http://127.0.0.1:$(cat "$T/rt.port")
AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")"
export AWS_LAMBDA_RUNTIME_API

# invoke ID < PAYLOAD: queue stdin's bytes as invocation ID
invoke() { curl -sSf -X POST --data-binary @- "$RT/__invoke?id=$1" >/dev/null; }
# result ID: the answer to invocation ID, {kind, body, errorType}
result() { curl -sSf "$RT/__results" | jq -c --arg id "$1" '[.[] | select(.id == $id)] | last'; }
# raw ID: the bytes of the answer's body as the runtime posted them
raw() { curl -sSf "$RT/__results" | jq -j --arg id "$1" '[.[] | select(.id == $id)] | last | .raw'; }
# serve N: wdn-lookup --lambda for N invocations
serve() { timeout 120 wdn-lookup --lambda --store "$T/s.db" --max-messages "$1" >"$T/out" 2>"$T/err"; }
# url KEY [QUERY-JSON]: a function URL request (payload format 2.0) for KEY
url() {
	jq -cn --arg k "$1" --argjson q "${2:-null}" '{version: "2.0", routeKey: "$default",
		rawPath: ("/keys/" + $k), rawQueryString: "", headers: {host: "x.lambda-url.us-east-1.on.aws"},
		requestContext: {http: {method: "GET", path: ("/keys/" + $k), protocol: "HTTP/1.1"}},
		isBase64Encoded: false} + (if $q then {queryStringParameters: $q} else {} end)'
}

inputs="$FIX/seed-example.json $(find "$FIX/paths" -name '*.json' | sort | tr '\n' ' ')"
# shellcheck disable=SC2086
wdn-record -q --store "$T/s.db" $inputs 2>/dev/null
keys=$(cat $inputs | jq -r '.. | objects | (.accessKeyId? // empty), (.credentials?.accessKeyId // empty)' |
	grep -E '^A[A-Z0-9]{15,}$' | sort -u)
keys="$keys AKIAQ3EGRIXZZZZZZZZZ ASIAY24FZZZZNOTTHERE"
nkeys=$(echo $keys | wc -w)
[ "$nkeys" -gt 10 ]
ok "$nkeys keys from the fixtures (and two the store has never seen)"

# ---- every key, in both payload styles ------------------------------------
n=0
for k in $keys; do
	n=$((n + 1))
	jq -cn --arg k "$k" '{AccessKeyId: $k}' | invoke "d$n"
	url "$k" | invoke "u$n"
done
serve $((n * 2))
is "$?" 0 "wdn-lookup --lambda answers $((n * 2)) invocations and exits 0" || sed 's/^/#   /' "$T/err"
bad=0
n=0
for k in $keys; do
	n=$((n + 1))
	wdn-lookup --store "$T/s.db" "$k" >"$T/want" 2>/dev/null
	code=200
	[ "$(jq -r .Found "$T/want")" = true ] || code=404
	printf '%s' "$(cat "$T/want")" >"$T/want.bytes"
	raw "d$n" >"$T/got.d"
	result "u$n" >"$T/got.u"
	if ! cmp -s "$T/want.bytes" "$T/got.d"; then
		bad=$((bad + 1)); echo "# direct $k:"; diff "$T/want.bytes" "$T/got.d" | head -4 | sed 's/^/#   /'
	fi
	# the function URL's body is the same text, as a string
	jq -j .body.body "$T/got.u" >"$T/got.ub"
	if ! cmp -s "$T/want.bytes" "$T/got.ub" || [ "$(jq -r .body.statusCode "$T/got.u")" != "$code" ] ||
		[ "$(jq -r '.body.headers["content-type"]' "$T/got.u")" != application/json ]; then
		bad=$((bad + 1)); echo "# url $k:"; jq -c '.body | del(.body)' "$T/got.u" | sed 's/^/#   /'
	fi
done
is "$bad" 0 "every answer is byte for byte what wdn-lookup prints (200 found, 404 not found)"

# the runtime posts the object itself, not a string holding it
result d1 | jq -e '.body | type == "object"' >/dev/null
ok "a direct answer is the JSON object"

# ---- options and bulk ------------------------------------------------------
at=2021-07-03T23:13:00Z
set -- $keys
jq -cn --arg k "$1" --arg at "$at" '{AccessKeyId: $k, At: $at, NoTrails: true, Descendants: true}' | invoke o1
url "$1" "{\"at\":\"$at\",\"trails\":\"0\",\"descendants\":\"1\"}" | invoke o2
printf '%s\n' $keys | jq -R . | jq -cs '{AccessKeyIds: .}' | invoke bulk
url "$1" '{"format":"markdown","descendants":"1"}' | invoke md
url "$1" '{"format":"dot"}' | invoke dot
serve 5
wdn-lookup --store "$T/s.db" --at "$at" --no-trails --descendants "$1" >"$T/want"
printf '%s' "$(cat "$T/want")" >"$T/want.bytes"
raw o1 >"$T/got"
test_cmp "$T/want.bytes" "$T/got"
ok "At, NoTrails and Descendants answer as --at, --no-trails and --descendants" || diff "$T/want.bytes" "$T/got" | sed 's/^/#   /' | head
result o2 | jq -j .body.body >"$T/got"
test_cmp "$T/want.bytes" "$T/got"
ok "?at=, trails=0 and descendants=1 likewise" || result o2 | sed 's/^/#   /'
# shellcheck disable=SC2086
wdn-lookup --store "$T/s.db" $keys | tr -d '\n' | sed 's/}{/},{/g; s/^/[/; s/$/]/' >"$T/want" 2>/dev/null
raw bulk >"$T/got"
test_cmp "$T/want" "$T/got"
ok "AccessKeyIds answers the array of what wdn-lookup KEY... prints" || { head -c 300 "$T/got"; echo; } | sed 's/^/#   /'
for f in markdown dot; do
	case $f in markdown) o=md ;; *) o=$f ;; esac
	d=; [ $f = markdown ] && d=--descendants
	# shellcheck disable=SC2086
	printf '%s' "$(wdn-lookup --store "$T/s.db" --format $f $d "$1")" >"$T/want"
	result $o | jq -j .body.body >"$T/got"
	printf '%s' "$(cat "$T/got")" >"$T/got.trim"
	test_cmp "$T/want" "$T/got.trim"
	ok "?format=$f answers what --format $f prints" || diff "$T/want" "$T/got.trim" | head -5 | sed 's/^/#   /'
	is "$(result $o | jq -r '.body.headers["content-type"]')" \
		"$([ $f = dot ] && echo 'text/vnd.graphviz; charset=utf-8' || echo 'text/markdown; charset=utf-8')" "with its content type"
done

# ---- malformed payloads: an error answer each, and the loop goes on --------
good=$1
i=0
bad_direct() { # PAYLOAD WHY
	i=$((i + 1))
	printf '%s' "$1" | invoke "bad$i"
	eval "why_$i=\$2"
}
bad_direct 'not json' "not JSON"
bad_direct '[1,2]' "an array"
bad_direct '"ASIA"' "a string"
bad_direct '{}' "no key"
bad_direct '{"AccessKeyId": 5}' "a number for a key"
bad_direct '{"AccessKeyId": "ASIA<script>"}' "not a key"
bad_direct "{\"AccessKeyId\": \"$good\", \"AccessKeyIds\": [\"$good\"]}" "both forms"
bad_direct "{\"AccessKeyId\": \"$good\", \"At\": \"yesterday\"}" "a bad time"
bad_direct "{\"AccessKeyId\": \"$good\", \"At\": 5}" "a number for a time"
bad_direct "{\"AccessKeyId\": \"$good\", \"NoTrails\": \"yes\"}" "a string for a flag"
bad_direct '{"AccessKeyIds": "ASIA"}' "a string for the bulk form"
bad_direct '{"AccessKeyIds": [1]}' "a number in the bulk form"
bad_direct "$(seq 1 1001 | sed "s/.*/\"$good\"/" | jq -cs '{AccessKeyIds: .}')" "1001 keys"
bad_direct "$(head -c 400000 /dev/zero | tr '\0' 'a' | jq -Rc '{AccessKeyId: .}')" "a 400 kB payload"
bad_direct "$(awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; }')" "100 000 open arrays"
nbad=$i
bad_http() { # PAYLOAD STATUS WHY
	i=$((i + 1))
	printf '%s' "$1" | invoke "bad$i"
	eval "why_$i=\$3; status_$i=\$2"
}
bad_http "$(url 'ASIA%0d%0a')" 400 "a bad key in the path"
bad_http "$(url "$good" | jq -c '.rawPath = "/users/x" | .requestContext.http.path = "/users/x"')" 400 "another path"
bad_http "$(url "$good" | jq -c '.rawPath = "/keys/" | .requestContext.http.path = "/keys/"')" 400 "no key in the path"
bad_http "$(url "$good" | jq -c ".rawPath = \"/keys/$good/x\"")" 400 "a path below the key"
bad_http "$(url "$good" '{"at":"soon"}')" 400 "a bad time"
bad_http "$(url "$good" '{"descendants":"yes"}')" 400 "a bad flag"
bad_http "$(url "$good" '{"format":"yaml"}')" 400 "an unknown format"
bad_http "$(url "$good" '{"evil":"1"}')" 400 "an unknown parameter"
bad_http "$(url "$good" | jq -c '.requestContext.http.method = "POST"')" 405 "a POST"
bad_http "$(url "$good" | jq -c '.requestContext.http.method = 7')" 405 "a method that is no string"
jq -cn --arg k "$good" '{AccessKeyId: $k}' | invoke last
serve $((i + 1))
is "$?" 0 "wdn-lookup --lambda serves $i malformed payloads and the next one"
j=0
while [ $j -lt $i ]; do
	j=$((j + 1))
	eval "why=\$why_$j"
	if [ $j -le $nbad ]; then
		is "$(result "bad$j" | jq -r '.kind + " " + .errorType')" "error whodunnit.BadRequest" "$why: an error answer"
	else
		eval "st=\$status_$j"
		is "$(result "bad$j" | jq -r '"\(.kind) \(.body.statusCode) \(.body.body | fromjson | has("Error"))"')" \
			"response $st true" "$why: HTTP $st with a JSON error"
	fi
done
result last | jq -e --arg k "$good" '.kind == "response" and .body.AccessKeyId == $k' >/dev/null
ok "and the next invocation is answered"

# ---- usage -----------------------------------------------------------------
wdn-lookup --lambda "$good" >/dev/null 2>&1
is "$?" 2 "--lambda with a KEY is a usage error"
wdn-lookup --lambda --at now >/dev/null 2>&1
is "$?" 2 "--lambda with --at is a usage error"
wdn-lookup --max-messages 1 "$good" >/dev/null 2>&1
is "$?" 2 "--max-messages without --lambda is a usage error"
env -u AWS_LAMBDA_RUNTIME_API wdn-lookup --lambda --store "$T/s.db" >/dev/null 2>"$T/err"
is "$?" 1 "--lambda outside Lambda fails"
done_testing
