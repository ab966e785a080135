#!/bin/sh
# wdn-enrich -o DIR with -j N: the workers share inputs and one answer
# cache. Attacked: many small inputs and one huge one (first, last), at
# -j 1, 2 and 3, give the same tree byte for byte, the same counts, no temp
# file left; an input named twice is skipped as done the second time; an
# input whose partition cannot be written fails alone, unmarked, and the
# rerun writes only it.
. tests/cmd/lib.sh

# gen N ACCOUNT REGION DAYS SEED PAD: a Records file of N events over DAYS
# days of 2024-02, with PAD bytes of parameters each (awk: fast and portable)
gen() {
	awk -v n="$1" -v acct="$2" -v reg="$3" -v days="$4" -v seed="$5" -v pad="$6" 'BEGIN {
		p = "x"
		while (length(p) < pad)
			p = p p
		p = substr(p, 1, pad)
		printf "{\"Records\":["
		for (i = 0; i < n; i++)
			printf "%s{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::%s:user/u%d\",\"accountId\":\"%s\",\"accessKeyId\":\"AKIACOMMIT%04d%06d\"},\"eventTime\":\"2024-02-%02dT%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"%s\",\"requestParameters\":{\"p\":\"%s\"},\"eventID\":\"%d-%d\",\"recipientAccountId\":\"%s\"}", i ? "," : "", acct, i % 7, acct, seed, i % 50, 1 + i % days, i % 24, i % 60, (i * 7) % 60, reg, p, seed, i, acct
		printf "]}"
	}'
}

# digest DIR: every file of the tree (partitions, markers) with its lines
# decompressed and sorted, and what is left in the tree's temp directory
digest() {
	(cd "$1" && find . -type f ! -path './_whodunnit/tmp/*' | LC_ALL=C sort | while read -r f; do
		case $f in
		*.json.gz) printf '%s %s\n' "$f" "$(gzip -dc "$f" | LC_ALL=C sort | cksum)" ;;
		*) printf '%s %s\n' "$f" "$(cksum <"$f")" ;;
		esac
	done
	ls _whodunnit/tmp | sed 's/^/left: /')
}

mkdir -p "$T/in/a" "$T/in/b"
i=0
while [ $i -lt 24 ]; do
	gen $((1 + i * 3)) 11112222333$((i % 3)) eu-west-$((1 + i % 2)) $((1 + i % 4)) $i 20 >"$T/in/a/small$i.json"
	i=$((i + 1))
done
gen 5 111122223339 ap-south-1 1 99 10 >"$T/in/a/lonely.json"
gen 3 111122223330 eu-west-1 2 98 10 | gzip >"$T/in/b/small.json.gz"
# past several 1 MiB chunks in each of its partitions
gen 40000 111122223331 us-east-1 3 97 150 | gzip >"$T/in/a/aa-huge.json.gz"
gen 30000 111122223332 us-west-2 2 96 200 | gzip >"$T/in/b/zz-huge.json.gz"
wdn-record -q "$T/in"
ok "the inputs are recorded"

for j in 1 2 3; do
	wdn-enrich -j $j -o "$T/o$j" "$T/in" 2>"$T/err$j"
	ok "-j $j: the run succeeds" || sed 's/^/#   /' "$T/err$j"
	digest "$T/o$j" >"$T/d$j"
	grep 'inputs enriched' "$T/err$j" >"$T/sum$j"
done
is "$(grep -c '\.json\.gz ' "$T/d1")" 68 "-j 1 writes a file per input and partition"
is "$(grep -c '^left: ' "$T/d1")" 0 "-j 1 leaves no temp file"
is "$(cat "$T/sum1")" "wdn-enrich: 28 inputs enriched, 0 skipped as done, 0 failed, 70860 events" "-j 1 counts every input and event"
for j in 2 3; do
	cmp_ok "$T/d1" "$T/d$j" "-j $j writes the tree of -j 1, file for file"
	cmp_ok "$T/sum1" "$T/sum$j" "-j $j counts as -j 1"
	(cd "$T/o1" && find . -name '*.json.gz' | LC_ALL=C sort | while read -r f; do cmp "$f" "$T/o$j/$f" || echo "differs: $f"; done) >"$T/bytes$j" 2>&1
	is "$(cat "$T/bytes$j")" "" "-j $j: every file byte for byte as -j 1's"
done

# named twice in a row: the second time it is done already, as before (the
# first one's commit may still be running)
for j in 1 2; do
	rm -rf "$T/tw"
	wdn-enrich -j $j -o "$T/tw" "$T/in/a/small3.json" "$T/in/a/small3.json" "$T/in/a/aa-huge.json.gz" \
		"$T/in/a/aa-huge.json.gz" 2>"$T/twerr"
	ok "-j $j, an input named twice: the run succeeds" || sed 's/^/#   /' "$T/twerr"
	got=$(grep 'inputs enriched' "$T/twerr")
	case $j in
	1) is "$got" "wdn-enrich: 2 inputs enriched, 2 skipped as done, 0 failed, 40010 events" \
		"-j 1: the second naming is skipped as done" ;;
	*) # two workers may take both namings at once: the tree is the same
		digest "$T/tw" >"$T/twd"
		is "$(grep -c '\.json\.gz ' "$T/twd") $(grep -c '^left: ' "$T/twd")" "7 0" \
			"-j $j: the tree has each file once, no temp file" ;;
	esac
done

# a commit that fails: only its input fails, unmarked; the rerun writes it alone
for j in 1 2 3; do
	rm -rf "$T/f$j"
	mkdir -p "$T/f$j/account=111122223339"
	: >"$T/f$j/account=111122223339/region=ap-south-1"
	wdn-enrich -j $j -o "$T/f$j" "$T/in" 2>"$T/ferr$j"
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 2 ]
	ok "-j $j, a partition blocked: the run fails (status $rc)"
	grep -q "lonely.json" "$T/ferr$j"
	ok "-j $j: the input is named" || sed 's/^/#   /' "$T/ferr$j"
	is "$(grep 'inputs enriched' "$T/ferr$j")" \
		"wdn-enrich: 27 inputs enriched, 0 skipped as done, 1 failed, 70860 events" "-j $j: it alone failed (its events told)"
	is "$(ls "$T/f$j/_whodunnit/done" | wc -l | tr -d ' ') $(ls "$T/f$j/_whodunnit/tmp" | wc -l | tr -d ' ')" "27 0" \
		"-j $j: the others are marked, no temp file left"
	rm "$T/f$j/account=111122223339/region=ap-south-1"
	wdn-enrich -j $j -o "$T/f$j" "$T/in" 2>"$T/ferr$j"
	ok "-j $j: the rerun succeeds" || sed 's/^/#   /' "$T/ferr$j"
	is "$(grep 'inputs enriched' "$T/ferr$j")" \
		"wdn-enrich: 1 inputs enriched, 27 skipped as done, 0 failed, 5 events" "-j $j: the rerun writes it alone"
	digest "$T/f$j" >"$T/fd$j"
	cmp_ok "$T/d1" "$T/fd$j" "-j $j: the tree is then the one of a clean run"
done

done_testing
