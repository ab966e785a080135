#!/bin/sh
# Writes are idempotent and order-free: recording the same events twice, in
# another order, split differently, or with cross-account copies, leaves the
# same store.
. tests/cmd/lib.sh
command -v sqlite3 >/dev/null || { skip "sqlite3 missing"; done_testing; exit; }
# every column but source: these runs read the same events from other files
cols="key_id, start, end_time, event_id, event_name, shared_event_id, principal, account,
session_name, caller_key, caller_type, caller_arn, caller_principal, caller_account, invoked_by,
session_tags, transitive_keys, incoming_tags, source_identity, provider, subject, audience, event"
dump() { sqlite3 "$1" "SELECT $cols FROM issuance ORDER BY key_id, start; SELECT * FROM sighting ORDER BY key_id, principal;"; }

inputs="$FIX/seed-example.json"
[ -d "$WDN_TESTDATA/invictus-ir-aws_dataset/CloudTrail" ] && inputs="$inputs $WDN_TESTDATA/invictus-ir-aws_dataset/CloudTrail"
# shellcheck disable=SC2086
wdn-record -q --store "$T/a.db" $inputs
dump "$T/a.db" >"$T/a"
[ -s "$T/a" ]
ok "the first run stores something"

# shellcheck disable=SC2086
wdn-record -q --store "$T/a.db" $inputs
dump "$T/a.db" >"$T/a2"
test_cmp "$T/a" "$T/a2"
ok "recording the same inputs again changes nothing"

# the same events as JSON lines, reversed, split in two files, gzip and plain
for f in $(find $inputs -type f | sort); do jq -c '.Records[]' "$f"; done >"$T/all.jsonl"
tac "$T/all.jsonl" >"$T/rev.jsonl"
n=$(wc -l <"$T/rev.jsonl")
head -n $((n / 2)) "$T/rev.jsonl" | gzip -c >"$T/part1.json.gz"
tail -n +$((n / 2 + 1)) "$T/rev.jsonl" >"$T/part2.json"
wdn-record -q --store "$T/b.db" "$T/part2.json" "$T/part1.json.gz"
dump "$T/b.db" >"$T/b"
test_cmp "$T/a" "$T/b"
ok "events in reverse order, split and recompressed, give the same store"

# cross-account AssumeRole: logged in both accounts with one sharedEventID;
# one issuance is kept, the copy that names the caller's key
if have_testdata awsdocs-iam-user-guide; then
	d="$WDN_TESTDATA/awsdocs-iam-user-guide"
	wdn-record -q --store "$T/c.db" "$d/cloudtrail-integration.02.json" "$d/cloudtrail-integration.03.json"
	wdn-record -q --store "$T/d.db" "$d/cloudtrail-integration.03.json" "$d/cloudtrail-integration.02.json"
	is "$(sqlite3 "$T/c.db" 'SELECT count(*) FROM issuance')" 1 "a cross-account pair is one issuance"
	is "$(dump "$T/c.db")" "$(dump "$T/d.db")" "in either order"
	is "$(sqlite3 "$T/c.db" 'SELECT caller_type FROM issuance')" IAMUser "the copy naming the caller's key is kept"
fi

# failed calls issue nothing
jq -c '.Records[0] | .errorCode = "AccessDenied"' "$FIX/seed-example.json" >"$T/failed.json"
wdn-record -q --store "$T/e.db" "$T/failed.json"
is "$(sqlite3 "$T/e.db" 'SELECT count(*) FROM issuance')" 0 "a failed call issues nothing"

# store file is private
wdn-record -q --store "sqlite:$T/f.db" "$FIX/seed-example.json"
is "$(stat -c %a "$T/f.db")" 600 "a new store file is created 0600"
is "$(sqlite3 "$T/f.db" 'PRAGMA journal_mode')" wal "and uses WAL"
umask 000
wdn-record -q --store "$T/g.db" "$FIX/seed-example.json"
is "$(stat -c %a "$T/g.db")" 600 "0600 whatever the umask"
done_testing
