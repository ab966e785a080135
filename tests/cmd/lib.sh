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
