#!/bin/sh
# Hostile review of the recorder's shortcut (round 4): an issuing or
# changing event of plain text (compact, no backslash, within 64 KB) is
# parsed by simdjson and stored as its own bytes, secrets redacted by a scan;
# any other by yajl, and stored serialized. Spelled plain, with escapes or
# with white space, every event must give the same store, in SQLite and in
# DynamoDB: secrets in every position, type and near name, names inside
# strings, duplicate members, UTF-8 and number edge cases, the depth cap at
# its boundary, sizes either side of the 64 KB switch, assumed-role ARNs of
# odd shapes and at the longest an ARN may be.
. tests/cmd/lib.sh
A=111122223333

require sqlite3 "to read the stores"

UI='"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02"}'
# ev N NAME REQUEST RESPONSE [MORE]: one compact event
ev() {
	printf '{"eventVersion":"1.08",%s,"eventTime":"2024-01-02T00:00:%02dZ","eventSource":"sts.amazonaws.com","eventName":"%s","requestParameters":%s,"responseElements":%s,"eventID":"ev-%s"%s,"recipientAccountId":"111122223333"}\n' \
		"$UI" "$1" "$2" "$3" "$4" "$1" "${5:-}"
}
cred() { # cred N [SECRET MEMBERS]: credentials issuing key ASIA...ISSUED<N>
	printf '{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED%02d","expiration":"Jan 2, 2024, 1:00:00 AM"%s}}' "$1" "${2:-}"
}
rep() { head -c "$2" /dev/zero | tr '\0' "$1"; }
nest() { # nest N: N arrays, one in another
	printf '%s' "$(rep '[' "$1")$(rep ']' "$1")"
}

{
	# secrets everywhere: top level, userIdentity, members event.c never
	# reads, every one of the four names, empty, and under near names
	ev 1 AssumeRole '{"roleArn":"arn:aws:iam::111122223333:role/Ops","roleSessionName":"s","secretAccessKey":"SECRET-RP","note":"sessionToken","k":"SessionToken:","sessionTokenX":"keep-1","xsessionToken":"keep-2","sessiontoken":"keep-3","SESSIONTOKEN":"keep-4","secretaccesskey":"keep-5","SessionTokens":"keep-6","sessionToken ":"keep-7","sessionToke":"keep-8"}' \
		"$(cred 1 ',"sessionToken":"","secretAccessKey":"SECRET-CRED","SecretAccessKey":"SECRET-CRED2","SessionToken":"SECRET-CRED3"')" \
		',"sessionToken":"SECRET-TOP","resources":[{"SessionToken":"SECRET-RES"},"sessionToken",{"a":{"secretAccessKey":"SECRET-DEEP"}}],"additionalEventData":{"sessionToken":"SECRET-AED","n":{"sessionToken":7,"SessionToken":null,"secretAccessKey":true,"SecretAccessKey":{},"x":{"sessionToken":{"sessionToken":"SECRET-NEST"}}}}'
	# a secret as the first and as the last member, and the only one
	ev 2 GetSessionToken '{"sessionToken":"SECRET-FIRST"}' "$(cred 2 ',"z":{"SecretAccessKey":"SECRET-LAST"}')" ',"z":{"sessionToken":"SECRET-ONLY"}'
	# a long secret (plain, under 64 KB) and a longer one (over: yajl's way)
	ev 3 GetSessionToken '{}' "$(cred 3 ",\"sessionToken\":\"SECRET-$(rep A 60000)\"")"
	ev 4 GetSessionToken '{}' "$(cred 4 ",\"sessionToken\":\"SECRET-$(rep B 70000)\"")"
	# UTF-8: U+2028, U+2029, U+FFFF, astral; then overlong and surrogate
	# bytes, which simdjson refuses and yajl takes
	ev 5 AssumeRole "$(printf '{"roleArn":"arn:aws:iam::111122223333:role/Ops","roleSessionName":"a\342\200\250b\342\200\251c\357\277\277d\360\237\230\200"}')" "$(cred 5 ',"sessionToken":"SECRET-U"')"
	ev 6 AssumeRole "$(printf '{"roleArn":"arn:aws:iam::111122223333:role/Ops","roleSessionName":"o\300\257v\355\240\200s"}')" "$(cred 6 ',"sessionToken":"SECRET-O"')"
	# numbers of every form, none of them ever a string
	ev 7 GetSessionToken '{"durationSeconds":-0,"a":1E400,"b":123456789012345678901234567890,"c":1.0e-400,"d":-9223372036854775809,"e":0.1e+1,"f":-0.0E-0}' "$(cred 7 ',"sessionToken":"SECRET-N"')"
	# duplicates: the rules read the first, every copy redacted
	ev 8 AssumeRole '{"roleArn":"arn:aws:iam::111122223333:role/First","roleArn":"arn:aws:iam::111122223333:role/Second"}' "$(cred 8 ',"sessionToken":"SECRET-D1","sessionToken":"SECRET-D2"')" \
		',"responseElements":{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED99","sessionToken":"SECRET-D3"}},"eventID":"ev-8-dup"'
	# the depth cap in a log file (two levels above the event): 96
	# levels (taken) and 97 (refused), either way
	ev 9 GetSessionToken "{\"x\":$(nest 92)}" "$(cred 9 ',"sessionToken":"SECRET-92"')"
	ev 10 GetSessionToken "{\"x\":$(nest 93)}" "$(cred 10 ',"sessionToken":"SECRET-93"')"
	# a change that issues too, its secret redacted
	ev 11 CreateAccessKey '{"userName":"erin"}' '{"accessKey":{"accessKeyId":"AKIAQQQQQQQQISSUED11","status":"Active","userName":"erin","secretAccessKey":"SECRET-CAK"}}'
	ev 12 TagRole '{"roleName":"Ops","tags":[{"key":"sessionToken","value":"v"},{"key":"k","value":"sessionToken"}]}' 'null' ',"sessionToken":"SECRET-TAG"'
} >"$T/events"
# sizes either side of the 64 KB switch: 65535, 65536 and 65537 bytes
for n in 65535 65536 65537; do
	e=$(ev 13 GetSessionToken '{"pad":"P"}' "$(cred $((n - 65500)) ',"sessionToken":"SECRET-SIZE"')")
	pad=$((n - ${#e}))
	ev 13 GetSessionToken "{\"pad\":\"P$(rep P "$pad")\"}" "$(cred $((n - 65500)) ',"sessionToken":"SECRET-SIZE"')" |
		tee -a "$T/events" | awk -v n="$n" 'length($0) != n { print "# wrong size: " length($0) " not " n }'
done
# the callers' assumed-role ARNs of odd shapes, and one of 2048 bytes
long="arn:aws:sts::$A:assumed-role/R$(rep r 2000)/s"
long="$long$(rep s $((2048 - ${#long})))"
i=50
for arn in "arn:aws:sts::$A:assumed-role//s" "arn:aws:sts::$A:assumed-role/Only" \
	"arn:aws:sts::$A:assumed-role/A/B/C" "arn:aws:sts:us-east-1:$A:assumed-role/P/q" "$long" "$long-"; do
	i=$((i + 1))
	printf '{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"%s","accountId":"%s","accessKeyId":"ASIAQQQQQQQQCALLER%02d"},"eventTime":"2024-01-02T00:01:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"s-%s"}\n' \
		"$arn" "$A" "$i" "$i"
done >>"$T/events"


log_file "$T/plain" <"$T/events"
sed 's|/|\\/|g' "$T/events" | log_file "$T/escaped"
sed 's/,"/, "/g; s/^{/{\t/' "$T/events" | log_file "$T/spaced"
for v in plain escaped spaced; do
	wdn-record -q --store "$T/$v.db" "$T/$v/" 2>"$T/$v.err"
	echo "$?" >"$T/$v.rc"
	store_dump "$T/$v.db" >"$T/$v.out"
done
is "$(cat "$T/plain.rc")" 3 "the plain spelling records, its bad records refused (exit 3)"
for v in escaped spaced; do
	is "$(cat "$T/$v.rc")" "$(cat "$T/plain.rc")" "the $v spelling exits as the plain one"
	cmp_ok "$T/$v.out" "$T/plain.out" "the $v spelling stores what the plain one does, byte for byte"
done
n=$(sqlite3 "$T/plain.db" 'select count(*) from issuance')
is "$n" 12 "every issuance recorded but one of bad UTF-8 and one nested too deep" ||
	sed "s/^.*json.gz.: /# /" "$T/plain.err" | cut -c1-150
if grep -q 'SECRET-' "$T/plain.out"; then
	fail "a secret in the store"
	grep -o '.\{60\}SECRET-.\{20\}' "$T/plain.out" | head -5 | sed 's/^/# /'
else
	pass "no secret stored: every position, name, size and duplicate"
fi
for k in 1 2 3 4 5 6 7 8; do
	printf 'keep-%s\n' "$k"
done >"$T/keep.want"
sqlite3 "$T/plain.db" "select event from issuance where key_id = 'ASIAQQQQQQQQISSUED01'" |
	grep -o '"keep-[0-9]"' | tr -d '"' >"$T/keep.got"
cmp_ok "$T/keep.got" "$T/keep.want" "near names (other case, longer, shorter, prefixed) kept as they are"
got=$(sqlite3 "$T/plain.db" "select principal || ' ' || event_id from issuance where key_id = 'ASIAQQQQQQQQISSUED08'")
is "$got" "arn:aws:iam::111122223333:role/First ev-8" "duplicates: the first member read, as yajl's tree has it"
got=$(sqlite3 "$T/plain.db" "select principal from sighting where key_id = 'ASIAQQQQQQQQCALLER55'")
is "$got" "arn:aws:iam::$A:role/R$(rep r 2000)" "an assumed-role ARN of 2048 bytes names its role, whole"
got=$(sqlite3 "$T/plain.db" "select count(*) from sighting where key_id = 'ASIAQQQQQQQQCALLER56'")
is "$got" 0 "one of 2049 bytes is refused, not cut to another principal"
got=$(sqlite3 "$T/plain.db" "select key_id || ' ' || principal from sighting where key_id between 'ASIAQQQQQQQQCALLER51' and 'ASIAQQQQQQQQCALLER54' order by key_id")
want="ASIAQQQQQQQQCALLER51 arn:aws:sts::$A:assumed-role//s
ASIAQQQQQQQQCALLER52 arn:aws:sts::$A:assumed-role/Only
ASIAQQQQQQQQCALLER53 arn:aws:iam::$A:role/A
ASIAQQQQQQQQCALLER54 arn:aws:iam::$A:role/P"
is "$got" "$want" "odd assumed-role shapes: no role, no session, a path, a region"

# wdn-enrich --record -j 2: the same events over several files, recorded
# (each thread its own parser and arena) before the enriching; the same store
i=0
while IFS= read -r line; do
	i=$((i + 1))
	d="$T/multi/AWSLogs/$A/CloudTrail/us-east-1/2024/01/02"
	mkdir -p "$d"
	printf '{"Records":[%s]}' "$line" | gzip >"$d/${A}_CloudTrail_us-east-1_20240102T00${i}Z_m$i.json.gz"
done <"$T/events"
wdn-enrich -q -j 2 --record --store "$T/multi.db" -o "$T/multi-out" "$T/multi/" 2>/dev/null
store_dump "$T/multi.db" >"$T/multi.out"
cmp_ok "$T/multi.out" "$T/plain.out" "wdn-enrich -j 2 --record stores what wdn-record does"

# as lines of JSON, each event its own document: the depth cap at the
# event's own 96 and 97 levels, where simdjson's parse takes the one and
# leaves the other to yajl's refusal
{
	cat "$T/events"
	ev 14 GetSessionToken "{\"x\":$(nest 94)}" "$(cred 14 ',"sessionToken":"SECRET-94"')"
	ev 15 GetSessionToken "{\"x\":$(nest 95)}" "$(cred 15 ',"sessionToken":"SECRET-95"')"
} >"$T/lines-plain.jsonl"
sed 's/,"/, "/g; s/^{/{\t/' "$T/lines-plain.jsonl" >"$T/lines-spaced.jsonl"
for v in plain spaced; do
	wdn-record -q --store "$T/lines-$v.db" "$T/lines-$v.jsonl" 2>"$T/lines-$v.err"
	echo "$?" >"$T/lines-$v.rc"
	store_dump "$T/lines-$v.db" >"$T/lines-$v.out"
done
is "$(cat "$T/lines-spaced.rc")" "$(cat "$T/lines-plain.rc")" "lines: both spellings exit alike"
cmp_ok "$T/lines-spaced.out" "$T/lines-plain.out" "lines: both spellings store the same, byte for byte"
got=$(sqlite3 "$T/lines-plain.db" "select count(*) from issuance where key_id in ('ASIAQQQQQQQQISSUED09', 'ASIAQQQQQQQQISSUED10', 'ASIAQQQQQQQQISSUED14', 'ASIAQQQQQQQQISSUED15')")
is "$got" 3 "lines: an event of 96 levels recorded, of 97 refused"
if grep -q 'SECRET-' "$T/lines-plain.out"; then
	fail "lines: a secret in the store"
else
	pass "lines: no secret stored"
fi

# "errorCode":null is no error, as the reader takes it (and as exports of
# CloudTrail Lake or Athena write every absent member): the issuance and
# the change are recorded, plain or spaced
for v in plain spaced; do
	{
		ev 16 AssumeRole '{"roleArn":"arn:aws:iam::111122223333:role/Ops"}' "$(cred 16 ',"sessionToken":"SECRET-NULL"')" ',"errorCode":null,"errorMessage":null'
		ev 17 CreateAccessKey '{"userName":"erin"}' '{"accessKey":{"accessKeyId":"AKIAQQQQQQQQISSUED17","status":"Active","userName":"erin"}}' ',"errorCode":null'
		ev 18 TagRole '{"roleName":"Ops","tags":[{"key":"a","value":"b"}]}' 'null' ',"errorCode":null'
	} >"$T/nullerr-$v.jsonl"
	[ "$v" = plain ] || sed -i 's/,"/, "/g' "$T/nullerr-$v.jsonl"
	wdn-record -q --store "$T/nullerr-$v.db" "$T/nullerr-$v.jsonl"
	got=$(sqlite3 "$T/nullerr-$v.db" "select key_id from issuance order by key_id; select subject || ' ' || kind from change order by subject, kind")
	is "$got" "AKIAQQQQQQQQISSUED17
ASIAQQQQQQQQISSUED16
key:AKIAQQQQQQQQISSUED17 status
tags:111122223333:role/Ops tag" "$v: a null errorCode hides no issuance and no change"
done

# sightings of equal prefixes: an ARN with a NUL after another's whole is
# refused, never taken for it; a longer name is its own principal
for arn in "arn:aws:iam::$A:user/eve" 'arn:aws:iam::111122223333:user/eve\u0000mallory' \
	"arn:aws:iam::$A:user/eve2" "arn:aws:iam::$A:user/ev"; do
	printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"%s","accountId":"%s","accessKeyId":"AKIAQQQQQQQQPREFIX01"},"eventTime":"2024-01-02T00:02:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets"}\n' "$arn" "$A"
done >"$T/prefix.jsonl"
wdn-record -q --store "$T/prefix.db" "$T/prefix.jsonl" 2>"$T/prefix.err"
is "$?" 3 "an ARN holding a NUL is refused (exit 3)"
got=$(sqlite3 "$T/prefix.db" "select principal from sighting order by principal")
is "$got" "arn:aws:iam::$A:user/ev
arn:aws:iam::$A:user/eve
arn:aws:iam::$A:user/eve2" "equal prefixes: each its own sighting, the NUL one none"

# an empty sessionIssuer ARN names no one: the sighting's principal is the
# role of the session's ARN, as the issuance's caller is (wdn_principal_of)
for iss in '' '"arn":"",' '"arn":null,'; do
	printf '{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::%s:assumed-role/Admin/s","accountId":"%s","accessKeyId":"ASIAQQQQQQQQEMPTYIS%d","sessionContext":{"sessionIssuer":{%s"type":"Role"}}},"eventTime":"2024-01-02T00:03:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets"}\n' \
		"$A" "$A" "${#iss}" "$iss"
done >"$T/emptyiss.jsonl"
wdn-record -q --store "$T/emptyiss.db" "$T/emptyiss.jsonl"
got=$(sqlite3 "$T/emptyiss.db" "select key_id || ' ' || principal from sighting order by key_id")
is "$got" "ASIAQQQQQQQQEMPTYIS0 arn:aws:iam::$A:role/Admin
ASIAQQQQQQQQEMPTYIS11 arn:aws:iam::$A:role/Admin
ASIAQQQQQQQQEMPTYIS9 arn:aws:iam::$A:role/Admin" "an empty or null sessionIssuer ARN: the session's role, not an empty principal"

# the same in DynamoDB: each spelling in a table of its own, every key's
# answer the same
. tests/peers/use.sh
if peers_up; then
	for v in plain spaced; do
		wdn-record -q --store "dynamodb:t$v" --create-table "$T/$v/" 2>/dev/null
		echo "$?" >"$T/ddb-$v.rc"
	done
	is "$(cat "$T/ddb-spaced.rc")" "$(cat "$T/ddb-plain.rc")" "DynamoDB: both spellings record alike"
	sqlite3 "$T/plain.db" 'select key_id from issuance union select key_id from sighting' >"$T/keys"
	for v in plain spaced; do
		wdn-lookup --store "dynamodb:t$v" --descendants <"$T/keys" >"$T/ddb-$v.out" 2>&1
	done
	grep -c '"Found":true' "$T/ddb-plain.out" >/dev/null
	ok "DynamoDB: keys found"
	jq -c 'del(.Links[]?.Source)' "$T/ddb-spaced.out" >"$T/ddb-spaced.ns"
	jq -c 'del(.Links[]?.Source)' "$T/ddb-plain.out" >"$T/ddb-plain.ns"
	cmp_ok "$T/ddb-spaced.ns" "$T/ddb-plain.ns" "DynamoDB: the same answers from either spelling (the file each was read from aside)"
	wdn-lookup --store "$T/plain.db" --descendants <"$T/keys" >"$T/sq-plain.out" 2>&1
	jq -c 'del(.Links[]?.Source)' "$T/sq-plain.out" >"$T/sq.ns"
	jq -c 'del(.Links[]?.Source)' "$T/ddb-plain.out" >"$T/ddb.ns"
	cmp_ok "$T/ddb.ns" "$T/sq.ns" "DynamoDB answers as SQLite does"
fi

done_testing
