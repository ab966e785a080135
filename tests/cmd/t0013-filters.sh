#!/bin/sh
# wdn-chain and wdn-tags as filters (issue 3): one JSON object a line in, the
# same object a line out with the answer's members added. Each line
# is a bare key, an object with AccessKeyId or a CloudTrail event (its caller's
# key at its eventTime); the line passes through with members added;
# `wdn-chain | wdn-tags` is `wdn-lookup --no-trails` field for field; and the
# answer to a line comes out before the next line is read.
. tests/cmd/lib.sh
. tests/cmd/paths.sh
DEV=111122223333
R="arn:aws:iam::$DEV:role"
wdn-record -q "$FIX/seed-example.json" "$P"/*.json
is "$?" 0 "every path fixture and the seed example record into one store"

# ---- wdn-chain | wdn-tags is a lookup without trails ---------------------------
{ keys_of "$P"/*.json; keys_of "$FIX/seed-example.json"; echo ASIAY34FZKBOKMUTVV7A; } | sort -u >"$T/keys"
n=$(wc -l <"$T/keys" | tr -d ' ')
wdn-chain <"$T/keys" | wdn-tags | jq -S -c . >"$T/piped"
wdn-lookup --no-trails <"$T/keys" 2>/dev/null | jq -S -c . >"$T/lookup"
is "$(wc -l <"$T/piped" | tr -d ' ')" "$n" "wdn-chain | wdn-tags: one line out per key in ($n keys)"
diff "$T/lookup" "$T/piped" >"$T/diff"
ok "wdn-chain | wdn-tags equals wdn-lookup --no-trails field for field, for every key (jq -S)" || head -5 "$T/diff" | sed 's/^/# /'
is "$(jq -c 'keys_unsorted' "$T/piped" | sort -u | wc -l | tr -d ' ')" "$(jq -c 'keys_unsorted' "$T/lookup" | sort -u | wc -l | tr -d ' ')" \
	"the same shapes of answer both ways"
is "$(jq -r 'select(.KeyType == "long-term" and .Status != null) | .AccessKeyId' "$T/piped" | wc -l | tr -d ' ')" 5 \
	"the five long-term keys created in the fixtures, with their status history, are among them"

# each filter adds only its own members
K=ASIARTX3GSDSYOHBDL5J
is "$(echo $K | wdn-chain | jq -c 'keys')" '["AccessKeyId","AccountId","Complete","Coverage","End","Found","Identity","Inferred","Integrity","KeyType","Links","Principal","PrincipalChain","SessionName","Start"]' \
	"wdn-chain adds Principal, PrincipalChain, Identity, Complete, Links and the key's facts"
is "$(echo $K | wdn-tags | jq -c 'keys')" '["AccessKeyId","ChainTags","SourceIdentity","Tags","TransitiveTags"]' \
	"wdn-tags adds Tags, TransitiveTags, ChainTags, SourceIdentity"

# ---- objects pass through --------------------------------------------------------
echo "{\"ticket\":\"INC-7\",\"AccessKeyId\":\"$K\",\"Principal\":\"stale\",\"n\":[1,{\"a\":null}]}" | wdn-chain >"$T/out"
is "$(jq -c '[.ticket, .n, .Principal, .AccessKeyId]' "$T/out")" "[\"INC-7\",[1,{\"a\":null}],\"$R/Deploy\",\"$K\"]" \
	"an object passes through with its members; a stale Principal is replaced"
is "$(jq -c 'keys_unsorted[0:2]' "$T/out")" '["ticket","AccessKeyId"]' "the input's members keep their order"
is "$(jq -c '[keys_unsorted[] | select(. == "Principal")] | length' "$T/out")" 1 "no member twice"

# ---- CloudTrail events: the caller's key at the event's own time -----------------
jq -c '.Records[] | select((.userIdentity.accessKeyId? // "") != "")' "$P"/*.json >"$T/events"
m=$(wc -l <"$T/events" | tr -d ' ')
: >"$T/want"
while IFS= read -r e; do
	k=$(printf '%s\n' "$e" | jq -r .userIdentity.accessKeyId)
	t=$(printf '%s\n' "$e" | jq -r .eventTime)
	wdn-lookup --no-trails --at "$t" "$k" 2>/dev/null | jq -c 'del(.AccessKeyId)' >"$T/a1"
	printf '%s\n' "$e" | jq -S -c --slurpfile a "$T/a1" '. + $a[0]' >>"$T/want"
done <"$T/events"
wdn-chain <"$T/events" | wdn-tags | jq -S -c . >"$T/got"
diff "$T/want" "$T/got" >"$T/diff"
ok "each of $m events comes out whole, with the lookup of its caller's key at its eventTime added" || head -4 "$T/diff" | cut -c1-300 | sed 's/^/# /'

# a recycled key ID: which session an event belongs to depends on its time
e=$(ev "$P/sts-assumerole.json" AssumeRole 1)
{
	echo "$e" | jq -c '.eventID = "rc-1" | .eventTime = "2024-05-01T10:00:00Z" | .requestParameters.roleArn = "'$R'/Old" | .responseElements.credentials.expiration = "May 1, 2024, 11:00:00 AM" | .responseElements.credentials.accessKeyId = "ASIARTX3GSDSRECYC1ED"'
	echo "$e" | jq -c '.eventID = "rc-2" | .eventTime = "2024-05-02T10:00:00Z" | .requestParameters.roleArn = "'$R'/New" | .responseElements.credentials.expiration = "May 2, 2024, 11:00:00 AM" | .responseElements.credentials.accessKeyId = "ASIARTX3GSDSRECYC1ED"'
} >"$T/recycled.jsonl"
wdn-record -q "$T/recycled.jsonl"
u=$(ev "$P/sts-assumerole.json" GetCallerIdentity)
{
	echo "$u" | jq -c '.eventTime = "2024-05-01T10:30:00Z" | .userIdentity.accessKeyId = "ASIARTX3GSDSRECYC1ED"'
	echo "$u" | jq -c '.eventTime = "2024-05-02T10:30:00Z" | .userIdentity.accessKeyId = "ASIARTX3GSDSRECYC1ED"'
} | wdn-chain >"$T/out"
is "$(jq -c -s 'map(.Principal)' "$T/out")" "[\"$R/Old\",\"$R/New\"]" "a recycled key: each event gets the session in use at its eventTime"

# events made without a key pass through untouched
ev "$P/sts-service.json" AssumeRole 1 >"$T/svc"
wdn-chain <"$T/svc" >"$T/out"
is "$?" 0 "an AWS service's event (no key): exit 0"
is "$(jq -S -c . "$T/out")" "$(jq -S -c . "$T/svc")" "an AWS service's event passes through with nothing added"
ev "$P/sts-identity-center.json" GetRoleCredentials | wdn-tags | jq -c 'has("Tags")' >"$T/out"
is "$(cat "$T/out")" false "an event without a key: no tags added"

# ---- bad lines -------------------------------------------------------------------
printf '%s\nnot-a-key\n{"AccessKeyId":"nope"}\n{broken\n\n%s\n' $K ASIARTX3GSDS6D4BFJER | wdn-chain >"$T/out" 2>"$T/err"
is "$?" 3 "bad lines: exit 3"
is "$(jq -r .Principal "$T/out" | tr '\n' ' ')" "$R/Deploy $R/SAMLDeveloper " "bad lines: the good lines around them are answered, in order"
grep -q 'line 2' "$T/err" && grep -q 'line 3' "$T/err" && grep -q 'line 4' "$T/err"
ok "bad lines: each warning names its line"
WDN_STORE="$T/none.db" wdn-tags <"$T/keys" >"$T/out" 2>"$T/err"
is "$?" 1 "no store: exit 1"
is "$(wc -l <"$T/out" | tr -d ' ')" "$n" "no store: every line still passes through"

# ---- streaming: an answer per line before the next line is read ------------------
# stream CMD...: feed CMD one line, wait (5 s at most) for its answer, then the next
stream() {
	rm -f "$T/in" "$T/outf"
	mkfifo "$T/in" "$T/outf"
	"$@" <"$T/in" >"$T/outf" 2>/dev/null &
	pid=$!
	exec 3>"$T/in" 4<"$T/outf"
	got=""
	for line in "$K" "{\"AccessKeyId\":\"ASIARTX3GSDS6D4BFJER\"}" ASIARTX3GSDS2DATAAJW; do
		printf '%s\n' "$line" >&3
		# shellcheck disable=SC2016 # $l is the inner shell's
		a=$(timeout 5 sh -c 'IFS= read -r l && printf "%s\n" "$l"' <&4 | jq -r '.AccessKeyId // "none"')
		got="$got${a:-timeout} "
	done
	exec 3>&-
	wait $pid
	exec 4<&-
	is "$got" "$K ASIARTX3GSDS6D4BFJER ASIARTX3GSDS2DATAAJW " "$1 streams: each line's answer before the next line is written"
}
stream wdn-chain
stream wdn-tags
stream wdn-lookup --no-trails
done_testing
