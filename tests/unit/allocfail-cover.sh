#!/bin/sh
# How much of libwdn the allocation-failure run covers: which functions
# append to a wdn_buf (from the relocations of libwdn.a, so as compiled: a
# static function inlined into its caller counts as that caller), and which of
# them had an append fail in some run of tests/unit/t-allocfail.c (its
# WDN_ALLOCFAIL_APPENDERS list). Prints "N of M" and the functions missed.
#
#   make B=build/cover BIN=build/cover/bin \
#       CFLAGS="-O2 -g -fno-optimize-sibling-calls" build/cover/tests/t-allocfail
#   sh tests/unit/allocfail-cover.sh build/cover
#
# (without sibling calls, an append in tail position still names its
# function; on build/default such functions count as missed)
set -eu
B=${1:-build/default}
lib=$B/libwdn.a
run=$B/tests/t-allocfail
[ -f "$lib" ] && [ -x "$run" ] || { echo "build first: make $run" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# exported names stand alone; static ones are FILE:NAME (as the test names them)
nm --defined-only -g "$lib" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/globals"
objdump -dr "$lib" | awk -v globals="$tmp/globals" '
BEGIN { while ((getline g < globals) > 0) global[g] = 1 }
/file format/ { obj = $1; sub(/:$/, "", obj); sub(/\.o$/, "", obj); sub(/.*\//, "", obj) }
/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn) }
/R_X86_64_[A-Z0-9_]+[ \t]+wdn_buf_(add|adds|addc|addf|vaddf|grow)([-+]|$)/ {
	if (obj != "buf")
		print (fn in global) ? fn : obj ":" fn
}' | sort -u > "$tmp/appenders"

WDN_ALLOCFAIL_APPENDERS=$tmp/failed WDN_TOP=${WDN_TOP:-.} "$run" > "$tmp/tap" || {
	grep '^not ok' "$tmp/tap" >&2
	echo "t-allocfail failed" >&2
}
sort -u "$tmp/failed" > "$tmp/failed.sorted"
n=$(comm -12 "$tmp/appenders" "$tmp/failed.sorted" | wc -l)
m=$(wc -l < "$tmp/appenders")
echo "appending functions whose failure path the run took: $n of $m"
comm -23 "$tmp/appenders" "$tmp/failed.sorted" | sed 's/^/  missed: /'
