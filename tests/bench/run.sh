#!/bin/sh
# Benchmarks over generated trails (make bench). Machines are shared and noisy,
# so every figure is a ratio against a baseline measured on the same data in
# the same run; times are reported, never asserted.
#
#   record-cpu          wdn-record CPU (user+sys) vs zcat | json_verify -s, ~100 MB
#   record-digests      wdn-record CPU on the same trail with CloudTrail digest
#                       files (tests/bench/digests.sh signs them) and
#                       --public-keys, vs without digests: what verifying costs
#   lookup              wdn-lookup of a 4-deep chain in a store of 1M issuances,
#                       median wall time vs sqlite3 DB 'select 1' on the same DB
#   lookup-instructions the same two commands' instruction counts under
#                       callgrind (valgrind), a stable companion to lookup
#   record-rss          wdn-record peak RSS at 10 MB, 100 MB, 1 GB of input
#   enrich-cpu-vs-gzip  wdn-enrich -o DIR CPU vs zcat | gzip -1, ~1 GB (quick: ~100 MB)
#   enrich-cpu-vs-jq    the same vs zcat | jq -c '.Records[]' | gzip -1
#   enrich-j2           wdn-enrich -j 2 vs -j 1, wall time (throughput ratio);
#                       with what zcat gains in two halves at once meanwhile,
#                       the parallelism the machine offers right now
#   enrich-rss          wdn-enrich peak RSS and MB of input per CPU second at
#                       10 MB, 100 MB, 1 GB and 5 GB of input
#   ddb-record          DynamoDB requests per 1000 issuances recorded (protocol
#                       peers: dynalite behind tests/peers/proxy.js, which
#                       counts them), ~5000 issuances
#   ddb-inflight        the most of those requests in flight at once
#   ddb-record-mixed    the same on a trail where 3% of events issue (sightings
#                       of the other keys included), no target
#   ddb-resolve         DynamoDB requests per 1000 distinct keys resolved by
#                       wdn-chain (1000 keys on stdin)
#   ddb-resolve-enrich  the same by wdn-enrich over the recorded trail
# wdn-enrich reads a store wdn-record filled from the largest input it enriches.
#
#   speed, speed-*      the speed table (issue 15): wdn-record and wdn-enrich
#                       (stdout, -o) CPU vs zcat, zcat|gzip -1 and
#                       zcat|jq|gzip -1 on ~100 MB, with MB per CPU second,
#                       and the same as instruction counts (callgrind) on ~10 MB;
#                       speed-j2 (-j 2 vs -j 1 wall), speed-rss (peak RSS of
#                       record and enrich -o at each size), speed-lambda (peak
#                       RSS on one ~100 MB trail file, gzip and plain)
# The run ends with one table (issue 15): every row measured, its figure,
# its target and whether it is met, and the command measured.
# B is the build directory (gentrail), BIN where the commands are.
# BENCH_QUICK=1 skips the 1 GB input of record-rss, enriches ~100 MB for the
# CPU ratios, uses 200k issuances; the ~5 GB input is opt-in, BENCH_BIG=1
# (speed table and enrich-rss; BENCH_SKIP_5G=1 still drops it;
# BENCH_BIG_FILES=N makes it N files of ~1.5 MB instead of 3200, any N: the
# trails of each series are taken smallest first, one of a size once);
# BENCH_ONLY=ddb runs only the ddb-* figures, BENCH_ONLY=speed only the
# speed table. No
# valgrind: no lookup-instructions; no node/npm: no
# ddb-* figures (each says so).
# Generated data is cached in build/bench/ and remade only when missing or
# older than the program that made it.
set -u
: "${B:=build/default}" "${BIN:=bin}" "${BENCH_QUICK:=0}" "${BENCH_SKIP_5G:=0}" "${BENCH_ONLY:=}" "${BENCH_BIG:=0}"
: "${BENCH_BIG_FILES:=3200}"
top=$(pwd)
gen="$top/$B/tests/gentrail"
rec="$top/$BIN/wdn-record"
look="$top/$BIN/wdn-lookup"
enr="$top/$BIN/wdn-enrich"
chn="$top/$BIN/wdn-chain"
cache="$top/build/bench"
tmp="$cache/tmp.$$"
failed=0

say() { printf '%s\n' "$*"; }
note() { printf 'bench: %s\n' "$*" >&2; }
# trow NAME FIGURE TARGET VERDICT COMMAND: a row of the closing table
trows= # the closing table's rows (a file)
trow() { [ -n "$trows" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$trows"; }
# verdict FIGURE LIMIT le|ge: "met" or "NOT met"
verdict() { awk -v f="$1" -v l="$2" -v o="$3" 'BEGIN { m = o == "le" ? f + 0 <= l + 0 : f + 0 >= l + 0; print m ? "met" : "NOT met" }'; }
print_table() {
	[ -s "$trows" ] || return 0
	say ""
	say "issue 15 table ($(date -u +%Y-%m-%dT%H:%MZ); load $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?') on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs):"
	awk -F '\t' 'BEGIN { printf "| %s | %s | %s | %s | %s |\n|---|---|---|---|---|\n", "row", "measured", "target", "verdict", "command" }
		{ for (i = 1; i <= NF; i++) gsub(/\|/, "\\|", $i); printf "| %s | %s | %s | %s | `%s` |\n", $1, $2, $3, $4, $5 }' "$trows"
}

for f in "$gen" "$rec" "$look" "$enr" "$chn"; do
	[ -x "$f" ] || { note "missing $f (run make first)"; exit 1; }
done
missing=
for t in zcat json_verify sqlite3 awk find; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	note "missing tools:$missing (Debian: apt-get install yajl-tools sqlite3 gzip gawk findutils)"
	exit 1
fi
TIME=/usr/bin/time
if ! [ -x "$TIME" ]; then
	note "/usr/bin/time missing (Debian: apt-get install time); CPU via the shell's times, no RSS figures"
	TIME=
fi
mkdir -p "$tmp" || exit 1
trows="$tmp/table"
: >"$trows"
peers= # the protocol peers' directory, once started
cleanup() {
	[ -n "$peers" ] && sh "$top/tests/peers/stop.sh" "$peers"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# Measure one build throughout, even if bin/ is rebuilt while we run.
cp -p "$rec" "$look" "$enr" "$chn" "$tmp/" || exit 1
rec="$tmp/wdn-record"
look="$tmp/wdn-lookup"
enr="$tmp/wdn-enrich"
chn="$tmp/wdn-chain"

# ---- helpers ----

# timed OUT CMD...: runs CMD with stdout discarded; OUT gets "wall user sys maxrss_kb"
# (maxrss "-" without /usr/bin/time). Returns CMD's status.
timed() {
	_o=$1
	shift
	if [ -n "$TIME" ]; then
		"$TIME" -f '%e %U %S %M' -o "$_o.raw" "$@" >/dev/null
		_rc=$?
		tail -n 1 "$_o.raw" >"$_o"
		return $_rc
	fi
	times >"$_o.t0" # children's CPU so far, in the current shell (no fork)
	_w0=$(date +%s.%N)
	"$@" >/dev/null
	_rc=$?
	_w1=$(date +%s.%N)
	times >"$_o.t1"
	awk -v w0="$_w0" -v w1="$_w1" '
		function sec(s,  m) { m = s; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); return m * 60 + s }
		FNR == 2 { split($0, f, " "); u[NR > 2] = sec(f[1]); s[NR > 2] = sec(f[2]) }
		END { w = w1 - w0; if (w1 ~ /N/) w = 0; printf "%.3f %.2f %.2f -\n", w, u[1] - u[0], s[1] - s[0] }' \
		"$_o.t0" "$_o.t1" >"$_o"
	return $_rc
}

# batch_ms N CMD...: runs CMD N times; prints the mean wall time of one run
# in ms. GNU date's nanoseconds when there, else /usr/bin/time's 10 ms ticks.
if date +%s%N 2>/dev/null | grep -q '^[0-9]*$'; then
	batch_ms() {
		_n=$1
		shift
		_t0=$(date +%s%N)
		_i=0
		while [ $_i -lt "$_n" ]; do
			"$@" >/dev/null || return 1
			_i=$((_i + 1))
		done
		_t1=$(date +%s%N)
		awk -v a="$_t0" -v b="$_t1" -v n="$_n" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 / n }'
	}
else
	batch_ms() {
		_n=$1
		shift
		timed "$tmp/bm" sh -c 'n=$1; shift; i=0; while [ $i -lt $n ]; do "$@" >/dev/null || exit 1; i=$((i + 1)); done' \
			sh "$_n" "$@" || return 1
		awk -v n="$_n" '{ printf "%.3f\n", $1 * 1000 / n }' "$tmp/bm"
	}
fi

# newer A B: A modified after B (test -nt is not POSIX)
newer() { [ -n "$(find "$1" -prune -newer "$2" 2>/dev/null)" ]; }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "inf" }'; }
cpu_of() { awk '{ printf "%.2f", $2 + $3 }' "$1"; }
rss_of() { awk '{ print $4 }' "$1"; }
wall_of() { awk '{ print $1 }' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }

# gen_trail DIR GENTRAIL-ARGS...: generates DIR unless a complete, current copy
# is there (.done, written last, holds gentrail's summary; .stdout its output).
gen_trail() {
	_d=$1
	shift
	if [ -f "$_d/.done" ] && ! newer "$gen" "$_d/.done"; then
		return 0
	fi
	rm -rf "$_d"
	mkdir -p "$_d" || return 1
	note "generating $_d (gentrail $*)"
	"$gen" -v "$@" -o "$_d" >"$_d/.stdout" 2>"$tmp/gen.log" || { cat "$tmp/gen.log" >&2; return 1; }
	cat "$tmp/gen.log" >"$_d/.done"
}

# by_size DIR...: the trail directories given (-fN, N files each), one a
# line, fewest files first, each size once (BENCH_BIG_FILES may equal or fall
# between the others); empty ones left out
by_size() {
	for _d in "$@"; do
		[ -n "$_d" ] && printf '%s %s\n' "${_d##*-f}" "$_d"
	done | sort -n -u -k 1,1 | cut -d ' ' -f 2-
}
nl='
'

# uncompressed bytes of a generated trail, from gentrail's summary
trail_bytes() { sed -n 's/.* events, \([0-9]*\) bytes uncompressed.*/\1/p' "$1/.done"; }

fresh_store() { rm -f "$tmp/store.db" "$tmp/store.db-wal" "$tmp/store.db-shm" "$tmp/store.db-journal"; }

# record DIR OUT: wdn-record DIR into an empty store
record() {
	fresh_store
	timed "$2" "$rec" -q --store "sqlite:$tmp/store.db" "$1/AWSLogs" # the trail only, not our dotfiles
}

# baseline DIR OUT: the cost of merely reading and parsing the same input
baseline() {
	timed "$2" sh -c 'find "$1" -type f -name "*.json.gz" -exec zcat {} + | json_verify -s' sh "$1/AWSLogs"
}

# record_into DB DIR: records the trail DIR into a new SQLite store DB, kept
# between runs: one file (WAL checkpointed), dated from when recording began.
record_into() {
	rm -f "$1" "$1-wal" "$1-shm" "$1.tmp" "$1.tmp-wal" "$1.tmp-shm"
	: >"$tmp/stamp" # the store dates from when recording began, not ended
	if ! timed "$tmp/r" "$rec" -q --store "sqlite:$1.tmp" "$2/AWSLogs"; then
		rm -f "$1.tmp" "$1.tmp-wal" "$1.tmp-shm"
		return 1
	fi
	note "recorded in $(awk '{ print $1 }' "$tmp/r")s wall, $(cpu_of "$tmp/r")s CPU"
	# checkpoint the WAL so the store is one file we can rename
	sqlite3 "$1.tmp" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1
	rm -f "$1.tmp-wal" "$1.tmp-shm"
	touch -r "$tmp/stamp" "$1.tmp"
	mv "$1.tmp" "$1"
}

# irefs CMD...: CMD's instruction count under callgrind ("I refs"), on stdout;
# nothing when there is none (valgrind's output kept in $tmp/irefs.err)
irefs() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$tmp/irefs.err"
	sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$tmp/irefs.err" | tr -d , | head -n 1
}

# median_of FILE: the median of the numbers in FILE, "-" when it has none
median_of() { if [ -s "$1" ]; then median "$1"; else echo -; fi; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# per1000 N OF: N per 1000 OF
per1000() { awk -v n="$1" -v d="$2" 'BEGIN { if (d > 0) printf "%.1f", n * 1000 / d; else printf "inf" }'; }

# ---- e. DynamoDB requests, counted by the signing proxy in front of dynalite ----

ddb_requests() {
	ddir="$cache/issue-s3-i100-n1000-f5"
	if ! command -v curl >/dev/null 2>&1; then
		say "ddb-record: skipped (no curl to read the proxy's counters; Debian: apt-get install curl)"
	elif ! gen_trail "$ddir" -s 3 -i 100 -n 1000 -f 5 --keys "$ddir/.keys"; then
		say "ddb-record: generating the trail failed"
		failed=1
	else
		peers="$tmp/peers" # set first: an interrupted start is stopped too
		WDN_PEERS_OWNER=$$ sh "$top/tests/peers/start.sh" "$peers" 2>"$tmp/peers.err"
		prc=$?
		if [ "$prc" = 2 ]; then
			why=$(tail -n 1 "$tmp/peers.err" | sed 's/^start.sh: //')
			say "ddb-record: skipped (the protocol peers cannot run here: $why)"
			say "ddb-inflight: skipped (likewise)"
			say "ddb-resolve: skipped (likewise)"
			say "ddb-resolve-enrich: skipped (likewise)"
		elif [ "$prc" != 0 ]; then
			say "ddb-record: the protocol peers did not start: $(grep -m 3 'start.sh' "$tmp/peers.err")"
			failed=1
		else
			set -a
			. "$peers/env"
			set +a
			admin=$WDN_PROXY_DYNAMODB
			table=bench
			stats() { curl -sSf "$admin/__stats" >"$1"; }
			zero() { curl -sSf -X POST "$admin/__reset" >/dev/null; }
			stat_of() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }
			targets() { sed -n 's/.*"byTarget":{\([^}]*\)}.*/\1/p' "$1" | tr -d '"' | sed 's/,/, /g'; }
			nkeys=$(wc -l <"$ddir/.keys" | tr -d ' ')
			if ! "$rec" -q --store "dynamodb:$table" --create-table </dev/null 2>"$tmp/ddb.err"; then
				say "ddb-record: wdn-record --create-table failed: $(head -n 3 "$tmp/ddb.err")"
				failed=1
			elif ! zero || ! timed "$tmp/t" "$rec" --store "dynamodb:$table" "$ddir/AWSLogs" 2>"$tmp/ddb.err" ||
				! stats "$tmp/s"; then
				say "ddb-record: wdn-record into DynamoDB failed: $(head -n 3 "$tmp/ddb.err")"
				failed=1
			else
				niss=$(sed -n 's/.* events, \([0-9]*\) issuances.*/\1/p' "$tmp/ddb.err")
				req=$(stat_of requests "$tmp/s")
				trow ddb-record "$(per1000 "$req" "$niss") requests per 1000 issuances" "<= 45" "$(verdict "$(per1000 "$req" "$niss")" 45 le)" "wdn-record --store dynamodb:T DIR (dynalite, counted by the proxy)"
				say "ddb-record: $(per1000 "$req" "$niss") requests per 1000 issuances recorded ($req requests: $(targets "$tmp/s"); $niss issuances recorded of $nkeys keys issued in the trail, $(per1000 "$req" "$nkeys") per 1000 keys; $(wall_of "$tmp/t")s wall) [target <= 45]"
				say "ddb-inflight: $(stat_of maxInFlight "$tmp/s") requests in flight at most while recording [target >= 8]"

				# the same on a trail like a real one, 3% of events issuing: the
				# sightings of the other 97% are written too
				mdir="$cache/trail-s1-n1000-f6"
				if gen_trail "$mdir" -s 1 -n 1000 -f 6 && zero &&
					"$rec" -q --store "dynamodb:mixed" --create-table </dev/null 2>/dev/null && zero &&
					"$rec" --store "dynamodb:mixed" "$mdir/AWSLogs" 2>"$tmp/mixed.err" >/dev/null && stats "$tmp/s"; then
					mi=$(sed -n 's/.* events, \([0-9]*\) issuances.*/\1/p' "$tmp/mixed.err")
					ms=$(sed -n 's/.* \([0-9]*\) keys seen.*/\1/p' "$tmp/mixed.err")
					say "ddb-record-mixed: $(per1000 "$(stat_of requests "$tmp/s")" "$mi") requests per 1000 issuances on a trail with 3% of events issuing ($(stat_of requests "$tmp/s") requests: $(targets "$tmp/s"); $mi issuances, $ms keys seen) [no target: sightings of keys the run did not issue add items]"
				else
					say "ddb-record-mixed: recording the 3% trail failed: $(head -n 3 "$tmp/mixed.err" 2>/dev/null)"
				fi

				# resolve 1000 distinct keys in bulk: wdn-chain reading them on stdin
				awk '!seen[$1]++ { print $1 }' "$ddir/.keys" | head -n 1000 >"$tmp/keys"
				nk=$(wc -l <"$tmp/keys" | tr -d ' ')
				if ! zero || ! timed "$tmp/t" sh -c '"$1" --store "$2" <"$3" >"$4"' sh "$chn" "dynamodb:$table" "$tmp/keys" "$tmp/chain.out" \
					2>"$tmp/ddb.err" || ! stats "$tmp/s"; then
					say "ddb-resolve: wdn-chain on DynamoDB failed: $(head -n 3 "$tmp/ddb.err")"
					failed=1
				else
					found=$(grep -c '"Found":true' "$tmp/chain.out")
					req=$(stat_of requests "$tmp/s")
					trow ddb-resolve "$(per1000 "$req" "$nk") requests per 1000 keys" "<= 15" "$(verdict "$(per1000 "$req" "$nk")" 15 le)" "wdn-chain --store dynamodb:T <KEYS"
					say "ddb-resolve: $(per1000 "$req" "$nk") requests per 1000 distinct keys resolved (wdn-chain, $nk keys on stdin, $found found; $req requests: $(targets "$tmp/s"); maxInFlight $(stat_of maxInFlight "$tmp/s"); $(wall_of "$tmp/t")s wall) [target <= 15]"
				fi

				# and wdn-enrich over the trail, whose events use keys of it
				if ! command -v jq >/dev/null 2>&1; then
					say "ddb-resolve-enrich: skipped (no jq to count the distinct keys)"
				else
					nk=$(find "$ddir/AWSLogs" -type f -name '*.json.gz' -exec zcat {} + |
						jq -r '.Records[].userIdentity.accessKeyId // empty' | sort -u | wc -l | tr -d ' ')
					nev=$(sed -n 's/.* files, \([0-9]*\) events.*/\1/p' "$ddir/.done")
					if ! zero || ! timed "$tmp/t" "$enr" -q --store "dynamodb:$table" "$ddir/AWSLogs" 2>"$tmp/ddb.err" ||
						[ -s "$tmp/ddb.err" ] || ! stats "$tmp/s"; then
						say "ddb-resolve-enrich: wdn-enrich on DynamoDB failed: $(head -n 3 "$tmp/ddb.err")"
						failed=1
					else
						req=$(stat_of requests "$tmp/s")
						trow ddb-resolve-enrich "$(per1000 "$req" "$nk") requests per 1000 keys" "<= 15" "$(verdict "$(per1000 "$req" "$nk")" 15 le)" "wdn-enrich --store dynamodb:T DIR"
						say "ddb-resolve-enrich: $(per1000 "$req" "$nk") requests per 1000 distinct keys resolved (wdn-enrich over $nev events using $nk distinct keys; $req requests: $(targets "$tmp/s"); maxInFlight $(stat_of maxInFlight "$tmp/s"); $(wall_of "$tmp/t")s wall) [target <= 15]"
					fi
				fi
			fi
		fi
		sh "$top/tests/peers/stop.sh" "$peers"
		peers=
	fi
}

if [ "$BENCH_ONLY" = ddb ]; then
	ddb_requests
	print_table
	exit $failed
fi

# ---- data: trails of ~10 MB, ~100 MB, ~1 GB (same seed: each a prefix of the next) ----

small="$cache/trail-s1-n1000-f6"
mid="$cache/trail-s1-n1000-f64"
big="$cache/trail-s1-n1000-f640"
gen_trail "$small" -s 1 -n 1000 -f 6 || exit 1
gen_trail "$mid" -s 1 -n 1000 -f 64 || exit 1
if [ "$BENCH_QUICK" = 1 ] || [ "$BENCH_ONLY" = speed ]; then
	big=
else
	gen_trail "$big" -s 1 -n 1000 -f 640 || exit 1
fi
huge= # ~5 GB: opt-in, BENCH_BIG=1
if [ "$BENCH_BIG" = 1 ]; then
	huge="$cache/trail-s1-n1000-f$BENCH_BIG_FILES"
	gen_trail "$huge" -s 1 -n 1000 -f "$BENCH_BIG_FILES" || exit 1
fi

# ---- s. the speed table (issue 15): CPU against the floor, same files, same run ----
#
# Every row is a CPU (user+sys) ratio against a baseline run on the same
# files in the same run, median of 3 interleaved rounds; then throughput in
# MB of input per CPU second. CPU figures move with the machine's load (a
# shared machine's caches and frequency); the instructions rows (callgrind,
# on the ~10 MB trail, every process of a pipeline summed) do not.
# BENCH_BIG=1 runs the CPU rows on the ~5 GB trail too.

# zcat_1 DIR OUT, zcat_2 DIR OUT: zcat (one process) of all the files, and
# of two halves at once: the speedup the machine itself offers two
# single-threaded jobs right now, to read enrich-j2 against
zcat_1() {
	find "$1/AWSLogs" -type f -name '*.json.gz' | sort >"$tmp/files"
	awk 'NR % 2' "$tmp/files" >"$tmp/files.1"
	awk 'NR % 2 == 0' "$tmp/files" >"$tmp/files.2"
	timed "$2" sh -c 'xargs zcat <"$1"' sh "$tmp/files" 2>"$tmp/base.err" && ! [ -s "$tmp/base.err" ]
}
zcat_2() {
	timed "$2" sh -c 'xargs zcat <"$1" >/dev/null & xargs zcat <"$2" >/dev/null & wait' \
		sh "$tmp/files.1" "$tmp/files.2" 2>"$tmp/base.err" && ! [ -s "$tmp/base.err" ]
}

# cpu_add TIMED-OUT FILE: the run's CPU seconds appended to FILE, one a line
cpu_add() { cpu_of "$1" >>"$2" && echo >>"$2"; }
zcat_only() {
	timed "$2" sh -c 'find "$1" -type f -name "*.json.gz" -exec zcat {} +' sh "$1/AWSLogs" 2>"$tmp/base.err" &&
		! [ -s "$tmp/base.err" ]
}
# zcat_gzip DIR OUT, zcat_jq DIR OUT: the baselines, run like wdn-enrich;
# /usr/bin/time (or times) counts the CPU of the children sh waits for
zcat_gzip() {
	timed "$2" sh -c 'find "$1" -type f -name "*.json.gz" -exec zcat {} + | gzip -1' sh "$1/AWSLogs" 2>"$tmp/base.err" &&
		! [ -s "$tmp/base.err" ]
}
zcat_jq() {
	timed "$2" sh -c 'find "$1" -type f -name "*.json.gz" -exec zcat {} + | jq -c ".Records[]" | gzip -1' sh "$1/AWSLogs" \
		2>"$tmp/base.err" && ! [ -s "$tmp/base.err" ]
}
# irefs_all CMD...: instructions of CMD and every process it starts, summed
irefs_all() {
	rm -f "$tmp"/cg.*
	valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$tmp/cg.%p" "$@" >/dev/null 2>"$tmp/irefs.err"
	sed -n 's/.*Collected *: *\([0-9]*\).*/\1/p' "$tmp/irefs.err" | awk '{ s += $1 } END { if (NR) print s }'
}
speed_row() { # NAME WDN-FILE BASE-FILE BASE-NAME TARGET
	if [ -s "$2" ] && [ -s "$3" ]; then
		_w=$(median "$2")
		_b=$(median "$3")
		_r=$(ratio "$_w" "$_b")
		_m=$(awk -v r="$_r" -v t="$5" 'BEGIN { print (r + 0 <= t + 0) ? "met" : "NOT met" }')
		_t=$(awk -v b="$snb" -v c="$_w" 'BEGIN { if (c > 0) printf "%.0f", b / 1e6 / c; else print "inf" }')
		say "$1: ${_r}x of $4 (wdn ${_w}s, baseline ${_b}s CPU; $(mb "$snb") MB, $_t MB/CPU-s; median of 3) [target <= ${5}x: $_m]"
		trow "$1 ($(mb "$snb") MB)" "${_r}x ($_t MB/CPU-s)" "<= ${5}x" "$_m" "$6"
	fi
}
speed_table() { # DIR
	sdir=$1
	snb=$(trail_bytes "$sdir")
	for f in z gz jq rec est eo; do : >"$tmp/s.$f"; done
	sok=1
	for i in 1 2 3; do
		zcat_only "$sdir" "$tmp/b" && cpu_add "$tmp/b" "$tmp/s.z" || sok=0
		zcat_gzip "$sdir" "$tmp/b" && cpu_add "$tmp/b" "$tmp/s.gz" || sok=0
		if command -v jq >/dev/null 2>&1; then
			zcat_jq "$sdir" "$tmp/b" && cpu_add "$tmp/b" "$tmp/s.jq" || sok=0
		fi
		record "$sdir" "$tmp/b" && cpu_add "$tmp/b" "$tmp/s.rec" || sok=0
		timed "$tmp/b" "$enr" -q --store "sqlite:$tmp/store.db" "$sdir/AWSLogs" 2>"$tmp/enr.err" &&
			! [ -s "$tmp/enr.err" ] && cpu_add "$tmp/b" "$tmp/s.est" || sok=0
		rm -rf "$tmp/enr"
		timed "$tmp/b" "$enr" -q --store "sqlite:$tmp/store.db" -o "$tmp/enr" "$sdir/AWSLogs" 2>"$tmp/enr.err" &&
			! [ -s "$tmp/enr.err" ] && cpu_add "$tmp/b" "$tmp/s.eo" || sok=0
		rm -rf "$tmp/enr"
	done
	[ "$sok" = 1 ] || { say "speed: a run failed on $sdir: $(head -n 3 "$tmp/base.err" "$tmp/enr.err" 2>/dev/null)"; failed=1; }
	say "speed: $(mb "$snb") MB of CloudTrail in $(find "$sdir/AWSLogs" -name '*.json.gz' | wc -l | tr -d ' ') gzip files; baselines (CPU, median of 3): zcat $(median_of "$tmp/s.z")s, zcat|gzip -1 $(median_of "$tmp/s.gz")s, zcat|jq -c '.Records[]'|gzip -1 $(median_of "$tmp/s.jq")s; load $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?') on $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
	speed_row record-vs-zcat "$tmp/s.rec" "$tmp/s.z" zcat 0.6 "wdn-record --store sqlite:DB DIR vs zcat"
	speed_row enrich-stdout-vs-zcat "$tmp/s.est" "$tmp/s.z" zcat 0.8 "wdn-enrich --store sqlite:DB DIR >/dev/null vs zcat"
	speed_row enrich-o-vs-gzip "$tmp/s.eo" "$tmp/s.gz" "zcat|gzip -1" 0.6 "wdn-enrich --store sqlite:DB -o OUT DIR vs zcat | gzip -1"
	speed_row enrich-o-vs-jq "$tmp/s.eo" "$tmp/s.jq" "zcat|jq -c '.Records[]'|gzip -1" 0.12 "wdn-enrich -o OUT DIR vs zcat | jq -c '.Records[]' | gzip -1"
	speed_j2 "$sdir"
}
# speed_j2 DIR: wdn-enrich -o -j 2 vs -j 1, wall time (the store of speed_table),
# interleaved with zcat whole and in two halves at once: what the machine
# gives two single-threaded jobs right now
speed_j2() {
	for f in w1 w2 z1 z2; do : >"$tmp/j.$f"; done
	for i in 1 2 3; do
		for j in 1 2; do
			rm -rf "$tmp/enr"
			timed "$tmp/b" "$enr" -q -j $j --store "sqlite:$tmp/store.db" -o "$tmp/enr" "$1/AWSLogs" 2>"$tmp/enr.err" &&
				! [ -s "$tmp/enr.err" ] && wall_of "$tmp/b" >>"$tmp/j.w$j"
		done
		zcat_1 "$1" "$tmp/b" && wall_of "$tmp/b" >>"$tmp/j.z1" && zcat_2 "$1" "$tmp/b" && wall_of "$tmp/b" >>"$tmp/j.z2"
	done
	rm -rf "$tmp/enr"
	if [ "$(wc -l <"$tmp/j.w1")" != 3 ] || [ "$(wc -l <"$tmp/j.w2")" != 3 ]; then
		say "speed-j2: a run failed: $(head -n 3 "$tmp/enr.err")"
		failed=1
		return
	fi
	_r=$(ratio "$(median "$tmp/j.w1")" "$(median "$tmp/j.w2")")
	_z=-
	[ -s "$tmp/j.z2" ] && _z=$(ratio "$(median "$tmp/j.z1")" "$(median "$tmp/j.z2")")
	say "speed-j2: ${_r}x the throughput of -j 1 (wall -j 1 $(median "$tmp/j.w1")s, -j 2 $(median "$tmp/j.w2")s; $(mb "$snb") MB; median of 3; zcat in two halves at once gave ${_z}x meanwhile) [target >= 1.7x: $(verdict "$_r" 1.7 ge)]"
	trow "enrich-j2 ($(mb "$snb") MB)" "${_r}x (zcat in two halves: ${_z}x)" ">= 1.7x" "$(verdict "$_r" 1.7 ge)" "wdn-enrich -j 2 -o OUT DIR vs -j 1, wall"
}
# speed_rss DIR...: peak RSS of wdn-record (into a new store) and of
# wdn-enrich -o (with that store) on each trail, smallest first
speed_rss() {
	_rl='' _el='' _r0='' _r1='' _e0='' _e1='' _rmax=0 _emax=0
	_o=$IFS
	IFS=$nl
	set -- $(by_size "$@")
	IFS=$_o
	for _d in "$@"; do
		[ -n "$_d" ] || continue
		record "$_d" "$tmp/b" || { say "speed-rss: wdn-record failed on $_d"; failed=1; return; }
		_rr=$(rss_of "$tmp/b")
		rm -rf "$tmp/enr"
		timed "$tmp/b" "$enr" -q --store "sqlite:$tmp/store.db" -o "$tmp/enr" "$_d/AWSLogs" 2>"$tmp/enr.err" ||
			{ say "speed-rss: wdn-enrich failed on $_d: $(head -n 3 "$tmp/enr.err")"; failed=1; return; }
		rm -rf "$tmp/enr"
		_er=$(rss_of "$tmp/b")
		_m=$(mb "$(trail_bytes "$_d")")
		_rl="$_rl${_rl:+, }$_m MB: $(mib "$_rr") MiB"
		_el="$_el${_el:+, }$_m MB: $(mib "$_er") MiB"
		[ -n "$_r0" ] || { _r0=$_rr; _e0=$_er; }
		_r1=$_rr _e1=$_er
		[ "$_rr" -le "$_rmax" ] || _rmax=$_rr
		[ "$_er" -le "$_emax" ] || _emax=$_er
	done
	_rg=$(ratio "$_r1" "$_r0")
	_eg=$(ratio "$_e1" "$_e0")
	say "speed-rss: wdn-record $_rg x largest/smallest ($_rl), wdn-enrich -o $_eg x ($_el) [targets: within 1.3x; record < 16 MiB, enrich < 64 MiB]"
	trow "record-rss-flat" "${_rg}x ($_rl)" "<= 1.3x" "$(verdict "$_rg" 1.3 le)" "/usr/bin/time -f %M wdn-record --store sqlite:DB DIR"
	trow "enrich-rss-flat" "${_eg}x ($_el)" "<= 1.3x" "$(verdict "$_eg" 1.3 le)" "/usr/bin/time -f %M wdn-enrich --store sqlite:DB -o OUT DIR"
	trow "record-rss" "$(mib "$_rmax") MiB at most" "< 16 MiB" "$(verdict "$(mib "$_rmax")" 16 le)" "/usr/bin/time -f %M wdn-record --store sqlite:DB DIR"
	trow "enrich-rss" "$(mib "$_emax") MiB at most" "< 64 MiB" "$(verdict "$(mib "$_emax")" 64 le)" "/usr/bin/time -f %M wdn-enrich --store sqlite:DB -o OUT DIR"
}
# speed_lambda: peak RSS of wdn-record, wdn-enrich to stdout and -o on one
# ~100 MB (decoded) trail file, as a Lambda gets it, gzip and plain; a
# Lambda of 128 MB must never run out: target < 100 MiB
speed_lambda() {
	_ld="$cache/one-s1-n65000-f1"
	gen_trail "$_ld" -s 1 -n 65000 -f 1 || { say "speed-lambda: generating the file failed"; failed=1; return; }
	_gz=$(find "$_ld/AWSLogs" -type f -name '*.json.gz' | head -n 1)
	if ! [ -s "$_ld/plain.json" ] || newer "$_gz" "$_ld/plain.json"; then
		zcat "$_gz" >"$_ld/plain.json" || { say "speed-lambda: zcat failed"; failed=1; return; }
	fi
	_l='' _max=0
	for _f in "$_gz" "$_ld/plain.json"; do
		case $_f in *.gz) _k=gz ;; *) _k=plain ;; esac
		fresh_store
		timed "$tmp/b" "$rec" -q --store "sqlite:$tmp/store.db" "$_f" || { say "speed-lambda: wdn-record failed on $_f"; failed=1; return; }
		_a=$(rss_of "$tmp/b")
		timed "$tmp/b" "$enr" -q --store "sqlite:$tmp/store.db" "$_f" 2>"$tmp/enr.err" || { say "speed-lambda: wdn-enrich failed"; failed=1; return; }
		_s=$(rss_of "$tmp/b")
		rm -rf "$tmp/enr"
		timed "$tmp/b" "$enr" -q --store "sqlite:$tmp/store.db" -o "$tmp/enr" "$_f" 2>"$tmp/enr.err" || { say "speed-lambda: wdn-enrich -o failed"; failed=1; return; }
		rm -rf "$tmp/enr"
		_eo=$(rss_of "$tmp/b")
		_l="$_l${_l:+; }$_k: record $(mib "$_a"), enrich $(mib "$_s"), enrich -o $(mib "$_eo") MiB"
		for _v in "$_a" "$_s" "$_eo"; do [ "$_v" -le "$_max" ] || _max=$_v; done
	done
	say "speed-lambda: peak $(mib "$_max") MiB on one $(mb "$(trail_bytes "$_ld")") MB trail file ($_l) [target < 100 MiB: a Lambda of 128 MB never runs out]"
	trow "lambda-100mb-file" "$(mib "$_max") MiB at most ($_l)" "< 100 MiB" "$(verdict "$(mib "$_max")" 100 le)" "/usr/bin/time -f %M wdn-record|wdn-enrich [-o OUT] FILE(.json.gz|.json)"
}
speed_instructions() { # DIR
	sdir=$1
	if ! command -v valgrind >/dev/null 2>&1; then
		say "speed-instructions: skipped (no valgrind; Debian: apt-get install valgrind)"
		return
	fi
	fresh_store
	"$rec" -q --store "sqlite:$tmp/store.db" "$sdir/AWSLogs" || { say "speed-instructions: wdn-record failed"; failed=1; return; }
	iz=$(irefs_all sh -c 'find "$1" -type f -name "*.json.gz" -exec zcat {} +' sh "$sdir/AWSLogs")
	igz=$(irefs_all sh -c 'find "$1" -type f -name "*.json.gz" -exec zcat {} + | gzip -1' sh "$sdir/AWSLogs")
	fresh_store
	irec=$(irefs_all "$rec" -q --store "sqlite:$tmp/store.db" "$sdir/AWSLogs")
	iest=$(irefs_all "$enr" -q --store "sqlite:$tmp/store.db" "$sdir/AWSLogs")
	rm -rf "$tmp/enr"
	ieo=$(irefs_all "$enr" -q --store "sqlite:$tmp/store.db" -o "$tmp/enr" "$sdir/AWSLogs")
	rm -rf "$tmp/enr"
	if [ -z "$iz" ] || [ -z "$igz" ] || [ -z "$irec" ] || [ -z "$iest" ] || [ -z "$ieo" ]; then
		say "speed-instructions: callgrind gave no count: $(head -n 3 "$tmp/irefs.err")"
		failed=1
		return
	fi
	trow "record-instructions ($(mb "$(trail_bytes "$sdir")") MB)" "$(ratio "$irec" "$iz")x zcat" "<= 0.6x" "$(verdict "$(ratio "$irec" "$iz")" 0.6 le)" "valgrind --tool=callgrind --trace-children=yes, every process summed"
	trow "enrich-stdout-instructions" "$(ratio "$iest" "$iz")x zcat" "<= 0.8x" "$(verdict "$(ratio "$iest" "$iz")" 0.8 le)" "likewise"
	trow "enrich-o-instructions" "$(ratio "$ieo" "$igz")x zcat|gzip -1" "<= 0.6x" "$(verdict "$(ratio "$ieo" "$igz")" 0.6 le)" "likewise"
	say "speed-instructions: on $(mb "$(trail_bytes "$sdir")") MB (callgrind, every process summed; load-independent): zcat $iz, zcat|gzip -1 $igz; record $(ratio "$irec" "$iz")x zcat [target <= 0.6x], enrich to stdout $(ratio "$iest" "$iz")x zcat [target <= 0.8x], enrich -o $(ratio "$ieo" "$igz")x zcat|gzip -1 [target <= 0.6x] (wdn-record $irec, stdout $iest, -o $ieo)"
}

if [ "$BENCH_ONLY" = speed ] || [ -z "$BENCH_ONLY" ]; then
	speed_table "$mid"
	[ -n "$huge" ] && [ "$huge" != "$mid" ] && speed_table "$huge"
	speed_instructions "$small"
	if [ -n "$TIME" ]; then
		speed_rss "$small" "$mid" "$big" "$huge"
		speed_lambda
	else
		say "speed-rss, speed-lambda: skipped (needs /usr/bin/time: apt-get install time)"
	fi
	if [ "$BENCH_ONLY" = speed ]; then
		trow "lookup, ddb-*" "not run (BENCH_ONLY=speed)" "" "" "make bench"
		print_table
		exit $failed
	fi
fi

# ---- a. record CPU vs zcat | json_verify -s ----

: >"$tmp/wcpu"
: >"$tmp/bcpu"
rss_mid=
for i in 1 2 3; do # interleaved, median of 3: the machine's noise hits both
	if ! baseline "$mid" "$tmp/b"; then
		say "record-cpu: baseline failed (zcat | json_verify -s rejected the generated input)"
		failed=1
		break
	fi
	cpu_of "$tmp/b" >>"$tmp/bcpu"
	echo >>"$tmp/bcpu"
	if ! record "$mid" "$tmp/w"; then
		say "record-cpu: wdn-record failed on $mid"
		failed=1
		break
	fi
	cpu_of "$tmp/w" >>"$tmp/wcpu"
	echo >>"$tmp/wcpu"
	[ -n "$rss_mid" ] || rss_mid=$(rss_of "$tmp/w")
done
if [ -s "$tmp/wcpu" ] && [ -s "$tmp/bcpu" ] && [ "$failed" = 0 ]; then
	w=$(median "$tmp/wcpu")
	b=$(median "$tmp/bcpu")
	say "record-cpu: $(ratio "$w" "$b")x of zcat|json_verify -s (wdn ${w}s, baseline ${b}s; $(mb "$(trail_bytes "$mid")") MB, median of 3) [target <= 1.5x]"
fi

# ---- a2. record CPU with digests (hashing every log, checking signatures) vs without ----

dig="$mid-digests"
if ! command -v openssl >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
	say "record-digests: skipped (needs openssl and jq)"
elif { [ -f "$dig/.done" ] && ! newer "$mid/.done" "$dig/.done"; } ||
	{ note "signing digests for $mid"; sh "$top/tests/bench/digests.sh" "$mid" "$dig" && : >"$dig/.done"; }; then
	: >"$tmp/dcpu"
	: >"$tmp/ncpu"
	for i in 1 2 3; do # interleaved, median of 3
		fresh_store
		timed "$tmp/d" "$rec" -q --store "sqlite:$tmp/store.db" --public-keys "$dig/keys.json" "$dig/AWSLogs" ||
			{ say "record-digests: wdn-record with digests failed (or found them wrong)"; failed=1; break; }
		cpu_of "$tmp/d" >>"$tmp/dcpu" && echo >>"$tmp/dcpu"
		record "$mid" "$tmp/n" || { failed=1; break; }
		cpu_of "$tmp/n" >>"$tmp/ncpu" && echo >>"$tmp/ncpu"
	done
	if [ -s "$tmp/dcpu" ] && [ -s "$tmp/ncpu" ]; then
		w=$(median "$tmp/dcpu")
		b=$(median "$tmp/ncpu")
		say "record-digests: $(ratio "$w" "$b")x the CPU of recording without digests (with ${w}s, without ${b}s; $(find "$dig/AWSLogs" -path '*CloudTrail-Digest*' -type f | wc -l | tr -d ' ') digests over $(mb "$(trail_bytes "$mid")") MB, every log hashed; median of 3) [target <= 1.10x]"
	fi
else
	say "record-digests: signing the digests failed"
	failed=1
fi

# ---- b. lookup of a 4-deep chain among 1M issuances vs sqlite3 'select 1' ----

if [ "$BENCH_QUICK" = 1 ]; then want=200000; else want=1000000; fi
# -i 100: ~98% of events issue a key (2% are refused); 10000 events a file
nfiles=$(((want + 9799) / 9800))
idir="$cache/issue-s2-i100-n10000-f$nfiles"
db="$idir.db"

# build_store: records the issuance trail into $db (kept between runs)
build_store() {
	note "recording $nissued issuances into $db (once; kept for reruns)"
	if ! record_into "$db" "$idir"; then
		say "lookup: wdn-record failed building the store"
		failed=1
		return 1
	fi
}

if gen_trail "$idir" -s 2 -i 100 -c 4 -n 10000 -f "$nfiles" --keys "$idir/.keys" --deepest; then
	nissued=$(wc -l <"$idir/.keys" | tr -d ' ')
	key=$(awk '$2 == 4 { print $1; exit }' "$idir/.keys") # a 4-deep chain
	[ -n "$key" ] || key=$(cat "$idir/.stdout")
	built=0
	if ! [ -s "$db" ] || newer "$rec" "$db" || newer "$idir/.done" "$db"; then
		build_store && built=1
	fi
	rc=1
	if [ -s "$db" ]; then
		"$look" --store "sqlite:$db" "$key" >"$tmp/lookup.json" 2>"$tmp/lookup.err"
		rc=$?
		if [ "$rc" != 0 ] && [ "$built" = 0 ]; then
			# a cached store may predate a schema change: rebuild once
			note "cached store failed ($(head -n 1 "$tmp/lookup.err")); rebuilding it"
			build_store
			"$look" --store "sqlite:$db" "$key" >"$tmp/lookup.json" 2>"$tmp/lookup.err"
			rc=$?
		fi
	fi
	if [ -s "$db" ]; then
		if [ "$rc" != 0 ]; then
			say "lookup: wdn-lookup $key exited $rc: $(head -n 3 "$tmp/lookup.err")"
			failed=1
		else
			chain=
			if command -v jq >/dev/null 2>&1; then
				chain=$(jq -r '.PrincipalChain | length' "$tmp/lookup.json" 2>/dev/null | head -n 1)
			fi
			sqlite3 "$db" 'select 1' >/dev/null # warm both
			batch=20
			: >"$tmp/wl"
			: >"$tmp/bl"
			i=0
			while [ $i -lt 21 ]; do # interleaved so noise hits both alike
				batch_ms $batch "$look" --store "sqlite:$db" "$key" >>"$tmp/wl" || failed=1
				batch_ms $batch sqlite3 "$db" 'select 1' >>"$tmp/bl" || failed=1
				i=$((i + 1))
			done
			w=$(median "$tmp/wl")
			b=$(median "$tmp/bl")
			trow lookup "$(ratio "$w" "$b")x (${w}ms)" "<= 2x" "$(verdict "$(ratio "$w" "$b")" 2 le)" "wdn-lookup --store sqlite:DB KEY vs sqlite3 DB 'select 1', $nissued issuances"
			say "lookup: $(ratio "$w" "$b")x of sqlite3 DB 'select 1' (wdn ${w}ms, baseline ${b}ms; median of 21 batches of $batch; $nissued issuances, key $key, PrincipalChain ${chain:-?} long) [target <= 2x]"
			# the same two commands' instruction counts: immune to the machine's noise
			if ! command -v valgrind >/dev/null 2>&1; then
				say "lookup-instructions: skipped (no valgrind; Debian: apt-get install valgrind)"
			else
				: >"$tmp/wi"
				: >"$tmp/bi"
				for i in 1 2 3; do
					irefs "$look" --store "sqlite:$db" "$key" >>"$tmp/wi"
					irefs sqlite3 "$db" 'select 1' >>"$tmp/bi"
				done
				if [ "$(wc -l <"$tmp/wi")" = 3 ] && [ "$(wc -l <"$tmp/bi")" = 3 ]; then
					w=$(median "$tmp/wi")
					b=$(median "$tmp/bi")
					say "lookup-instructions: $(ratio "$w" "$b")x of sqlite3 DB 'select 1' (wdn $w, baseline $b instructions; callgrind I refs, median of 3; same store and key) [target <= 2x]"
				else
					say "lookup-instructions: valgrind gave no I refs count: $(head -n 3 "$tmp/irefs.err")"
					failed=1
				fi
			fi
		fi
	fi
else
	say "lookup: generating the issuance trail failed"
	failed=1
fi

# ---- c. peak RSS of wdn-record as input grows ----

if [ -z "$TIME" ]; then
	say "record-rss: skipped (needs /usr/bin/time: apt-get install time)"
else
	line='' first='' last=''
	for d in "$small" "$mid" "$big"; do
		[ -n "$d" ] || continue
		if [ "$d" = "$mid" ] && [ -n "$rss_mid" ]; then
			r=$rss_mid
		elif record "$d" "$tmp/w"; then
			r=$(rss_of "$tmp/w")
		else
			say "record-rss: wdn-record failed on $d"
			failed=1
			continue
		fi
		m=$(mb "$(trail_bytes "$d")")
		line="$line${line:+, }${m} MB: $(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
		[ -n "$first" ] || first=$r
		last=$r
	done
	[ -n "$first" ] && say "record-rss: $(ratio "$last" "$first")x largest/smallest input ($line) [target ~1x, flat]"
fi

# ---- d. wdn-enrich: CPU vs zcat | gzip -1 and vs jq, -j 2 vs -j 1, RSS as input grows ----

# The 1 GB trail even in quick mode (the RSS series goes up to it); 5 GB in
# full mode. The store is recorded from the largest, of which the others are
# prefixes, so every input resolves alike.
gig="$cache/trail-s1-n1000-f640"
[ "$BENCH_SKIP_5G" = 1 ] && huge=
if [ "$BENCH_QUICK" = 1 ]; then emain=$mid; else emain=$gig; fi

# enrich OUT JOBS DIR: wdn-enrich -j JOBS the trail DIR into a fresh $tmp/enr;
# OUT as timed's. Fails on a non-zero status or any warning, with why in $why.
enrich() {
	rm -rf "$tmp/enr"
	timed "$1" "$enr" -q -j "$2" --store "sqlite:$edb" -o "$tmp/enr" "$3/AWSLogs" 2>"$tmp/enr.err"
	_rc=$?
	why="wdn-enrich -j $2 on $3 exited $_rc: $(head -n 3 "$tmp/enr.err")"
	[ "$_rc" = 0 ] && ! [ -s "$tmp/enr.err" ]
}
# enrich_check DIR: $tmp/enr holds every event of the trail DIR, and the store
# was used (some chains are longer than one)
enrich_check() {
	_want=$(sed -n 's/.* files, \([0-9]*\) events.*/\1/p' "$1/.done")
	read -r _n _w _c <<EOT
$(find "$tmp/enr" -path '*/account=*' -name '*.json.gz' -exec zcat {} + |
	awk '/"whodunnit":\{"Principal":/ { w++ } /"PrincipalChain":\["[^"]*","/ { c++ } END { print NR, w + 0, c + 0 }')
EOT
	if [ "$_n" != "$_want" ] || [ "$_w" != "$_want" ] || [ "$_c" = 0 ]; then
		note "enriched output: $_n lines, $_w with a whodunnit, $_c with a chain of 2+; the trail has $_want events"
		return 1
	fi
}
eok=1
for d in "$gig" "$huge"; do
	[ -n "$d" ] || continue
	gen_trail "$d" -s 1 -n 1000 -f "${d##*-f}" || { say "enrich: generating $d failed"; eok=0; failed=1; }
done
elargest=$(by_size "$gig" "$huge" | tail -n 1)
esizes=$(by_size "$small" "$mid" "$gig" "$huge")
edb="$elargest.db"
if [ "$eok" = 1 ]; then
	ebuilt=0
	if ! [ -s "$edb" ] || newer "$rec" "$edb" || newer "$elargest/.done" "$edb"; then
		note "recording $elargest into $edb for wdn-enrich (once; kept for reruns)"
		record_into "$edb" "$elargest" && ebuilt=1 || { say "enrich: wdn-record failed building the store"; eok=0; failed=1; }
	fi
fi
if [ "$eok" = 1 ]; then
	# the smallest input first, checked: a cached store may predate a schema change
	if ! enrich "$tmp/e" 1 "$small" || ! enrich_check "$small"; then
		if [ "$ebuilt" = 0 ]; then
			note "enriching with the cached store failed; rebuilding it"
			record_into "$edb" "$elargest" || { say "enrich: wdn-record failed building the store"; failed=1; }
		fi
		if ! enrich "$tmp/e" 1 "$small"; then
			say "enrich: $why"
			eok=0
			failed=1
		elif ! enrich_check "$small"; then
			say "enrich: the enriched output of $small is not what it should be"
			eok=0
			failed=1
		fi
	fi
fi
_ifs=$IFS
if [ "$eok" = 1 ]; then
	# per input size: CPU seconds and RSS of each -j 1 run, in $tmp/ecpu.N, $tmp/erss.N
	rm -f "$tmp"/ecpu.* "$tmp"/erss.*
	cpu_of "$tmp/e" >"$tmp/ecpu.$(trail_bytes "$small")"
	echo >>"$tmp/ecpu.$(trail_bytes "$small")"
	rss_of "$tmp/e" >"$tmp/erss.$(trail_bytes "$small")"

	# a. the main input: interleaved rounds, median of 3
	ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
	load=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?')
	havejq=0
	command -v jq >/dev/null 2>&1 && havejq=1
	nb=$(trail_bytes "$emain")
	: >"$tmp/gz"
	: >"$tmp/z1"
	: >"$tmp/z2"
	: >"$tmp/jq"
	: >"$tmp/w1"
	: >"$tmp/w2"
	: >"$tmp/c2"
	: >"$tmp/ecpu.$nb"
	: >"$tmp/erss.$nb"
	nparts=
	for i in 1 2 3; do
		if zcat_gzip "$emain" "$tmp/b"; then
			cpu_of "$tmp/b" >>"$tmp/gz" && echo >>"$tmp/gz"
		else
			say "enrich: the zcat | gzip -1 baseline failed: $(head -n 3 "$tmp/base.err")"
			failed=1
		fi
		if [ "$havejq" = 1 ]; then
			if zcat_jq "$emain" "$tmp/b"; then
				cpu_of "$tmp/b" >>"$tmp/jq" && echo >>"$tmp/jq"
			else
				say "enrich: the zcat | jq | gzip -1 baseline failed: $(head -n 3 "$tmp/base.err")"
				failed=1
				havejq=0
			fi
		fi
		if zcat_1 "$emain" "$tmp/b" && wall_of "$tmp/b" >>"$tmp/z1" && zcat_2 "$emain" "$tmp/b"; then
			wall_of "$tmp/b" >>"$tmp/z2"
		else
			say "enrich: zcat, whole or in two halves at once, failed: $(head -n 3 "$tmp/base.err")"
			failed=1
		fi
		enrich "$tmp/e" 1 "$emain" || { say "enrich: $why"; failed=1; break; }
		cpu_of "$tmp/e" >>"$tmp/ecpu.$nb" && echo >>"$tmp/ecpu.$nb"
		rss_of "$tmp/e" >>"$tmp/erss.$nb"
		wall_of "$tmp/e" >>"$tmp/w1"
		n1=$(find "$tmp/enr" -type f -name '*.json.gz' | wc -l)
		enrich "$tmp/e" 2 "$emain" || { say "enrich: $why"; failed=1; break; }
		wall_of "$tmp/e" >>"$tmp/w2"
		cpu_of "$tmp/e" >>"$tmp/c2" && echo >>"$tmp/c2"
		n2=$(find "$tmp/enr" -type f -name '*.json.gz' | wc -l)
		if [ "$n1" != "$n2" ]; then
			note "-j 1 wrote $n1 files, -j 2 $n2"
			failed=1
		fi
		nparts=$n1
	done
	rm -rf "$tmp/enr"
	m=$(mb "$nb")
	w=$(median_of "$tmp/ecpu.$nb")
	if [ -s "$tmp/gz" ] && [ "$w" != - ]; then
		b=$(median "$tmp/gz")
		say "enrich-cpu-vs-gzip: $(ratio "$w" "$b")x of zcat|gzip -1 (wdn-enrich -o DIR ${w}s, baseline ${b}s CPU; $m MB in, $nparts files out; median of 3) [target <= 0.6x]"
	fi
	if ! command -v jq >/dev/null 2>&1; then
		say "enrich-cpu-vs-jq: skipped (no jq; Debian: apt-get install jq)"
	elif [ -s "$tmp/jq" ] && [ "$w" != - ]; then
		b=$(median "$tmp/jq")
		say "enrich-cpu-vs-jq: $(ratio "$w" "$b")x of zcat|jq -c '.Records[]'|gzip -1 (wdn-enrich ${w}s, baseline ${b}s CPU; $m MB; median of 3) [target <= 0.12x]"
	fi
	if [ -s "$tmp/w2" ]; then
		a=$(median "$tmp/w1")
		b=$(median "$tmp/w2")
		par=
		if [ -s "$tmp/z2" ] && [ "$(wc -l <"$tmp/z1")" = "$(wc -l <"$tmp/z2")" ]; then
			par="; zcat in two halves at once gave $(ratio "$(median "$tmp/z1")" "$(median "$tmp/z2")")x meanwhile"
		fi
		trow "enrich-j2 ($m MB)" "$(ratio "$a" "$b")x${par:+ (}${par#; }${par:+)}" ">= 1.7x" "$(verdict "$(ratio "$a" "$b")" 1.7 ge)" "wdn-enrich -j 2 -o OUT DIR vs -j 1, wall"
		say "enrich-j2: $(ratio "$a" "$b")x the throughput of -j 1 (wall -j 1 ${a}s, -j 2 ${b}s; CPU -j 1 ${w}s, -j 2 $(median "$tmp/c2")s; $m MB; median of 3; $ncpu CPUs, load $load at start$par) [target >= 1.7x]"
	fi

	# b. the other sizes
	IFS=$nl
	for d in $esizes; do
		IFS=$_ifs
		[ "$d" != "$small" ] && [ "$d" != "$emain" ] || continue
		nb=$(trail_bytes "$d")
		runs=3
		[ "$nb" -lt 2000000000 ] || runs=1
		: >"$tmp/ecpu.$nb"
		: >"$tmp/erss.$nb"
		i=0
		while [ $i -lt $runs ]; do
			enrich "$tmp/e" 1 "$d" || { say "enrich: $why"; failed=1; break; }
			cpu_of "$tmp/e" >>"$tmp/ecpu.$nb" && echo >>"$tmp/ecpu.$nb"
			rss_of "$tmp/e" >>"$tmp/erss.$nb"
			i=$((i + 1))
		done
		rm -rf "$tmp/enr"
	done
	IFS=$_ifs
	nb=$(trail_bytes "$small") # which had one run, checked: two more
	for i in 2 3; do
		enrich "$tmp/e" 1 "$small" || { say "enrich: $why"; failed=1; break; }
		cpu_of "$tmp/e" >>"$tmp/ecpu.$nb" && echo >>"$tmp/ecpu.$nb"
		rss_of "$tmp/e" >>"$tmp/erss.$nb"
	done
	rm -rf "$tmp/enr"

	# c. RSS and throughput by size
	line='' first='' last='' maxrss=0
	IFS=$nl
	for d in $esizes; do
		IFS=$_ifs
		nb=$(trail_bytes "$d")
		c=$(median_of "$tmp/ecpu.$nb")
		[ "$c" != - ] || continue
		r=$(sort -n "$tmp/erss.$nb" | tail -n 1) # the most of its runs
		[ "$r" = - ] && r=0
		t=$(awk -v b="$nb" -v c="$c" 'BEGIN { if (c > 0) printf "%.1f", b / 1e6 / c; else print "inf" }')
		line="$line${line:+; }$(mb "$nb") MB: $(mib "$r") MiB, $t MB/CPU-s (${c}s, $(wc -l <"$tmp/erss.$nb" | tr -d ' ') runs)"
		[ -n "$first" ] || first=$t
		last=$t
		[ "$r" -le "$maxrss" ] || maxrss=$r
	done
	IFS=$_ifs
	if [ -n "$first" ]; then
		if [ -z "$TIME" ]; then
			say "enrich-rss: no RSS figures (needs /usr/bin/time); throughput $(ratio "$last" "$first")x largest/smallest input ($line) [target ~1x, flat]"
		else
			say "enrich-rss: peak $(mib "$maxrss") MiB at most; throughput $(ratio "$last" "$first")x largest/smallest input ($line) [target < 64 MB at every size; throughput ~1x, flat]"
		fi
	fi
fi

ddb_requests
print_table

exit $failed
