#!/bin/sh
# Hostile data in ARNs, tags and store items: ARNs of every truncated or odd
# shape through every command, tag lists past the cap, key IDs that are no
# key IDs, and principals too long for a DynamoDB key. Nothing crashes, no
# ARN is read as another's, every bad record is rejected with a message
# naming its input and record while the rest is recorded, and both stores
# answer alike. Under make asan (WDN_SANITIZED) the same runs are checked
# for sanitizer reports.
. tests/cmd/lib.sh
A=111122223333

# ---- events, built with jq ------------------------------------------------
# assume KEY ROLE_ARN_JSON [CALLER_KEY [EVENT_NAME]]: an issuing event
assume() {
	jq -cn --arg key "$1" --argjson role "$2" --arg ck "${3:-AKIAQQQQQQQQQQQQBASE}" \
		--arg name "${4:-AssumeRole}" --arg a "$A" '{
		eventVersion: "1.08", eventSource: "sts.amazonaws.com", eventName: $name,
		eventTime: "2024-02-01T00:00:00Z", eventID: ("e-" + $key), awsRegion: "us-east-1",
		recipientAccountId: $a,
		userIdentity: { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":user/base"),
			accountId: $a, accessKeyId: $ck },
		requestParameters: { roleArn: $role, principalArn: $role, roleSessionName: "alice" },
		responseElements: { credentials: { accessKeyId: $key,
			expiration: "Jan 1, 2030, 12:00:00 AM" },
			assumedRoleUser: { arn: $role } } }'
}
# use KEY TYPE ARN_JSON: a use of KEY by that identity (a sighting)
use() {
	jq -cn --arg key "$1" --arg type "$2" --argjson arn "$3" --arg a "$A" '{
		eventVersion: "1.08", eventSource: "s3.amazonaws.com", eventName: "ListBuckets",
		eventTime: "2024-02-01T00:05:00Z", eventID: ("u-" + $key), awsRegion: "us-east-1",
		recipientAccountId: $a,
		userIdentity: { type: $type, arn: $arn, accountId: $a, accessKeyId: $key,
			sessionContext: { sessionIssuer: { type: "Role", arn: $arn } } } }'
}
# iam NAME REQUEST_JSON|@FILE [ACCOUNT]: an IAM call of the base user
iam() {
	case $2 in
	@*) cp "${2#@}" "$T/req" ;;
	*) printf '%s' "$2" >"$T/req" ;;
	esac
	jq -cn --arg name "$1" --slurpfile req "$T/req" --arg a "${3:-$A}" '$req[0] as $r | {
		eventVersion: "1.08", eventSource: "iam.amazonaws.com", eventName: $name,
		eventTime: "2024-01-01T00:00:00Z", eventID: ("i-" + $name + ($r | tostring | length | tostring)),
		awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":user/base"),
			accountId: $a, accessKeyId: "AKIAQQQQQQQQQQQQBASE" },
		requestParameters: $r }'
}
# no sanitizer report in FILE (the asan build prints one and aborts)
clean() {
	! grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error' "$1"
}
key() { printf 'ASIAQQQQQQQQ%08d' "$1"; }
long() { awk -v n="$1" -v c="${2:-a}" 'BEGIN { s = ""; for (i = 0; i < n; i++) s = s c; printf "%s", s }'; }

# ---- ARNs of every shape, through every command ---------------------------
# each shape (as JSON text) is a role assumed, a SAML role, and the ARN of
# users and roles seen using keys
{
	for s in '' 'arn' 'arn:' 'arn:aws' 'arn:aws:iam' 'arn:aws:iam:' 'arn:aws:iam::' \
		"arn:aws:iam::$A" "arn:aws:iam::$A:" "arn:aws:iam::$A:role" "arn:aws:iam::$A:role/" \
		"arn:aws:iam::$A:user" "arn:aws:iam::$A:user/" "arn:aws:iam::$A:user/a/" \
		'arn:aws:iam:::role/x' ':::::' 'arn::::::' 'arn:::::role/x' "arn:aws:iam::$A:root" \
		"arn:aws:iam::$A:x:user/ceo" "arn:aws:sts::$A:assumed-role/" "arn:aws:sts::$A:assumed-role/R" \
		"arn:aws:sts::$A:assumed-role//s" 'arn:aws:s3:::bucket/key/x' \
		"arn:aws:lambda:us-east-1:$A:function:f" "arn:aws:iam::$A:saml-provider/" \
		"arn:aws:iam::$A:oidc-provider/" "arn:aws:iam::$A:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_" \
		"arn:aws:iam::$A:role/AWSReservedSSO__" "arn:aws:iam::$A:role/x/" "arn:aws:iam::$A:federated-user/"; do
		printf '"%s"\n' "$s"
	done
	printf '"arn:aws:iam::%s:role/a\\u0000b"\n' "$A"
	printf '"arn:aws:iam::%s:\\u00e9/\\u00e9"\n' "$A"
	printf '"arn:aws:iam::%s:role/%s"\n' "$A" "$(long 3000)"
	printf '"arn:aws:iam::%s:role/%s"\n' "$A" "$(long 1900)"
	printf '"arn:%s"\n' "$(long 3000 a:)"
	printf '"arn:aws:iam::%s"\n' "$(long 2100 1)"
} >"$T/shapes"
i=0
while read -r s; do
	i=$((i + 1))
	assume "$(key "$i")" "$s"
	assume "$(key $((i + 1000)))" "$s" "" AssumeRoleWithSAML
	use "$(printf 'AKIAQQQQQQQQ%08d' "$i")" IAMUser "$s"
	use "$(key $((i + 2000)))" AssumedRole "$s"
done <"$T/shapes" >"$T/arns.jsonl"
nshapes=$i
# the tags a forged ARN must never pick up
iam CreateRole '{"roleName":"Admin","tags":[{"key":"Secret","value":"yes"}]}' >>"$T/arns.jsonl"
iam CreateRole '{"roleName":"a","tags":[{"key":"Secret","value":"yes"}]}' >>"$T/arns.jsonl"
iam TagUser '{"userName":"ceo","tags":[{"key":"Role","value":"CEO"}]}' >>"$T/arns.jsonl"
awk -v n="$nshapes" 'BEGIN { for (i = 1; i <= n; i++) { printf "ASIAQQQQQQQQ%08d\nASIAQQQQQQQQ%08d\nAKIAQQQQQQQQ%08d\nASIAQQQQQQQQ%08d\n", i, i + 1000, i, i + 2000 } }' >"$T/arn-keys"

wdn-record -q "$T/arns.jsonl" 2>"$T/err"
st=$?
{ [ "$st" -eq 0 ] || [ "$st" -eq 3 ]; } && clean "$T/err"
ok "wdn-record: $nshapes ARN shapes recorded or rejected (exit $st), no crash" || head -n 25 "$T/err" | sed 's/^/# /'
wdn-lookup --no-trails <"$T/arn-keys" >"$T/out" 2>"$T/err"
st=$?
{ [ "$st" -eq 0 ] || [ "$st" -eq 1 ]; } && clean "$T/err" && [ "$(jq -s length "$T/out")" -eq "$(wc -l <"$T/arn-keys")" ]
ok "wdn-lookup answers every key of every ARN shape (exit $st), no crash" || head -n 25 "$T/err" | sed 's/^/# /'
for c in wdn-chain wdn-tags; do
	$c <"$T/arn-keys" >"$T/out" 2>"$T/err"
	st=$?
	[ "$st" -eq 0 ] && clean "$T/err" && [ "$(jq -s length "$T/out")" -eq "$(wc -l <"$T/arn-keys")" ]
	ok "$c: an answer for each of $(wc -l <"$T/arn-keys" | tr -d ' ') keys, exit 0" || head -n 25 "$T/err" | sed 's/^/# /'
done
wdn-lookup --format text $(head -n 40 "$T/arn-keys") >"$T/out" 2>"$T/err"
st=$?
{ [ "$st" -eq 0 ] || [ "$st" -eq 1 ]; } && clean "$T/err"
ok "wdn-lookup --format text prints every shape (exit $st), no crash" || head -n 25 "$T/err" | sed 's/^/# /'
wdn-enrich -q "$T/arns.jsonl" >"$T/out" 2>"$T/err"
st=$?
{ [ "$st" -eq 0 ] || [ "$st" -eq 3 ]; } && clean "$T/err" && [ "$(jq -s length "$T/out")" -ge $((nshapes * 3)) ]
ok "wdn-enrich enriches the events of every shape (exit $st), no crash" || head -n 25 "$T/err" | sed 's/^/# /'

# a role ARN that ends at the account names no role: no tags, its own name
ans=$(wdn-lookup --no-trails "$(key 8)" | jq -c '[.Principal, .Tags]')
is "$ans" "[\"arn:aws:iam::$A\",{}]" "a role ARN ending at the account field: as logged, no role's tags"
# an extra field before user/ is not another account's user
ans=$(wdn-lookup --no-trails AKIAQQQQQQQQ00000020 | jq -c '[.Principal, .Tags, .Identity.Arn]')
is "$ans" "[\"arn:aws:iam::$A:x:user/ceo\",{},\"arn:aws:iam::$A:x:user/ceo\"]" \
	"a user ARN with an extra field: reported as logged, never rebuilt into user/ceo with ceo's tags"
# a NUL inside a name: rejected, never read as the name before it
nul=$(grep -n 'u0000b' "$T/shapes" | cut -d: -f1)
wdn-record -q "$T/arns.jsonl" 2>"$T/err"
grep -q "^wdn-record: '$T/arns.jsonl': record $(( (nul - 1) * 4 + 1 ))[ :(].*NUL" "$T/err"
ok "a role ARN holding \\u0000 is rejected, naming the input and the record" || grep NUL "$T/err" | head -3 | sed 's/^/# /'
ans=$(wdn-lookup --no-trails "$(key "$nul")" | jq -c '[.Found, .Tags]')
is "$ans" '[false,{}]' "and its key is not read as role/a's session (no Secret tag)"

# ---- tags: the cap, and duplicates in other cases -------------------------
# taglist N [OFFSET]: a JSON array of N tags
# taglist N [OFFSET [short]]: a JSON array of N tags (short: keys only, 18 bytes a tag)
taglist() { awk -v n="$1" -v o="${2:-0}" -v short="${3:-}" 'BEGIN { printf "["; for (i = 0; i < n; i++) if (short) printf "%s{\"key\":\"k%d\"}", i ? "," : "", i + o; else printf "%s{\"key\":\"k%d\",\"value\":\"v%d\"}", i ? "," : "", i + o, i; printf "]" }'; }
tagged() { # KEY N: an AssumeRole passing N session tags
	taglist "$2" >"$T/tl"
	assume "$1" "\"arn:aws:iam::$A:role/T\"" | jq -c --slurpfile t "$T/tl" '.requestParameters.tags = $t[0]'
}
# tagrole N [OFFSET [short]]: a TagRole of role T with N tags
tagrole() {
	{ printf '{"roleName":"T","tags":'; taglist "$@"; printf '}'; } >"$T/tr"
	iam TagRole "@$T/tr"
}
rm -f "$WDN_STORE"*
{
	tagged ASIAQQQQQQQQTAGS1000 1000
	tagged ASIAQQQQQQQQTAGS1001 1001
	tagged ASIAQQQQQQQQTAG10000 10000
	tagrole 1001 5000
	tagrole 1000 9000
	assume ASIAQQQQQQQQTAGSGOOD "\"arn:aws:iam::$A:role/T\""
} >"$T/tags.jsonl"
wdn-record -q "$T/tags.jsonl" 2>"$T/err"
is "$?" 3 "tag lists over the cap: exit 3"
is "$(grep -c "^wdn-record: '$T/tags.jsonl': record [234][ :(].*more than 1000 tags" "$T/err")" 3 \
	"each list over 1000 tags is rejected with a message naming the input and the record" || sed 's/^/# /' "$T/err"
ans=$(wdn-lookup --no-trails ASIAQQQQQQQQTAGS1000 | jq -c '[.Found, (.Tags | length), .Tags.k999]')
is "$ans" '[true,2000,"v999"]' "1000 session tags (the cap) over the role's 1000: all 2000 kept"
ans=$(wdn-lookup --no-trails ASIAQQQQQQQQTAGS1001 ASIAQQQQQQQQTAG10000 2>/dev/null | jq -c .Found)
is "$(echo $ans)" "false false" "1001 and 10000 session tags: the sessions are not recorded"
is "$(wdn-lookup --no-trails ASIAQQQQQQQQTAGSGOOD | jq -c '[.Found, (.Tags | length), .Tags.k5000]')" \
	'[true,1000,null]' "the rest of the input is recorded; the TagRole over the cap left no tag"

# 250 000 tags in one 4.4 MB event: rejected at once, the next event recorded.
# (Under the sanitizers 10 000: yajl's tree grows an array one element at a
# time, and ASan's realloc, which always copies, makes that quadratic.)
many=250000
[ -n "${WDN_SANITIZED:-}" ] && many=10000
{
	tagrole "$many" 0 short
	tagged ASIAQQQQQQQQTAGS0010 10
} >"$T/huge.jsonl"
start=$(date +%s)
timeout 60 wdn-record -q "$T/huge.jsonl" 2>"$T/err"
st=$?
took=$(($(date +%s) - start))
is "$st" 3 "$many tags in one event: the record rejected, exit 3 (took ${took}s)"
[ "$took" -le 30 ]
ok "and quickly (${took}s; it took minutes when tag sets were scanned)"
is "$(wdn-lookup --no-trails ASIAQQQQQQQQTAGS0010 | jq -c '.Tags | length')" 1010 "the event after it is recorded"

# duplicate keys in other cases: one key, the first case, the last value
rm -f "$WDN_STORE"*
dups='[{"key":"Team","value":"a"},{"key":"TEAM","value":"b"},{"key":"env","value":"1"},{"key":"x0","value":"0"},{"key":"x1","value":"1"},{"key":"x2","value":"2"},{"key":"x3","value":"3"},{"key":"x4","value":"4"},{"key":"x5","value":"5"},{"key":"x6","value":"6"},{"key":"ENV","value":"2"},{"key":"team","value":"c"},{"key":"X6","value":"six"}]'
{
	iam CreateRole '{"roleName":"D","tags":[{"key":"Owner","value":"ops"},{"key":"TEAM","value":"role"}]}'
	assume ASIAQQQQQQQQDUPCASE "\"arn:aws:iam::$A:role/D\"" | jq -c --argjson t "$dups" '.requestParameters.tags = $t'
} >"$T/dups.jsonl"
wdn-record -q "$T/dups.jsonl"
is "$(wdn-lookup --no-trails ASIAQQQQQQQQDUPCASE | jq -c .Tags)" \
	'{"Owner":"ops","TEAM":"c","env":"2","x0":"0","x1":"1","x2":"2","x3":"3","x4":"4","x5":"5","x6":"six"}' \
	"keys in other cases are one key: the role's case kept, the session's last value wins"

# ---- key IDs ----------------------------------------------------------------
rm -f "$WDN_STORE"*
{
	use "$(long 200 A)" IAMUser "\"arn:aws:iam::$A:user/long\""
	use "ASIAQQQQQQQQQQQQ$(long 120 Z)" IAMUser "\"arn:aws:iam::$A:user/toolong\""
	use 'AKIA****************' IAMUser "\"arn:aws:iam::$A:user/masked\""
	iam UpdateAccessKey "{\"accessKeyId\":\"AKIA$(long 300 B)\",\"status\":\"Inactive\"}"
	assume ASIAQQQQQQQQGOODKEY1 "\"arn:aws:iam::$A:role/R\"" "AKIA$(long 140 C)"
	use AKIAQQQQQQQQGOODKEY2 IAMUser "\"arn:aws:iam::$A:user/good\""
} >"$T/keys.jsonl"
wdn-record -q "$T/keys.jsonl" 2>"$T/err"
is "$?" 3 "key IDs longer than 128 characters: exit 3"
is "$(grep -c "^wdn-record: '$T/keys.jsonl': record [1245][ :(].*not .*access key ID" "$T/err")" 4 \
	"each record with one is rejected, naming input and record" || sed 's/^/# /' "$T/err"
q="SELECT COUNT(*) FROM sighting WHERE length(key_id) > 128 OR key_id GLOB '*[*]*';"
q="$q SELECT COUNT(*) FROM change WHERE length(subject) > 140; SELECT COUNT(*) FROM issuance"
is "$(sqlite3 "$WDN_STORE" "$q")" \
	"$(printf '0\n0\n0')" "none reaches the store; a masked sample key (AKIA****) records no sighting"
is "$(wdn-lookup --no-trails AKIAQQQQQQQQGOODKEY2 | jq -r .Principal)" "arn:aws:iam::$A:user/good" \
	"the good record beside them is recorded"

# ---- DynamoDB: no item past DynamoDB's limits fails a batch ---------------
. tests/peers/use.sh
peers_up || { done_testing; exit; }
wdn-record -q --store dynamodb:hostile --create-table </dev/null
p1500="arn:aws:iam::$A:role/$(long 1500 p)"
prov="arn:aws:iam::$A:saml-provider/$(long 2005 s)"
{
	for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
		assume "ASIAQQQQQQQQDDB000$(printf %02d $n)" "\"arn:aws:iam::$A:role/R$n\""
		use "ASIAQQQQQQQQDDB000$(printf %02d $n)" AssumedRole "\"arn:aws:iam::$A:role/R$n\""
	done
	use ASIAQQQQQQQQDDBLONG1 AssumedRole "\"$p1500\""
	use ASIAQQQQQQQQDDBLONG2 AssumedRole "\"arn:aws:iam::$A:role/$(long 3000 q)\""
	use "ASIAQQQQQQQQDDB$(long 200 K)" AssumedRole "\"arn:aws:iam::$A:role/K\""
	# a role name and an event ID that make its log's sort key too long
	iam TagRole "{\"roleName\":\"$(long 1990 n)\",\"tags\":[{\"key\":\"a\",\"value\":\"b\"}]}" |
		jq -c ".eventID = \"$(long 1500 e)\""
	assume ASIAQQQQQQQQDDBLONG3 "\"arn:aws:iam::$A:role/$(long 1990 n)\""
	# a SAML provider whose log's partition key would pass 2048 bytes
	iam TagSAMLProvider "{\"sAMLProviderArn\":\"$prov\",\"tags\":[{\"key\":\"c\",\"value\":\"d\"}]}"
	assume ASIAQQQQQQQQDDBLONG4 "\"arn:aws:iam::$A:role/S\"" "" AssumeRoleWithSAML |
		jq -c --arg p "$prov" '.requestParameters.principalArn = $p'
} >"$T/ddb.jsonl"
wdn-record -q --store dynamodb:hostile "$T/ddb.jsonl" 2>"$T/err-d"
is "$?" 3 "DynamoDB: a batch with an over-long principal and key ID exits 3, not 1" || sed 's/^/# /' "$T/err-d" | cut -c1-300
wdn-record -q --store "$T/s.db" "$T/ddb.jsonl" 2>"$T/err-s"
is "$?" 3 "SQLite: the same batch exits 3"
sed "s|$T/s.db|STORE|" "$T/err-s" >"$T/err-s2"
sed 's|dynamodb:hostile|STORE|' "$T/err-d" >"$T/err-d2"
grep record "$T/err-s2" >"$T/rej-s"
grep record "$T/err-d2" >"$T/rej-d"
test_cmp "$T/rej-s" "$T/rej-d" && [ "$(wc -l <"$T/rej-s")" -eq 2 ]
ok "both reject the same two records with the same messages" || diff "$T/err-s2" "$T/err-d2" | cut -c1-200 | sed 's/^/# /'
{ for n in 01 02 03 04 05 06 07 08 09 10 11 12; do echo "ASIAQQQQQQQQDDB000$n"; done
  echo ASIAQQQQQQQQDDBLONG1; echo ASIAQQQQQQQQDDBLONG2; echo ASIAQQQQQQQQDDBLONG3
  echo ASIAQQQQQQQQDDBLONG4; } >"$T/dkeys"
wdn-lookup --no-trails --store dynamodb:hostile <"$T/dkeys" >"$T/ld" 2>/dev/null
wdn-lookup --no-trails --store "$T/s.db" <"$T/dkeys" >"$T/ls" 2>/dev/null
test_cmp "$T/ld" "$T/ls"
ok "both stores give the same answers" || diff "$T/ls" "$T/ld" | cut -c1-300 | head -6 | sed 's/^/# /'
is "$(jq -r 'select(.Found) | .AccessKeyId' "$T/ld" | wc -l | tr -d ' ')" 15 \
	"the 12 good keys, the 1500-byte principal, the long role name and provider are all recorded"
is "$(jq -r 'select(.AccessKeyId == "ASIAQQQQQQQQDDBLONG1") | .Principal' "$T/ld")" "$p1500" \
	"a 1500-byte principal is answered in full"
is "$(jq -c 'select(.AccessKeyId == "ASIAQQQQQQQQDDBLONG3") | .Tags' "$T/ld")" '{"a":"b"}' \
	"a role whose tag change has a 1500-byte event ID still has its tags"
is "$(jq -c 'select(.AccessKeyId == "ASIAQQQQQQQQDDBLONG4") | .Identity.ProviderTags' "$T/ld")" '{"c":"d"}' \
	"a provider whose log's partition key would pass 2048 bytes still has its tags"
done_testing
