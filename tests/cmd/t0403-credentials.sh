#!/bin/sh
# Every credential source, end to end: wdn-record lists s3://bkt/ at a local stub
# (tests/peers/stub.js) that also plays STS, the SSO portal, the container
# endpoint and IMDSv2, and the stub tells which access key signed the listing.
# The stub checks each SigV4 signature with AWS's own signer when the peers'
# npm packages are installed, else the key IDs and session tokens only.
. tests/cmd/lib.sh

if ! command -v node >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
	skip "node or jq is not installed: no credentials stub"
	done_testing
	exit
fi

STATIC_ID=AKIAWDNSTATIC0000001 STATIC_SECRET=wdnStaticSecret/WDNSTUBSECRET/0001
ENV_ID=AKIAWDNENVIRON000001 ENV_SECRET=wdnEnvSecret/WDNSTUBSECRET/0002
export WDN_STUB_CREDS="$STATIC_ID:$STATIC_SECRET,$ENV_ID:$ENV_SECRET"
export WDN_STUB_ECS_TOKEN="WDNSTUBTOKEN-ecs-$$" WDN_STUB_WEB_TOKEN="eyJhbGciOiJSUzI1NiJ9.WDNSTUBTOKEN-web.sig"
export WDN_STUB_SSO_TOKEN="WDNSTUBTOKEN-sso-$$"
node "$WDN_TOP/tests/peers/stub.js" --port-file "$T/stub.port" --owner $$ </dev/null >"$T/stub.log" 2>&1 &
stub_pid=$!
trap 'kill "$stub_pid" 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$T/stub.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s "$T/stub.port" ]; then
	fail "the credentials stub starts"
	sed 's/^/#   /' "$T/stub.log"
	done_testing
	exit
fi
unset WDN_STUB_CREDS WDN_STUB_ECS_TOKEN WDN_STUB_SSO_TOKEN WDN_STUB_WEB_TOKEN
STUB=http://127.0.0.1:$(cat "$T/stub.port")
grep -q 'signatures checked' "$T/stub.log" || echo "# the stub checks key IDs and tokens only: $(head -n 1 "$T/stub.log")"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
	AWS_ROLE_SESSION_NAME AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
	AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_ENDPOINT_URL \
	AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_ENDPOINT_URL_DYNAMODB
export AWS_ENDPOINT_URL_S3=$STUB AWS_ENDPOINT_URL_STS=$STUB AWS_ENDPOINT_URL_SSO=$STUB AWS_REGION=us-east-1
export AWS_CONFIG_FILE="$T/aws/config" AWS_SHARED_CREDENTIALS_FILE="$T/aws/credentials"
export AWS_EC2_METADATA_DISABLED=true
mkdir -p "$T/aws" "$HOME/.aws/sso/cache"
: >"$AWS_SHARED_CREDENTIALS_FILE"
: >"$T/all.err"

stublog() { curl -sf "$STUB/__log"; }
# the access key that signed the last listing the stub accepted
listed_with() { stublog | jq -r '[.[] | select(.op == "ListObjectsV2" and .ok)] | last | .key // "none"'; }
# record RUN-NAME [ARGS]: wdn-record s3://bkt/, its stderr kept (and gathered for the leak check)
record() {
	_name=$1
	shift
	wdn-record "$@" s3://bkt/ >"$T/$_name.out" 2>"$T/$_name.err"
	_rc=$?
	cat "$T/$_name.err" >>"$T/all.err"
	cat "$T/$_name.out" >>"$T/all.err"
	return $_rc
}
config() { printf '%s\n' "$@" >"$AWS_CONFIG_FILE"; }
creds_file() { printf '%s\n' "$@" >"$AWS_SHARED_CREDENTIALS_FILE"; }

# the stub itself: a wrong signature does not pass
if grep -q 'signatures checked' "$T/stub.log"; then
	is "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$STATIC_ID:not-the-secret" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$STUB/bkt?list-type=2")" 403 "the stub refuses a listing signed with the wrong secret"
else
	skip "the stub cannot check signatures (no @smithy/signature-v4 in tests/peers/node_modules)"
fi
first=$(curl -sf "$STUB/__log" | jq length)

# ---- static keys, and the environment ------------------------------------------
creds_file "[base]" "aws_access_key_id = $STATIC_ID" "aws_secret_access_key = $STATIC_SECRET"
config "[profile base]" "region = us-east-1"
record static --profile base
ok "static keys: wdn-record s3://bkt/ exits 0" || sed 's/^/#   /' "$T/static.err"
is "$(listed_with)" "$STATIC_ID" "the listing was signed with the profile's key"

AWS_ACCESS_KEY_ID=$ENV_ID AWS_SECRET_ACCESS_KEY=$ENV_SECRET AWS_PROFILE=base record env
is "$(listed_with)" "$ENV_ID" "the environment's keys win over AWS_PROFILE's"
AWS_ACCESS_KEY_ID=$ENV_ID AWS_SECRET_ACCESS_KEY=$ENV_SECRET record named --profile base
is "$(listed_with)" "$STATIC_ID" "but not over a profile named by --profile"

# ---- role_arn with source_profile ----------------------------------------------
config "[profile base]" "region = us-east-1" \
	"[profile ops]" "role_arn = arn:aws:iam::123456789012:role/ops" "source_profile = base" \
	"role_session_name = wdn-test" "external_id = ext-42" "duration_seconds = 900" \
	"[profile deep]" "role_arn = arn:aws:iam::210987654321:role/deep" "source_profile = ops" \
	"[profile denied]" "role_arn = arn:aws:iam::123456789012:role/Denied" "source_profile = base" \
	"[profile env-role]" "role_arn = arn:aws:iam::123456789012:role/from-env" "credential_source = Environment" \
	"[profile ecs-role]" "role_arn = arn:aws:iam::123456789012:role/from-ecs" "credential_source = EcsContainer"
record role --profile ops
ok "role_arn + source_profile: exits 0" || sed 's/^/#   /' "$T/role.err"
last=$(stublog | jq -c '[.[] | select(.op == "AssumeRole")] | last')
is "$(echo "$last" | jq -r '[.ok, .signer, .role, .session, .externalId, .duration] | join(" ")')" \
	"true $STATIC_ID arn:aws:iam::123456789012:role/ops wdn-test ext-42 900" \
	"AssumeRole signed by the source profile's key, with the profile's settings"
is "$(listed_with)" "$(echo "$last" | jq -r .issued)" "the listing used the role's credentials"

record deep --profile deep
ok "a chain of two roles: exits 0" || sed 's/^/#   /' "$T/deep.err"
is "$(stublog | jq -r '[.[] | select(.op == "AssumeRole")] | .[-2:] | map(.role | split("/")[1]) | join(",")')" "ops,deep" \
	"the source's role is assumed first, then the profile's"
is "$(stublog | jq -r '[.[] | select(.op == "AssumeRole")] | .[-2:] | (.[1].signer == .[0].issued)')" "true" \
	"the second AssumeRole is signed with the first one's credentials"
is "$(listed_with)" "$(stublog | jq -r '[.[] | select(.op == "AssumeRole")] | last | .issued')" "and the listing with the last"

record denied --profile denied
is "$?" 1 "a role STS refuses: exits 1"
grep -q "profile 'denied': role arn:aws:iam::123456789012:role/Denied: STS AssumeRole at $STUB: AccessDenied (HTTP 403): User: .* is not authorized" "$T/denied.err"
ok "naming the profile, the role and STS's answer" || sed 's/^/#   /' "$T/denied.err"

AWS_ACCESS_KEY_ID=$ENV_ID AWS_SECRET_ACCESS_KEY=$ENV_SECRET record envrole --profile env-role
ok "credential_source = Environment: exits 0" || sed 's/^/#   /' "$T/envrole.err"
is "$(stublog | jq -r '[.[] | select(.op == "AssumeRole")] | last | "\(.signer) \(.role)"')" \
	"$ENV_ID arn:aws:iam::123456789012:role/from-env" "AssumeRole signed with the environment's key"

# ---- the container endpoint ------------------------------------------------------
AWS_CONTAINER_CREDENTIALS_FULL_URI=$STUB/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN="WDNSTUBTOKEN-ecs-$$" \
	AWS_PROFILE=nosuchsection record ecs
is "$?" 1 "a missing AWS_PROFILE profile stops the chain before the container endpoint"
config ""
AWS_CONTAINER_CREDENTIALS_FULL_URI=$STUB/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN="WDNSTUBTOKEN-ecs-$$" record ecs
ok "container endpoint (AWS_CONTAINER_AUTHORIZATION_TOKEN): exits 0" || sed 's/^/#   /' "$T/ecs.err"
is "$(listed_with)" "$(stublog | jq -r '[.[] | select(.op == "ecs" and .ok)] | last | .issued')" \
	"the listing used the container's credentials"
printf 'WDNSTUBTOKEN-ecs-%s\n' $$ >"$T/ecs-token"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$STUB/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$T/ecs-token" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong record ecsfile
ok "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE wins over the variable" || sed 's/^/#   /' "$T/ecsfile.err"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$STUB/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=WDNSTUBTOKEN-wrong record ecsbad
is "$?" 1 "a token the endpoint refuses: exits 1"
grep -q "container credentials at $STUB/ecs/creds: AccessDeniedException (HTTP 401)" "$T/ecsbad.err"
ok "saying where and what came back" || sed 's/^/#   /' "$T/ecsbad.err"

config "[profile ecs-role]" "role_arn = arn:aws:iam::123456789012:role/from-ecs" "credential_source = EcsContainer"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$STUB/ecs/creds AWS_CONTAINER_AUTHORIZATION_TOKEN="WDNSTUBTOKEN-ecs-$$" \
	record ecsrole --profile ecs-role
ok "credential_source = EcsContainer: exits 0" || sed 's/^/#   /' "$T/ecsrole.err"
is "$(stublog | jq -r '([.[] | select(.op == "ecs" and .ok)] | last | .issued) == ([.[] | select(.op == "AssumeRole")] | last | .signer)')" \
	"true" "AssumeRole signed with the container's credentials"

# ---- web identity ----------------------------------------------------------------------
printf '%s\n' "eyJhbGciOiJSUzI1NiJ9.WDNSTUBTOKEN-web.sig" >"$T/web-token"
config "[profile web]" "role_arn = arn:aws:iam::123456789012:role/web" "web_identity_token_file = $T/web-token" \
	"role_session_name = from-profile"
record web --profile web
ok "web identity from the profile: exits 0" || sed 's/^/#   /' "$T/web.err"
last=$(stublog | jq -c '[.[] | select(.op == "AssumeRoleWithWebIdentity")] | last')
is "$(echo "$last" | jq -r '"\(.ok) \(.signer) \(.role) \(.session)"')" "true null arn:aws:iam::123456789012:role/web from-profile" \
	"AssumeRoleWithWebIdentity, unsigned, with the profile's role"
is "$(listed_with)" "$(echo "$last" | jq -r .issued)" "the listing used its credentials"

config ""
AWS_ROLE_ARN=arn:aws:iam::123456789012:role/irsa AWS_WEB_IDENTITY_TOKEN_FILE="$T/web-token" AWS_ROLE_SESSION_NAME=pod-1 \
	record webenv
ok "web identity from AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE: exits 0" || sed 's/^/#   /' "$T/webenv.err"
is "$(stublog | jq -r '[.[] | select(.op == "AssumeRoleWithWebIdentity")] | last | "\(.role) \(.session)"')" \
	"arn:aws:iam::123456789012:role/irsa pod-1" "with the environment's role and session name"
is "$(listed_with)" "$(stublog | jq -r '[.[] | select(.op == "AssumeRoleWithWebIdentity")] | last | .issued')" "and its credentials"
printf 'not-the-token\n' >"$T/bad-token"
AWS_ROLE_ARN=arn:aws:iam::123456789012:role/irsa AWS_WEB_IDENTITY_TOKEN_FILE="$T/bad-token" record webbad
is "$?" 1 "a token STS refuses: exits 1"
grep -q "web identity, role arn:aws:iam::123456789012:role/irsa: STS AssumeRoleWithWebIdentity at $STUB: InvalidIdentityToken (HTTP 400)" "$T/webbad.err"
ok "with STS's error" || sed 's/^/#   /' "$T/webbad.err"

# ---- IAM Identity Center ------------------------------------------------------------------
config "[profile sso]" "sso_session = wdn-sso" "sso_account_id = 111122223333" "sso_role_name = ReadOnly" \
	"[sso-session wdn-sso]" "sso_start_url = https://d-1234567890.awsapps.com/start" "sso_region = us-east-1" \
	"sso_registration_scopes = sso:account:access"
cache="$HOME/.aws/sso/cache/$(printf %s wdn-sso | sha1sum | cut -d' ' -f1).json"
later=$(date -u -d "@$(($(date +%s) + 3600))" +%Y-%m-%dT%H:%M:%SZ)
jq -n --arg t "WDNSTUBTOKEN-sso-$$" --arg e "$later" \
	'{startUrl: "https://d-1234567890.awsapps.com/start", region: "us-east-1", accessToken: $t, expiresAt: $e,
	  clientId: "c", clientSecret: "WDNSTUBSECRET-client", refreshToken: "WDNSTUBTOKEN-refresh"}' >"$cache"
record sso --profile sso
ok "SSO with an sso-session: exits 0" || sed 's/^/#   /' "$T/sso.err"
is "$(stublog | jq -r '[.[] | select(.op == "sso")] | last | "\(.ok) \(.account) \(.role)"')" "true 111122223333 ReadOnly" \
	"the portal gave the account's role credentials for the cached token"
is "$(listed_with)" "$(stublog | jq -r '[.[] | select(.op == "sso")] | last | .issued')" "the listing used them"

jq '.accessToken = "WDNSTUBTOKEN-stale"' "$cache" >"$cache.new" && mv "$cache.new" "$cache"
record ssobad --profile sso
is "$?" 1 "a token the portal refuses: exits 1"
grep -q "profile 'sso': the SSO session has expired or is not valid .*run 'aws sso login --profile sso'" "$T/ssobad.err"
ok "telling to run aws sso login" || sed 's/^/#   /' "$T/ssobad.err"
jq '.expiresAt = "2021-01-01T00:00:00Z"' "$cache" >"$cache.new" && mv "$cache.new" "$cache"
n=$(stublog | jq 'length')
record ssoold --profile sso
grep -q "the SSO session 'wdn-sso' expired at 2021-01-01T00:00:00Z: run 'aws sso login --profile sso'" "$T/ssoold.err"
ok "an expired cached token: said so" || sed 's/^/#   /' "$T/ssoold.err"
is "$(stublog | jq 'length')" "$n" "without asking the portal"

# ---- EC2 instance metadata -------------------------------------------------------------
config ""
is "$(curl -s -o /dev/null -w '%{http_code}' "$STUB/latest/meta-data/iam/security-credentials/")" 401 \
	"the IMDS stub refuses a GET without a session token"
AWS_EC2_METADATA_DISABLED= AWS_EC2_METADATA_SERVICE_ENDPOINT=$STUB record imds
ok "IMDSv2: exits 0" || sed 's/^/#   /' "$T/imds.err"
is "$(stublog | jq -r '[.[] | select(.op | startswith("imds"))] | .[-3:] | map("\(.op)=\(.ok)") | join(" ")')" \
	"imds-token=true imds-role=true imds-creds=true" "token PUT, then the role, then its credentials"
is "$(listed_with)" "$(stublog | jq -r '[.[] | select(.op == "imds-creds")] | last | .issued')" "the listing used them"

# ---- nothing at all ---------------------------------------------------------------------
record none
is "$?" 1 "no credentials anywhere: exits 1"
grep -q "no AWS credentials: tried the environment .*profile 'default' .*the container endpoint .*EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)" "$T/none.err"
ok "one message naming every source tried" || sed 's/^/#   /' "$T/none.err"

# ---- no secret ever shown ----------------------------------------------------------------
! grep -E "WDNSTUBSECRET|WDNSTUBTOKEN|$STATIC_SECRET|$ENV_SECRET" "$T/all.err"
ok "no secret or token in any output or message"
is "$(stublog | jq --argjson n "$first" '[.[$n:][] | select(.why == "signature mismatch")] | length')" 0 \
	"no request of ours was refused for its signature"
done_testing
