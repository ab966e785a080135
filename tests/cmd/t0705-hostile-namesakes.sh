#!/bin/sh
# Namesakes: IAM names a user or role by name, but a user deleted and
# created again under the same name is someone else. A key keeps the tags
# of the principal that held it: never a later namesake's tags, never the
# path a namesake is renamed along; a key made after the name came back is
# the namesake's. Several names and orders (deleted and recreated, recreated
# with the DeleteUser missing from the logs, recreated before the key, the
# namesake renamed, a key only seen in use, deleted in the key's own second,
# roles), the events in order and reversed, against both stores.
. tests/cmd/lib.sh
A=111122223333 B=444455556666
U="arn:aws:iam::$A:user"
ADMIN=AKIAQQQQQQQQQQADMIN0

_id=0
# iam TIME EVENT_NAME REQUEST_JSON [RESPONSE_JSON [ACCOUNT]]: an IAM call of an admin
iam() {
	_id=$((_id + 1))
	jq -cn --arg t "2024-01-$1Z" --arg n "$2" --argjson req "$3" --argjson resp "${4:-null}" \
		--arg a "${5:-$A}" --arg id "ev-$_id" --arg ak "$ADMIN" '{
		eventVersion: "1.09", eventSource: "iam.amazonaws.com", eventName: $n, eventTime: $t,
		eventID: $id, awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":user/admin"),
			accountId: $a, accessKeyId: $ak, userName: "admin" },
		requestParameters: $req, responseElements: $resp }'
}
tags() { # tags k=v...: an IAM tag list
	for _kv in "$@"; do printf '{"key":"%s","value":"%s"}\n' "${_kv%%=*}" "${_kv#*=}"; done | jq -cs .
}
mkuser() { _t=$1 _u=$2; shift 2; iam "$_t" CreateUser "{\"userName\":\"$_u\",\"tags\":$(tags "$@")}"; }
mkuser_in() { _t=$1 _a=$2 _u=$3; shift 3; iam "$_t" CreateUser "{\"userName\":\"$_u\",\"tags\":$(tags "$@")}" null "$_a"; }
deluser() { iam "$1" DeleteUser "{\"userName\":\"$2\"}"; }
taguser() { _t=$1 _u=$2; shift 2; iam "$_t" TagUser "{\"userName\":\"$_u\",\"tags\":$(tags "$@")}"; }
rename() { iam "$1" UpdateUser "{\"userName\":\"$2\",\"newUserName\":\"$3\"}"; }
mkkey() {
	iam "$1" CreateAccessKey "{\"userName\":\"$2\"}" \
		"{\"accessKey\":{\"accessKeyId\":\"$3\",\"status\":\"Active\",\"userName\":\"$2\"}}"
}
delkey() { iam "$1" DeleteAccessKey "{\"userName\":\"$2\",\"accessKeyId\":\"$3\"}"; }
mkrole() { _t=$1 _r=$2; shift 2; iam "$_t" CreateRole "{\"roleName\":\"$_r\",\"tags\":$(tags "$@")}"; }
delrole() { iam "$1" DeleteRole "{\"roleName\":\"$2\"}"; }
# seen TIME KEY USER: the user's long-term key in use (a sighting)
seen() {
	_id=$((_id + 1))
	jq -cn --arg t "2024-01-$1Z" --arg k "$2" --arg u "$3" --arg a "$A" --arg id "ev-$_id" '{
		eventVersion: "1.09", eventSource: "s3.amazonaws.com", eventName: "ListBuckets",
		eventTime: $t, eventID: $id, awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":user/" + $u),
			accountId: $a, accessKeyId: $k, userName: $u } }'
}
# assume TIME ROLE KEY: the admin assumes the role, issuing KEY
assume() {
	_id=$((_id + 1))
	jq -cn --arg t "2024-01-$1Z" --arg r "arn:aws:iam::$A:role/$2" --arg k "$3" --arg a "$A" \
		--arg id "ev-$_id" --arg ak "$ADMIN" '{
		eventVersion: "1.09", eventSource: "sts.amazonaws.com", eventName: "AssumeRole",
		eventTime: $t, eventID: $id, awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":user/admin"),
			accountId: $a, accessKeyId: $ak, userName: "admin" },
		requestParameters: { roleArn: $r, roleSessionName: "s" },
		responseElements: { credentials: { accessKeyId: $k, expiration: "Jan 1, 2030, 12:00:00 AM" },
			assumedRoleUser: { arn: ("arn:aws:sts::" + $a + ":assumed-role/" + ($r | sub(".*/"; "")) + "/s") } } }'
}

{
	# alice: deleted, then a namesake with a key of her own; the same
	# name in another account is no one here
	mkuser 01T00:00:00 alice team=red
	mkkey 02T00:00:00 alice AKIAQQQQQQQQALICE001
	delkey 03T00:00:00 alice AKIAQQQQQQQQALICE001
	deluser 04T00:00:00 alice
	mkuser 05T00:00:00 alice team=blue
	mkkey 06T00:00:00 alice AKIAQQQQQQQQALICE002
	mkuser_in 07T00:00:00 "$B" alice team=other
	# bob: tagged after his key; recreated, the DeleteUser not in the logs
	mkuser 01T00:00:00 bob
	mkkey 02T00:00:00 bob AKIAQQQQQQQQBOB00001
	taguser 03T00:00:00 bob x=1
	mkuser 05T00:00:00 bob x=2
	taguser 06T00:00:00 bob y=3
	# carol: deleted and recreated before her key: the key is the namesake's
	mkuser 01T00:00:00 carol team=red
	deluser 02T00:00:00 carol
	mkuser 03T00:00:00 carol team=green
	mkkey 04T00:00:00 carol AKIAQQQQQQQQCAROL001
	taguser 05T00:00:00 carol on=call
	# dave: the namesake is renamed; the key stays the first dave's
	mkuser 01T00:00:00 dave team=sre
	mkkey 02T00:00:00 dave AKIAQQQQQQQQDAVE0001
	delkey 03T00:00:00 dave AKIAQQQQQQQQDAVE0001
	deluser 04T00:00:00 dave
	mkuser 05T00:00:00 dave team=fin
	rename 06T00:00:00 dave david
	taguser 07T00:00:00 david boss=yes
	# erin: a key only seen in use
	mkuser 01T00:00:00 erin a=1
	seen 02T00:00:00 AKIAQQQQQQQQERIN0001 erin
	deluser 03T00:00:00 erin
	mkuser 04T00:00:00 erin a=2
	# gina: key and user deleted in the second the key was made
	mkuser 01T00:00:00 gina t=1
	mkkey 02T00:00:00 gina AKIAQQQQQQQQGINA0001
	delkey 02T00:00:00 gina AKIAQQQQQQQQGINA0001
	deluser 02T00:00:00 gina
	mkuser 03T00:00:00 gina t=2
	# roles: ops deleted and recreated between two sessions
	mkrole 01T00:00:00 ops env=prod
	assume 02T00:00:00 ops ASIAQQQQQQQQOPS00001
	delrole 03T00:00:00 ops
	mkrole 04T00:00:00 ops env=dev
	assume 05T00:00:00 ops ASIAQQQQQQQQOPS00002
	# ci: the role recreated in the very second of a session
	mkrole 01T00:00:00 ci env=a
	delrole 02T00:00:00 ci
	mkrole 02T00:00:00 ci env=b
	assume 02T00:00:00 ci ASIAQQQQQQQQCI000001
	delrole 03T00:00:00 ci
	mkrole 03T00:00:00 ci env=c
} >"$T/ev.jsonl"
sed -n '1!G;h;$p' "$T/ev.jsonl" >"$T/ev-rev.jsonl"

# KEY AT  PRINCIPAL  TAGS  (AT "-": the latest)
cat >"$T/want" <<EOF
AKIAQQQQQQQQALICE001 - $U/alice {}
AKIAQQQQQQQQALICE001 2024-01-02T12:00:00Z $U/alice {"team":"red"}
AKIAQQQQQQQQALICE001 2024-01-05T12:00:00Z $U/alice {}
AKIAQQQQQQQQALICE002 - $U/alice {"team":"blue"}
AKIAQQQQQQQQBOB00001 - $U/bob {}
AKIAQQQQQQQQBOB00001 2024-01-04T00:00:00Z $U/bob {"x":"1"}
AKIAQQQQQQQQCAROL001 - $U/carol {"on":"call","team":"green"}
AKIAQQQQQQQQDAVE0001 - $U/dave {}
AKIAQQQQQQQQDAVE0001 2024-01-02T12:00:00Z $U/dave {"team":"sre"}
AKIAQQQQQQQQERIN0001 - $U/erin {}
AKIAQQQQQQQQERIN0001 2024-01-02T12:00:00Z $U/erin {"a":"1"}
AKIAQQQQQQQQGINA0001 - $U/gina {}
ASIAQQQQQQQQOPS00001 - arn:aws:iam::$A:role/ops {"env":"prod"}
ASIAQQQQQQQQOPS00002 - arn:aws:iam::$A:role/ops {"env":"dev"}
ASIAQQQQQQQQCI000001 - arn:aws:iam::$A:role/ci {"env":"b"}
EOF

# answers STORE: each key of $T/want as that store answers it
answers() {
	_s=$1
	while read -r _k _at _p _t; do
		if [ "$_at" = - ]; then set --; else set -- --at "$_at"; fi
		printf '%s %s %s\n' "$_k" "$_at" \
			"$(wdn-lookup --no-trails --store "$_s" "$@" "$_k" 2>&1 | jq -r '"\(.Principal) \(.Tags | tojson)"')"
	done <"$T/want"
}

check() { # check STORE WHAT
	answers "$1" >"$T/got"
	cmp_ok "$T/want" "$T/got" "$2: each key has its own principal's tags, never a later namesake's"
}

wdn-record -q --store "$T/in.db" "$T/ev.jsonl"
is "$?" 0 "SQLite: the events record"
check "$T/in.db" "SQLite, in order"
wdn-record -q --store "$T/rev.db" "$T/ev-rev.jsonl"
check "$T/rev.db" "SQLite, reversed"

. tests/peers/use.sh
peers_up || { done_testing; exit; }
wdn-record -q --store dynamodb:names --create-table </dev/null
wdn-record -q --store dynamodb:names "$T/ev.jsonl"
is "$?" 0 "DynamoDB: the events record"
check dynamodb:names "DynamoDB, in order"
wdn-record -q --store dynamodb:names-rev --create-table </dev/null
wdn-record -q --store dynamodb:names-rev "$T/ev-rev.jsonl"
check dynamodb:names-rev "DynamoDB, reversed"
done_testing
