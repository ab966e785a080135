#!/bin/sh
# Round 5's store changes, attacked. wdn-record now holds an input's
# issuances and changes in memory until the input is read whole (up to
# 256 KiB, then the input's savepoint opens and they are written): an input
# cut short anywhere (before, at and past that spill, in a huge event, past
# the 65536 sightings that open the savepoint too) keeps nothing, a whole one
# everything; the rank rule holds between a copy held and one written; a
# store that refuses an issuance at the input's end loses its group, named.
# Schema 5 (sightings in a rowid table): a schema 4 store is read as it is,
# migrated whole under kill -9 and racing writers and readers, its rows
# upserted as a new store's are; an old 4 KiB-page store keeps working.
. tests/cmd/lib.sh
A=111122223333

require sqlite3 "to read the stores"

# gen ID N PAD TAG TPAD KEYS DUP NOISS: one input's Records (awk, for speed):
# N issuances of keys ASIAR5ISSU<ID><j> with PAD bytes of policy each; a
# TagRole every TAG of them with TPAD bytes of value; KEYS distinct caller
# keys used; DUP 1: each issued twice, the worse copy (z-) first and the
# better (a-) N events later, 2: the better first; NOISS 1: the tags only
cat >"$T/gen.awk" <<'EOF'
BEGIN {
	A = "111122223333"
	p = zeros(pad)
	tp = zeros(tpad > 0 ? tpad : 1)
	printf "{\"Records\":["
	sep = ""
	for (j = 0; j < n; j++) {
		k = sprintf("%02d%06d", id, j)
		if (!noiss)
			iss(k, dup == 2 ? "a" : dup ? "z" : "e")
		if (tag && j % tag == 0) {
			printf "%s{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::%s:user/t\",\"accountId\":\"%s\",\"accessKeyId\":\"AKIAR5TAGCALLER%05d\"},\"eventTime\":\"2024-01-03T00:00:%02dZ\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"TagRole\",\"requestParameters\":{\"roleName\":\"R5%s\",\"tags\":[{\"key\":\"k\",\"value\":\"v%s\"}]},\"eventID\":\"tag-%s\",\"recipientAccountId\":\"%s\"}", sep, A, A, id, j % 60, k, tp, k, A
			sep = ","
		}
	}
	if (dup)
		for (j = 0; j < n; j++)
			iss(sprintf("%02d%06d", id, j), dup == 2 ? "z" : "a")
	for (j = 0; j < keys; j++) {
		printf "%s{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::%s:user/k%d\",\"accountId\":\"%s\",\"accessKeyId\":\"AKIAR5USE%02d%07d\"},\"eventTime\":\"2024-01-03T00:01:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"eventID\":\"u%02d-%d\",\"recipientAccountId\":\"%s\"}", sep, A, j, A, id, j, id, j, A
		sep = ","
	}
	printf "]}"
}
function zeros(n, s) { # (not sprintf's width: some awks fail past 64 KB)
	s = ""
	while (length(s) < n)
		s = s (length(s) ? s : "0")
	return substr(s, 1, n)
}
function iss(k, pre) {
	printf "%s{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::%s:user/r5\",\"accountId\":\"%s\",\"accessKeyId\":\"AKIAR5CALLER%08d\"},\"eventTime\":\"2024-01-03T00:00:01Z\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"requestParameters\":{\"roleArn\":\"arn:aws:iam::%s:role/R5\",\"roleSessionName\":\"s%s\",\"policy\":\"%s\"},\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIAR5ISSU%s\",\"sessionToken\":\"x\",\"expiration\":\"Jan 3, 2024, 1:00:01 AM\"},\"assumedRoleUser\":{\"assumedRoleId\":\"AROAR5:s%s\",\"arn\":\"arn:aws:sts::%s:assumed-role/R5/s%s\"}},\"eventID\":\"%s-%s\",\"recipientAccountId\":\"%s\"}", sep, A, A, id, A, k, p, k, k, A, k, pre, k, A
	sep = ","
}
EOF
gen() {
	awk -v id="$1" -v n="$2" -v pad="$3" -v tag="$4" -v tpad="$5" -v keys="$6" -v dup="$7" \
		-v noiss="$8" -f "$T/gen.awk"
}
# what a store holds of input ID: issuances, changes, sightings (caller keys
# and keys used), event IDs not of the better copy
of() {
	sqlite3 "$1" "select count(*) from issuance where key_id like 'ASIAR5ISSU$2%';
		select count(*) from change where subject like '%role/R5$2%';
		select count(*) from sighting where key_id like 'AKIAR5USE$2%' or key_id = 'AKIAR5CALLER000000$2'
			or key_id = 'AKIAR5TAGCALLER000$2';
		select count(*) from issuance where key_id like 'ASIAR5ISSU$2%' and event_id like 'z-%'" |
		paste -sd' ' -
}
# the neighbours of every case: inputs 01 and 03, three issuances and a tag
neighbours() {
	mkdir -p "$1"
	gen 1 3 10 2 10 4 0 0 | gzip >"$1/in-01.json.gz"
	gen 3 3 10 2 10 4 0 0 | gzip >"$1/in-03.json.gz"
}

# ---- held writes: whole, or cut short anywhere, inputs of every shape -------
# case: NAME N PAD TAG TPAD KEYS DUP NOISS -- input 02 between 01 and 03;
# whole, all of it kept (the better copy of each key), as a run of each
# input alone keeps; cut in gzip's trailer (read to its last record), or
# its text cut at a third or at nine tenths: none of it, its neighbours all
case_held() {
	name=$1
	shift
	d="$T/held-$name"
	neighbours "$d"
	gen 2 "$@" >"$T/in-02.json"
	gzip <"$T/in-02.json" >"$d/in-02.json.gz"
	n=$1 tag=$3 keys=$5 noiss=$7
	iss=$n sights=$keys changes=0
	[ "$noiss" = 1 ] && iss=0
	[ "$iss" -gt 0 ] && sights=$((sights + 1))
	[ "$tag" -gt 0 ] && changes=$(((n + tag - 1) / tag)) sights=$((sights + 1))
	wdn-record --store "$d.db" "$d" >"$d.out" 2>"$d.err"
	is "$?" 0 "$name: whole, recorded" || cat "$d.err"
	is "$(of "$d.db" 02)" "$iss $changes $sights 0" "$name: whole, every issuance (the better copy), change, sighting"
	is "$(of "$d.db" 01) $(of "$d.db" 03)" "3 2 6 0 3 2 6 0" "$name: whole, its neighbours"
	jq -r 'select(.AccessKeyId) | .AccessKeyId' "$d.out" | sort -u >"$d.printed"
	sqlite3 "$d.db" "select key_id from issuance order by key_id" >"$d.stored"
	cmp_ok "$d.printed" "$d.stored" "$name: every issuance printed is stored, none stored unprinted"
	jq -r 'select(.Subject) | .Subject + " " + .EventID' "$d.out" | sort -u >"$d.printed"
	sqlite3 "$d.db" "select subject || ' ' || event_id from change order by 1" >"$d.stored"
	cmp_ok "$d.printed" "$d.stored" "$name: every change printed is stored, none stored unprinted"
	same_as_each "$d" "$d.db" "$name"
	size=$(wc -c <"$T/in-02.json")
	for cut in trailer $((size / 3)) $((size * 9 / 10)); do
		if [ "$cut" = trailer ]; then
			head -c "$(($(wc -c <"$d/in-02.json.gz") - 4))" "$d/in-02.json.gz" >"$T/cut.gz"
		else
			head -c "$cut" "$T/in-02.json" | gzip >"$T/cut.gz"
		fi
		rm -rf "$d-cut" "$d-cut.db"
		neighbours "$d-cut"
		mv "$T/cut.gz" "$d-cut/in-02.json.gz"
		wdn-record -q --store "$d-cut.db" "$d-cut" 2>"$d-cut.err"
		is "$?" 1 "$name: cut at $cut, the run fails"
		is "$(of "$d-cut.db" 02) / $(of "$d-cut.db" 01) $(of "$d-cut.db" 03)" \
			"0 0 0 0 / 3 2 6 0 3 2 6 0" "$name: cut at $cut, none of it kept, its neighbours all"
		grep -q "reading '.*in-02.json.gz'" "$d-cut.err"
		ok "$name: cut at $cut, named" || cat "$d-cut.err"
	done
}
#         NAME            N     PAD    TAG TPAD   KEYS  DUP NOISS
case_held small           5     100    2   10     0     0   0
case_held under-spill     60    800    0   0      0     0   0
case_held over-spill      300   800    40  50     0     0   0
case_held changes-only    400   0      1   1000   0     0   1
case_held issuances-only  400   700    0   0      0     0   0
case_held huge-issuance   1     300000 0   0      0     0   0
case_held huge-change     1     10     1   300000 0     0   0
case_held worse-first     150   1500   0   0      0     1   0
case_held better-first    150   1500   0   0      0     2   0
case_held worse-first-few 4     10     3   10     0     1   0
case_held sightings-max   40    100    5   10     70000 0   0
# around the spill, an issuance at a time: each counts its event (1471
# bytes here), 512 and its slot (248 on x86-64): the 118th spills
n=113
while [ "$n" -le 123 ]; do
	case_held "at-spill-$n" "$n" 800 0 0 0 0 0
	n=$((n + 1))
done

# ---- an issuance, a bad record, an issuance: the bad one rejected alone -----
d="$T/bad"
neighbours "$d"
gen 2 2 10 0 0 0 0 0 | jq -c '.Records |= (.[:1] + [.[0] | .eventID = "bad" | .eventTime = "not a time"] + .[1:])' |
	gzip >"$d/in-02.json.gz"
wdn-record -q --store "$d.db" "$d" 2>"$d.err"
is "$?" 3 "an issuance, a bad record, an issuance: the bad record rejected" || cat "$d.err"
is "$(of "$d.db" 02) / $(of "$d.db" 01) $(of "$d.db" 03)" "2 0 1 0 / 3 2 6 0 3 2 6 0" \
	"an issuance, a bad record, an issuance: both issuances kept, and the neighbours"

# ---- a store that refuses a record at the input's end ------------------------
# (a trigger: as a full disk or a constraint would) its group is lost, every
# input of it named, and nothing of it stays; refused held (written at the
# input's end), or refused past the spill (written as the input is read)
for c in small:5:issuance:e-02000004 small:5:issuance:e-02000001 small:5:change:tag-02000004 \
	over-spill:300:issuance:e-02000299 over-spill:300:issuance:e-02000010 \
	over-spill:300:change:tag-02000290 over-spill:300:change:tag-02000010; do
	name=${c%%:*} rest=${c#*:} n=${rest%%:*} rest=${rest#*:} table=${rest%%:*} id=${rest#*:}
	d="$T/refuse-$name-$id"
	neighbours "$d"
	gen 2 "$n" 800 2 100 0 0 0 | gzip >"$d/in-02.json.gz"
	wdn-record -q --store "$d.db" </dev/null
	sqlite3 "$d.db" "CREATE TRIGGER refuse BEFORE INSERT ON $table WHEN NEW.event_id = '$id'
		BEGIN SELECT RAISE(ABORT, 'refused'); END;"
	wdn-record -q --store "$d.db" "$d" 2>"$d.err"
	is "$?" 1 "$name, $id refused: the run fails"
	is "$(of "$d.db" 02) / $(of "$d.db" 01) $(of "$d.db" 03)" "0 0 0 0 / 0 0 0 0 0 0 0 0" \
		"$name, $id refused: nothing of the group kept"
	grep -q "in-01.json.gz': not recorded" "$d.err" && grep -q "in-02.json.gz" "$d.err"
	ok "$name, $id refused: the inputs lost named" || cat "$d.err"
	is "$(sqlite3 "$d.db" 'PRAGMA integrity_check')" ok "$name, $id refused: the store whole"
done

# ---- a key's uses that disagree: the sighting whatever the grouping ----------
# Uses of one key by one principal whose type or account differ (a hostile or
# odd trail): the store keeps the least of each (its upsert, and DynamoDB's
# fold when read), so the uses folded in memory first (in one input, or in
# one group) must keep the least too, not the first: one run of all inputs,
# a run per input, and each use alone give the same sighting.
use() { # use TYPE ACCOUNT MINUTE: a use of AKIAFOLD... as user/f
	printf '{"eventVersion":"1.08","userIdentity":{"type":"%s","arn":"arn:aws:iam::%s:user/f","accountId":"%s","accessKeyId":"AKIAR5FOLDFOLD000001"},"eventTime":"2024-01-03T00:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"f-%s","recipientAccountId":"%s"}' \
		"$1" $A "$2" "$3" "$3" $A
}
d="$T/fold"
mkdir -p "$d"
{ printf '{"Records":['; use IAMUser 999999999999 1; printf ','; use Root 333333333333 2; printf ']}'; } |
	gzip >"$d/in-1.json.gz"
{ printf '{"Records":['; use IAMUser 111122223333 3; printf ','; use AWSAccount 999999999999 4; printf ']}'; } |
	gzip >"$d/in-2.json.gz"
wdn-record -q --store "$d-all.db" "$d"
for f in "$d"/*.json.gz; do
	wdn-record -q --store "$d-each.db" "$f"
done
for m in 1 2 3 4; do
	case $m in 1) u="IAMUser 999999999999" ;; 2) u="Root 333333333333" ;; 3) u="IAMUser 111122223333" ;;
	4) u="AWSAccount 999999999999" ;; esac
	{ printf '{"Records":['; use $u $m; printf ']}'; } >"$T/use-$m.json"
	wdn-record -q --store "$d-one.db" "$T/use-$m.json"
done
fold_of() { sqlite3 "$1" "select type, account, first_seen, last_seen from sighting where key_id like 'AKIAR5FOLD%'"; }
is "$(fold_of "$d-all.db")" "AWSAccount|111122223333|1704240060|1704240240" \
	"uses that disagree, in one run: the least type and account, as the store keeps"
is "$(fold_of "$d-each.db")" "$(fold_of "$d-one.db")" "a run per input: as a run per use"
is "$(fold_of "$d-all.db")" "$(fold_of "$d-one.db")" "one run of all inputs: as a run per use"

# ---- schema 4 to 5: read as it is, migrated once, whatever races it --------
# to4 DB: the store as schema 4 kept it (sightings WITHOUT ROWID)
to4() {
	sqlite3 "$1" "BEGIN;
	CREATE TABLE sighting4 (key_id TEXT NOT NULL, principal TEXT NOT NULL, arn TEXT, type TEXT,
	 account TEXT, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
	 PRIMARY KEY (key_id, principal)) WITHOUT ROWID;
	INSERT INTO sighting4 SELECT * FROM sighting; DROP TABLE sighting;
	ALTER TABLE sighting4 RENAME TO sighting;
	PRAGMA user_version = 4; COMMIT;" >/dev/null
}
rowid() { sqlite3 "$1" "select sql like '%WITHOUT ROWID%' from sqlite_master where name = 'sighting'"; }
v_rowid() { echo "$(version_ok "$1") $(rowid "$1")"; }
gen="$WDN_BUILD/tests/gentrail"
if ! [ -x "$gen" ]; then
	skip "no gentrail: schema 4 stores"
else
	"$gen" -s 12 -n 4000 -f 4 -i 40 --keys "$T/gkeys" -o "$T/g" 2>/dev/null
	cut -d' ' -f1 "$T/gkeys" >"$T/gk"
	# many sightings: keys used by many principals, at many times
	gen 5 20 10 4 10 30000 0 0 >"$T/many.json"
	wdn-record -q --store "$T/g5.db" "$T/g" "$T/many.json"
	sqlite3 "$T/g5.db" "select key_id from sighting where key_id like 'AKIAR5USE%' and rowid % 97 = 0" >>"$T/gk"
	wdn-lookup --store "$T/g5.db" --no-trails <"$T/gk" >"$T/g.want" 2>&1
	cp "$T/g5.db" "$T/g4.db" && to4 "$T/g4.db"
	is "$(version_ok "$T/g4.db") $(rowid "$T/g4.db")" "4 ok 1" \
		"a schema 4 store of $(sqlite3 "$T/g4.db" 'select count(*) from sighting') sightings"
	wdn-lookup --store "$T/g4.db" --no-trails <"$T/gk" >"$T/g.got" 2>&1
	cmp_ok "$T/g.want" "$T/g.got" "schema 4, read as it is: the same answers"
	is "$(version_ok "$T/g4.db") $(rowid "$T/g4.db")" "4 ok 1" "and left as it is"
	# killed mid-migration: still schema 4 or wholly 5, whole, the same
	# answers; four writers migrate at once while two readers read
	migration_races "$T/g4.db" "$T/gk" "$T/g.want" "$T/g" v_rowid "4 ok 1"
	# migrated rows upserted as a new store's: uses earlier and later than
	# recorded, by the same principals, and a copy with no ARN (COALESCE)
	jq -c '.Records |= map(select(.eventName == "ListBuckets")
		| (.eventTime = "2023-12-01T00:00:00Z"), (.eventTime = "2024-02-01T00:00:00Z"
		| del(.userIdentity.arn)))' "$T/many.json" >"$T/more.json"
	cp "$T/g4.db" "$T/m4.db"
	wdn-record -q --store "$T/m4.db" "$T/more.json"
	cp "$T/g5.db" "$T/m5.db"
	wdn-record -q --store "$T/m5.db" "$T/more.json"
	store_dump "$T/m4.db" >"$T/m4.dump"
	store_dump "$T/m5.db" >"$T/m5.dump"
	cmp_ok "$T/m5.dump" "$T/m4.dump" "migrated sightings upserted (MIN, MAX, COALESCE) as a new store's"
	is "$(sqlite3 "$T/m4.db" "select count(*), min(first_seen), max(last_seen), count(arn)
		from sighting where key_id like 'AKIAR5USE%'")" "60000|1701388800|1706745600|30000" \
		"migrated sightings widened; those of no ARN apart"
	# an old store of 4 KiB pages keeps them, and keeps working
	cp "$T/g4.db" "$T/p.db"
	sqlite3 "$T/p.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM; PRAGMA journal_mode=WAL" >/dev/null
	wdn-record -q --store "$T/p.db" "$T/more.json"
	is "$(sqlite3 "$T/p.db" 'PRAGMA page_size') $(version_ok "$T/p.db")" "4096 5 ok" \
		"a 4 KiB-page store: migrated, its page size kept"
	store_dump "$T/p.db" >"$T/p.dump"
	cmp_ok "$T/m5.dump" "$T/p.dump" "a 4 KiB-page store: the same records"
	rm -f "$T/n.db"
	wdn-record -q --store "$T/n.db" "$T/more.json"
	is "$(sqlite3 "$T/n.db" 'PRAGMA page_size; PRAGMA journal_mode' | paste -sd' ' -)" "16384 wal" \
		"a new store: 16 KiB pages, in WAL mode"
fi

done_testing
