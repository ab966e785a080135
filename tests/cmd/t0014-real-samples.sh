#!/bin/sh
# Real samples (issue 3): events others published, from ../shared/testdata
# (SOURCES.md gives each one's origin), and the principals and roots they
# imply. Each source skips visibly when it is absent. invictus-ir's delivered
# trails are covered by t0003.
. tests/cmd/lib.sh
. tests/cmd/paths.sh
D="$WDN_TESTDATA"

# ---- DataDog/stratus-red-team detonation logs (JSON arrays) ---------------------
if have_testdata datadog-stratus-red-team; then
	use_store stratus
	S="$D/datadog-stratus-red-team"
	wdn-record -q "$S"/*.json
	is "$?" 0 "stratus-red-team: every detonation log records"
	# sts-federation-token: a federated user rooted at the IAM user who asked
	ans ASIASTJKC5GCM7ZE6LUP
	field .Principal '"arn:aws:sts::742491224508:federated-user/stratus_red_team"' "stratus sts-federation-token: Principal is the federated user"
	field .PrincipalChain '["arn:aws:sts::742491224508:federated-user/stratus_red_team","arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user"]' \
		"stratus sts-federation-token: rooted at the IAM user"
	field '[.Identity.Type, .Identity.AccessKeyId, .Complete, .SessionName, .End]' '["IAMUser","AKIA6V1GNZTT65XQH36M",true,"stratus_red_team","2024-11-30T20:43:17Z"]' \
		"stratus sts-federation-token: the user's key, complete, twelve hours"
	is "$(jq -c '.[] | select(.userIdentity.accessKeyId == "ASIASTJKC5GCM7ZE6LUP")' "$S/aws.persistence.sts-federation-token.json" | head -1 | wdn-chain | jq -r .Principal)" \
		"arn:aws:sts::742491224508:federated-user/stratus_red_team" "stratus sts-federation-token: the federated user's own call leads back to it"
	# every key the detonations issue: the role, federated user or user it was issued for, rooted at the user who asked
	jq -r '.[] | select(.errorCode == null) | select((.responseElements.credentials.accessKeyId? // .responseElements.accessKey.accessKeyId?) != null)
		| [(.responseElements.credentials.accessKeyId? // .responseElements.accessKey.accessKeyId),
		   (.requestParameters.roleArn? // .responseElements.federatedUser.arn? // "arn:aws:iam::\(.recipientAccountId):user/\(.responseElements.accessKey.userName)"),
		   (if .eventName == "CreateAccessKey" then "arn:aws:iam::\(.recipientAccountId):user/\(.responseElements.accessKey.userName)" else .userIdentity.arn end)] | @tsv' "$S"/*.json |
		sort >"$T/want"
	cut -f1 "$T/want" | wdn-lookup --no-trails | jq -r '[.AccessKeyId, .Principal, .PrincipalChain[-1]] | @tsv' | sort >"$T/got"
	n=$(wc -l <"$T/want" | tr -d ' ')
	diff "$T/want" "$T/got" >"$T/diff"
	ok "stratus: each of the $n keys issued looks up to its principal, rooted at the user who asked" || sed 's/^/# /' "$T/diff"
	cut -f1 "$T/want" | wdn-lookup --no-trails | jq -c '[.Complete, .Identity.Type]' | sort -u >"$T/got"
	is "$(cat "$T/got")" '[true,"IAMUser"]' "stratus: all complete chains rooted at IAM users"
	ans AKIAXAFZN8JEPF6L682H
	field '[.Principal, .KeyType, .Status, .Start]' '["arn:aws:iam::229654561268:user/malicious-iam-user","long-term","Active","2024-08-01T13:33:28Z"]' \
		"stratus iam-create-admin-user: the backdoor key is the new user's, created at the event"
fi

# ---- AWS docs: AssumeRoot (IAM user guide, privileged tasks) ---------------------
if have_testdata aws-docs-web; then
	use_store assumeroot
	A="$D/aws-docs-web"
	wdn-record -q "$A/iam-ug.cloudtrail-track-privileged-tasks.AssumeRoot.json"
	is "$?" 0 "AssumeRoot docs event: records"
	ans ASIAIOSFODNN7EXAMPLE
	field .Principal '"arn:aws:iam::222222222222:root"' "AssumeRoot docs event: Principal is the target account's root"
	field .PrincipalChain '["arn:aws:iam::222222222222:root","arn:aws:iam::111111111111:role/JohnDoe"]' "AssumeRoot docs event: the chain continues to the calling role"
	field '[.AccountId, .End]' '["222222222222","2024-10-25T21:07:11Z"]' "AssumeRoot docs event: a root session of the member account, fifteen minutes"
	# the example reuses one key ID for the caller and the session: the walk must stop
	field .Complete false "AssumeRoot docs event: the caller's key is the session's own ID in the example; no cycle, incomplete"
	jq -c . "$A/iam-ug.cloudtrail-track-privileged-tasks.DeleteBucketPolicy-as-root-session.json" | wdn-chain >"$T/out"
	is "$(jq -r .Principal "$T/out")" "arn:aws:iam::222222222222:root" "the root session's DeleteBucketPolicy: made by the member account's root session"
fi

# ---- AWS docs: IAM user guide, CloudTrail integration ------------------------------
if have_testdata awsdocs-iam-user-guide; then
	use_store iamug
	I="$D/awsdocs-iam-user-guide"
	wdn-record -q "$I/cloudtrail-integration.02.json" "$I/cloudtrail-integration.03.json" "$I/cloudtrail-integration.04.json"
	is "$?" 0 "IAM user guide examples: record"
	# .02/.03: one cross-account AssumeRole, logged in both accounts
	ans AKIAQRSTUVWXYZEXAMPLE
	field '[.Principal, .PrincipalChain[-1], .SourceIdentity]' '["arn:aws:iam::111122223333:role/EC2-dev","arn:aws:iam::777788889999:user/JohnDoe","JohnDoe"]' \
		"IAM guide cross-account AssumeRole: the role, back to JohnDoe in the other account, with his SourceIdentity"
	# .04: role chaining with session tags, transitive keys and incoming transitive tags
	ans ASIAWHOJDLGPOEXAMPLE
	field '[.Principal, .PrincipalChain]' '["arn:aws:iam::111111111111:role/JohnRole2",["arn:aws:iam::111111111111:role/JohnRole2","arn:aws:iam::111111111111:role/JohnRole1"]]' \
		"IAM guide role chaining: JohnRole2 from a JohnRole1 session"
	field '[.Complete, .Identity.Type, .Identity.AccessKeyId]' '[false,"AssumedRole","AKIAI44QH8DHBEXAMPLE"]' "IAM guide role chaining: the first session is not in the sample, incomplete"
	field .Tags '{"CostCenter":"12345","Department":"Engineering","Email":"johndoe@example.com"}' "IAM guide role chaining: Tags are the session tags and the incoming transitive tag"
	field .TransitiveTags '["CostCenter","Department","Email"]' "IAM guide role chaining: TransitiveTags, inherited and passed"
	field .ChainTags '{"CostCenter":"12345","Department":"Engineering","Email":"johndoe@example.com"}' "IAM guide role chaining: ChainTags include the incoming transitive tag"
	field .SourceIdentity '"JohnDoe"' "IAM guide role chaining: SourceIdentity"
	# .06 (SAML) and .07 (OIDC) are invalid JSON as published
	for x in 06 07; do
		wdn-record -q "$I/cloudtrail-integration.$x.unparsed.txt" 2>"$T/err"
		is "$?" 3 "IAM guide .$x as published is invalid JSON: rejected, exit 3"
		grep -q "cloudtrail-integration.$x.unparsed.txt': record 1" "$T/err"
		ok "IAM guide .$x: the warning names the file and record"
	done
	# repaired (the missing commas put back), they show the federated shapes
	sed 's/"sourceIdentity": "MySAMLUser"$/"sourceIdentity": "MySAMLUser",/' "$I/cloudtrail-integration.06.unparsed.txt" >"$T/saml.json"
	sed -e 's/"roleSessionName": "MyAssignedRoleSessionName"$/&,/' "$I/cloudtrail-integration.07.unparsed.txt" |
		awk '{ if (prev ~ /^ *\],$/ && $0 ~ /^  },$/) sub(/\],$/, "]", prev); if (NR > 1) print prev; prev = $0 } END { print prev }' >"$T/oidc.json"
	wdn-record -q "$T/saml.json" "$T/oidc.json"
	is "$?" 0 "IAM guide .06 and .07, repaired: record"
	ans AKIAIOSFODNN7EXAMPLE
	field '[.Principal, .Identity.Type, .Identity.Subject]' '["arn:aws:iam::444455556666:role/SAMLTestRoleShibboleth","SAMLUser","SamlExample"]' "IAM guide SAML: the role, rooted at the SAML subject"
	field .Identity.Provider '"arn:aws:iam::444455556666:saml-provider/Shibboleth"' "IAM guide SAML: Identity.Provider is the provider ARN (principalArn), not the name qualifier"
	field '[.Tags, .TransitiveTags, .SourceIdentity]' '[{"CostCenter":"987654","Department":"Engineering","Project":"Unicorn"},["CostCenter","Project"],"MySAMLUser"]' \
		"IAM guide SAML: principal tags, transitive keys, SourceIdentity"
	ans ASIACQRSTUVWRAOEXAMPLE
	field '[.Principal, .PrincipalChain[-1]]' '["arn:aws:iam::444455556666:role/FederatedWebIdentityRole","accounts.google.com"]' "IAM guide OIDC: the role, rooted at the provider"
	field '[.Identity.Type, .Identity.Provider, .Identity.Subject, .Identity.Audience, .Complete]' \
		'["WebIdentityUser","accounts.google.com","<id of user>","<id of application>.apps.googleusercontent.com",true]' "IAM guide OIDC: Identity is the provider's user and the application"
	field '[.Tags, .TransitiveTags, .SourceIdentity]' '[{"CostCenter":"24680","Project":"Pegasus"},["CostCenter","Project"],"MyWebIdentityUser"]' \
		"IAM guide OIDC: principal tags, transitive keys, SourceIdentity"
fi

# ---- AWS docs: CloudTrail user guide examples ----------------------------------------
if have_testdata awsdocs-cloudtrail-user-guide; then
	use_store ctug
	wdn-record "$D/awsdocs-cloudtrail-user-guide"/*.json >/dev/null 2>"$T/err"
	is "$?" 3 "CloudTrail guide examples: fragments and non-events are rejected, the rest recorded"
	grep -q '0 issuances' "$T/err"
	ok "CloudTrail guide examples: sign-in and API examples issue no credentials"
	is "$(grep -c 'not a CloudTrail event' "$T/err")" 5 "CloudTrail guide examples: the five that are not events are named"
fi

# ---- opensearch-project/dashboards-observability: a real log file ---------------
if have_testdata opensearch-dashboards-observability; then
	use_store opensearch
	O="$D/opensearch-dashboards-observability/aws_cloudtrail.sample.Records.json"
	wdn-record -q "$O"
	is "$?" 0 "opensearch sample: records"
	jq -r '.Records[] | select(.errorCode == null and .responseElements.credentials.accessKeyId? != null)
		| [.responseElements.credentials.accessKeyId, .requestParameters.roleArn, .userIdentity.invokedBy] | @tsv' "$O" | sort -u >"$T/want"
	cut -f1 "$T/want" | wdn-lookup --no-trails | jq -r '[.AccessKeyId, .Principal, .Identity.Service] | @tsv' | sort >"$T/got"
	n=$(wc -l <"$T/want" | tr -d ' ')
	diff "$T/want" "$T/got" >"$T/diff"
	ok "opensearch: each of the $n keys AWS services took looks up to the role, rooted at that service" || head -5 "$T/diff" | sed 's/^/# /'
	cut -f1 "$T/want" | wdn-lookup --no-trails | jq -c '[.Complete, .Identity.Type, .PrincipalChain[-1] == .Identity.Service, (.PrincipalChain | length)]' | sort -u >"$T/got"
	is "$(cat "$T/got")" '[true,"AWSService",true,2]' "opensearch: complete chains of two, the role then the service"
	n=$(grep -c 'config.amazonaws.com' "$T/want")
	[ "$n" -gt 20 ]
	ok "opensearch: among them $n sessions of AWS Config's service-linked role"
	# keys used in the file whose issuing event is in it too
	jq -r '.Records[] | select(.userIdentity.type == "AssumedRole" and (.userIdentity.accessKeyId // "") != "") | [.userIdentity.accessKeyId, .userIdentity.sessionContext.sessionIssuer.arn] | @tsv' "$O" | sort -u >"$T/used"
	cut -f1 "$T/want" >"$T/issued"
	grep -F -f "$T/issued" "$T/used" >"$T/both"
	cut -f1 "$T/both" | wdn-lookup --no-trails | jq -r '[.AccessKeyId, .Principal] | @tsv' | sort >"$T/got"
	n=$(wc -l <"$T/both" | tr -d ' ')
	[ "$n" -gt 0 ] && cut -f1,2 "$T/both" | test_cmp - "$T/got"
	ok "opensearch: the $n keys both issued and used in the file name the role their calls name"
	# keys used whose issuing event is elsewhere: the role, incomplete
	grep -v -F -f "$T/issued" "$T/used" >"$T/only"
	cut -f1 "$T/only" | wdn-lookup --no-trails | jq -r '[.AccessKeyId, .Principal] | @tsv' | sort >"$T/got"
	n=$(wc -l <"$T/only" | tr -d ' ')
	[ "$n" -gt 0 ] && test_cmp "$T/only" "$T/got"
	ok "opensearch: the $n keys only used look up to the role that used them"
	is "$(cut -f1 "$T/only" | wdn-lookup --no-trails | jq -c .Complete | sort -u)" false "opensearch: keys only used are incomplete chains"
fi

# ---- adanalvarez/TrailDiscover: one example per event name -----------------------
if have_testdata traildiscover; then
	use_store traildiscover
	wdn-record "$D/traildiscover"/*.cloudtrail >/dev/null 2>"$T/err"
	is "$?" 0 "traildiscover: all 584 examples record"
	grep -q ' 0 issuances, 0 changes, ' "$T/err"
	ok "traildiscover: every credential and IAM call in it failed (errorCode): nothing issued or changed"
fi

# ---- panther-labs/panther-analysis: a compromised root account scenario -----------
if have_testdata panther-analysis; then
	use_store panther
	wdn-record -q "$D/panther-analysis/test_scenarios/compromised-root-creds__attacker_cloudtrail.jsonl"
	is "$?" 0 "panther compromised-root-creds: records"
	ans AKIASWJJJ66ZZZII4IYY
	field '[.Principal, .Identity.Type, .KeyType, .Start]' '["arn:aws:iam::493859302102:user/tracy_stone","IAMUser","long-term","2020-11-01T08:37:03Z"]' \
		"panther: the key root made for the new user tracy_stone is hers"
	ans AKIA5ZZZK44445XXFFVB
	field .Principal '"arn:aws:iam::493859302102:root"' "panther: the key root made for itself (no userName asked) is the account root's"
	field '[.Identity.Type, .Identity.Arn]' '["Root","arn:aws:iam::493859302102:root"]' "panther: rooted at the account root"
fi
done_testing
