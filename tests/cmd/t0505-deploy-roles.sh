#!/bin/sh
# deploy/central.yaml's functions hold exactly the DynamoDB actions their
# commands call: the recorder every data-plane operation of
# lib/store_dynamodb.c, the lookup API only reads, checked both against the
# source and against the operations the commands really sent through the
# signing proxy. The lookup API's function URL takes IAM auth, is open to
# the organisation only, and the package's bootstrap runs wdn-lookup --lambda
# for the "lookup" handler. deploy/enrich.yaml's stream enrichment function
# reads the store and the trail, writes only its output prefix and takes
# from its own queue, with partial batch responses and a dead-letter queue.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }
check="$WDN_TOP/tests/peers/cfn-check.js"
node "$check" --dump "$WDN_TOP/deploy/central.yaml" >"$T/central.json"
ok "the central template dumps as JSON"

# actions ROLE: the DynamoDB actions of a role's policies, sorted, one line
actions() {
	jq -r --arg r "$1" '[.Resources[$r].Properties.Policies[].PolicyDocument.Statement[] | (."Fn::If"[1] // .) |
		.Action | if type == "array" then .[] else . end | select(startswith("dynamodb:"))] | sort | join(" ")' "$T/central.json"
}
# every operation the store sends, from its source; table administration
# (--create-table) is done by a person, not by the functions
ops=$(grep -o -e 'wdn_ddb_call([^,]*, "[A-Za-z]*"' -e 'ddb_send([^,]*, "[A-Za-z]*"' -e 'DynamoDB_20120810\.[A-Za-z]*' "$WDN_TOP/lib/store_dynamodb.c" |
	sed -E 's/.*[".]([A-Za-z]+)"?$/\1/' | grep -v -e '^CreateTable$' -e '^DescribeTable$' -e '^UpdateTimeToLive$' |
	sort -u | sed 's/^/dynamodb:/' | tr '\n' ' ' | sed 's/ $//')
[ -n "$ops" ]
ok "lib/store_dynamodb.c sends: $ops"
is "$(actions FunctionRole)" "$ops" "the recorder's role may do each of them, nothing more"
is "$(actions LookupRole)" "dynamodb:BatchGetItem dynamodb:Query" "the lookup role may only read"

# what the commands really send, counted by the proxy
admin=$WDN_PROXY_DYNAMODB
wdn-record -q --store dynamodb:roles --create-table </dev/null
inputs="$FIX/seed-example.json $(find "$FIX/paths" -name '*.json' | sort | tr '\n' ' ')"
curl -sSf -X POST "$admin/__reset" >/dev/null
# shellcheck disable=SC2086
wdn-record -q --store dynamodb:roles $inputs $inputs 2>/dev/null
sent_record=$(curl -sSf "$admin/__stats" | jq -r '.byTarget | keys[] | "dynamodb:" + sub("^DynamoDB_20120810[.]"; "")' | sort | tr '\n' ' ')
for a in $sent_record; do
	case " $(actions FunctionRole) " in *" $a "*) pass "wdn-record sent $a: its role allows it" ;;
	*) fail "wdn-record sent $a, which its role does not allow" ;; esac
done
curl -sSf -X POST "$admin/__reset" >/dev/null
keys=$(cat $inputs | jq -r '.. | objects | (.accessKeyId? // empty)' | grep -E '^A[A-Z0-9]{15,}$' | sort -u)
# shellcheck disable=SC2086
wdn-lookup --store dynamodb:roles --descendants $keys >/dev/null
for k in $keys; do echo "$k"; done | wdn-lookup --store dynamodb:roles >/dev/null
sent_lookup=$(curl -sSf "$admin/__stats" | jq -r '.byTarget | keys[] | "dynamodb:" + sub("^DynamoDB_20120810[.]"; "")' | sort | tr '\n' ' ')
[ -n "$sent_lookup" ]
ok "wdn-lookup sent: $sent_lookup"
for a in $sent_lookup; do
	case " $(actions LookupRole) " in *" $a "*) pass "wdn-lookup sent $a: the lookup role allows it" ;;
	*) fail "wdn-lookup sent $a, which the lookup role does not allow" ;; esac
done

# ---- the function URL --------------------------------------------------------
is "$(jq -c '.Resources.LookupFunctionUrl.Properties | [.AuthType, .TargetFunctionArn."Fn::GetAtt"[0]]' "$T/central.json")" \
	'["AWS_IAM","LookupFunction"]' "the lookup function's URL takes IAM auth"
is "$(jq -c '[.Resources[] | select(.Type == "AWS::Lambda::Permission" and .Properties.FunctionName.Ref == "LookupFunction") |
	.Properties | [.Action, .Principal, .PrincipalOrgID.Ref, .FunctionUrlAuthType]] | sort' "$T/central.json")" \
	'[["lambda:InvokeFunction","*","OrganizationId",null],["lambda:InvokeFunctionUrl","*","OrganizationId","AWS_IAM"]]' \
	"the organisation's principals may invoke it and its URL (both are needed), nobody else"
is "$(jq -c '.Resources.LookupFunction.Properties | [.Handler, .Runtime, .Role."Fn::GetAtt"[0], .Environment.Variables.WDN_STORE."Fn::Sub"]' "$T/central.json")" \
	'["lookup","provided.al2023","LookupRole","dynamodb:${Table}"]' "it runs the package's lookup handler on the table"
is "$(jq -c '[.Outputs.LookupUrl.Value."Fn::GetAtt", .Outputs.LookupFunctionArn.Value."Fn::GetAtt"]' "$T/central.json")" \
	'[["LookupFunctionUrl","FunctionUrl"],["LookupFunction","Arn"]]' "the stack's outputs name the URL and the function"

# ---- the bootstrap picks the loop by handler ---------------------------------
mkdir -p "$T/task"
cp "$WDN_TOP/deploy/bootstrap" "$T/task/bootstrap"
for c in wdn-record wdn-lookup; do
	printf '#!/bin/sh\necho %s "$@"\n' "$c" >"$T/task/$c"
	chmod +x "$T/task/$c"
done
is "$(env -i PATH=/usr/bin:/bin LAMBDA_TASK_ROOT="$T/task" _HANDLER=lookup WDN_LOOKUP_OPTIONS=-q sh "$T/task/bootstrap")" \
	"wdn-lookup --lambda -q" "handler lookup: wdn-lookup --lambda with WDN_LOOKUP_OPTIONS"
is "$(env -i PATH=/usr/bin:/bin LAMBDA_TASK_ROOT="$T/task" _HANDLER=bootstrap WDN_RECORD_OPTIONS='-q --ttl-days 3' sh "$T/task/bootstrap")" \
	"wdn-record --lambda -q --ttl-days 3" "any other handler: wdn-record --lambda with WDN_RECORD_OPTIONS"
printf '#!/bin/sh\necho wdn-enrich "$@"\n' >"$T/task/wdn-enrich"
chmod +x "$T/task/wdn-enrich"
is "$(env -i PATH=/usr/bin:/bin LAMBDA_TASK_ROOT="$T/task" _HANDLER=enrich WDN_ENRICH_OPTIONS=-q sh "$T/task/bootstrap")" \
	"wdn-enrich --lambda -q" "handler enrich: wdn-enrich --lambda with WDN_ENRICH_OPTIONS"
grep -q '^LAMBDA_BIN = .*/wdn-enrich' "$WDN_TOP/Makefile"
ok "the package holds wdn-enrich"

# ---- deploy/enrich.yaml: stream enrichment -----------------------------------
enrich="$WDN_TOP/deploy/enrich.yaml"
node "$check" "$enrich" >"$T/enrich.check"
ok "enrich.yaml: every Ref, GetAtt and condition resolves" || jq -c '.[].problems' "$T/enrich.check" | sed 's/^/#   /'
node "$check" --dump "$enrich" >"$T/enrich.json"
# all ROLE: every action of a role's policies with its resource, sorted
all() {
	jq -r --arg r "$1" '.Resources[$r].Properties.Policies[].PolicyDocument.Statement[] | (."Fn::If"[1] // .) |
		(.Action | if type == "array" then .[] else . end) + " " + (.Sid // "")' "$T/enrich.json" | sort | tr '\n' ';'
}
is "$(all EnrichRole)" "dynamodb:BatchGetItem Store;dynamodb:Query Store;kms:Decrypt TrailKey;logs:CreateLogStream Logs;logs:PutLogEvents Logs;s3:GetObject Output;s3:GetObject TrailObjects;s3:ListBucket OutputList;s3:PutObject Output;sqs:DeleteMessage Queue;sqs:GetQueueAttributes Queue;sqs:ReceiveMessage Queue;" \
	"the enrich role: read the store and the trail, decrypt, write the output prefix, take from its queue; nothing more"
is "$(jq -c '.Resources.EnrichRole.Properties.Policies[].PolicyDocument.Statement[] | (."Fn::If"[1] // .) | select(.Sid == "Output" or .Sid == "OutputList" or .Sid == "TrailObjects") | [.Resource."Fn::Sub", .Condition.StringLike."s3:prefix"."Fn::Sub"]' "$T/enrich.json" | tr '\n' ' ')" \
	'["arn:${AWS::Partition}:s3:::${TrailBucket}/*",null] ["arn:${AWS::Partition}:s3:::${OutputBucket}","${OutputPrefix}*"] ["arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}*",null] ' \
	"reads the trail bucket's objects, writes only under the output prefix"
is "$(jq -c '.Resources.EnrichRole.Properties.Policies[].PolicyDocument.Statement[] | select(.Sid == "OutputList") | .Condition.StringLike."s3:prefix"."Fn::Sub"' "$T/enrich.json")" \
	'"${OutputPrefix}*"' "lists only the output prefix (so a missing marker is a 404)"
is "$(jq -c '.Resources.EnrichRole.Properties.Policies[].PolicyDocument.Statement[] | select(."Fn::If") | ."Fn::If"[0]' "$T/enrich.json")" \
	'"HasTrailKmsKey"' "kms:Decrypt only when the trail is encrypted with a key"
is "$(jq -c '.Resources.EnrichEventSource.Properties | [.EventSourceArn."Fn::GetAtt", .FunctionName.Ref, .FunctionResponseTypes]' "$T/enrich.json")" \
	'[["Queue","Arn"],"EnrichFunction",["ReportBatchItemFailures"]]' "the queue feeds the function with partial batch responses"
is "$(jq -c '.Resources.Queue.Properties.RedrivePolicy | [.deadLetterTargetArn."Fn::GetAtt", .maxReceiveCount.Ref]' "$T/enrich.json")" \
	'[["DeadLetterQueue","Arn"],"MaxReceiveCount"]' "the queue's redrive policy ends in the dead-letter queue"
is "$(jq -c '.Resources.QueuePolicy.Properties.PolicyDocument.Statement[] | [.Principal.Service, .Action, .Condition.ArnEquals."aws:SourceArn"."Fn::Sub"]' "$T/enrich.json")" \
	'["s3.amazonaws.com","sqs:SendMessage","arn:${AWS::Partition}:s3:::${TrailBucket}"]' "only the trail bucket's notifications may be sent to it"
is "$(jq -c '.Resources.EnrichFunction.Properties | [.Handler, .Runtime, .Role."Fn::GetAtt"[0], .Environment.Variables.WDN_STORE."Fn::Sub", .Environment.Variables.WDN_ENRICH_OUTPUT."Fn::Sub"]' "$T/enrich.json")" \
	'["enrich","provided.al2023","EnrichRole","dynamodb:${TableName}","s3://${OutputBucket}/${OutputPrefix}"]' \
	"it runs the package's enrich handler on the table, into the output prefix"
is "$(jq '.Resources.Queue.Properties.VisibilityTimeout >= 6 * .Resources.EnrichFunction.Properties.Timeout' "$T/enrich.json")" true \
	"the queue's visibility timeout is at least six times the function's"
# what wdn-enrich really sends to the store
curl -sSf -X POST "$admin/__reset" >/dev/null
# shellcheck disable=SC2086
wdn-enrich -q --store dynamodb:roles $inputs >/dev/null 2>&1
sent_enrich=$(curl -sSf "$admin/__stats" | jq -r '.byTarget | keys[] | "dynamodb:" + sub("^DynamoDB_20120810[.]"; "")' | sort | tr '\n' ' ')
[ -n "$sent_enrich" ]
ok "wdn-enrich sent: $sent_enrich"
for a in $sent_enrich; do
	case ";$(all EnrichRole)" in *";$a Store;"*) pass "wdn-enrich sent $a: the enrich role allows it" ;;
	*) fail "wdn-enrich sent $a, which the enrich role does not allow" ;; esac
done
done_testing
