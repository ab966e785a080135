#!/bin/sh
# Benchmarks over generated trails (make bench). Machines are shared and noisy,
# so every figure is a ratio against a baseline measured on the same data in
# the same run; times are reported, never asserted.
#
#   record-cpu   wdn-record CPU (user+sys) vs zcat | json_verify -s, ~100 MB
#   lookup       wdn-lookup of a 4-deep chain in a store of 1M issuances,
#                median wall time vs sqlite3 DB 'select 1' on the same DB
#   record-rss   wdn-record peak RSS at 10 MB, 100 MB, 1 GB of input
#
# B is the build directory (gentrail), BIN where the commands are.
# BENCH_QUICK=1 skips the 1 GB input and uses 200k issuances.
# Generated data is cached in build/bench/ and remade only when missing or
# older than the program that made it.
set -u
: "${B:=build/default}" "${BIN:=bin}" "${BENCH_QUICK:=0}"
top=$(pwd)
gen="$top/$B/tests/gentrail"
rec="$top/$BIN/wdn-record"
look="$top/$BIN/wdn-lookup"
cache="$top/build/bench"
tmp="$cache/tmp.$$"
failed=0

say() { printf '%s\n' "$*"; }
note() { printf 'bench: %s\n' "$*" >&2; }

for f in "$gen" "$rec" "$look"; do
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
trap 'rm -rf "$tmp"' EXIT INT TERM
# Measure one build throughout, even if bin/ is rebuilt while we run.
cp -p "$rec" "$look" "$tmp/" || exit 1
rec="$tmp/wdn-record"
look="$tmp/wdn-lookup"

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

# ---- data: trails of ~10 MB, ~100 MB, ~1 GB (same seed: each a prefix of the next) ----

small="$cache/trail-s1-n1000-f6"
mid="$cache/trail-s1-n1000-f64"
big="$cache/trail-s1-n1000-f640"
gen_trail "$small" -s 1 -n 1000 -f 6 || exit 1
gen_trail "$mid" -s 1 -n 1000 -f 64 || exit 1
if [ "$BENCH_QUICK" = 1 ]; then
	big=
else
	gen_trail "$big" -s 1 -n 1000 -f 640 || exit 1
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

# ---- b. lookup of a 4-deep chain among 1M issuances vs sqlite3 'select 1' ----

if [ "$BENCH_QUICK" = 1 ]; then want=200000; else want=1000000; fi
# -i 100: ~98% of events issue a key (2% are refused); 10000 events a file
nfiles=$(((want + 9799) / 9800))
idir="$cache/issue-s2-i100-n10000-f$nfiles"
db="$idir.db"

# build_store: records the issuance trail into $db (kept between runs)
build_store() {
	rm -f "$db" "$db-wal" "$db-shm" "$db.tmp" "$db.tmp-wal" "$db.tmp-shm"
	note "recording $nissued issuances into $db (once; kept for reruns)"
	: >"$tmp/stamp" # the store dates from when recording began, not ended
	if ! timed "$tmp/r" "$rec" -q --store "sqlite:$db.tmp" "$idir/AWSLogs"; then
		say "lookup: wdn-record failed building the store"
		failed=1
		rm -f "$db.tmp" "$db.tmp-wal" "$db.tmp-shm"
		return 1
	fi
	note "recorded in $(awk '{ print $1 }' "$tmp/r")s wall, $(cpu_of "$tmp/r")s CPU"
	# checkpoint the WAL so the store is one file we can rename
	sqlite3 "$db.tmp" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1
	rm -f "$db.tmp-wal" "$db.tmp-shm"
	touch -r "$tmp/stamp" "$db.tmp"
	mv "$db.tmp" "$db"
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
			say "lookup: $(ratio "$w" "$b")x of sqlite3 DB 'select 1' (wdn ${w}ms, baseline ${b}ms; median of 21 batches of $batch; $nissued issuances, key $key, PrincipalChain ${chain:-?} long) [target <= 2x]"
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

exit $failed
