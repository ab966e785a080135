#!/bin/sh
# CloudFormation service roles (issue 3): CreateStack, UpdateStack and
# DeleteStack with roleARN, and StackSets with administrationRoleARN. The
# service role's session (AssumeRole by cloudformation.amazonaws.com) links to
# the caller that passed the role, marked inferred. Fixtures in
# tests/fixtures/paths/cfn-*.json.
. tests/cmd/lib.sh
. tests/cmd/paths.sh
DEV=111122223333 PROD=444455556666 MGMT=777788889999
R="arn:aws:iam::$DEV:role" U="arn:aws:iam::$DEV:user"
ALICE=AKIARTX3GSDSTN65Y6JG BOB=AKIARTX3GSDSTH2EIHYH CAROL=AKIARTX3GSDSUJS42LFF
DEPLOYER=ASIARTX3GSDSUUECV5HQ
C1=ASIARTX3GSDSSY6KMDJ5 C2=ASIARTX3GSDS43QOMY7T C3=ASIARTX3GSDS6AL2SA7R C4=ASIARTX3GSDSXKR7NXMN
F="$P/cfn-stack.json"

use_store cfn
wdn-record -q "$F"
is "$?" 0 "the stack fixture records"

# CreateStack by a role session
ans $C1
field .Principal "\"$R/CFNServiceRole\"" "CreateStack: Principal is the service role"
field '[.Inferred, .SessionName]' '[true,"AWSCloudFormation"]' "CreateStack: the service role's session is marked inferred"
field .PrincipalChain "[\"$R/CFNServiceRole\",\"$R/Deployer\",\"$U/alice\"]" "CreateStack: the chain continues through the caller that passed the role"
field '[.Identity.Type, .Identity.Arn, .Identity.AccessKeyId]' "[\"IAMUser\",\"$U/alice\",\"$ALICE\"]" "CreateStack: Identity is the caller's root"
field .Identity.InferredFrom "{\"EventName\":\"CreateStack\",\"EventID\":\"$(event_id "$F" CreateStack)\",\"EventTime\":\"2024-03-04T14:00:00Z\",\"StackName\":\"web-prod\",\"Principal\":\"$R/Deployer\",\"AccessKeyId\":\"$DEPLOYER\"}" \
	"CreateStack: Identity.InferredFrom names the stack operation and who passed the role"
field '[.Links[].AccessKeyId]' "[\"$C1\",\"$DEPLOYER\"]" "CreateStack: the caller's session is a link"
field '[.Start, .End]' '["2024-03-04T14:00:03Z","2024-03-04T15:00:03Z"]' "CreateStack: the service session's own window"

# UpdateStack by an IAM user
ans $C2
field .PrincipalChain "[\"$R/CFNServiceRole\",\"$U/bob\"]" "UpdateStack: linked to the user who passed the role"
field '[.Inferred, .Identity.InferredFrom.EventName, .Identity.InferredFrom.EventID, .Identity.AccessKeyId]' \
	"[true,\"UpdateStack\",\"$(event_id "$F" UpdateStack)\",\"$BOB\"]" "UpdateStack: inferred from that event"

# DeleteStack
ans $C3
field .PrincipalChain "[\"$R/CFNServiceRole\",\"$U/carol\"]" "DeleteStack: linked to the user who passed the role"
field '[.Inferred, .Identity.InferredFrom.EventName, .Identity.InferredFrom.StackName, .Identity.AccessKeyId]' \
	"[true,\"DeleteStack\",\"web-prod\",\"$CAROL\"]" "DeleteStack: inferred from that event"

# nobody passed the role lately: CloudFormation on its own
ans $C4
field '[.Inferred, (.Identity | has("InferredFrom"))]' '[false,false]' "no stack operation passed the role within a day: not inferred"
field .PrincipalChain "[\"$R/CFNServiceRole\",\"cloudformation.amazonaws.com\"]" "not inferred: rooted at the service"
field '[.Identity.Type, .Identity.Service, .Complete]' '["AWSService","cloudformation.amazonaws.com",true]' "not inferred: Identity is the service"

# --descendants lists sessions issued from a key; a session CloudFormation
# started is not issued from the caller's key, and is linked (inferred) only
# from its own side, as man/wdn-lookup.1 says
ans $DEPLOYER --descendants
field '[.Descendants[].AccessKeyId]' '[]' "--descendants of the caller lists no inferred session (documented)"
ans $C1
field '.Identity.InferredFrom.AccessKeyId' "\"$DEPLOYER\"" "the service role session names the caller's key as where it was inferred from"

# the pass recorded after (late), in another run
use_store cfn-late
jq -c '.Records[] | select(.eventName != "CreateStack")' "$F" >"$T/no-create.jsonl"
jq -c '.Records[] | select(.eventName == "CreateStack")' "$F" >"$T/create.jsonl"
wdn-record -q "$T/no-create.jsonl"
ans $C1
field .Inferred false "the CreateStack not yet recorded: nothing to infer"
wdn-record -q "$T/create.jsonl"
ans $C1
field '[.Inferred, .PrincipalChain[-1]]' "[true,\"$U/alice\"]" "the CreateStack recorded late: the link appears"

# ---- StackSets -----------------------------------------------------------------
use_store stackset
F2="$P/cfn-stackset.json"
wdn-record -q "$F2"
MGR=AKIA3KF6UTOH6CO35IXF ADM=ASIA3KF6UTOH5B22KNA3 EXE=ASIAWO645SY5OLWSTXWT
ADMROLE="arn:aws:iam::$MGMT:role/AWSCloudFormationStackSetAdministrationRole"
EXEROLE="arn:aws:iam::$PROD:role/AWSCloudFormationStackSetExecutionRole"
ans $ADM
field '[.Principal, .Inferred]' "[\"$ADMROLE\",true]" "StackSet: the administration role's session is inferred"
field .PrincipalChain "[\"$ADMROLE\",\"arn:aws:iam::$MGMT:user/stackset-admin\"]" "StackSet: linked to the user who passed administrationRoleARN"
field '[.Identity.InferredFrom.EventName, .Identity.InferredFrom.EventID, .Identity.InferredFrom.AccessKeyId]' \
	"[\"CreateStackSet\",\"$(event_id "$F2" CreateStackSet)\",\"$MGR\"]" "StackSet: inferred from CreateStackSet"
field .Identity.InferredFrom.StackName '"guardrails"' "StackSet: InferredFrom names the stack set"
ans $EXE
field .PrincipalChain "[\"$EXEROLE\",\"$ADMROLE\",\"arn:aws:iam::$MGMT:user/stackset-admin\"]" "StackSet: the execution role in the target account chains back to the user"
field '[.Inferred, .Identity.Type, .Identity.AccessKeyId, .AccountId]' "[true,\"IAMUser\",\"$MGR\",\"$PROD\"]" "StackSet: the execution role's session is inferred too"

order_free "CloudFormation paths" "$P"/cfn-*.json
done_testing
