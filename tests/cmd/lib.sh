# Sourced by the command tests (tNNNN-command-what.sh): TAP helpers, a scratch
# directory and a private store. Each test runs from the project root.
set -u
: "${WDN_BIN:=$(pwd)/bin}" "${WDN_TOP:=$(pwd)}" "${WDN_TESTDATA:=$(pwd)/../shared/testdata}" "${WDN_BUILD:=$(pwd)/build/default}"
PATH="$WDN_BIN:$PATH"
FIX="$WDN_TOP/tests/fixtures"
T=$(mktemp -d "${TMPDIR:-/tmp}/wdn-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export WDN_STORE="$T/wdn.db" HOME="$T/home" XDG_DATA_HOME="$T/home/.local/share"
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION NO_COLOR
export LC_ALL=C
mkdir -p "$HOME"
_n=0 _failed=0

ok() { # ok DESCRIPTION -- true when the last command succeeded ($?)
	_rc=$?
	_n=$((_n + 1))
	if [ "$_rc" -eq 0 ]; then echo "ok $_n - $1"; else echo "not ok $_n - $1"; _failed=$((_failed + 1)); fi
	return "$_rc" # so "ok WHAT || show-why" shows why
}
pass() { _n=$((_n + 1)); echo "ok $_n - $1"; }
fail() { _n=$((_n + 1)); echo "not ok $_n - $1"; _failed=$((_failed + 1)); }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $1"; }
is() { # is GOT WANT DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_n - $3"; else
		echo "not ok $_n - $3"; _failed=$((_failed + 1))
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
		return 1
	fi
}
# test_cmp EXPECT ACTUAL: true when the two files (or - for standard input)
# are byte for byte the same; else false, with their unified difference as
# TAP comments, as git's test_cmp: "test_cmp want got; ok WHAT" says why.
test_cmp() {
	if [ "$1" = - ]; then cat >"$T/.test_cmp.in"; set -- "$T/.test_cmp.in" "$2"; fi
	if [ "$2" = - ]; then cat >"$T/.test_cmp.in"; set -- "$1" "$T/.test_cmp.in"; fi
	cmp -s "$1" "$2" && return 0
	echo "# test_cmp: $1 (-) and $2 (+) differ:"
	diff -u "$1" "$2" | sed -n '3,42s/^/#   /p' | cut -c1-400
	return 1
}
# cmp_ok EXPECT ACTUAL DESCRIPTION: one test; the difference shown when it fails.
cmp_ok() {
	if cmp -s "$1" "$2"; then pass "$3"; else
		fail "$3"
		test_cmp "$1" "$2"
	fi
}
# have_testdata DIR: true if ../shared/testdata/DIR exists, else a visible skip.
have_testdata() {
	[ -d "$WDN_TESTDATA/$1" ] && return 0
	skip "shared testdata '$1' absent"
	return 1
}
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }
# require CMD WHY: without CMD, the whole script is one visible skip
require() {
	command -v "$1" >/dev/null 2>&1 && return 0
	skip "$1 (the command) is needed $2"
	done_testing
	exit
}

# log_file DIR: the events on stdin (one a line) as one gzip log file of
# account $A under DIR/AWSLogs, named as CloudTrail names them
log_file() {
	_d="$1/AWSLogs/$A/CloudTrail/us-east-1/2024/01/02"
	mkdir -p "$_d"
	{ printf '{"Records":['; paste -sd, -; printf ']}'; } | gzip >"$_d/${A}_CloudTrail_us-east-1_20240102T0000Z_abcd.json.gz"
}
# store_dump STORE: every record of a SQLite store in a set order, each
# issuance's source aside (it names where it was read)
store_dump() {
	sqlite3 "$1" "select key_id, start, end_time, event_id, event_name, shared_event_id, principal,
		account, session_name, caller_key, caller_type, caller_arn, caller_principal,
		caller_account, invoked_by, session_tags, transitive_keys, incoming_tags,
		source_identity, provider, subject, audience, event from issuance order by key_id, start;
		select * from change order by subject, event_id, kind;
		select * from sighting order by key_id, principal;"
}
# same_as_each DIR STORE DESCRIPTION: STORE (the inputs of DIR recorded in
# one run) holds, byte for byte, what one run per input records
same_as_each() {
	rm -f "$2-each.db"
	for _f in "$1"/*.json.gz; do
		wdn-record -q --store "$2-each.db" "$_f" || fail "$3: recording $_f alone"
	done
	store_dump "$2" >"$2.dump"
	store_dump "$2-each.db" >"$2-each.dump"
	cmp_ok "$2.dump" "$2-each.dump" "$3: the store a run per input makes, byte for byte"
}
# version_ok STORE: its schema version and integrity check, on one line
version_ok() { sqlite3 "$1" 'PRAGMA user_version; PRAGMA integrity_check' | paste -sd' ' -; }
# migration_races OLD KEYS WANT INPUTS STATE OLD_STATE: a store OLD of an
# older schema, killed at five points while a writer brings it to schema 5,
# then migrated by one writer per file of INPUTS at once while two readers
# read. STATE STORE prints the store's state: OLD_STATE or "5 ..." after
# any kill, "5 ..." at the end (as a store the writers made new says);
# every wdn-lookup of the keys in KEYS answers WANT.
migration_races() {
	_old=$1 _keys=$2 _want=$3 _in=$4 _state=$5 _was=$6
	_new=$(wdn-record -q --store "$T/mr-new.db" </dev/null && $_state "$T/mr-new.db")
	for _d in 0.05 0.1 0.2 0.4 0.8; do
		cp "$_old" "$T/mr-k.db"
		wdn-record -q --store "$T/mr-k.db" </dev/null &
		_pid=$!
		sleep $_d
		kill -9 $_pid 2>/dev/null
		wait $_pid 2>/dev/null
		_v=$($_state "$T/mr-k.db")
		if [ "$_v" = "$_was" ] || [ "$_v" = "$_new" ]; then
			pass "killed after ${_d}s: '$_v', whole"
		else
			fail "killed after ${_d}s: '$_v', neither '$_was' nor '$_new'"
		fi
		wdn-lookup --store "$T/mr-k.db" --no-trails <"$_keys" >"$T/mr.got" 2>&1
		cmp_ok "$_want" "$T/mr.got" "killed after ${_d}s: the same answers"
	done
	cp "$_old" "$T/mr-c.db"
	wdn-lookup --store "$T/mr-c.db" --no-trails <"$_keys" >"$T/mr-r1.got" 2>&1 &
	_r1=$!
	_i=0
	for _f in $(find "$_in" -name '*.json.gz' | sort); do
		_i=$((_i + 1))
		wdn-record -q --store "$T/mr-c.db" "$_f" 2>"$T/mr-w$_i.err" &
		eval "_w$_i=\$!"
	done
	wdn-lookup --store "$T/mr-c.db" --no-trails <"$_keys" >"$T/mr-r2.got" 2>&1 &
	_r2=$!
	_j=1
	while [ "$_j" -le "$_i" ]; do
		eval "wait \$_w$_j"
		is "$?" 0 "racing writer $_j migrates or waits, and records" || sed 's/^/#   /' "$T/mr-w$_j.err"
		_j=$((_j + 1))
	done
	wait $_r1
	cmp_ok "$_want" "$T/mr-r1.got" "a reader as the writers start: the same answers"
	wait $_r2
	cmp_ok "$_want" "$T/mr-r2.got" "a reader while they migrate: the same answers"
	is "$($_state "$T/mr-c.db")" "$_new" "the store ends as a new store is, whole"
	wdn-lookup --store "$T/mr-c.db" --no-trails <"$_keys" >"$T/mr.got" 2>&1
	cmp_ok "$_want" "$T/mr.got" "after: the same answers"
}
