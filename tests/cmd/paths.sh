# Sourced after lib.sh by the credential-path tests (t0010-t0014): the path
# fixtures, a store per scenario, one lookup answer at a time, and the check
# that events in any order, duplicated or late give the same answers.
# shellcheck disable=SC2034 # used by the tests that source this
P="$FIX/paths"

# use_store NAME: record into and look up from a store of its own
use_store() { export WDN_STORE="$T/$1.db"; }

# ans KEY [OPTION...]: look KEY up (no trails unless asked) into $T/ans
ans() {
	_k=$1
	shift
	wdn-lookup --no-trails "$@" "$_k" >"$T/ans" 2>"$T/ans.err"
}
ans_trails() { _k=$1; shift; wdn-lookup "$@" "$_k" >"$T/ans" 2>"$T/ans.err"; }

# j FILTER: a jq filter over the last answer, compact
j() { jq -c "$1" "$T/ans"; }

# field FILTER WANT DESCRIPTION: one member of the last answer
field() { is "$(j "$1")" "$2" "$3"; }

# ev FILE EVENT_NAME [N]: the Nth (1-based) event of that name in a fixture, compact
ev() { jq -c --arg n "$2" "[.Records[] | select(.eventName == \$n)][${3:-1} - 1]" "$1"; }

# event_id FILE EVENT_NAME [N]: its eventID
event_id() { ev "$@" | jq -r .eventID; }

# keys_of FILE...: every valid access key ID the events mention, sorted
keys_of() {
	for _f in "$@"; do
		jq -r '.Records[] | .responseElements.credentials.accessKeyId?, .responseElements.accessKey.accessKeyId?,
			.userIdentity.accessKeyId?, .requestParameters.accessKeyId? | strings' "$_f"
	done | grep -E '^A[KS]IA[A-Z0-9]{16}$' | sort -u
}

# order_free WHAT FILE...: record the files in order into one store, and the
# same events reversed, each twice, in two runs (the earliest events last, as
# CloudTrail delivers late) into another; every key must answer the same,
# descendants included.
order_free() {
	_what=$1
	shift
	rm -f "$T/of-a.db"* "$T/of-b.db"*
	WDN_STORE="$T/of-a.db" wdn-record -q "$@"
	for _f in "$@"; do jq -c '.Records[]' "$_f"; done | tac | awk '{ print; print }' >"$T/of.jsonl"
	_lines=$(wc -l <"$T/of.jsonl")
	head -n $((_lines / 2)) "$T/of.jsonl" >"$T/of-1.jsonl"
	tail -n +$((_lines / 2 + 1)) "$T/of.jsonl" | gzip -c >"$T/of-2.jsonl.gz"
	WDN_STORE="$T/of-b.db" wdn-record -q "$T/of-1.jsonl"
	WDN_STORE="$T/of-b.db" wdn-record -q "$T/of-2.jsonl.gz" "$T/of-1.jsonl"
	keys_of "$@" >"$T/of-keys"
	: >"$T/of-diff"
	while read -r _k; do
		# each link's Source is the file it was read from: another here
		_a=$(WDN_STORE="$T/of-a.db" wdn-lookup --no-trails --descendants "$_k" 2>/dev/null | jq -S -c 'del(.Links[]?.Source)')
		_b=$(WDN_STORE="$T/of-b.db" wdn-lookup --no-trails --descendants "$_k" 2>/dev/null | jq -S -c 'del(.Links[]?.Source)')
		[ "$_a" = "$_b" ] || echo "$_k" >>"$T/of-diff"
	done <"$T/of-keys"
	_cnt=$(wc -l <"$T/of-keys" | tr -d " ")
	[ "$_cnt" -gt 0 ] && [ ! -s "$T/of-diff" ]
	ok "$_what: $_cnt keys answer the same with events reversed, duplicated and late" ||
		sed 's/^/#   differs: /' "$T/of-diff"
}
