#!/bin/sh
# Round 4's merged changes, attacked. The enricher now keeps each issuance
# it read, with the times over which the store gives the same one, and its
# answer cache moves older hits back: an enriched line must still be exactly
# what a fresh enricher gives for that event alone, whatever else the run
# held and in whatever order (keys reissued in adjacent, overlapping, nested
# and endless windows; events at the windows' bounds; one parent of many;
# SQLite and DynamoDB), and a session another process records between two
# inputs is found with its whole chain. Schema 4: a file that is not a
# readable store says why; schema 3 stores are read as they are, migrated
# whole under kill -9 and racing writers and readers, the rank rule kept.
. tests/cmd/lib.sh
A=111122223333
B=1704067200 # 2024-01-01T00:00:00Z

# issuances as JSON lines: T CALLER_KEY CALLER (user/NAME or role/NAME/SESSION) NEW_KEY ROLE EXP|-
iss() {
	jq -cn --argjson t "$1" --arg ck "$2" --arg c "$3" --arg k "$4" --arg r "$5" --arg e "$6" \
		--arg a "$A" '($c | startswith("user/")) as $u | {
		eventVersion: "1.08", eventSource: "sts.amazonaws.com", eventName: "AssumeRole",
		eventTime: ($t | todate), eventID: ("iss-" + $k + "-" + ($t | tostring)),
		awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: (if $u then { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":" + $c),
			accountId: $a, accessKeyId: $ck, userName: ($c | ltrimstr("user/")) }
		else { type: "AssumedRole", accountId: $a, accessKeyId: $ck,
			arn: ("arn:aws:sts::" + $a + ":assumed-" + $c),
			sessionContext: { sessionIssuer: { type: "Role",
				arn: ("arn:aws:iam::" + $a + ":role/" + ($c | split("/")[1])) } } } end),
		requestParameters: { roleArn: ("arn:aws:iam::" + $a + ":role/" + $r),
			roleSessionName: ("s" + ($t | tostring)) },
		responseElements: { credentials: ({ accessKeyId: $k, sessionToken: "x" } +
			(if $e == "-" then {} else { expiration: ($e | tonumber | todate) } end)),
			assumedRoleUser: { arn: ("arn:aws:sts::" + $a + ":assumed-role/" + $r + "/s" +
				($t | tostring)) } } }'
}
P=ASIAPARENTPARENT0001
U1=AKIAUSERUSERUSER0001 U2=AKIAUSERUSERUSER0002
{
	# the parent key issued four times: adjacent, nested, endless
	iss $B $U1 user/alice $P r1 $((B + 900))
	iss $((B + 900)) $U2 user/bob $P r2 $((B + 1800))
	iss $((B + 1000)) $U1 user/alice $P r3 $((B + 1100))
	iss $((B + 3000)) $U2 user/bob $P r4 -
	# the parent of many, at its windows' bounds; one child reissued over another window
	i=0
	for off in 0 899 900 1000 1100 1101 1800 1801 3000 9000 -5; do
		i=$((i + 1))
		r=r1
		[ "$off" -ge 900 ] && r=r2
		[ "$off" -ge 3000 ] && r=r4
		iss $((B + off)) $P "role/$r/s$off" "ASIACHILDCHILD00$(printf %02d $i)" c$i $((B + off + 600))
	done
	iss $((B + 1500)) $P role/r2/s1500 ASIACHILDCHILD0001 c99 $((B + 2400))
	iss $((B + 2000)) ASIACHILDCHILD0001 role/c99/s1500 ASIAGRANDGRANDC0001 g1 $((B + 2300))
} >"$T/iss.jsonl"
jq -s '{ Records: . }' "$T/iss.jsonl" >"$T/iss.json"
wdn-record -q --store "$T/e.db" "$T/iss.json"
is "$?" 0 "the issuances record"

# uses of each key at each time, one event each
keys="$P $U1 ASIAUNKNOWNUNKNOWN01 ASIAGRANDGRANDC0001"
i=0
while [ $i -lt 11 ]; do i=$((i + 1)); keys="$keys ASIACHILDCHILD00$(printf %02d $i)"; done
for k in $keys; do
	for off in -10 -1 0 1 599 600 601 899 900 901 999 1000 1001 1100 1101 1500 1799 1800 1801 \
		2000 2300 2301 2400 2401 3000 3001 9000 9600 100000; do
		jq -cn --argjson t $((B + off)) --arg k "$k" --arg a "$A" '{
			eventVersion: "1.08", eventSource: "s3.amazonaws.com", eventName: "ListBuckets",
			eventTime: ($t | todate), eventID: ("use-" + $k + "-" + ($t | tostring)),
			awsRegion: "us-east-1", recipientAccountId: $a,
			userIdentity: { type: "AssumedRole", accountId: $a, accessKeyId: $k,
				arn: ("arn:aws:sts::" + $a + ":assumed-role/told/" + $k) } }'
	done
done >"$T/uses.jsonl"
n=$(wc -l <"$T/uses.jsonl")

# each event alone, through a fresh enricher: what every run must give
: >"$T/want"
while IFS= read -r line; do
	printf '{"Records":[%s]}\n' "$line" >"$T/one.json"
	wdn-enrich -q --store "$T/e.db" "$T/one.json" | jq -c '[.eventID, .whodunnit]' >>"$T/want"
done <"$T/uses.jsonl"
sort -o "$T/want" "$T/want"
is "$(wc -l <"$T/want")" "$n" "each of the $n events enriched alone"

# run RUN FILE... -- [OPTIONS]: every event of every file in one run
check() {
	what=$1
	shift
	sort "$T/got" >"$T/got.s"
	if cmp -s "$T/got.s" "$T/want"; then
		pass "$what: each line as a fresh enricher gives it"
	else
		fail "$what: a line differs from the fresh enricher's"
		diff "$T/want" "$T/got.s" | head -6 | sed 's/^/#   /'
	fi
}
# in time order, by key, reversed, shuffled three ways
jq -s '{ Records: sort_by(.eventTime) }' "$T/uses.jsonl" >"$T/by-time.json"
jq -s '{ Records: . }' "$T/uses.jsonl" >"$T/by-key.json"
jq -s '{ Records: reverse }' "$T/uses.jsonl" >"$T/reversed.json"
for s in 1 2 3; do
	awk -v s=$s 'BEGIN { srand(s) } { print rand() "\t" $0 }' "$T/uses.jsonl" | sort -k1,1 | cut -f2- |
		jq -s '{ Records: . }' >"$T/shuffled$s.json"
done
for f in by-time by-key reversed shuffled1 shuffled2 shuffled3; do
	wdn-enrich -q --store "$T/e.db" "$T/$f.json" | jq -c '[.eventID, .whodunnit]' >"$T/got"
	check "$f, one run"
done
wdn-enrich -q --store "$T/e.db" "$T/reversed.json" "$T/by-time.json" "$T/shuffled1.json" |
	jq -c '[.eventID, .whodunnit]' | sort -u >"$T/got"
check "three orders in one run"
wdn-enrich -q -j 2 --store "$T/e.db" "$T/shuffled2.json" "$T/by-time.json" "$T/shuffled3.json" \
	"$T/reversed.json" | jq -c '[.eventID, .whodunnit]' | sort -u >"$T/got"
check "-j 2, four orders"

# ---- a store another process records into while enrich runs --------------
# Each input is read in its own state of the store: a session recorded
# (with the session that issued it) between two inputs gives the second
# input's events their whole chain, as a fresh run gives them, however the
# first input left the parent (not found, or in an older window).
use() { # use TIME KEY: one event of KEY at TIME, in a file of its own
	jq -cn --argjson t "$1" --arg k "$2" --arg a "$A" '{ Records: [{
		eventVersion: "1.08", eventSource: "s3.amazonaws.com", eventName: "ListBuckets",
		eventTime: ($t | todate), eventID: ("mid-" + $k + "-" + ($t | tostring)),
		awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: { type: "AssumedRole", accountId: $a, accessKeyId: $k,
			arn: ("arn:aws:sts::" + $a + ":assumed-role/told/x") } }] }'
}
grep -E '"ASIA(PARENTPARENT0001|CHILDCHILD00(01|03|05))"' "$T/iss.jsonl" | jq -s '{ Records: . }' >"$T/later.json"
for c in 01:100 03:950 05:1110; do
	k=ASIACHILDCHILD00${c%%:*} t=$((B + ${c#*:}))
	rm -f "$T/mid.db" "$T/go"
	wdn-record -q --store "$T/mid.db" "$FIX/seed-example.json"
	use $t $P >"$T/in1.json"
	use $t $k >"$T/in2.json"
	{ while [ ! -f "$T/go" ]; do sleep 0.1; done; cat "$T/in2.json"; } |
		wdn-enrich -q --store "$T/mid.db" "$T/in1.json" - >"$T/mid.out" &
	pid=$!
	sleep 1 # the first input read, the second waiting on the pipe
	wdn-record -q --store "$T/mid.db" "$T/later.json"
	touch "$T/go"
	wait $pid
	got=$(grep "$k" "$T/mid.out" | jq -c .whodunnit)
	want=$(wdn-enrich -q --store "$T/mid.db" "$T/in2.json" | jq -c .whodunnit)
	is "$got" "$want" "$k recorded mid-run, its parent read in the first input: the whole chain"
done

# ---- schema 4: a store that cannot be read is not "empty" ------------------
# A reader that could not read the schema version (not a database, cut
# short, no room for its shared-memory file) took the store for an empty one
# and said so, hiding why; an empty file still is one.
: >"$T/zero.db"
head -c 3000 /dev/urandom >"$T/junk.db"
{ printf 'SQLite format 3\000'; head -c 4000 /dev/zero; } >"$T/header.db"
head -c 20000 "$T/e.db" >"$T/cut.db"
printf 'not a database\n%.0s' 1 2 3 4 5 6 7 8 >"$T/text.db"
for f in junk header cut text; do
	wdn-lookup --store "$T/$f.db" --no-trails $P >/dev/null 2>"$T/$f.err"
	rc=$?
	if grep -q "is empty" "$T/$f.err" || [ $rc -eq 0 ]; then
		fail "a store that is not one ($f): said why it cannot be read (exit $rc)"
		sed 's/^/#   /' "$T/$f.err"
	else
		pass "a store that is not one ($f): said why it cannot be read"
	fi
done
wdn-lookup --store "$T/zero.db" --no-trails $P >/dev/null 2>"$T/zero.err"
grep -q "store '.*zero.db' is empty" "$T/zero.err"
ok "an empty file is still an empty store" || sed 's/^/#   /' "$T/zero.err"
# a store the reader may read, but in a directory it cannot write (its
# log's shared memory cannot be made)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/ro" && cp "$T/e.db" "$T/ro/s.db" && chmod 755 "$T" "$T/ro" && chmod 644 "$T/ro/s.db"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$WDN_BIN/wdn-lookup" --store "$T/ro/s.db" --no-trails $P 2>&1 >/dev/null | grep -v 'keys alone' >"$T/ro.err"
	if grep -q "is empty" "$T/ro.err"; then
		fail "a store the reader cannot open: said why, not 'empty'"
		sed 's/^/#   /' "$T/ro.err"
	else
		pass "a store the reader cannot open: said why, not 'empty'"
	fi
else
	skip "not root, or no setpriv: a store in a directory the reader cannot write"
fi

# ---- schema 3 to 4: read as it is, migrated once, whatever races it --------
# to3 DB: the store as schema 3 kept it (issuances WITHOUT ROWID)
to3() {
	sqlite3 "$1" "BEGIN;
	CREATE TABLE issuance3 (key_id TEXT NOT NULL, start INTEGER NOT NULL, end_time INTEGER,
	 event_id TEXT, event_name TEXT NOT NULL, shared_event_id TEXT, principal TEXT, account TEXT,
	 session_name TEXT, caller_key TEXT, caller_type TEXT, caller_arn TEXT, caller_principal TEXT,
	 caller_account TEXT, invoked_by TEXT, session_tags TEXT, transitive_keys TEXT,
	 incoming_tags TEXT, source_identity TEXT, provider TEXT, subject TEXT, audience TEXT,
	 event TEXT NOT NULL, source TEXT, PRIMARY KEY (key_id, start)) WITHOUT ROWID;
	INSERT INTO issuance3 SELECT * FROM issuance; DROP TABLE issuance;
	ALTER TABLE issuance3 RENAME TO issuance;
	CREATE INDEX issuance_by_caller ON issuance (caller_key, start);
	PRAGMA user_version = 3; COMMIT;" >/dev/null
}
gen="$WDN_BUILD/tests/gentrail"
if ! command -v sqlite3 >/dev/null || ! [ -x "$gen" ]; then
	skip "no sqlite3 or gentrail: schema 3 stores"
else
	"$gen" -s 11 -n 2500 -f 4 -i 40 --keys "$T/gkeys" -o "$T/g" 2>/dev/null
	cut -d' ' -f1 "$T/gkeys" >"$T/gk"
	wdn-record -q --store "$T/g4.db" "$T/g"
	wdn-lookup --store "$T/g4.db" --no-trails <"$T/gk" >"$T/g.want" 2>&1
	cp "$T/g4.db" "$T/g3.db" && to3 "$T/g3.db"
	is "$(sqlite3 "$T/g3.db" 'PRAGMA user_version')" 3 "a schema 3 store of $(wc -l <"$T/gk") keys"
	wdn-lookup --store "$T/g3.db" --no-trails <"$T/gk" >"$T/g.got" 2>&1
	cmp_ok "$T/g.want" "$T/g.got" "schema 3, read as it is: the same answers"
	is "$(sqlite3 "$T/g3.db" 'PRAGMA user_version')" 3 "and left as it is"
	# killed mid-migration: still schema 3 or wholly 5, whole, the same
	# answers; four writers migrate at once while two readers read
	migration_races "$T/g3.db" "$T/gk" "$T/g.want" "$T/g" version_ok "3 ok"
	# the rank rule after migration: a better copy (smaller event ID) replaces,
	# a worse one does not, as in a store made new
	jq '.Records |= map(.eventID = ("0" + .eventID))' "$T/iss.json" >"$T/better.json"
	jq '.Records |= map(.eventID = ("z" + .eventID) | .requestParameters.roleSessionName = "worse")' \
		"$T/iss.json" >"$T/worse.json"
	cp "$T/e.db" "$T/e3.db" && to3 "$T/e3.db"
	wdn-record -q --store "$T/e3.db" "$T/worse.json" "$T/better.json"
	wdn-record -q --store "$T/e4.db" "$T/iss.json" "$T/better.json" "$T/worse.json"
	for k in $keys; do
		wdn-lookup --store "$T/e3.db" --at 2024-01-01T00:20:00Z "$k" >>"$T/rank3" 2>&1
		wdn-lookup --store "$T/e4.db" --at 2024-01-01T00:20:00Z "$k" >>"$T/rank4" 2>&1
	done
	cmp_ok "$T/rank4" "$T/rank3" "the rank rule after migration: as a new store ranks"
	grep -q worse "$T/rank3"
	is "$?" 1 "the worse copies replaced nothing"
	grep -q '"eventID":"0iss-' "$T/rank3"
	ok "the better copies replaced the recorded ones"
fi

# ---- the same through DynamoDB, read in gathering rounds -------------------
. tests/peers/use.sh
peers_up || { done_testing; exit; }
wdn-record -q --store dynamodb:wdn --create-table "$T/iss.json" </dev/null
is "$?" 0 "the issuances record in DynamoDB"
# Source names the file read; both stores read the same one
for f in shuffled1 reversed; do
	wdn-enrich -q --store dynamodb:wdn "$T/$f.json" | jq -c '[.eventID, .whodunnit]' >"$T/got"
	check "DynamoDB, $f"
done
wdn-enrich -q -j 2 --store dynamodb:wdn "$T/shuffled3.json" "$T/by-time.json" |
	jq -c '[.eventID, .whodunnit]' | sort -u >"$T/got"
check "DynamoDB, -j 2"

done_testing
