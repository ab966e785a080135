#!/bin/sh
# The recorder's shortcut for issuing and changing events (issue 15): an
# event whose text is plain (compact, no backslash) is parsed by simdjson
# and stored as its own bytes, secrets redacted; any other by yajl, and
# stored as its tree serialized. The same event spelled either way must give
# the same store, byte for byte: secrets at any depth and under any of their
# names, duplicate members, numbers of every form, empty containers, UTF-8,
# tags of every shape, changes. (What it costs is the bench's to measure.)
. tests/cmd/lib.sh
A=111122223333

require sqlite3 "to read the stores"

# The events, one a line: every issuing kind, and changes.
cat >"$T/events" <<'JSON'
{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAQQQQ:s1","arn":"arn:aws:sts::111122223333:assumed-role/Dev/s1","accountId":"111122223333","accessKeyId":"ASIAQQQQQQQQCALLER01","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Dev","accountId":"111122223333"},"attributes":{"creationDate":"2024-01-02T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-01-02T00:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Ops","roleSessionName":"alice","durationSeconds":3600,"tags":[{"key":"team","value":"red"},{"key":"n","value":5},{"key":"f","value":-1.5e-3}],"transitiveTagKeys":["team",7,null]},"responseElements":{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED01","sessionToken":"TOKEN-SECRET-ONE-abcdefgh","expiration":"Jan 2, 2024, 1:00:01 AM"},"assumedRoleUser":{"assumedRoleId":"AROAQQQQ:alice","arn":"arn:aws:sts::111122223333:assumed-role/Ops/alice"},"packedPolicySize":6,"empty":{},"none":[],"deep":[[{"SessionToken":"TOKEN-SECRET-TWO"},{"secretAccessKey":{"sessionToken":"TOKEN-SECRET-3"}}],"sessionToken",{"SecretAccessKey":""}]},"eventID":"ev-1","readOnly":true,"recipientAccountId":"111122223333","sharedEventID":"sh-1"}
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02","userName":"dave"},"eventTime":"2024-01-02T00:00:02Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","requestParameters":{"durationSeconds":9E2,"big":18446744073709551615,"neg":-9223372036854775808,"z":-0,"t":true,"f":false,"n":null},"responseElements":{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED02","sessionToken":"TOKEN-SECRET-FOUR","sessionToken":"TOKEN-SECRET-FIVE","expiration":"Jan 2, 2024, 1:00:02 AM"}},"eventID":"ev-2","eventID":"ev-2-dup","recipientAccountId":"111122223333"}
{"eventVersion":"1.08","userIdentity":{"type":"SAMLUser","principalId":"p","userName":"carol@example.com","identityProvider":"Zm9vYmFy"},"eventTime":"2024-01-02T00:00:03Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","requestParameters":{"principalArn":"arn:aws:iam::111122223333:saml-provider/Okta","roleArn":"arn:aws:iam::111122223333:role/SSO","principalTags":{"dept":"été ☃ 😀","n":1}},"responseElements":{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED03","sessionToken":"TOKEN-SECRET-SIX","expiration":"Jan 2, 2024, 1:00:03 AM"},"subject":"carol@example.com","audience":"https://signin.aws.amazon.com/saml","sourceIdentity":"carol"},"eventID":"ev-3","recipientAccountId":"111122223333"}
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02"},"eventTime":"2024-01-02T00:00:04Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","requestParameters":{"userName":"erin"},"responseElements":{"accessKey":{"accessKeyId":"AKIAQQQQQQQQISSUED04","status":"Active","userName":"erin","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/SECRET-SEVEN","createDate":"Jan 2, 2024 12:00:04 AM"}},"eventID":"ev-4","recipientAccountId":"111122223333"}
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02"},"eventTime":"2024-01-02T00:00:05Z","eventSource":"sts.amazonaws.com","eventName":"GetFederationToken","requestParameters":{"name":"fed/one","policy":"{\"Version\":\"2012-10-17\"}"},"responseElements":{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED05","sessionToken":"TOKEN-SECRET-EIGHT","expiration":"Jan 2, 2024, 1:00:05 AM"},"federatedUser":{"arn":"arn:aws:sts::111122223333:federated-user/fed"}},"eventID":"ev-5","recipientAccountId":"111122223333"}
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02"},"eventTime":"2024-01-02T00:00:06Z","eventSource":"iam.amazonaws.com","eventName":"CreateRole","requestParameters":{"roleName":"Ops","tags":[{"key":"a","value":"b/c"},{"key":"n","value":2}]},"responseElements":{"role":{"arn":"arn:aws:iam::111122223333:role/Ops"}},"eventID":"ev-6","recipientAccountId":"111122223333"}
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02"},"eventTime":"2024-01-02T00:00:07Z","eventSource":"iam.amazonaws.com","eventName":"UpdateUser","requestParameters":{"userName":"dave","newUserName":"david","newPath":"/x/"},"eventID":"ev-7","recipientAccountId":"111122223333"}
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dave","accountId":"111122223333","accessKeyId":"AKIAQQQQQQQQCALLER02"},"eventTime":"2024-01-02T00:00:08Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/Ops"},"responseElements":{"credentials":{"accessKeyId":"ASIAQQQQQQQQISSUED06","sessionToken":"x","expiration":"Jan 2, 2024, 1:00:08 AM"}},"eventID":"ev-8","recipientAccountId":"111122223333"}
JSON


log_file "$T/plain" <"$T/events"
# escapes, and white space outside strings: yajl's way for every event (sed,
# not jq, which would write the numbers its own way)
sed 's|/|\\/|g' "$T/events" | log_file "$T/escaped"
sed 's/,"/, "/g; s/^{/{\t/' "$T/events" | log_file "$T/spaced"
for v in plain escaped spaced; do
	wdn-record -q --store "$T/$v.db" "$T/$v/"
	is "$?" 0 "the $v spelling records"
	store_dump "$T/$v.db" >"$T/$v.out"
done
is "$(sqlite3 "$T/plain.db" 'select count(*) from issuance')" 6 "every issuance recorded"
is "$(sqlite3 "$T/plain.db" 'select count(*) from change')" 4 "every change recorded"
for v in escaped spaced; do
	cmp_ok "$T/$v.out" "$T/plain.out" "the $v spelling stores what the plain one does, byte for byte"
done
if grep -n 'SECRET' "$T/plain.out"; then
	fail "a secret in the store"
else
	pass "no secret stored, at any depth or under any of its names"
fi
got=$(sqlite3 "$T/plain.db" "select event from issuance where key_id = 'ASIAQQQQQQQQISSUED01'" |
	jq -c '.responseElements.deep')
is "$got" '[[{"SessionToken":"REDACTED"},{"secretAccessKey":{"sessionToken":"REDACTED"}}],"sessionToken",{"SecretAccessKey":"REDACTED"}]' \
	"nested secrets redacted; a string that merely reads sessionToken kept"

done_testing
