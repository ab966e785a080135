#!/bin/sh
# deploy/: the CloudFormation templates parse (js-yaml, with CloudFormation's
# short tags) and hold together (every resource has a Type, every !Ref,
# !GetAtt and ${} names something); the member rule matches exactly the
# events lib/event.c records, read-only ones included; the table is the one
# `wdn-record --create-table` makes (asked of dynalite); the function's role
# grants no more than it needs. Then `make lambda`: the zip, and its
# bootstrap answering a stand-in Runtime API.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }
check="$WDN_TOP/tests/peers/cfn-check.js"
central="$WDN_TOP/deploy/central.yaml"
member="$WDN_TOP/deploy/member.yaml"

node "$check" "$central" "$member" >"$T/check.json" 2>"$T/err"
is "$?" 0 "the templates parse and hold together"
jq -r '.[] | .problems[]' "$T/check.json" 2>/dev/null | sed 's/^/#   /'
node "$check" --dump "$central" >"$T/central.json" && node "$check" --dump "$member" >"$T/member.json"
ok "and dump as JSON"

# the checker catches what it is for
cat >"$T/broken.yaml" <<'EOF'
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name: { Type: String }
Conditions:
  Yes: !Equals [!Ref Name, "x"]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref Nothing
  NoType:
    Properties: {}
  Policy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Statement:
          - Resource: !GetAtt Ghost.Arn
            Condition: !If [Maybe, !Sub "${Name}-${Missing}", !Ref AWS::NoValue]
Outputs:
  Arn:
    Value: !GetAtt Queue.Arn
EOF
node "$check" "$T/broken.yaml" >"$T/broken.json"
is "$?" 1 "a broken template is refused"
is "$(jq '.[].problems | length' "$T/broken.json")" 5 \
	"naming its five faults: no Type, !Ref, !GetAtt, !If's condition, \${} in !Sub" || jq -r '.[].problems[]' "$T/broken.json" | sed 's/^/#   /'

# ---- the member rule matches what lib/event.c records ------------------------
{
	awk '/issuing_events\[\] = \{/,/\};/' "$WDN_TOP/lib/event.c" | grep -o '"[A-Za-z]*"' | tr -d '"'
	awk '/change_rules\[\] = \{/,/\};/' "$WDN_TOP/lib/event.c" | sed -n 's/^[[:space:]]*{ "\([A-Za-z]*\)".*/\1/p'
	grep -o '\(wdn_str_eq\|name_is\)(name, "[A-Za-z]*")' "$WDN_TOP/lib/event.c" | sed 's/.*"\(.*\)")/\1/'
} | sort -u >"$T/recorded"
[ "$(wc -l <"$T/recorded")" -gt 25 ]
ok "lib/event.c records $(wc -l <"$T/recorded" | tr -d ' ') event names"
jq -r '.Resources.ForwardRule.Properties.EventPattern.detail.eventName[]' "$T/member.json" | sort >"$T/matched"
is "$(sort -u "$T/matched" | tr '\n' ' ')" "$(tr '\n' ' ' <"$T/recorded")" "the member rule matches exactly those" ||
	diff "$T/recorded" "$T/matched" | sed 's/^/#   /'
is "$(uniq -d "$T/matched")" "" "each once"
r=".Resources.ForwardRule.Properties"
is "$(jq -r "$r.State" "$T/member.json")" ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS \
	"read-only events too (GetSessionToken, GetFederationToken, GetRoleCredentials)"
is "$(jq -c "$r.EventPattern | [.\"detail-type\", (.source | sort), (.detail.eventSource | sort)]" "$T/member.json")" \
	'[["AWS API Call via CloudTrail"],["aws.cloudformation","aws.iam","aws.sso","aws.sts"],["cloudformation.amazonaws.com","iam.amazonaws.com","sso.amazonaws.com","sts.amazonaws.com"]]' \
	"CloudTrail's events of STS, IAM, IAM Identity Center and CloudFormation"
is "$(jq -c "[$r.EventBusName, ($r.Targets[0].Arn | .Ref), ($r.Targets[0].RoleArn | .\"Fn::GetAtt\"[0])]" "$T/member.json")" \
	'["default","CentralEventBusArn","ForwardRole"]' "from the default bus to the central bus, with a role"
is "$(jq -c '.Resources.ForwardRole.Properties.Policies[0].PolicyDocument.Statement | map([.Action, .Resource.Ref])' "$T/member.json")" \
	'[["events:PutEvents","CentralEventBusArn"]]' "the role may put events on the central bus, nothing else"

# ---- the central stack -----------------------------------------------------
is "$(jq -c '.Resources.EventBusPolicy.Properties.Statement | [.Principal, .Action, .Condition.StringEquals["aws:PrincipalOrgID"].Ref]' "$T/central.json")" \
	'["*","events:PutEvents","OrganizationId"]' "the bus admits the organisation's accounts only (aws:PrincipalOrgID)"
rule=$(jq -r '.Resources | to_entries[] | select(.value.Type == "AWS::Events::Rule") | .key' "$T/central.json")
is "$(jq -c --arg r "$rule" '.Resources[$r].Properties | [.EventBusName.Ref, .State, (.Targets[0].Arn."Fn::GetAtt"[0]), (.Targets[0].DeadLetterConfig.Arn."Fn::GetAtt"[0])]' "$T/central.json")" \
	'["EventBus","ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS","Function","DeadLetterQueue"]' \
	"its rule sends every event to the function, dead letters to the queue"
is "$(jq -c --arg r "$rule" '[.Resources[] | select(.Type == "AWS::Lambda::Permission" and .Properties.Principal == "events.amazonaws.com") | .Properties.SourceArn."Fn::GetAtt"[0]]' "$T/central.json")" \
	"[\"$rule\"]" "and may invoke it"
f='.Resources.Function.Properties'
is "$(jq -c "[$f.Runtime, $f.Handler, $f.Environment.Variables.WDN_STORE.\"Fn::Sub\", $f.DeadLetterConfig.TargetArn.\"Fn::GetAtt\"[0]]" "$T/central.json")" \
	'["provided.al2023","bootstrap","dynamodb:${Table}","DeadLetterQueue"]' "the function: wdn-record --lambda on provided.al2023, into the table"

# the table as wdn-record --create-table makes it
wdn-record -q --store dynamodb:made --create-table </dev/null
curl -sSf --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	-H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.DescribeTable' \
	-d '{"TableName":"made"}' "$AWS_ENDPOINT_URL_DYNAMODB/" >"$T/made.json"
ok "wdn-record --create-table makes a table to compare with"
design='{attrs: (.AttributeDefinitions | sort_by(.AttributeName)), keys: .KeySchema,
	gsi: [.GlobalSecondaryIndexes[] | {IndexName, KeySchema, Projection: {ProjectionType: .Projection.ProjectionType}}]}'
is "$(jq -c ".Table | $design + {billing: .BillingModeSummary.BillingMode}" "$T/made.json")" \
	"$(jq -c ".Resources.Table.Properties | $design + {billing: .BillingMode}" "$T/central.json")" \
	"the template's table is that design: pk/sk, by_caller on gpk/gsk, on demand"
ttl=$(grep 'UpdateTimeToLive\|TimeToLiveSpecification' -A1 "$WDN_TOP/lib/store_dynamodb.c" | grep -o 'AttributeName\\":\\"[a-z_]*' | sed 's/.*"//')
is "$(jq -c '.Resources.Table.Properties.TimeToLiveSpecification | [.AttributeName, .Enabled]' "$T/central.json")" \
	"[\"$ttl\",true]" "with time to live on the attribute the store writes ($ttl)"

# least privilege: the function's role names its resources, no wildcard actions
st='.Resources.FunctionRole.Properties.Policies[].PolicyDocument.Statement[] | (."Fn::If"[1] // .)'
is "$(jq -r "[$st | .Action] | flatten | sort | join(\" \")" "$T/central.json")" \
	"dynamodb:BatchGetItem dynamodb:BatchWriteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query logs:CreateLogStream logs:PutLogEvents s3:GetObject sqs:SendMessage" \
	"the function may read, write and query the store, read the trail, send dead letters, log"
is "$(jq -c "[$st | select(.Action | tostring | test(\"dynamodb\")) | .Resource[] | (.\"Fn::GetAtt\" // .\"Fn::Sub\")]" "$T/central.json")" \
	'[["Table","Arn"],"${Table.Arn}/index/by_caller"]' "on the table and its index only"
is "$(jq -c "[$st | select(.Action == \"s3:GetObject\") | .Resource.\"Fn::Sub\"]" "$T/central.json")" \
	'["arn:${AWS::Partition}:s3:::${TrailBucket}/*"]' "and the trail bucket's objects only"
is "$(jq -c "[$st | (.Action, .Resource) | .. | strings | select(test(\"\\\\*\"))]" "$T/central.json")" \
	'["arn:${AWS::Partition}:s3:::${TrailBucket}/*"]' "no other wildcard"

# ---- make lambda -------------------------------------------------------------
sh -n "$WDN_TOP/deploy/bootstrap"
ok "deploy/bootstrap parses"
if [ -n "${WDN_SANITIZED:-}" ]; then
	skip "sanitized build: make lambda links the plain objects"
	done_testing
	exit
fi
if ! command -v zip >/dev/null 2>&1; then
	skip "zip not installed (make deps): no Lambda package"
	done_testing
	exit
fi
make -s -C "$WDN_TOP" lambda B="$WDN_BUILD" >"$T/make.out" 2>&1
ok "make lambda" || sed 's/^/#   /' "$T/make.out"
zipf="$WDN_BUILD/lambda/whodunnit-lambda.zip"
if command -v unzip >/dev/null 2>&1; then
	is "$(unzip -Z "$zipf" | awk '/^-/ { print $1, $NF }' | tr '\n' ' ')" \
		"-rwxr-xr-x bootstrap -rwxr-xr-x wdn-record -rwxr-xr-x wdn-lookup -rwxr-xr-x wdn-enrich " \
		"the zip holds bootstrap, wdn-record, wdn-lookup and wdn-enrich, all executable"
	mkdir -p "$T/task" && (cd "$T/task" && unzip -q "$zipf")
else
	skip "unzip not installed: the zip is not opened"
	done_testing
	exit
fi
objdump -T "$T/task/wdn-record" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1 >"$T/glibc"
is "$(printf '%s\n2.34\n' "$(cat "$T/glibc")" | sort -V | tail -n 1)" 2.34 \
	"wdn-record needs no glibc newer than AL2023's 2.34 ($(cat "$T/glibc"))"
is "$(objdump -p "$T/task/wdn-record" | awk '$1 == "NEEDED" { print $2 }' | grep -cv '^lib\(c\|m\|dl\|pthread\)\.so\.')" 0 \
	"and no shared library but glibc's"

# the package's bootstrap, run as Lambda runs it, answers a stand-in Runtime API
node "$WDN_TOP/tests/peers/lambda-runtime.js" --port-file "$T/rt.port" --owner $$ >"$T/rt.log" 2>&1 &
echo "$!" >>"$PEERS/pids"
i=0
while [ ! -s "$T/rt.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RT=http://127.0.0.1:$(cat "$T/rt.port")
jq -c '.Records[] | {version: "0", "detail-type": "AWS API Call via CloudTrail", source: "aws.sts", account: .recipientAccountId, detail: .}' \
	"$FIX/seed-example.json" | while IFS= read -r e; do
	printf '%s' "$e" | curl -sSf -X POST --data-binary @- "$RT/__invoke" >/dev/null
done
(cd / && env -i PATH=/usr/bin:/bin LAMBDA_TASK_ROOT="$T/task" AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$T/rt.port")" \
	WDN_STORE="sqlite:$T/pkg.db" WDN_RECORD_OPTIONS="-q --max-messages 3" timeout 60 "$T/task/bootstrap") 2>"$T/err"
is "$?" 0 "bootstrap runs wdn-record --lambda with WDN_STORE and WDN_RECORD_OPTIONS" || sed 's/^/#   /' "$T/err"
is "$(curl -sSf "$RT/__results" | jq -c '[.[].kind]')" '["response","response","response"]' "three invocations answered"
is "$(wdn-lookup --store "$T/pkg.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 \
	"and recorded: the seed key's whole chain"
done_testing
