#!/bin/sh
# kill -9 of wdn-record at random moments, then a rerun, gives the same store
# as a clean run; two writers and two readers on one SQLite store at once: no
# "database is locked", nothing lost; kill -9 of wdn-enrich leaves no partial
# output.
. tests/cmd/lib.sh
gen="$WDN_BUILD/tests/gentrail"
[ -x "$gen" ] || { skip "gentrail not built (make tools)"; done_testing; exit; }
command -v sqlite3 >/dev/null || { skip "sqlite3 missing"; done_testing; exit; }
"$gen" -s 11 -n 3000 -f 8 -i 20 -o "$T/trail" 2>/dev/null
dump() { sqlite3 "$1" 'SELECT * FROM issuance ORDER BY key_id, start; SELECT * FROM sighting ORDER BY key_id, principal; SELECT * FROM change ORDER BY subject, event_id, kind;' | md5sum; }

wdn-record -q --store "$T/clean.db" "$T/trail"
want=$(dump "$T/clean.db")
n=$(sqlite3 "$T/clean.db" 'SELECT count(*) FROM issuance')
[ "$n" -gt 1000 ]
ok "a clean run records $n issuances"

for delay in 0.05 0.15 0.3 0.5 0.8; do
	rm -f "$T/k.db"*
	wdn-record -q --store "$T/k.db" "$T/trail" &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	wdn-record -q --store "$T/k.db" "$T/trail"
	is "$(dump "$T/k.db")" "$want" "killed after ${delay}s, the rerun gives the clean run's store"
done

# two writers, two readers, one store
rm -f "$T/c.db"*
half=$(find "$T/trail" -name '*.json.gz' | sort | head -4)
rest=$(find "$T/trail" -name '*.json.gz' | sort | tail -4)
key=$(sqlite3 "$T/clean.db" 'SELECT key_id FROM issuance LIMIT 1')
wdn-record -q --store "$T/c.db" </dev/null
# shellcheck disable=SC2086
wdn-record -q --store "$T/c.db" $half 2>"$T/w1" & w1=$!
# shellcheck disable=SC2086
wdn-record -q --store "$T/c.db" $rest 2>"$T/w2" & w2=$!
r=0
while kill -0 $w1 2>/dev/null || kill -0 $w2 2>/dev/null; do
	wdn-lookup -q --store "$T/c.db" --no-trails "$key" >/dev/null 2>>"$T/r1" &
	wdn-lookup -q --store "$T/c.db" --no-trails "$key" >/dev/null 2>>"$T/r2"
	wait $!
	r=$((r + 2))
done
wait $w1; s1=$?
wait $w2; s2=$?
is "$s1 $s2" "0 0" "two writers at once both succeed"
! grep -qi "locked\|busy" "$T/w1" "$T/w2" "$T/r1" "$T/r2"
ok "no 'database is locked' for writers or the $r readers"
is "$(dump "$T/c.db")" "$want" "nothing lost: the store equals a single clean run"

# kill -9 of wdn-enrich leaves no partial output
wdn-enrich -q -o "$T/out" "$T/trail" &
pid=$!
sleep 0.3
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
bad=0
for f in $(find "$T/out" -name '*.json.gz' ! -path '*/_whodunnit/*'); do gzip -t "$f" 2>/dev/null || bad=1; done
is "$bad" 0 "every output file a killed wdn-enrich left is whole"
wdn-enrich -q -o "$T/out" "$T/trail"
is "$(find "$T/out" -name '*.json.gz' ! -path '*/_whodunnit/*' | xargs zcat | wc -l | tr -d ' ')" \
	"$(find "$T/trail" -name '*.json.gz' | xargs zcat | jq '.Records | length' | paste -sd+ | bc)" \
	"the rerun completes it: every event once"
done_testing
