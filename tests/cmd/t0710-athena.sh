#!/bin/sh
# Athena that plays nicely: the table's account and region partitions are
# the values the output holds (no injected account every query must name, no
# built-in region list that misses new regions), the DDL's whodunnit
# structure is what wdn-enrich writes, the daily consolidation reads each day
# from exactly one of JSON and Parquet, and every statement printed or shown
# in wdn-enrich(1) is well formed and names only columns the DDL defines.
. tests/cmd/lib.sh
seed="$FIX/seed-example.json"
sqlcheck() { node "$WDN_TOP/tests/cmd/athena-sql.js" "$@"; }
have_node=1
node -e 'process.exit(0)' 2>/dev/null || have_node=0

# ---- an organisation's output: accounts, regions old and new, several days --
# event ACCOUNT REGION TIME: the seed's first event moved there
event() {
	jq -c --arg a "$1" --arg r "$2" --arg t "$3" \
		'.Records[0] | .recipientAccountId = $a | .awsRegion = $r | .eventTime = $t' "$seed"
}
mkdir -p "$T/in"
{
	event 210987654321 ap-east-2 2026-11-20T10:00:00Z
	event 210987654321 us-east-1 2026-11-21T23:59:59Z
	event 333344445555 mx-central-1 2026-11-20T00:00:00Z
	event 999900001111 eu-south-3 2026-12-31T12:00:00Z
} >"$T/in/org.json"
wdn-enrich -q --store "$T/org.db" --record -o "$T/out" "$seed" "$FIX/paths" "$T/in/org.json"
is "$?" 0 "the organisation's trail is enriched into partitions"
# what was written: account=A/region=R directories holding files
written_accounts=$(cd "$T/out" && ls -d account=*/region=*/day=*/ | sed 's,^account=\([^/]*\)/.*,\1,' | sort -u)
written_regions=$(cd "$T/out" && ls -d account=*/region=*/day=*/ | sed 's,^account=[^/]*/region=\([^/]*\)/.*,\1,' | sort -u)

wdn-enrich --athena-ddl -o "$T/out" >"$T/ddl.sql" 2>"$T/ddl.err"
is "$?" 0 "--athena-ddl -o DIR prints the statements" || sed 's/^/# /' "$T/ddl.err"
# values of a projection property, one a line
prop() { sed -n "s/^  'projection\.$1\.values' = '\(.*\)'.*/\1/p" "$2" | head -n 1 | tr , '\n'; }

if grep -n "injected" "$T/ddl.sql" >"$T/inj"; then
	fail "no partition is projected as injected (a query need not name it)"
	sed 's/^/#   /' "$T/inj"
else
	pass "no partition is projected as injected (a query need not name it)"
fi
grep -q "^  'projection.account.type' = 'enum',$" "$T/ddl.sql" &&
	grep -q "^  'projection.region.type' = 'enum',$" "$T/ddl.sql"
ok "account and region are projected as enums of known values"
is "$(prop account "$T/ddl.sql" | tr '\n' ' ')" "$(printf '%s\nunknown\n' "$written_accounts" | sort -u | tr '\n' ' ')" \
	"the account values are exactly the accounts written (and unknown)"
is "$(prop region "$T/ddl.sql" | tr '\n' ' ')" "$(printf '%s\nunknown\n' "$written_regions" | sort -u | tr '\n' ' ')" \
	"the region values are exactly the regions written, new ones too (and unknown)"
for r in ap-east-2 mx-central-1 eu-south-3; do
	prop region "$T/ddl.sql" | grep -qx "$r"
	ok "events written in $r are in a projected partition"
done
prop account "$T/ddl.sql" | grep -qx 999900001111
ok "an account first seen today is in the projected accounts"

# every file written lies where the template puts its partition
tmpl=$(sed -n "s/^  'storage.location.template' = 's3:\/\/BUCKET\/PREFIX\/\(.*\)'$/\1/p" "$T/ddl.sql")
is "$tmpl" 'account=${account}/region=${region}/day=${day}' "the location template is the layout written"
bad=0
for f in $(cd "$T/out" && find account=* -type f); do
	a=${f#account=}; a=${a%%/*}
	r=${f#*/region=}; r=${r%%/*}
	d=${f#*/day=}; d=${d%%/*}
	want=$(printf '%s' "$tmpl" | sed "s/\${account}/$a/; s/\${region}/$r/; s/\${day}/$d/")
	[ "$(dirname "$f")" = "$want" ] || { echo "#   $f is not at $want"; bad=1; }
	prop account "$T/ddl.sql" | grep -qx "$a" || { echo "#   account $a not projected"; bad=1; }
	prop region "$T/ddl.sql" | grep -qx "$r" || { echo "#   region $r not projected"; bad=1; }
done
is "$bad" 0 "every file written is in a partition the table projects"

# the projection values are refreshed by a statement of their own
grep -q "^ALTER TABLE whodunnit_cloudtrail_json SET TBLPROPERTIES ($" "$T/ddl.sql"
ok "--athena-ddl also prints the ALTER TABLE that refreshes the values"

# ---- the DDL's whodunnit structure is what wdn-enrich writes ---------------
if [ "$have_node" = 1 ]; then
	sqlcheck --paths "$T/ddl.sql" whodunnit_cloudtrail_json whodunnit | sort -u >"$T/ddl.paths"
	# member paths written (maps' own keys left out: Tags, ChainTags, ProviderTags)
	gzip -dc $(find "$T/out" -name '*.json.gz' -path '*account=*') |
		jq -r '.whodunnit | paths(true) | map(select(type == "string")) |
			select((index("Tags") // index("ProviderTags")) as $m |
				$m == null or $m == length - 1) | join(".") | ascii_downcase' |
		grep . | sort -u >"$T/written.paths"
	comm -23 "$T/written.paths" "$T/ddl.paths" >"$T/missing"
	is "$(wc -l <"$T/missing" | tr -d ' ')" 0 "every whodunnit member written has a column in the DDL" ||
		sed 's/^/#   not in the DDL: /' "$T/missing"
	comm -13 "$T/written.paths" "$T/ddl.paths" >"$T/extra"
	is "$(wc -l <"$T/extra" | tr -d ' ')" 0 "every whodunnit field of the DDL is written for some fixture" ||
		sed 's/^/#   never written: /' "$T/extra"
	sqlcheck "$T/ddl.sql" >"$T/check" 2>&1
	ok "the DDL is well formed" || sed 's/^/#   /' "$T/check"
	grep -q "^# 4 statements" "$T/check"
	ok "four statements: the JSON table, its values, the Parquet table, the view" || sed 's/^/#   /' "$T/check"
else
	skip "node is needed to read the DDL's structure"
fi

# ---- consolidation: each day read from exactly one of Parquet and JSON ------
wdn-enrich --athena-consolidate 2026-11-20 -o "$T/out" >"$T/c1.sql" 2>"$T/c1.err"
is "$?" 0 "--athena-consolidate DAY prints the daily step" || sed 's/^/# /' "$T/c1.err"
unload=$(sed -n "s/^TO '\(.*\)'$/\1/p" "$T/c1.sql")
added=$(sed -n "s/^  PARTITION (day = '2026-11-20') LOCATION '\(.*\)';$/\1/p" "$T/c1.sql")
moved=$(sed -n "s/^  SET LOCATION '\(.*\)';$/\1/p" "$T/c1.sql")
case $unload in
s3://BUCKET/PREFIX/parquet/day=2026-11-20/run=*/) pass "the day is unloaded under a location of this run's own" ;;
*) fail "the day is unloaded under a location of this run's own"; echo "#   got: $unload" ;;
esac
is "$added|$moved" "$unload|$unload" "the Parquet partition is added and pointed at that location"
grep -q "^FROM whodunnit_cloudtrail_json WHERE \"day\" = '2026-11-20'$" "$T/c1.sql"
ok "only that day is unloaded"
sleep 1
wdn-enrich --athena-consolidate 2026-11-20 -o "$T/out" | sed -n "s/^TO '\(.*\)'$/\1/p" >"$T/unload2"
[ -s "$T/unload2" ] && [ "$(cat "$T/unload2")" != "$unload" ]
ok "a second run writes elsewhere: a failed run's files are never read" || echo "#   both: $unload"
# statement order: values, unload, add, set location, view
is "$(grep -o -e '^ALTER TABLE [a-z_]* SET TBLPROPERTIES' -e '^UNLOAD' -e '^ALTER TABLE [a-z_]* ADD' \
	-e '^ALTER TABLE [a-z_]* PARTITION' -e '^CREATE OR REPLACE VIEW' "$T/c1.sql" | tr '\n' '|')" \
	"ALTER TABLE whodunnit_cloudtrail_json SET TBLPROPERTIES|UNLOAD|ALTER TABLE whodunnit_cloudtrail_parquet ADD|ALTER TABLE whodunnit_cloudtrail_parquet PARTITION|CREATE OR REPLACE VIEW|" \
	"the view moves only after the day's partition is in place"

# the view's two branches, for days around each cutoff (month, year, leap day)
reads() { # reads SQL DAY: which branches of the view read DAY
	pq=$(sed -n "s/^FROM [a-z_]*_parquet WHERE \"day\" < '\(.*\)'$/\1/p" "$1")
	js=$(sed -n "s/^FROM [a-z_]*_json WHERE \"day\" >= '\(.*\)';$/\1/p" "$1")
	[ -n "$pq" ] && [ -n "$js" ] || { echo "no-view"; return; }
	out=
	[ "$(printf '%s\n%s\n' "$2" "$pq" | sort | head -n 1)" = "$2" ] && [ "$2" != "$pq" ] && out="${out}parquet"
	[ "$(printf '%s\n%s\n' "$2" "$js" | sort | head -n 1)" = "$js" ] && out="${out}json"
	echo "$out"
}
for c in 2020-02-28:2020-02-29:2020-03-01 2021-12-31:2022-01-01:2022-01-02 2026-11-20:2026-11-21:2026-11-22; do
	d=${c%%:*}; n=${c#*:}; n=${n%%:*}; nn=${c##*:}
	wdn-enrich --athena-consolidate "$d" >"$T/c.sql"
	got="$(reads "$T/c.sql" "$d") $(reads "$T/c.sql" "$n") $(reads "$T/c.sql" "$nn")"
	is "$got" "parquet json json" "after consolidating $d: it is read from Parquet, $n and later from JSON, once"
done
wdn-enrich --athena-ddl >"$T/d0.sql"
is "$(reads "$T/d0.sql" 2013-11-01) $(reads "$T/d0.sql" 2026-11-20)" "json json" \
	"before any consolidation every day is read from JSON"

for d in "$(date -u +%Y-%m-%d)" "$(date -u -d yesterday +%Y-%m-%d)" 2099-01-01 2021-13-01 20210703 2021-07-03x 2021/07/03 ""; do
	wdn-enrich --athena-consolidate "$d" >"$T/o" 2>"$T/e"
	is "$?:$(wc -c <"$T/o" | tr -d ' ')" "2:0" "--athena-consolidate '$d' is refused, printing nothing"
done

# ---- names that would reach SQL text ---------------------------------------
mkdir -p "$T/out/account=1111'2222/region=us-east-1/day=2026-11-20" "$T/out/account=123/region=a,b/day=2026-11-20" \
	"$T/out/account=124/region=eu-west-1 x/day=2026-11-20" "$T/out/notapartition/region=us-west-2"
wdn-enrich --athena-ddl -o "$T/out" >"$T/h.sql"
is "$(prop account "$T/h.sql" | tr '\n' ' ')|$(prop region "$T/h.sql" | tr '\n' ' ')" \
	"$(printf '%s\nunknown\n' "$written_accounts" | sort -u | tr '\n' ' ')|$(printf '%s\nunknown\n' "$written_regions" | sort -u | tr '\n' ' ')" \
	"directories whose names are not values the writer makes are left out"
for t in "x'y" "a b" "1abc" "db..t" "t;" ""; do
	wdn-enrich --athena-ddl --table "$t" >"$T/o" 2>/dev/null
	is "$?:$(wc -c <"$T/o" | tr -d ' ')" "2:0" "--table '$t' is refused"
done
wdn-enrich --athena-ddl --table analytics.trail >"$T/o"
grep -q "^CREATE EXTERNAL TABLE IF NOT EXISTS analytics.trail_json ($" "$T/o" &&
	grep -q "^CREATE OR REPLACE VIEW analytics.trail AS$" "$T/o"
ok "--table DATABASE.TABLE names the tables and the view"
for o in "s3://b/p'x" 's3://b/p\x' 's3://'; do
	wdn-enrich --athena-ddl -o "$o" >"$T/o" 2>/dev/null
	is "$?:$(wc -c <"$T/o" | tr -d ' ')" "2:0" "-o '$o' is refused as a table location"
done

# ---- every statement printed and every example in wdn-enrich(1) -----------
if [ "$have_node" = 1 ]; then
	# the man page's SQL: literal blocks that begin with a statement
	awk '/^\.Bd -literal/ { inb = 1; buf = ""; next }
		/^\.Ed/ { if (inb && buf ~ /^(SELECT|WITH|CREATE|ALTER|UNLOAD)/) printf "%s", buf; inb = 0; next }
		inb { gsub(/\\e/, "\\"); gsub(/\\&/, ""); buf = buf $0 "\n" }' "$WDN_TOP/man/wdn-enrich.1" >"$T/man.sql"
	n=$(grep -c ';$' "$T/man.sql")
	[ "$n" -ge 3 ]
	ok "wdn-enrich(1) shows queries ($n)" || cat "$T/man.sql" | sed 's/^/#   /'
	sqlcheck "$T/ddl.sql" "$T/c1.sql" "$T/man.sql" >"$T/check" 2>&1
	ok "the DDL, the daily step and the man page's queries are well formed and name only defined columns" ||
		sed 's/^/#   /' "$T/check"
	grep -q "across all accounts" "$WDN_TOP/man/wdn-enrich.1" &&
		awk '/across all accounts/ { f = 1 } f && /^\.Bd/ { g = 1; next } g && /^\.Ed/ { exit } g' \
			"$WDN_TOP/man/wdn-enrich.1" | grep -q "^FROM whodunnit_cloudtrail$" &&
		! awk '/across all accounts/ { f = 1 } f && /^\.Bd/ { g = 1; next } g && /^\.Ed/ { exit } g' \
			"$WDN_TOP/man/wdn-enrich.1" | grep -qw "account"
	ok "the man page shows a query across all accounts that names none"
	# the checker itself sees what it is for
	printf "SELECT whodunnit.identity.nope FROM whodunnit_cloudtrail_json;\n" >"$T/bad1.sql"
	printf "SELECT eventtime FROM whodunnit_cloudtrail_json WHERE day = '1\n" >"$T/bad2.sql"
	printf "SELECT count(*) FROM (SELECT eventtime FROM whodunnit_cloudtrail_json;\n" >"$T/bad3.sql"
	printf "SELECT nope FROM whodunnit_cloudtrail;\n" >"$T/bad4.sql"
	for b in 1 2 3 4; do
		! sqlcheck "$T/ddl.sql" "$T/bad$b.sql" >/dev/null 2>&1
		ok "the SQL check rejects a bad statement ($b)"
	done
else
	skip "node is needed for the SQL check"
fi

# ---- S3: the values are read from the bucket, one listing per partition ----
. tests/peers/use.sh
if peers_up; then
	s3mb() {
		curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
			-X PUT "$AWS_ENDPOINT_URL_S3/$1" >/dev/null
	}
	s3put() { # s3put BUCKET KEY FILE
		curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)" \
			-T "$3" "$AWS_ENDPOINT_URL_S3/$1/$2" >/dev/null
	}
	s3mb enriched
	wdn-enrich -q --store "$T/org.db" -o s3://enriched/trail/ "$seed" "$FIX/paths" "$T/in/org.json"
	is "$?" 0 "the organisation's trail is enriched into S3"
	echo x >"$T/x"
	for k in 1 2 3 4 5; do
		s3put enriched "trail/account=5555'6666/region=us-east-1/day=2026-11-2$k/x.json.gz" "$T/x"
		s3put enriched "trail/account=4444/regions/$k.json.gz" "$T/x"
	done
	s3put enriched "trail/account=7777/elsewhere.json.gz" "$T/x"
	s3put enriched "trail/account=8888/region=us-west-2/day=2026-11-20/y.json.gz" "$T/x"
	s3put enriched "other/account=9999/region=us-west-2/day=2026-11-20/y.json.gz" "$T/x"
	peers_reset s3
	wdn-enrich --athena-ddl -o s3://enriched/trail/ >"$T/s3.sql" 2>"$T/s3.err"
	is "$?" 0 "--athena-ddl -o s3://… reads the values from the bucket" || sed 's/^/# /' "$T/s3.err"
	is "$(prop account "$T/s3.sql" | tr '\n' ' ')" "$(printf '%s\n8888\nunknown\n' "$written_accounts" | sort -u | tr '\n' ' ')" \
		"the accounts under the prefix, and only tame ones"
	is "$(prop region "$T/s3.sql" | tr '\n' ' ')" "$(printf '%s\nus-west-2\nunknown\n' "$written_regions" | sort -u | tr '\n' ' ')" \
		"the regions under the prefix, the new ones too"
	pairs=$(cd "$T/out" && ls -d account=*/region=*/day=*/ | grep -v "[',]" | sed 's,/day=.*,,' | sort -u | wc -l)
	lists=$(peers_stats s3 '.requests // .total // empty' 2>/dev/null)
	if [ -n "$lists" ]; then
		[ "$lists" -le $((pairs + 4)) ]
		ok "one listing per account and region, not per object ($lists requests for $pairs pairs)"
	else
		skip "the proxy does not count requests"
	fi
	grep -q "^LOCATION 's3://enriched/trail/'$" "$T/s3.sql" &&
		grep -q "'storage.location.template' = 's3://enriched/trail/account=\${account}/region=\${region}/day=\${day}'" "$T/s3.sql" &&
		grep -q "^LOCATION 's3://enriched/trail/parquet/';$" "$T/s3.sql"
	ok "the locations are the -o URL's"
fi
done_testing
