#!/bin/sh
# Bad input is never fatal to good input: each hostile input gets a warning
# naming the input and the record, exit 3, and the good events beside it are
# still recorded. (make asan runs this under the sanitizers.)
. tests/cmd/lib.sh
seed="$FIX/seed-example.json"
# one good issuing event per file, so "recorded" is checkable by lookup
good=$(jq -c '.Records[0]' "$seed")          # issues ASIAY24FZZZZJJS7IPOU
good_key=ASIAY24FZZZZJJS7IPOU

check() { # check FILE WHAT: exit 3, a warning naming file and record, good event kept
	rm -f "$WDN_STORE"*
	wdn-record -q --reject "$T/rej" "$1" 2>"$T/err"
	is "$?" 3 "$2: exit 3"
	grep -q "^wdn-record: '$1': record [0-9]" "$T/err"
	ok "$2: the warning names the input and the record" || sed 's/^/# /' "$T/err"
	wdn-lookup -q --no-trails "$good_key" >/dev/null 2>&1
	ok "$2: the good event in the same input is recorded"
}

printf '%s\n{"eventName": "AssumeRole", "bad json\n' "$good" >"$T/badline.json"
check "$T/badline.json" "invalid JSON after a good line"
printf '{not json}\n%s\n' "$good" >"$T/badfirst.json"
check "$T/badfirst.json" "invalid JSON before a good line"
grep -q 'not json' "$T/rej"
ok "--reject keeps the rejected raw input"

{ printf '%s\n' "$good"; head -c 200000 /dev/zero | tr '\0' '['; echo; } >"$T/deep.json"
check "$T/deep.json" "nesting 200000 deep"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$T/deep2.json"
printf '%s\n' "$good" >>"$T/deep2.json"
check "$T/deep2.json" "a document nested 100000 deep"

{ printf '%s\n' "$good"; printf '{"eventName":"x\377\376y","eventSource":"sts.amazonaws.com"}\n'; } >"$T/utf8.json"
check "$T/utf8.json" "invalid UTF-8"

{ printf '%s\n' "$good"; printf '{"eventName":42,"eventSource":"sts.amazonaws.com","eventTime":"2021-07-03T23:12:09Z"}\n'; } >"$T/types.json"
check "$T/types.json" "a field of the wrong type"
{ printf '%s\n' "$good"; echo "$good" | jq -c '.responseElements.credentials.expiration = 5 | .responseElements.credentials.accessKeyId = "ASIAWRONGTYPE0000000" | .eventTime = [1]'; } >"$T/types2.json"
check "$T/types2.json" "an issuing event with a malformed time"

printf '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2021-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}},%s]}\n' "$good" >"$T/s3.json"
check "$T/s3.json" "an S3 event notification"
grep -q 'S3 event notification' "$T/err"
ok "the S3 notification is named as such"

{ printf '%s\n' "$good"; printf 'ab\0cd\n'; } >"$T/nul.json"
check "$T/nul.json" "NUL bytes"

{ printf '%s\n' "$good"; printf '{"eventName":"'; head -c 20000000 /dev/zero | tr '\0' a; printf '"}\n'; } >"$T/big.json"
check "$T/big.json" "a 20 MB string"

gzip -c "$seed" | head -c 900 >"$T/trunc.json.gz"
printf '%s\n' "$good" | gzip -c >"$T/good.json.gz"
cat "$T/good.json.gz" "$T/trunc.json.gz" >"$T/trunc2.json.gz"
# not a bad record but an input not read whole: exit 1, nothing of it kept
# (t0702-hostile-input.sh has the whole class)
rm -f "$WDN_STORE"*
wdn-record -q "$T/trunc2.json.gz" 2>"$T/err"
is "$?" 1 "a truncated gzip file: exit 1"
grep -q "'$T/trunc2.json.gz': truncated input" "$T/err"
ok "the truncation is named" || sed 's/^/# /' "$T/err"
wdn-lookup -q --no-trails "$good_key" | jq -e '.Found == false' >/dev/null
ok "and nothing of the input is recorded, not even its whole first member"

: >"$T/empty.json"
rm -f "$WDN_STORE"*
wdn-record -q "$T/empty.json" 2>"$T/err"
is "$?" 1 "an empty file is a copy in progress: a failure of that input"
grep -q "empty input" "$T/err"
ok "an empty file is named as an empty input" || sed 's/^/# /' "$T/err"

# the filters and wdn-lookup read objects from stdin: the same caps there
awk 'BEGIN { printf "{\"AccessKeyId\":"; for (i = 0; i < 300000; i++) printf "["; print "" }' >"$T/deep-line"
echo ASIATJVZAAAARRT5X7PR >>"$T/deep-line"
rm -f "$WDN_STORE"*
wdn-record -q "$seed"
for c in wdn-lookup wdn-chain wdn-tags; do
	$c <"$T/deep-line" >"$T/o" 2>"$T/e"
	is "$?" 3 "$c: a stdin line nested 300000 deep is rejected input (exit 3)"
	grep -q "line 1" "$T/e" && grep -q ASIATJVZAAAARRT5X7PR "$T/o"
	ok "$c: it names the line and answers the next"
done

# several bad inputs in one run: every good input still recorded
rm -f "$WDN_STORE"*
wdn-record -q "$T/badline.json" "$T/nul.json" "$seed" 2>/dev/null
is "$?" 3 "a run with some bad inputs exits 3"
is "$(wdn-lookup --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 "and the good input beside them is whole"
done_testing
