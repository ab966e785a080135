# Sourced by the live-capture tests (t0501-t0503), after tests/cmd/lib.sh:
# what the Lambda and SQS tests share.

# envelope: each CloudTrail event on stdin (a log file or an event) as the
# EventBridge event that carries it, one per line
envelope() {
	jq -c '(if type == "object" and has("Records") then .Records[] else . end) |
		{version: "0", id: ("eb-" + .eventID), "detail-type": "AWS API Call via CloudTrail",
		 source: ("aws." + (.eventSource | split(".")[0])), account: (.recipientAccountId // .userIdentity.accountId),
		 time: .eventTime, region: .awsRegion, resources: [], detail: .}'
}

# dump DB: every record of a SQLite store, in a stable order
# the issuances but for their source: the file or object each was read from
icols="key_id, start, end_time, event_id, event_name, shared_event_id, principal, account,
session_name, caller_key, caller_type, caller_arn, caller_principal, caller_account, invoked_by,
session_tags, transitive_keys, incoming_tags, source_identity, provider, subject, audience, event"
dump() { sqlite3 "$1" "SELECT $icols FROM issuance ORDER BY key_id, start; SELECT * FROM sighting ORDER BY key_id, principal; SELECT * FROM change ORDER BY subject, event_id, kind;"; }

# stand_in NAME WHAT SCRIPT [ARGS...]: start node tests/peers/SCRIPT in the
# background (its pid in $stand_in_pid), wait up to 10 s for its port in
# $T/NAME.port, and test that WHAT started (its log shown if not).
stand_in() {
	_name=$1 _what=$2 _js=$3
	shift 3
	node "$WDN_TOP/tests/peers/$_js" --port-file "$T/$_name.port" --owner $$ "$@" >"$T/$_name.log" 2>&1 &
	stand_in_pid=$!
	_i=0
	while [ ! -s "$T/$_name.port" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$T/$_name.port" ]
	ok "$_what starts" || { sed 's/^/#   /' "$T/$_name.log"; return 1; }
}
