#!/bin/sh
# Real delivered CloudTrail logs (invictus-ir, 55 files): every key issued in
# them looks up to the role it was issued for; every key only used in them
# looks up to the principal that used it.
. tests/cmd/lib.sh
have_testdata invictus-ir-aws_dataset/CloudTrail || { done_testing; exit; }
D="$WDN_TESTDATA/invictus-ir-aws_dataset/CloudTrail"

wdn-record -q "$D" 2>"$T/err"
is "$?" 0 "records all 55 files with no rejects"
want=$(cat "$D"/*.json | jq '.Records | length' | paste -sd+ | bc)
wdn-record "$D" 2>&1 >/dev/null | grep -q "55 inputs, $want events"
ok "reads every one of the $want events"

# issued keys -> the role (or user) they were issued for
cat "$D"/*.json | jq -r '.Records[] | select(.errorCode == null)
	| select(.responseElements.credentials.accessKeyId != null)
	| "\(.responseElements.credentials.accessKeyId) \(.requestParameters.roleArn)"' |
	sort -u >"$T/issued"
n=$(wc -l <"$T/issued")
[ "$n" -gt 30 ]
ok "the dataset issues $n keys"
cut -d' ' -f1 "$T/issued" | wdn-lookup --no-trails |
	jq -r '"\(.AccessKeyId) \(.Principal)"' | sort >"$T/got"
diff "$T/issued" "$T/got" >"$T/diff"
ok "every issued key looks up to the role it was issued for" || sed 's/^/# /' "$T/diff"

# keys only used -> the principal that used them (role ARN for sessions)
cat "$D"/*.json | jq -r '.Records[] | select((.userIdentity.accessKeyId // "") != "")
	| "\(.userIdentity.accessKeyId) \(.userIdentity.sessionContext.sessionIssuer.arn // .userIdentity.arn)"' |
	sort -u >"$T/used"
cut -d' ' -f1 "$T/issued" >"$T/issued-keys"
grep -v -F -f "$T/issued-keys" "$T/used" >"$T/used-only"
n=$(wc -l <"$T/used-only")
[ "$n" -gt 100 ]
ok "the dataset uses $n keys it does not issue"
cut -d' ' -f1 "$T/used-only" | wdn-lookup --no-trails |
	jq -r '"\(.AccessKeyId) \(.Principal)"' | sort >"$T/got"
diff "$T/used-only" "$T/got" >"$T/diff"
ok "every used-only key looks up to the principal that used it" || { sed "s/^/# /" "$T/diff" | head -20; }

# an IAM user's long-term key is a complete chain of one
k=$(cat "$D"/*.json | jq -r '.Records[] | select(.userIdentity.type == "IAMUser") | .userIdentity.accessKeyId' | grep '^AKIA' | head -1)
r=$(wdn-lookup --no-trails "$k" | jq -r '"\(.Complete) \(.Identity.Type) \(.KeyType)"')
is "$r" "true IAMUser long-term" "an IAM user's key $k is a complete chain rooted at the user"
done_testing
