#!/bin/sh
# Hostile input to the reader (issue 12, items 5, 6, 15, 16).
# - An input not read whole (gzip cut in its header, its deflate body or
#   before its trailer; JSON cut in a string, after a comma, inside Records;
#   a last JSON line cut short) is an input failure: exit 1, nothing of it
#   recorded, no output or marker for it; once whole, a rerun records and
#   enriches every event. A bad record in the middle stays a rejection.
# - Only a first value makes an input a digest file; a digest-like record
#   later is one rejected record, and nothing after it is hidden.
# - A record of more than 65536 values and keys is rejected by file and line,
#   the rest of the input kept, and memory stays small.
# - Rejections found after parsing name the record's real line.
. tests/cmd/lib.sh
seed="$FIX/seed-example.json"
N=40

# N issuing events, each issuing its own key
jq -c --argjson n "$N" '
	def key($i): "ASIATRUNCATEDKEY" + ([65 + (($i / 676) | floor) % 26, 65 + (($i / 26) | floor) % 26,
		65 + $i % 26, 81] | implode);
	.Records[0] as $e | range($n) as $i | $e | .eventID = "trunc-\($i)" |
	.responseElements.credentials.accessKeyId = key($i)' "$seed" >"$T/trail.jsonl"
jq -r '.responseElements.credentials.accessKeyId' "$T/trail.jsonl" >"$T/keys"
jq -s '{Records: .}' "$T/trail.jsonl" >"$T/trail.json"
gzip -c "$T/trail.json" >"$T/trail.json.gz"
gzip -c "$T/trail.jsonl" >"$T/lines.jsonl.gz"

found() { # how many of the trail's keys the store knows
	# shellcheck disable=SC2046
	wdn-lookup -q --no-trails $(cat "$T/keys") | jq -r .Found | grep -c true
}
offset_of() { # offset_of FILE PATTERN [NTH]: byte offset of the NTH match of a fixed string
	grep -b -o -F -- "$2" "$1" | sed -n "${3:-1}p" | cut -d: -f1
}
size() { wc -c <"$1" | tr -d ' '; }
outputs() { # output files of a -o DIR, markers aside
	find "$1" -name '*.json.gz' ! -path '*/_whodunnit/*' 2>/dev/null | wc -l | tr -d ' '
}
markers() { find "$1/_whodunnit/done" -type f 2>/dev/null | wc -l | tr -d ' '; }

# --- truncation: cut WHOLE at OFFSET, then check record and enrich ----------
gz=$(size "$T/trail.json.gz") js=$(size "$T/trail.json") jl=$(size "$T/trail.jsonl")
str=$(offset_of "$T/trail.json" '"eventName": "AssumeRole"' 7)
comma=$(offset_of "$T/trail.json" '},' 3)
recs=$(offset_of "$T/trail.json" '"Records": [')
last=$(( jl - $(tail -n 1 "$T/trail.jsonl" | wc -c) ))
set -- \
	trail.json.gz 5 "gzip cut in its header" \
	trail.json.gz 20 "gzip cut early in its deflate body" \
	trail.json.gz $((gz / 2)) "gzip cut in the middle of its deflate body" \
	trail.json.gz $((gz - 8)) "gzip cut right before its trailer" \
	trail.json.gz $((gz - 1)) "gzip cut in its trailer" \
	lines.jsonl.gz $(($(size "$T/lines.jsonl.gz") - 3)) "gzip JSON lines cut in the trailer" \
	trail.json $((str + 17)) "JSON cut inside a string" \
	trail.json $((comma + 2)) "JSON cut after a comma" \
	trail.json $((recs + 13)) "JSON cut inside Records" \
	trail.json $((js - 3)) "JSON cut before its last brackets" \
	trail.jsonl $((jl - 2)) "JSON lines: the last line without its closing brace and newline" \
	trail.jsonl $((last + 100)) "JSON lines: the last line cut in its middle"
while [ $# -ge 3 ]; do
	whole=$1 at=$2 what=$3
	shift 3
	case $whole in *.gz) name=cut.json.gz ;; *) name=cut.json ;; esac
	head -c "$at" "$T/$whole" >"$T/$name"

	rm -f "$WDN_STORE"*
	wdn-record -q "$T/$name" 2>"$T/err"
	is "$?" 1 "$what: wdn-record exits 1"
	grep -q "'$T/$name'.*truncated" "$T/err"
	ok "$what: the failure names the input and says truncated" || sed 's/^/# /' "$T/err"
	is "$(found)" 0 "$what: nothing of the input is recorded"
	cp "$T/$whole" "$T/$name"
	wdn-record -q "$T/$name" 2>"$T/err"
	is "$?" 0 "$what: once whole, the rerun exits 0"
	is "$(found)" "$N" "$what: and records all $N issuances"

	head -c "$at" "$T/$whole" >"$T/$name"
	rm -rf "$T/o"
	wdn-enrich -q -o "$T/o" "$T/$name" 2>"$T/err"
	is "$?" 1 "$what: wdn-enrich -o exits 1"
	is "$(outputs "$T/o")/$(markers "$T/o")" 0/0 "$what: no output part and no marker for it"
	wdn-enrich -q "$T/$name" >"$T/out" 2>"$T/err"
	is "$?" 1 "$what: wdn-enrich to stdout exits 1"
	grep -q "truncated" "$T/err"
	ok "$what: and says the input is truncated" || sed 's/^/# /' "$T/err"
	cp "$T/$whole" "$T/$name"
	wdn-enrich -q -o "$T/o" "$T/$name" 2>"$T/err"
	is "$?" 0 "$what: once whole, wdn-enrich -o exits 0"
	is "$(find "$T/o" -name '*.json.gz' ! -path '*/_whodunnit/*' -exec zcat {} + | wc -l | tr -d ' ')" "$N" \
		"$what: and writes all $N events"
done

# several inputs: the cut one keeps nothing, the whole ones everything
jq -c '.Records[]' "$seed" >"$T/other.jsonl"
head -c $((gz / 2)) "$T/trail.json.gz" >"$T/cut.json.gz"
rm -f "$WDN_STORE"*
wdn-record -q "$T/other.jsonl" "$T/cut.json.gz" "$FIX/paths/iam-access-keys.json" 2>"$T/err"
is "$?" 1 "a cut input among whole ones: exit 1"
is "$(found)" 0 "the cut input recorded nothing"
wdn-lookup -q --no-trails ASIAY24FZZZZJJS7IPOU | jq -e .Found >/dev/null
ok "the input before it is recorded"
rm -rf "$T/o"
wdn-enrich -q -o "$T/o" "$T/other.jsonl" "$T/cut.json.gz" 2>"$T/err"
is "$?" 1 "wdn-enrich -o over a whole and a cut input: exit 1"
is "$(markers "$T/o")" 1 "only the whole input is marked done"

# stdin
rm -f "$WDN_STORE"*
head -c $((gz - 4)) "$T/trail.json.gz" | wdn-record -q - 2>"$T/err"
is "$?" 1 "a cut gzip on stdin: wdn-record exits 1"
is "$(found)" 0 "and records nothing of it"
head -c "$((last + 50))" "$T/trail.jsonl" | wdn-enrich -q >"$T/out" 2>"$T/err"
is "$?" 1 "cut JSON lines on stdin: wdn-enrich exits 1"
grep -q "'-'.*truncated" "$T/err"
ok "and names stdin as truncated" || sed 's/^/# /' "$T/err"

# a bad record in the middle is still only a rejection
{ head -n 5 "$T/trail.jsonl"; echo '{"eventName": "AssumeRole", "oops'; tail -n +6 "$T/trail.jsonl"; } >"$T/mid.jsonl"
rm -f "$WDN_STORE"*
wdn-record -q "$T/mid.jsonl" 2>"$T/err"
is "$?" 3 "a bad line in the middle: exit 3, not a failure"
is "$(found)" "$N" "and every other event is recorded"
grep -q "record 6 (line 6)" "$T/err"
ok "the bad line is named: record 6, line 6" || sed 's/^/# /' "$T/err"

# --- digests: only a first value makes one ----------------------------------
digest='{"awsAccountId":"607481580000","digestStartTime":"2021-07-03T22:00:00Z","digestEndTime":"2021-07-03T23:00:00Z","logFiles":[]}'
printf '%s\n' "$digest" >"$T/digest.json"
rm -f "$WDN_STORE"*
wdn-record -q "$T/digest.json" 2>"$T/err"
is "$?" 0 "a digest file: exit 0"
[ ! -s "$T/err" ]
ok "and no warning"
for pos in 2 20 $((N + 1)); do
	awk -v pos="$pos" -v d="$digest" 'NR == pos { print d } { print } END { if (pos > NR) print d }' \
		"$T/trail.jsonl" >"$T/dig.jsonl"
	rm -f "$WDN_STORE"*
	wdn-record -q "$T/dig.jsonl" 2>"$T/err"
	is "$?" 3 "a digest-like record at line $pos of $((N + 1)): exit 3"
	grep -q "record $pos (line $pos).*digest" "$T/err"
	ok "line $pos: the record is named by record and line" || sed 's/^/# /' "$T/err"
	is "$(found)" "$N" "line $pos: every event before and after it recorded"
	wdn-enrich -q "$T/dig.jsonl" 2>/dev/null | wc -l | tr -d ' ' >"$T/n"
	is "$(cat "$T/n")" "$N" "line $pos: wdn-enrich writes every event"
done
{ printf '%s\n' "$digest"; cat "$T/trail.jsonl"; } >"$T/dig1.jsonl"
rm -f "$WDN_STORE"*
wdn-record -q "$T/dig1.jsonl" 2>"$T/err"
is "$(found)" "$N" "a digest first: still, no event after it is hidden"
# the same class: a log file on a later line, and an event that also holds Records
{ head -n 1 "$T/trail.jsonl"; jq -c '{Records: [.]}' "$T/trail.jsonl" | sed -n 2,3p; tail -n +4 "$T/trail.jsonl"; } >"$T/recs.jsonl"
rm -f "$WDN_STORE"*
wdn-record -q "$T/recs.jsonl" 2>"$T/err"
is "$?:$(found)" "0:$N" "log files on later lines of JSON lines: every event recorded"
{ head -n 1 "$T/trail.jsonl"; sed -n 2p "$T/trail.jsonl" | jq -c '.Records = []'; tail -n +3 "$T/trail.jsonl"; } >"$T/er.jsonl"
wdn-record -q "$T/er.jsonl" 2>"$T/err"
is "$?" 3 "an event that also holds Records: exit 3"
grep -q "record 2 (line 2)" "$T/err"
ok "and it is named, record 2, line 2" || sed 's/^/# /' "$T/err"

# --- element bound: records of many values and keys -------------------------
ev=$(head -n 1 "$T/trail.jsonl")
big() { # big KIND COUNT: an issuing event whose requestParameters hold COUNT elements
	awk -v kind="$1" -v n="$2" -v id="big-$1-$2" 'BEGIN {
		printf "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::607481580000:user/big\",\"accountId\":\"607481580000\",\"accessKeyId\":\"AKIAYBIGBIGBIGBIGBIG\"},"
		printf "\"eventTime\":\"2021-07-03T23:00:00Z\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"GetSessionToken\",\"eventID\":\"%s\",\"recipientAccountId\":\"607481580000\",", id
		printf "\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIAYBIGBIGBIGBIGBIG\",\"expiration\":\"Jul 4, 2021, 11:00:00 AM\"}},\"requestParameters\":"
		if (kind == "array") { printf "["; for (i = 0; i < n; i++) printf "%s0", i ? "," : ""; printf "]" }
		else { printf "{"; for (i = 0; i < n; i++) printf "%s\"k%d\":0", i ? "," : "", i; printf "}" }
		print "}" }'
}
for c in "array 70000" "object 40000" "array 4000000"; do
	# shellcheck disable=SC2086
	{ printf '%s\n' "$ev"; big $c; tail -n +2 "$T/trail.jsonl"; } >"$T/big.jsonl"
	rm -f "$WDN_STORE"*
	/usr/bin/time -f '%M' -o "$T/rss" wdn-record -q "$T/big.jsonl" 2>"$T/err"
	is "$?" 3 "an event with a $c-element requestParameters: exit 3"
	grep -q "'$T/big.jsonl': record 2 (line 2): more than 65536 values and keys" "$T/err"
	ok "$c: rejected by file, record and line" || sed 's/^/# /' "$T/err"
	is "$(found)" "$N" "$c: every other event is recorded"
	rss=$(tail -n 1 "$T/rss")
	[ "$rss" -lt 100000 ]
	ok "$c: peak RSS ${rss} KB stays under 100 MB"
done
big array 60000 >"$T/fine.json"
wdn-record -q "$T/fine.json" 2>"$T/err"
is "$?" 0 "an event of 60000 elements is under the bound: recorded"

# --- line numbers of rejections found after parsing -------------------------
badtime() { jq -c '.eventTime = "not a time"'; }
for pos in 1 7 $N; do
	awk -v pos="$pos" 'NR == pos { print > "/dev/stderr"; next } { print }' "$T/trail.jsonl" \
		2>"$T/one" >"$T/rest"
	{ head -n $((pos - 1)) "$T/rest"; badtime <"$T/one"; tail -n +"$pos" "$T/rest"; } >"$T/bt.jsonl"
	rm -f "$WDN_STORE"*
	wdn-record -q "$T/bt.jsonl" 2>"$T/err"
	is "$?" 3 "an issuing event with a bad time at line $pos: exit 3"
	grep -q "record $pos (line $pos): eventTime" "$T/err"
	ok "wdn-record names record $pos, line $pos" || sed 's/^/# /' "$T/err"
	wdn-enrich -q "$T/bt.jsonl" >/dev/null 2>"$T/err"
	grep -q "record $pos (line $pos): eventTime" "$T/err"
	ok "wdn-enrich names record $pos, line $pos" || sed 's/^/# /' "$T/err"
done
# in a pretty log file, the line the event starts on
jq '.Records[4].eventTime = "not a time"' "$T/trail.json" >"$T/bt.json"
want=$(grep -n -F '"eventID": "trunc-4"' "$T/bt.json" | cut -d: -f1)
want=$(awk -v to="$want" 'NR < to && /^    \{$/ { l = NR } END { print l }' "$T/bt.json")
wdn-record -q "$T/bt.json" 2>"$T/err"
grep -q "record 5 (line $want): eventTime" "$T/err"
ok "a pretty log file: record 5 named at line $want, where it starts" || sed 's/^/# /' "$T/err"


# --- a bad record inside a one-line log file ---------------------------------
# A log file is one line {"Records":[...]}. A bad record in it (invalid JSON
# in a string, nested too deep, larger than the record cap) is one rejected
# record; the records after it are read. When the rest cannot be read, the
# input fails, saying how much was lost; never a silent drop.
ev1() { # ev1 ID: one compact issuing-free event
	printf '{"eventVersion":"1.08","eventTime":"2024-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"%s","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}' "$1"
}
deep() { i=0; while [ $i -lt 200 ]; do printf '['; i=$((i + 1)); done
	i=0; while [ $i -lt 200 ]; do printf ']'; i=$((i + 1)); done; }
badrec() { # badrec KIND ID
	case $1 in
	string) ev1 "$2" | sed 's/ListBuckets/List\tBuckets/' ;;
	deep) ev1 "$2" | sed "s/\"awsRegion\"/\"requestParameters\":{\"x\":$(deep)},&/" ;;
	big) ev1 "$2" | sed 's/"awsRegion"/"requestParameters":{"x":"BIGFILL"},&/' |
		awk '{ i = index($0, "BIGFILL"); printf "%s", substr($0, 1, i - 1);
			s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
			while (length(s) < 1048576) s = s s; for (k = 0; k < 9; k++) printf "%s", s;
			printf "%s", substr($0, i + 7) }' ;;
	esac
}
logfile() { # logfile KIND POS: 100 records on one line, record POS bad
	printf '{"Records":['
	i=1
	while [ $i -le 100 ]; do
		[ $i -gt 1 ] && printf ','
		if [ $i = "$2" ]; then badrec "$1" "bad$i"; else ev1 "e$i"; fi
		i=$((i + 1))
	done
	printf ']}\n'
}
for kind in string deep big; do
	case $kind in big) positions="1 50 100" ;; *) positions="1 2 50 100" ;; esac
	for pos in $positions; do
		logfile "$kind" "$pos" >"$T/one.json"
		gzip -c "$T/one.json" >"$T/one.json.gz"
		for f in one.json one.json.gz; do
			what="$f, record $pos of 100 $kind"
			rm -f "$WDN_STORE"*
			wdn-record "$T/$f" >"$T/out" 2>"$T/err"
			is "$?" 3 "$what: wdn-record exits 3 (one rejection)"
			grep -q "99 events" "$T/err"
			ok "$what: wdn-record reads the 99 other events" || sed 's/^/# /' "$T/err"
			wdn-enrich -q "$T/$f" >"$T/out" 2>"$T/err"
			is "$?" 3 "$what: wdn-enrich exits 3"
			is "$(grep -c '"eventID":"e' "$T/out")" 99 "$what: wdn-enrich writes the 99 other events"
			rm -rf "$T/o"
			wdn-enrich -q -o "$T/o" "$T/$f" 2>"$T/err"
			is "$?" 3 "$what: wdn-enrich -o exits 3"
			is "$(find "$T/o" -name '*.json.gz' ! -path '*/_whodunnit/*' -exec zcat {} + | grep -o '"eventID":"e' | wc -l | tr -d ' ')" 99 \
				"$what: wdn-enrich -o writes the 99 other events"
		done
	done
done
# a bad record whose end cannot be found: the input fails, saying what is lost
{ printf '{"Records":['; ev1 e1; printf ',{"eventVersion":"1.08","x":[[[{'; ev1 e3; printf ']}\n'; } >"$T/lost.json"
gzip -c "$T/lost.json" >"$T/lost.json.gz"
for f in lost.json lost.json.gz; do
	rm -f "$WDN_STORE"*
	wdn-record -q "$T/$f" 2>"$T/err"
	is "$?" 1 "$f: an unreadable rest: wdn-record exits 1"
	grep -q "record 2: .*the rest of the input ([0-9]* bytes) cannot be read" "$T/err"
	ok "$f: and says how much is lost" || sed 's/^/# /' "$T/err"
	rm -rf "$T/o"
	wdn-enrich -q -o "$T/o" "$T/$f" 2>"$T/err"
	is "$?" 1 "$f: wdn-enrich -o exits 1"
	is "$(markers "$T/o")" 0 "$f: and marks nothing done"
done

# --- an empty input is a copy in progress, not an empty log -----------------
mkdir -p "$T/in"
for f in empty.json.gz empty.json; do
	: >"$T/in/$f"
	rm -rf "$T/o"
	wdn-enrich -q -o "$T/o" "$T/in/$f" 2>"$T/err"
	is "$?" 1 "$f of zero bytes: wdn-enrich -o exits 1"
	is "$(markers "$T/o")" 0 "$f of zero bytes: no marker"
	grep -q "empty input" "$T/err"
	ok "$f of zero bytes: the failure says empty input" || sed 's/^/# /' "$T/err"
	wdn-record -q "$T/in/$f" 2>"$T/err"
	is "$?" 1 "$f of zero bytes: wdn-record exits 1"
	gzip -c "$T/trail.jsonl" >"$T/in/$f"
	wdn-enrich -q -o "$T/o" "$T/in/$f" 2>"$T/err"
	is "$?" 0 "$f once filled: wdn-enrich -o reads it"
	is "$(outputs "$T/o")/$(markers "$T/o")" "1/1" "$f once filled: its output and marker"
done
rm -f "$WDN_STORE"*
wdn-record -q </dev/null 2>"$T/err"
is "$?" 0 "an empty stdin is nothing to do: wdn-record </dev/null exits 0" || sed 's/^/# /' "$T/err"
wdn-enrich -q --record </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "an empty stdin: wdn-enrich --record exits 0" || sed 's/^/# /' "$T/err"
wdn-enrich -q </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "an empty stdin: wdn-enrich exits 0" || sed 's/^/# /' "$T/err"

# --- S3 inputs and Lambda deliveries (protocol peers) -------------------------
# A cut object read from S3 is the same failure; named by a notification to
# --lambda, its message fails and is delivered again. Last: peers_up takes the
# EXIT trap, and a skip here leaves the tests above as they were.
. tests/peers/use.sh
if peers_up; then
	. tests/cmd/live.sh
	s3put() { # s3put BUCKET KEY FILE
		curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)" \
			-T "$3" "$AWS_ENDPOINT_URL_S3/$1/$2" >/dev/null
	}
	s3keys() { # s3keys PREFIX: how many objects of cut-trail are under PREFIX
		curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
			"$AWS_ENDPOINT_URL_S3/cut-trail?list-type=2&prefix=$(echo "$1" | sed 's|/|%2F|g')" |
			grep -o '<Key>' | wc -l | tr -d ' '
	}
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		-X PUT "$AWS_ENDPOINT_URL_S3/cut-trail" >/dev/null
	ok "the bucket is created"
	key=AWSLogs/607481580000/CloudTrail/us-east-1/2021/07/03/607481580000_CloudTrail_us-east-1_cut.json.gz
	for at in 10 $((gz / 2)) $((gz - 2)); do
		head -c "$at" "$T/trail.json.gz" >"$T/s3cut.json.gz"
		s3put cut-trail "$key" "$T/s3cut.json.gz"
		rm -f "$WDN_STORE"*
		wdn-record -q "s3://cut-trail/$key" 2>"$T/err"
		is "$?:$(found)" "1:0" "an S3 object cut at $at of $gz: exit 1, nothing recorded" ||
			sed 's/^/# /' "$T/err"
		rm -rf "$T/so"
		wdn-enrich -q -o "$T/so" "s3://cut-trail/$key" 2>"$T/err"
		is "$?:$(outputs "$T/so")/$(markers "$T/so")" "1:0/0" "and wdn-enrich -o: exit 1, no part, no marker"
		wdn-enrich -q -o s3://cut-trail/enriched/ "s3://cut-trail/$key" 2>"$T/err"
		is "$?:$(s3keys enriched/)" "1:0" "and wdn-enrich -o s3://: exit 1, no object written, no marker"
	done
	# into DynamoDB: the cut input's items are never sent
	wdn-record -q --store dynamodb:cut --create-table </dev/null
	WDN_STORE=dynamodb:cut wdn-record -q "s3://cut-trail/$key" "$FIX/paths/iam-access-keys.json" 2>"$T/err"
	is "$?:$(WDN_STORE=dynamodb:cut found)" "1:0" "into DynamoDB: exit 1, nothing of the cut object recorded"
	s3put cut-trail "$key" "$T/trail.json.gz"
	WDN_STORE=dynamodb:cut wdn-record -q "s3://cut-trail/$key" 2>"$T/err"
	is "$?:$(WDN_STORE=dynamodb:cut found)" "0:$N" "into DynamoDB, the whole object: all $N recorded"
	wdn-record -q "s3://cut-trail/$key" 2>"$T/err"
	is "$?:$(found)" "0:$N" "the whole object: exit 0, all $N recorded"
	wdn-enrich -q -o "$T/so" "s3://cut-trail/$key" 2>"$T/err"
	is "$?:$(markers "$T/so")" "0:1" "and enriched and marked done"
	wdn-enrich -q -o s3://cut-trail/enriched/ "s3://cut-trail/$key" 2>"$T/err"
	is "$?:$(s3keys enriched/_whodunnit/done/)" "0:1" "and enriched to s3:// and marked done there"

	if stand_in rt "the Runtime API stand-in" lambda-runtime.js; then
		echo "$stand_in_pid" >>"$PEERS/pids" # stopped with the peers
		AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")"
		export AWS_LAMBDA_RUNTIME_API
		RT="http://$AWS_LAMBDA_RUNTIME_API"
		s3put cut-trail "$key" "$T/s3cut.json.gz"
		jq -cn --arg k "$key" '{Records: [{eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-east-1",
			eventTime: "2021-07-03T23:20:00.000Z", eventName: "ObjectCreated:Put",
			s3: {s3SchemaVersion: "1.0", bucket: {name: "cut-trail", arn: "arn:aws:s3:::cut-trail"},
			     object: {key: $k, size: 1024}}}]}' >"$T/note.json"
		curl -sSf -X POST --data-binary @"$T/note.json" "$RT/__invoke?id=cut" >/dev/null
		rm -f "$WDN_STORE"*
		timeout 120 wdn-record --lambda --max-messages 1 >/dev/null 2>"$T/err"
		is "$?" 1 "--lambda, a notification naming a cut object: exit 1"
		curl -sSf "$RT/__results" | jq -c '[.[] | select(.id == "cut")] | last' >"$T/answer"
		is "$(jq -r '[.kind, .errorType] | join(" ")' "$T/answer")" "error whodunnit.Failed" \
			"answered as an error, to be delivered again" || sed 's/^/# /' "$T/answer"
		jq -r .body.errorMessage "$T/answer" | grep -q truncated
		ok "saying the object is truncated" || sed 's/^/# /' "$T/answer"
		s3put cut-trail "$key" "$T/trail.json.gz"
		curl -sSf -X POST --data-binary @"$T/note.json" "$RT/__invoke?id=again" >/dev/null
		timeout 120 wdn-record --lambda --max-messages 1 >/dev/null 2>"$T/err"
		is "$?" 0 "delivered again once the object is whole: exit 0"
		is "$(curl -sSf "$RT/__results" | jq -r '[.[] | select(.id == "again")] | last | .kind'):$(found)" \
			"response:$N" "answered as done, all $N recorded"
		# a payload cut short itself: an EventBridge event whose JSON ends early
		envelope <"$T/trail.json" | head -n 1 | head -c 300 >"$T/cutpayload.json"
		curl -sSf -X POST --data-binary @"$T/cutpayload.json" "$RT/__invoke?id=cutp" >/dev/null
		timeout 120 wdn-record --lambda --max-messages 1 >/dev/null 2>"$T/err"
		is "$?" 1 "--lambda, a payload cut short: exit 1"
		curl -sSf "$RT/__results" | jq -r '[.[] | select(.id == "cutp")] | last | .kind' >"$T/kind"
		is "$(cat "$T/kind")" error "answered as an error"
	fi
fi

done_testing
