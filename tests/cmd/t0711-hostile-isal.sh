#!/bin/sh
# wdn-enrich -o compresses with ISA-L (lib/isal.c) and the Lambda build with
# libdeflate: both write partitions that gzip -t passes, that zcat decodes
# to exactly the lines wdn-enrich prints, concatenated 1 MiB members that
# the library's own reader takes as one input.
. tests/cmd/lib.sh
gen="$WDN_BUILD/tests/gentrail"
[ -x "$gen" ] || { skip "gentrail not built (make tools)"; done_testing; exit; }
"$gen" -s 7 -n 2500 -f 2 -o "$T/trail" 2>/dev/null
wdn-record -q --store "$T/s.db" "$T/trail" >/dev/null
wdn-enrich -q --store "$T/s.db" "$T/trail" | sort >"$T/want"
[ "$(wc -l <"$T/want")" -gt 4000 ]
ok "wdn-enrich prints $(wc -l <"$T/want" | tr -d ' ') lines"

objdump -p "$WDN_BIN/wdn-enrich" | awk '$1 == "NEEDED" { print $2 }' >"$T/needed"
grep -q '^libisal\.so\.' "$T/needed"
ok "wdn-enrich links ISA-L (libisal.so)" || sed 's/^/#   needs: /' "$T/needed"
for c in wdn-lookup wdn-chain wdn-tags wdn-record; do
	objdump -p "$WDN_BIN/$c" | grep -q 'NEEDED.*libisal'
	is "$?" 1 "$c does not"
done

# check_tree NAME DIR: what DIR holds against $T/want
check_tree() {
	find "$2" -name '*.json.gz' | sort >"$T/files"
	[ "$(wc -l <"$T/files")" -ge 2 ]
	ok "$1: wrote $(wc -l <"$T/files" | tr -d ' ') partition files"
	bad=
	while read -r f; do gzip -t "$f" 2>>"$T/gz.err" || bad="$bad $f"; done <"$T/files"
	is "$bad" "" "$1: gzip -t passes each" || sed 's/^/#   /' "$T/gz.err"
	xargs zcat <"$T/files" | sort >"$T/got"
	cmp_ok "$T/want" "$T/got" "$1: zcat of the partitions gives exactly the lines wdn-enrich prints"
	big=$(xargs ls -S <"$T/files" | head -n 1)
	zcat "$big" >"$T/big.json"
	[ "$(wc -c <"$T/big.json")" -gt 2097152 ]
	ok "$1: the largest partition holds more than two 1 MiB members ($(wc -c <"$T/big.json" | tr -d ' ') bytes)"
	wdn-record --store "$T/gz-$1.db" "$big" >/dev/null 2>"$T/gz.sum"
	ok "$1: the library's reader records it" || sed 's/^/#   /' "$T/gz.sum"
	wdn-record --store "$T/plain-$1.db" "$T/big.json" >/dev/null 2>"$T/plain.sum"
	is "$(tail -n 1 "$T/gz.sum")" "$(tail -n 1 "$T/plain.sum")" "$1: as it records the same lines uncompressed"
}
wdn-enrich -q --store "$T/s.db" -o "$T/out" "$T/trail"
ok "wdn-enrich -o"
check_tree isal "$T/out"

# the Lambda build's wdn-enrich: libdeflate (made by t0500's make lambda)
lam="$WDN_BUILD/lambda/wdn-enrich"
if [ -n "${WDN_SANITIZED:-}" ] || ! [ -x "$lam" ]; then
	skip "no Lambda build of wdn-enrich ($lam; make lambda)"
else
	objdump -p "$lam" | grep -q 'NEEDED.*libisal'
	is "$?" 1 "the Lambda build of wdn-enrich needs no libisal.so"
	"$lam" -q --store "$T/s.db" -o "$T/lout" "$T/trail"
	ok "the Lambda build's wdn-enrich -o"
	check_tree lambda "$T/lout"
fi
done_testing
