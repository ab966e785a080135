#!/bin/sh
# Runs every test (unit binaries, command scripts, fuzz corpus replays), reads
# their TAP, and ends with the line "N passed, N failed, N skipped".
# B is the build directory, BIN where the commands are.
: "${B:=build/default}" "${BIN:=bin}"
top=$(pwd)
export WDN_TOP="$top" WDN_BIN="$top/$BIN" WDN_BUILD="$top/$B"
export WDN_TESTDATA="${WDN_TESTDATA:-$top/../shared/testdata}"
out="$top/tests/out/$(echo "$B" | tr '/' '_')" # per build: make check and make asan may run at once
rm -rf "$out" && mkdir -p "$out"
pass=0 fail=0 skipped=0

run_one() { # name, command...
	name=$1; shift
	log="$out/$(echo "$name" | tr '/' '_').log"
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log" | tr -d ' ')
	s=$(grep -c '^ok .*# SKIP' "$log" | tr -d ' ')
	f=$(grep -c '^not ok ' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited $rc" >>"$log"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name ($f failed)"
		grep -A6 '^not ok' "$log" | head -40 | sed 's/^/    /'
	else
		echo "ok   $name ($p passed${s:+, $s skipped})" | sed 's/, 0 skipped//'
	fi
	grep '# SKIP' "$log" | sed 's/^/    /' | head -5
}

for t in "$B"/tests/t-*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$B"/tests/replay-*; do
	[ -x "$t" ] || continue
	n=${t##*/replay-}
	run_one "fuzz-replay/$n" "$t" "tests/fuzz/corpus/$n"
done
for t in tests/cmd/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	run_one "cmd/$(basename "$t" .sh)" sh "$t"
done
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
