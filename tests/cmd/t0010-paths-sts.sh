#!/bin/sh
# Credential paths through STS (issue 3): AssumeRole in one account, across
# accounts, by AWS services; AssumeRoleWithSAML, AssumeRoleWithWebIdentity,
# IAM Identity Center; GetSessionToken, GetFederationToken, AssumeRoot; chains
# with transitive tags. Each path has its own fixture in tests/fixtures/paths/,
# and each answer is the product's for it: the principal the key acts as, the
# chain from the root identity to the key, the tags IAM evaluates for the
# session, and whether the chain is complete.
. tests/cmd/lib.sh
. tests/cmd/paths.sh
DEV=111122223333 PROD=444455556666 MGMT=777788889999
R="arn:aws:iam::$DEV:role" U="arn:aws:iam::$DEV:user"
ALICE=AKIARTX3GSDSTN65Y6JG BOB=AKIARTX3GSDSTH2EIHYH

# ---- AssumeRole in one account, then role chaining with a transitive tag ----
use_store assumerole
wdn-record "$P/sts-assumerole.json" >"$T/rec" 2>/dev/null
is "$?" 0 "AssumeRole: the fixture records"
is "$(jq -c 'select(.AccessKeyId) | .AccessKeyId' "$T/rec" | wc -l | tr -d ' ')" 2 "AssumeRole: two issuances printed"
DEPLOY=ASIARTX3GSDSYOHBDL5J READONLY=ASIARTX3GSDSVDFPDGX5
ans_trails $DEPLOY
is "$?" 0 "AssumeRole: lookup exits 0"
field .Principal "\"$R/Deploy\"" "AssumeRole: Principal is the role"
field .PrincipalChain "[\"$R/Deploy\",\"$U/alice\"]" "AssumeRole: the chain ends at the user whose key called"
field '[.Identity.Type, .Identity.Arn, .Identity.AccountId, .Identity.AccessKeyId]' \
	"[\"IAMUser\",\"$U/alice\",\"$DEV\",\"$ALICE\"]" "AssumeRole: Identity is alice's long-term key (it predates the trail)"
field '[.Complete, .Found, .KeyType, .AccountId, .SessionName, .Inferred]' \
	"[true,true,\"temporary\",\"$DEV\",\"alice-deploy\",false]" "AssumeRole: complete, found, temporary, session name"
field '[.Start, .End]' '["2024-03-04T10:00:00Z","2024-03-04T11:00:00Z"]' "AssumeRole: Start is the event time, End the expiration (new format)"
field .Tags '{"env":"staging","team":"platform","ticket":"OPS-42"}' "AssumeRole: Tags are the role's tags overridden by the session tags"
field .TransitiveTags '["ticket"]' "AssumeRole: TransitiveTags are the keys passed as transitive"
field .ChainTags '{"department":"eng","env":"staging","team":"platform","ticket":"OPS-42"}' "AssumeRole: ChainTags start with the user's own tags"
field .SourceIdentity '"alice"' "AssumeRole: SourceIdentity as set"
field '[.Trails[].eventID]' "[\"$(event_id "$P/sts-assumerole.json" AssumeRole 1)\"]" "AssumeRole: Trails is the issuing event"

ans $READONLY
field .PrincipalChain "[\"$R/ReadOnly\",\"$R/Deploy\",\"$U/alice\"]" "chained: the chain is leaf first, back to the user"
field .Tags '{"purpose":"audit","team":"security","ticket":"OPS-42"}' "chained: Tags are the role's, the session's and the incoming transitive tag"
field .TransitiveTags '["ticket"]' "chained: the inherited transitive key stays transitive"
field .ChainTags '{"department":"eng","env":"staging","purpose":"audit","team":"security","ticket":"OPS-42"}' "chained: ChainTags fold every hop, later wins"
field .SourceIdentity '"alice"' "chained: SourceIdentity is carried down"
field '[.Start, .End]' '["2024-03-04T10:05:00Z","2024-03-04T10:20:00Z"]' "chained: End from the older expiration format"
field '[.Links[] | [.AccessKeyId, .CallerAccessKeyId]]' "[[\"$READONLY\",\"$DEPLOY\"],[\"$DEPLOY\",\"$ALICE\"]]" "chained: one link per hop, each naming its caller's key"
field '[.Complete, .Identity.AccessKeyId]' "[true,\"$ALICE\"]" "chained: complete, rooted at alice's key"

ans $ALICE --descendants
field '[.Descendants[] | [.AccessKeyId, .Depth, .Principal]]' "[[\"$DEPLOY\",1,\"$R/Deploy\"],[\"$READONLY\",2,\"$R/ReadOnly\"]]" "--descendants: every session issued from alice's key, transitively"
field '[.Found, .Principal]' "[true,\"$U/alice\"]" "--descendants: a key only seen in use still answers"
ans $DEPLOY --descendants
field '[.Descendants[] | [.AccessKeyId, .Depth, .CallerAccessKeyId]]' "[[\"$READONLY\",1,\"$DEPLOY\"]]" "--descendants of a session: its own children only"
ans $READONLY --descendants
field .Descendants '[]' "--descendants of a leaf: none"

# ---- a chain whose parent issuance is not in the trail -----------------------
use_store missing
wdn-record -q "$P/sts-parent-missing.json"
PARENT=ASIARTX3GSDSVX6NYEWT CHILD=ASIARTX3GSDSS77TGEQK
ans $CHILD
field .PrincipalChain "[\"$R/Publisher\",\"$R/Builder\"]" "parent missing: the chain ends at what the event says of its caller"
field '[.Complete, .Identity.Type, .Identity.Arn, .Identity.AccessKeyId]' "[false,\"AssumedRole\",\"$R/Builder\",\"$PARENT\"]" "parent missing: marked incomplete, Identity is the caller as logged"
field .Tags '{"pipeline":"release","stage":"publish"}' "parent missing: the incoming transitive tags as logged count"
field .TransitiveTags '["pipeline","stage"]' "parent missing: inherited and passed keys are transitive"
field .ChainTags '{"pipeline":"release","stage":"publish"}' "parent missing: ChainTags include the incoming transitive tags met up the chain"
field .SourceIdentity '"ci-bot"' "parent missing: SourceIdentity from the caller's session context"

# ---- AssumeRole across accounts: one call, a copy in each account -----------
XA=ASIAWO645SY5DP75AZ4D
use_store xa1
wdn-record -q "$P/sts-cross-account-owner.json"
wdn-record -q "$P/sts-cross-account-caller.json"
ans_trails $XA
field .Principal "\"arn:aws:iam::$PROD:role/CrossAccountAdmin\"" "cross-account: Principal is the role in the other account"
field .PrincipalChain "[\"arn:aws:iam::$PROD:role/CrossAccountAdmin\",\"$U/bob\"]" "cross-account: the chain reaches the caller in its own account"
field '[.Complete, .Identity.Type, .Identity.Arn, .Identity.AccessKeyId, .AccountId]' "[true,\"IAMUser\",\"$U/bob\",\"$BOB\",\"$PROD\"]" "cross-account: rooted at bob's key; the session belongs to the role's account"
field '[(.Trails | length), .Trails[0].userIdentity.type, .Trails[0].recipientAccountId]' "[1,\"IAMUser\",\"$DEV\"]" "cross-account: one issuance kept, the caller's account's copy"
wdn-lookup --no-trails $XA | jq -S -c . >"$T/xa1"
use_store xa2
wdn-record -q "$P/sts-cross-account-caller.json" "$P/sts-cross-account-owner.json"
is "$(wdn-lookup --no-trails $XA | jq -S -c .)" "$(cat "$T/xa1")" "cross-account: the copies in either order give the same answer"
use_store xa3
wdn-record -q "$P/sts-cross-account-owner.json"
ans $XA
field .Principal "\"arn:aws:iam::$PROD:role/CrossAccountAdmin\"" "cross-account, only the role owner's copy: Principal still known"
field '[.Identity.Type, .Identity.AccountId]' "[\"AWSAccount\",\"$DEV\"]" "cross-account, only the role owner's copy: Identity is the calling account"
field .Complete false "cross-account, only the role owner's copy: the caller is unknown, so incomplete"

# ---- AssumeRole by AWS services ----------------------------------------------
use_store service
wdn-record -q "$P/sts-service.json"
EC2=ASIARTX3GSDSRFHEDAKP S3W=ASIARTX3GSDS2I72UQCK SLR=ASIARTX3GSDSYJRG5S3A LAMBDA=ASIARTX3GSDSTNF7MBWR
IID=i-0a1b2c3d4e5f60718
ans $EC2
field .PrincipalChain "[\"$R/WebServerRole\",\"ec2.amazonaws.com\"]" "EC2 instance profile: rooted at the service"
field '[.Identity.Type, .Identity.Service, .Identity.InstanceId, .Complete]' "[\"AWSService\",\"ec2.amazonaws.com\",\"$IID\",true]" "EC2 instance profile: Identity names the service and the instance"
field '[.SessionName, .Start, .End]' "[\"$IID\",\"2024-03-04T09:12:00Z\",\"2024-03-04T15:12:00Z\"]" "EC2 instance profile: session named after the instance, six hours"
ans $S3W
field .PrincipalChain "[\"$R/S3Writer\",\"$R/WebServerRole\",\"ec2.amazonaws.com\"]" "instance role chaining: back to the instance"
field '[.Identity.Service, .Identity.InstanceId, .Complete]' "[\"ec2.amazonaws.com\",\"$IID\",true]" "instance role chaining: Identity is still the instance"
ans $SLR
field .Principal "\"$R/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling\"" "service-linked role: Principal keeps the role's path"
field .PrincipalChain "[\"$R/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling\",\"autoscaling.amazonaws.com\"]" "service-linked role: rooted at its service"
field '[.Identity.Type, .Identity.Service, (.Identity | has("InstanceId")), .Complete]' '["AWSService","autoscaling.amazonaws.com",false,true]' "service-linked role: no instance"
ans $LAMBDA
field '[.Principal, .Identity.Service, .SessionName, .End]' "[\"$R/ImageResizerRole\",\"lambda.amazonaws.com\",\"ImageResizer\",\"2024-03-04T21:14:20Z\"]" "Lambda execution role: rooted at lambda.amazonaws.com"

# ---- AssumeRoleWithSAML --------------------------------------------------------
use_store saml
wdn-record -q "$P/sts-saml.json"
SAML=ASIARTX3GSDS6D4BFJER SAML2=ASIARTX3GSDSUVULTMXI
IDP="arn:aws:iam::$DEV:saml-provider/ExampleCorpIdP"
ans $SAML
field .Principal "\"$R/SAMLDeveloper\"" "SAML: Principal is the role"
field '[.Identity.Type, .Complete, .SessionName]' '["SAMLUser",true,"alice@example.com"]' "SAML: a complete chain rooted at a SAML user"
field .Identity.Provider "\"$IDP\"" "SAML: Identity.Provider is the SAML provider's ARN"
field .Identity.Subject '"alice@example.com"' "SAML: Identity.Subject is the assertion's subject"
field .Identity.Audience '"https://signin.aws.amazon.com/saml"' "SAML: Identity.Audience"
field .PrincipalChain "[\"$R/SAMLDeveloper\",\"$IDP\"]" "SAML: the chain ends at the provider"
field .Tags '{"CostCenter":"987654","Project":"Unicorn","team":"web"}' "SAML: Tags are the role's and the assertion's principal tags"
field .TransitiveTags '["CostCenter"]' "SAML: TransitiveTags from the assertion"
field .SourceIdentity '"alice@example.com"' "SAML: SourceIdentity from the assertion"
ans $SAML2
field '.PrincipalChain[0:2]' "[\"$R/DataReader\",\"$R/SAMLDeveloper\"]" "SAML, chained: the next role, then the SAML session's"
field .Tags '{"CostCenter":"987654","Project":"Pegasus"}' "SAML, chained: the transitive tag comes along, the other does not"
field .TransitiveTags '["CostCenter"]' "SAML, chained: still transitive"
field .ChainTags '{"CostCenter":"987654","Project":"Pegasus","team":"web"}' "SAML, chained: ChainTags"
field '[.SourceIdentity, .Identity.Type, .Identity.Subject]' '["alice@example.com","SAMLUser","alice@example.com"]' "SAML, chained: same person at the root"

# ---- AssumeRoleWithWebIdentity -------------------------------------------------
use_store oidc
wdn-record -q "$P/sts-oidc.json"
GH=ASIARTX3GSDS2DATAAJW GOOGLE=ASIARTX3GSDS5RWP7Q2Q
GHP="arn:aws:iam::$DEV:oidc-provider/token.actions.githubusercontent.com"
ans $GH
field .Principal "\"$R/GitHubDeploy\"" "GitHub Actions: Principal is the role"
field .PrincipalChain "[\"$R/GitHubDeploy\",\"$GHP\"]" "GitHub Actions: the chain ends at the OIDC provider"
field '[.Identity.Type, .Identity.Provider, .Identity.Subject, .Identity.Audience]' \
	"[\"WebIdentityUser\",\"$GHP\",\"repo:octo-org/octo-repo:ref:refs/heads/main\",\"sts.amazonaws.com\"]" "GitHub Actions: Identity is the repository and branch"
field '[.Complete, .SessionName, .Tags]' '[true,"GitHubActions",{"repo":"octo-org/octo-repo"}]' "GitHub Actions: complete; the role's tags"
ans $GOOGLE
field '[.Identity.Provider, .Identity.Subject, .Identity.Audience]' '["accounts.google.com","104123456789012345678","123456789012-abcdefghijklmnop.apps.googleusercontent.com"]' "Google: provider, subject, audience"
field '[.Tags, .End]' '[{"tier":"free"},"2024-03-04T12:45:00Z"]' "Google: principal tags from the token; fifteen minutes"

# ---- IAM Identity Center -----------------------------------------------------
use_store sso
wdn-record "$P/sts-identity-center.json" >"$T/rec" 2>/dev/null
is "$(jq -r 'select(.AccessKeyId) | .EventName' "$T/rec")" AssumeRoleWithSAML "Identity Center: GetRoleCredentials logs no key, only AssumeRoleWithSAML issues one"
SSO=ASIARTX3GSDSTKHND2I7
SSOROLE="$R/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef"
SSOP="arn:aws:iam::$DEV:saml-provider/AWSSSO_fedcba9876543210_DO_NOT_DELETE"
ans $SSO
field .Principal "\"$SSOROLE\"" "Identity Center: Principal is the permission set's role, path included"
field '[.Identity.Type, .Identity.UserName, .Complete]' '["IdentityCenterUser","alice@example.com",true]' "Identity Center: the person, from the session name"
field .Identity.Provider "\"$SSOP\"" "Identity Center: Identity.Provider is the AWSSSO SAML provider's ARN"
field .PrincipalChain "[\"$SSOROLE\",\"$SSOP\"]" "Identity Center: the chain ends at the provider"
field '[.Inferred, .Identity.InferredFrom.EventName, .Identity.UserId]' \
	'[true,"GetRoleCredentials","a1b2c3d4e5-1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"]' \
	"Identity Center: joined to the portal's GetRoleCredentials by account, role and time, marked inferred"
# the portal's event recorded later than the session: the same answer
use_store sso-late
jq -c '.Records[] | select(.eventName != "GetRoleCredentials")' "$P/sts-identity-center.json" | wdn-record -q
ans $SSO
field '.Inferred' 'false' "Identity Center: without the portal's event, nothing is inferred"
jq -c '.Records[] | select(.eventName == "GetRoleCredentials")' "$P/sts-identity-center.json" | wdn-record -q
ans $SSO
field '[.Inferred, .Identity.UserId]' '[true,"a1b2c3d4e5-1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"]' "Identity Center: the portal's event recorded late joins all the same"

# ---- GetSessionToken -----------------------------------------------------------
use_store gst
wdn-record -q "$P/sts-getsessiontoken.json"
ERIN=AKIARTX3GSDSUUPYDQ6F GST=ASIARTX3GSDSW6PYVZBB GSTR=ASIARTX3GSDS25KSLIA2
ans $GST
field '[.Principal, .PrincipalChain]' "[\"$U/erin\",[\"$U/erin\"]]" "GetSessionToken: the same user, once"
field '[.Identity.Type, .Identity.AccessKeyId, .Complete, .SessionName]' "[\"IAMUser\",\"$ERIN\",true,null]" "GetSessionToken: rooted at the user's key"
field '[.Tags, .End]' '[{"team":"ops"},"2024-03-04T18:00:00Z"]' "GetSessionToken: the user's tags; twelve hours"
ans $GSTR
field .PrincipalChain "[\"$R/BreakGlass\",\"$U/erin\"]" "GetSessionToken, then AssumeRole: role, then the user"
field '[.Links[].EventName]' '["AssumeRole","GetSessionToken"]' "GetSessionToken, then AssumeRole: both hops are links"

# ---- GetFederationToken --------------------------------------------------------
use_store fed
wdn-record -q "$P/sts-getfederationtoken.json"
BROKER=AKIARTX3GSDSUKPX2R66 FED=ASIARTX3GSDSTYNIIR2E
ans $FED
field .Principal "\"arn:aws:sts::$DEV:federated-user/carlos\"" "GetFederationToken: Principal is the federated user"
field .PrincipalChain "[\"arn:aws:sts::$DEV:federated-user/carlos\",\"$U/fedbroker\"]" "GetFederationToken: parent is the user whose key asked"
field '[.Identity.Type, .Identity.AccessKeyId, .Complete, .SessionName]' "[\"IAMUser\",\"$BROKER\",true,\"carlos\"]" "GetFederationToken: rooted at the broker's key"
field .Tags '{"customer":"acme","team":"portal","tier":"silver"}' "GetFederationToken: Tags are the user's overridden by the session tags"
field .TransitiveTags '[]' "GetFederationToken: nothing transitive"
ans $BROKER --descendants
field '[.Descendants[] | [.AccessKeyId, .Principal]]' "[[\"$FED\",\"arn:aws:sts::$DEV:federated-user/carlos\"]]" "GetFederationToken: the federated session is the broker key's descendant"

# ---- AssumeRoot ---------------------------------------------------------------
use_store root
wdn-record -q "$P/sts-assumeroot.json"
ROOTOPS=AKIA3KF6UTOHYAQPHZGZ ROOTK=ASIAWO645SY5P2WZ7APN
ans $ROOTK
field .Principal "\"arn:aws:iam::$PROD:root\"" "AssumeRoot: Principal is the target account's root"
field .PrincipalChain "[\"arn:aws:iam::$PROD:root\",\"arn:aws:iam::$MGMT:role/OrgSecurityAdmin\",\"arn:aws:iam::$MGMT:user/root-ops\"]" "AssumeRoot: the chain continues to the caller"
field '[.Identity.Type, .Identity.AccessKeyId, .Complete, .AccountId]' "[\"IAMUser\",\"$ROOTOPS\",true,\"$PROD\"]" "AssumeRoot: rooted at the admin's key; the session is the member account's"
field '[.Start, .End]' '["2024-03-04T15:05:00Z","2024-03-04T15:20:00Z"]' "AssumeRoot: fifteen minutes"
is "$(ev "$P/sts-assumeroot.json" DeleteBucketPolicy | wdn-chain | jq -c '[.Principal, .PrincipalChain[-1]]')" \
	"[\"arn:aws:iam::$PROD:root\",\"arn:aws:iam::$MGMT:user/root-ops\"]" "AssumeRoot: the root session's own event leads back to the admin"

# ---- any order, duplicated, late ------------------------------------------------
order_free "STS paths" "$P"/sts-*.json
done_testing
