#!/bin/sh
# Builds every libFuzzer target (clang, address + undefined sanitizers) into
# build/fuzz/ and runs each for FUZZTIME seconds from its committed corpus.
# New inputs go to a scratch directory and are merged into
# tests/fuzz/corpus/<target> (-merge=1 keeps only what adds coverage); crash,
# leak and timeout inputs are kept under build/fuzz/crashes/<target>/.
# A corpus input that still crashes stops its target at once: fix it first.
#
#   sh tests/fuzz/run.sh [FUZZTIME] [TARGET...]
#   FUZZ_JOBS=2 runs that many targets at once; FUZZ_ARGS adds libFuzzer flags.
#   FUZZ_SEEDS="DIR..." adds seed directories (say ../shared/testdata); what a
#   run with them finds is left in build/fuzz/new-seeded/<target>, never merged, so
#   nothing derived from those files ends up committed.
set -u
time=${1:-60}
[ $# -gt 0 ] && shift
top=$(pwd)
out="$top/build/fuzz"
CC=${FUZZ_CC:-clang}
CXX=${FUZZ_CXX:-clang++}
jobs=${FUZZ_JOBS:-1}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found; install clang (and libclang-rt-dev) to fuzz" >&2
	exit 1
fi
if [ $# -gt 0 ]; then
	targets=$*
else
	targets=$(cd tests/fuzz && ls fuzz-*.c | sed 's/\.c$//')
fi
mkdir -p "$out/crashes" "$out/logs"

build() { # target
	# the library's C++ (the reader's fast path, lib/fastjson.cc) first
	mkdir -p "$out/obj"
	for cc in lib/*.cc; do
		o="$out/obj/$(basename "$cc" .cc).o"
		if [ ! -f "$o" ] || [ "$cc" -nt "$o" ] || [ lib/wdn.h -nt "$o" ]; then
			$CXX -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined \
			    -std=c++17 -D_GNU_SOURCE -Ilib -c "$cc" -o "$o" || return 1
		fi
	done
	$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -std=c11 -D_GNU_SOURCE -Ilib $(pkg-config --cflags yajl) \
	    "tests/fuzz/$1.c" lib/*.c cmd/cli.c "$out"/obj/*.o \
	    $(pkg-config --libs libcurl yajl zlib libsodium sqlite3 expat libdeflate libcrypto simdjson libisal) \
	    -lstdc++ -lm -ldl -lpthread -o "$out/$1"
}

fuzz_one() { # target
	t=$1
	corpus="tests/fuzz/corpus/$t" new="$out/new${FUZZ_SEEDS:+-seeded}/$t" crashes="$out/crashes/$t"
	log="$out/logs/$t.log"
	mkdir -p "$corpus" "$new" "$crashes"
	start=$(date +%s)
	# -max_len: the reader wants whole log files, gzip and plain
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$out/$t" -max_total_time="$time" -max_len=1048576 -timeout=25 -rss_limit_mb=4096 \
	    -print_final_stats=1 -artifact_prefix="$crashes/" ${FUZZ_ARGS:-} \
	    "$new" "$corpus" ${FUZZ_SEEDS:-} >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(sed -n 's/^stat::\(average_exec_per_sec\): *//p' "$log" | tail -1)
	found=$(ls "$crashes" 2>/dev/null | grep -c -E '^(crash|leak|timeout|oom|slow-unit)-')
	if [ -z "${FUZZ_SEEDS:-}" ]; then
		# keep only what adds coverage to the committed corpus
		"$out/$t" -merge=1 -max_len=1048576 -timeout=25 "$corpus" "$new" \
		    >"$out/logs/$t.merge.log" 2>&1
		rm -rf "$new"
	fi
	if [ "$rc" -eq 0 ]; then
		status="no crash"
	else
		# the error, and the first frame in the project's own code
		status="CRASH: $(grep -m1 -E '^==[0-9]+== ?ERROR|runtime error|ERROR: libFuzzer' "$log" |
		    sed 's/^==[0-9]*== *//' | cut -c1-80) at $(grep -m1 -E '^ +#[0-9]+ .* in .* /.*(lib|tests/fuzz)/[^ ]*\.c:' "$log" |
		    sed 's/.* in \([^ ]*\) .*\/\(\(lib\|tests\/fuzz\)\/[^ ]*\)$/\1 \2/')"
	fi
	printf '%-14s %ss  %s runs (%s/s)  %s  [%s artifacts in %s]  corpus %s files\n' \
	    "$t" "$took" "${runs:-?}" "${secs:-?}" "$status" "$found" "build/fuzz/crashes/$t" \
	    "$(ls "$corpus" | wc -l | tr -d ' ')"
	[ "$rc" -eq 0 ]
}

failed=0
for t in $targets; do
	echo "fuzz: building $t" >&2
	build "$t" || { echo "fuzz: building $t failed" >&2; exit 1; }
done
set -- $targets
while [ $# -gt 0 ]; do
	pids= n=0
	while [ $# -gt 0 ] && [ "$n" -lt "$jobs" ]; do
		fuzz_one "$1" >"$out/logs/$1.summary" &
		pids="$pids $!"
		n=$((n + 1))
		shift
	done
	for p in $pids; do
		wait "$p" || failed=$((failed + 1))
	done
done
for t in $targets; do
	cat "$out/logs/$t.summary"
done
[ "$failed" -eq 0 ] || { echo "fuzz: $failed target(s) crashed; see build/fuzz/crashes/" >&2; exit 1; }
