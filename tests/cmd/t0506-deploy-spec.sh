#!/bin/sh
# deploy/*.yaml against the CloudFormation resource specification AWS
# publishes (npm's @aws-cdk/aws-service-spec, db.json.gz, installed on
# first use into tests/cfn): resource types, property names at every
# depth, required properties, literal types and allowed values, and the
# attributes !GetAtt names. The checker is shown to catch each fault.
. tests/cmd/lib.sh
sh "$WDN_TOP/tests/peers/npm-ci.sh" "$WDN_TOP/tests/cfn" "$T/npm.log" 2>"$T/npm.err"
case $? in
0) ;;
2) skip "the CloudFormation spec: $(tail -n 1 "$T/npm.err" | sed 's/^[a-z-]*[.]sh: //')"; done_testing; exit ;;
*) fail "installing the CloudFormation spec"; sed 's/^/#   /' "$T/npm.err"; done_testing; exit ;;
esac
# the templates need js-yaml, from the peers' packages
sh "$WDN_TOP/tests/peers/npm-ci.sh" "$WDN_TOP/tests/peers" "$T/npm2.log" 2>/dev/null ||
	{ skip "js-yaml not installable here"; done_testing; exit; }
db="$WDN_TOP/tests/cfn/node_modules/@aws-cdk/aws-service-spec/db.json.gz"
spec() { node "$WDN_TOP/tests/cfn/spec-check.js" "$db" "$@"; }

for f in "$WDN_TOP"/deploy/*.yaml; do
	n=$(basename "$f")
	node "$WDN_TOP/tests/peers/cfn-check.js" --dump "$f" >"$T/$n.json"
	spec "$T/$n.json" >"$T/$n.out"
	is "$?" 0 "$n holds to the CloudFormation resource specification" || jq -r '.[][]' "$T/$n.out" | sed 's/^/#   /'
done

# the checker catches what it is for: one fault of each kind
cat >"$T/broken.json" <<'EOT'
{"Resources": {
  "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
    "Role": "arn:aws:iam::1:role/x", "Runtime": "provided.al2023", "MemorySize": "lots",
    "Environment": {"Variabels": {"A": "b"}},
    "LoggingConfig": {"LogFormat": "XML"}}},
  "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]}}},
  "Rule": {"Type": "AWS::Events::Rule", "Properties": {"State": "ON",
    "Targets": [{"Id": "x", "Arn": "a", "RetryPolicy": {"MaximumRetryAttempt": 3}}]}},
  "Ghost": {"Type": "AWS::Lambda::Funktion", "Properties": {}}},
 "Outputs": {"U": {"Value": {"Fn::GetAtt": ["Url", "Endpoint"]}}}}
EOT
spec "$T/broken.json" >"$T/broken.out"
is "$?" 1 "a template at odds with the spec is refused"
jq -r '.[][]' "$T/broken.out" | sort >"$T/got"
cat >"$T/want" <<'EOT'
!GetAtt Url.Endpoint : AWS::Lambda::Url has no attribute Endpoint
Resources.Fn.Properties.Code is required
Resources.Fn.Properties.Environment.Variabels is not a property of this type
Resources.Fn.Properties.LoggingConfig.LogFormat is "XML", not one of Text, JSON
Resources.Fn.Properties.MemorySize is "lots", not an integer
Resources.Ghost has type AWS::Lambda::Funktion, which the spec does not have
Resources.Rule.Properties.State is "ON", not one of DISABLED, ENABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
Resources.Rule.Properties.Targets[0].RetryPolicy.MaximumRetryAttempt is not a property of this type
Resources.Url.Properties.AuthType is required
EOT
diff "$T/want" "$T/got" >"$T/diff"
ok "naming each fault, at its depth" || sed 's/^/#   /' "$T/diff"
done_testing
