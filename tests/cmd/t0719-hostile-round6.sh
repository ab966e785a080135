#!/bin/sh
# Round 6's fast-path changes, attacked from the command line.
# The reader's fast path no longer counts the line breaks inside a record it
# found compact: every record a command names (wdn-record's and wdn-enrich's
# rejects) must still carry the line its text begins on, in files of compact
# and pretty records mixed, CRLF, blank lines, several records on a line,
# records ending at a line break, escaped and raw Unicode line separators in
# strings, gzip. time.c remembers the date of the last plain eventTime per
# thread: a time parses the same after any other, so files of different
# dates (leap seconds, the first and last days written, impossible times
# on a remembered date) enrich the same with -j 1, 2 and 3.
. tests/cmd/lib.sh
A=111122223333

# rec SHAPE TIME N: one AssumeRole record, its eventTime TIME, its key ending in N;
# SHAPE c compact, p pretty (LF), r pretty (CRLF), s a space after each colon,
# e compact with escaped line breaks in a string, u compact with raw U+2028,
# U+0085 and U+2029 in a string; POLICY, a string's bytes as they are
rec() { # SHAPE TIME N [POLICY]
	_k=$(printf 'ASIAR6LINES%09d' "$3")
	_x=${4:-plain}
	case $1 in
	e) _x='a\nb\r\nc\u2028d\u0085e\\n' ;;
	u) _x=$(printf 'a\342\200\250b\302\205c\342\200\251d') ;;
	esac
	_j=$(printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/u","accountId":"%s","accessKeyId":"AKIAR6LINESCALLER001"},"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::%s:role/R6","roleSessionName":"s%s","policy":"%s"},"responseElements":{"credentials":{"accessKeyId":"%s","sessionToken":"x","expiration":"Jan 3, 2024, 1:00:01 AM"},"assumedRoleUser":{"assumedRoleId":"AROAR6:s","arn":"arn:aws:sts::%s:assumed-role/R6/s%s"}},"eventID":"e-%s","recipientAccountId":"%s"}' \
		"$A" "$A" "$2" "$A" "$3" "$_x" "$_k" "$A" "$3" "$3" "$A")
	case $1 in
	p) printf '%s' "$_j" | sed 's/{"/{\n  "/g; s/,"/,\n  "/g; s/}/\n}/g' ;;
	r) printf '%s' "$_j" | sed 's/{"/{\r\n  "/g; s/,"/,\r\n  "/g; s/}/\r\n}/g' ;;
	s) printf '%s' "$_j" | sed 's/":/": /g' ;;
	*) printf '%s' "$_j" ;;
	esac
}

# trail FILE SEED N [MORE]: a log file of N records, shapes and separators
# picked by SEED; every third record has a good time, the others a bad one
# naming the line the record begins on ("L<line>"), which a reject must name
# too; MORE: after what FILE holds, lines counted from its start
trail() {
	[ -n "${4:-}" ] || : >"$1"
	printf '{"Records":[' >>"$1"
	[ $(($2 % 2)) -eq 1 ] && printf '\n' >>"$1"
	_i=0 _s=$2
	while [ "$_i" -lt "$3" ]; do
		_s=$(((_s * 1103515245 + 12345) % 2147483648))
		_shape=$(echo c p r s e u c c | cut -d' ' -f$((_s / 7 % 8 + 1)))
		if [ "$_i" -gt 0 ]; then
			case $((_s / 131 % 7)) in
			0) printf ',' ;; 1) printf ',\n' ;; 2) printf '\n,\n' ;; 3) printf ',\r\n' ;;
			4) printf ',\n\n\n' ;; 5) printf ' ,  ' ;; 6) printf '\r\n\r\n,' ;;
			esac >>"$1"
		fi
		_line=$(($(wc -l <"$1") + 1))
		if [ $((_i % 3)) -eq 0 ]; then
			rec "$_shape" "2024-01-0$((_i % 9 + 1))T00:00:01Z" "$_line$_i"
		else
			rec "$_shape" "L$_line" "$_line$_i"
		fi >>"$1"
		_i=$((_i + 1))
	done
	printf '\n]}\n' >>"$1"
}

# named ERR: the (line, time) pairs of the rejects, "N LN" a line each
named() {
	sed -n "s/.*(line \([0-9]*\)): eventTime 'L\([0-9]*\)' is not a time/\1 L\2/p" "$1"
}
# lines_ok ERR WHAT: every reject names the line its time names
lines_ok() {
	named "$1" | awk '"L" $1 != $2 { bad++; print "# line " $1 ", record of " $2 } END { exit bad > 0 }'
	ok "$2: every reject names the line its record begins on" || sed 's/^/# /' "$1" | head -20
}

for seed in 1 2 3 4 5 6; do
	f="$T/t$seed.json"
	trail "$f" "$seed" 30
	want=$(grep -o '"eventTime":[ ]*"L' "$f" | wc -l | tr -d ' ')
	wdn-record -q "$f" 2>"$T/err"
	is "$?:$(named "$T/err" | wc -l | tr -d ' ')" "3:$want" "seed $seed: wdn-record rejects the $want records of bad time"
	lines_ok "$T/err" "seed $seed, wdn-record"
	wdn-enrich -q "$f" >"$T/out" 2>"$T/err"
	is "$?:$(named "$T/err" | wc -l | tr -d ' '):$(wc -l <"$T/out" | tr -d ' ')" "3:$want:$((30 - want))" \
		"seed $seed: wdn-enrich rejects them and writes the rest"
	lines_ok "$T/err" "seed $seed, wdn-enrich"
	gzip -c "$f" >"$f.gz"
	wdn-record -q "$f.gz" 2>"$T/err"
	lines_ok "$T/err" "seed $seed, gzip, wdn-record"
done

# the same read from the standard input, in pieces
wdn-enrich -q - <"$T/t3.json" >/dev/null 2>"$T/err"
lines_ok "$T/err" "the standard input"
is "$(named "$T/err" | wc -l | tr -d ' ')" "$(grep -o '"eventTime":[ ]*"L' "$T/t3.json" | wc -l | tr -d ' ')" \
	"the standard input: every bad record named"

# two log files in one input, plain and as two gzip members: lines count on
# from the first into the second
trail "$T/two.json" 8 12
size=$(wc -c <"$T/two.json")
printf '\n\n' >>"$T/two.json"
trail "$T/two.json" 9 12 more
{ head -c "$size" "$T/two.json" | gzip; tail -c +"$((size + 1))" "$T/two.json" | gzip; } >"$T/two.json.gz"
for f in two.json two.json.gz; do
	wdn-record -q "$T/$f" 2>"$T/err"
	lines_ok "$T/err" "two log files in $f"
	is "$(named "$T/err" | wc -l | tr -d ' ')" "$(grep -o '"eventTime":[ ]*"L' "$T/two.json" | wc -l | tr -d ' ')" \
		"two log files in $f: every bad record named"
done

# one log file cut into two gzip members inside a record, at a line break
# and not: read as one text
for cut in 700 1234 $(head -n 5 "$T/t4.json" | wc -c | tr -d ' '); do
	{ head -c "$cut" "$T/t4.json" | gzip; tail -c +"$((cut + 1))" "$T/t4.json" | gzip; } >"$T/cut.json.gz"
	wdn-record -q "$T/cut.json.gz" 2>"$T/err"
	lines_ok "$T/err" "two gzip members cut at byte $cut"
	is "$(named "$T/err" | wc -l | tr -d ' ')" "$(grep -o '"eventTime":[ ]*"L' "$T/t4.json" | wc -l | tr -d ' ')" \
		"two gzip members cut at byte $cut: every bad record named"
done

# a file of CRLF line ends throughout: counted by LF, as every other file
trail "$T/crlf0.json" 7 20
sed 's/$/\r/' "$T/crlf0.json" >"$T/crlf.json"
wdn-enrich -q "$T/crlf.json" >/dev/null 2>"$T/err"
lines_ok "$T/err" "CRLF throughout"

# every record on line 1, compact and not: all named line 1
{ printf '{"Records":['; rec c L1 1; printf ','; rec s L1 2; printf ','; rec e L1 3; printf ','
  rec u L1 4; printf ']}'; } >"$T/one.json"
wdn-record -q "$T/one.json" 2>"$T/err"
is "$(named "$T/err" | paste -sd' ' -)" "1 L1 1 L1 1 L1 1 L1" "four records on one line: all on line 1"

# records that end at a line break, before a comma on the next, before the
# closing bracket; pretty and CRLF ones between compact ones
next_line() { echo $(($(wc -l <"$1") + 1)); }
printf '{"Records":[\n' >"$T/end.json"
for shape in p c r c p s c; do
	rec "$shape" "L$(next_line "$T/end.json")" 1 >>"$T/end.json"
	printf '\n,' >>"$T/end.json"
done
rec c "L$(next_line "$T/end.json")" 2 >>"$T/end.json"
printf '\n]}' >>"$T/end.json"
wdn-record -q "$T/end.json" 2>"$T/err"
lines_ok "$T/err" "records ending at a line break"
is "$(named "$T/err" | wc -l | tr -d ' ')" 8 "and all eight named"

# a raw line break or control byte inside a string: that record refused as
# the streaming parse refuses it, and the next named on its own line (the
# raw LF counted: it is no part of a compact record the fast path took)
for c in n r 001 037; do
	{ printf '{"Records":['; rec c 2024-01-01T00:00:01Z 1; printf ',\n'
	  rec c 2024-01-01T00:00:01Z 2 "$(printf "a\\${c}b")"
	  printf ','; rec c "L$([ $c = n ] && echo 3 || echo 2)" 3; printf ']}'; } >"$T/raw.json"
	wdn-record -q "$T/raw.json" 2>"$T/err"
	is "$?:$(grep -c 'record 2 (line 2): invalid JSON' "$T/err")" "3:1" "raw byte $c in a string: that record refused" ||
		sed 's/^/# /' "$T/err"
	lines_ok "$T/err" "raw byte $c in a string"
done

# ---- a remembered date ---------------------------------------------------------
# files by the day, the same times of day on each (plain ones, impossible
# ones, and fractions and offsets on a date just remembered), each beside
# the same on another date: -j 1, 2, 3 write and refuse the same, and each
# time is refused beside others exactly when it is refused alone
mkdir -p "$T/d" "$T/alone"
i=0
for day in 1970-01-01 2016-12-31 2024-02-29 9999-12-31 2021-07-01 2016-12-31 2023-02-28; do
	{ printf '{"Records":['
	  sep=
	  for t in 00:00:00Z 23:59:59Z 23:59:60Z 24:00:00Z 12:60:00Z 12:00:61Z 12:00:00.5Z 10:00:00+01:00 \
	           23:59:59-01:00 1a:00:00Z 12:00:00z 00:00:01Z 00:00:01 12:00Z; do
		i=$((i + 1))
		printf '%s' "$sep"; rec c "${day}T${t}" "$i"
		sep=,
		printf ','; rec c "2021-07-01T${t}" "$i$i"
		printf ','; rec c "${day}T00:00:00Z" "$i$i$i"
	  done
	  printf ']}'; } >"$T/d/$i.json"
done
wdn-enrich -j 1 "$T/d" 2>"$T/e1" | sort >"$T/j1"
wdn-enrich -j 2 "$T/d" 2>"$T/e2" | sort >"$T/j2"
wdn-enrich -j 3 "$T/d" 2>"$T/e3" | sort >"$T/j3"
[ -s "$T/j1" ]
ok "dates: wdn-enrich -j 1 writes events" || sed 's/^/# /' "$T/e1"
cmp_ok "$T/j1" "$T/j2" "dates: -j 2 writes what -j 1 writes"
cmp_ok "$T/j1" "$T/j3" "dates: -j 3 writes what -j 1 writes"
sort "$T/e1" >"$T/e1s"; sort "$T/e2" >"$T/e2s"; sort "$T/e3" >"$T/e3s"
cmp_ok "$T/e1s" "$T/e2s" "dates: -j 2 rejects what -j 1 rejects"
cmp_ok "$T/e1s" "$T/e3s" "dates: -j 3 rejects what -j 1 rejects"
# each time alone in a file: refused or not as it was beside the others
cat "$T"/d/*.json | grep -o '"eventTime":"[^"]*"' | sed 's/.*:"//; s/"$//' | sort -u >"$T/times"
: >"$T/want"
while read -r t; do
	{ printf '{"Records":['; rec c "$t" 1; printf ']}'; } >"$T/alone/a.json"
	wdn-record -q --store "$T/alone.db" "$T/alone/a.json" 2>/dev/null || echo "$t" >>"$T/want"
done <"$T/times"
wdn-record -q "$T/d" 2>"$T/er"
sed -n "s/.*eventTime '\(.*\)' is not a time/\1/p" "$T/er" | sort -u >"$T/got"
[ "$(wc -l <"$T/want")" -ge 10 ]
ok "dates: some of the times are impossible alone ($(wc -l <"$T/want" | tr -d ' ') of $(wc -l <"$T/times" | tr -d ' '))"
cmp_ok "$T/want" "$T/got" "dates: refused beside others exactly when refused alone"
sed -n "s/.*eventTime '\(.*\)' is not a time/\1/p" "$T/e1" | sort -u >"$T/got1"
cmp_ok "$T/want" "$T/got1" "dates: and so by wdn-enrich"
done_testing
