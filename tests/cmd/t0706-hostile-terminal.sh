#!/bin/sh
# Hostile data against the terminal and against memory (issue 12 items 14-16,
# issue 16 item 5). Event strings, file names, key lines, arguments and AWS
# error messages carrying terminal controls (title changes, screen clears,
# OSC 8 links, OSC 52 clipboard writes, BEL, DEL, C1 as bytes and as UTF-8,
# invalid UTF-8) reach text output and diagnostics escaped, and JSON output
# as \u escapes; an over-long or over-full stdin line is refused by its line
# number while the lines around it are answered, with memory bounded;
# --reject files are private; JSON objects end their lines on a terminal;
# numbers on the command line are parsed strictly.
. tests/cmd/lib.sh

# controls FILE: how many lines hold a raw control: C0 but newline, DEL, or a
# C1 control as UTF-8 (C2 80-C2 9F); "invalid" is added when FILE is not UTF-8
# (a lone C1 byte, or any other byte that is not UTF-8)
controls() {
	LC_ALL=C grep -caP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 || echo invalid
}
# clean FILE WHAT: no raw control reached FILE (its offending lines shown if one did)
clean() {
	is "$(controls "$1" | tr '\n' ' ')" "0 " "$2" ||
		LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f\x80-\xff]' "$1" | head -3 | cut -c1-160 | od -c | head -8 | sed 's/^/#   /'
}
# ascii FILE WHAT: nothing but ASCII (and our own tree drawing) in FILE
ascii() {
	is "$(LC_ALL=C sed 's/\xe2\x94\x94\xe2\x94\x80//g' "$1" | LC_ALL=C grep -caP '[\x80-\xff]')" 0 "$2" ||
		LC_ALL=C grep -aP '[\x80-\xff]' "$1" | head -2 | od -c | head -6 | sed 's/^/#   /'
}
# has FILE TEXT WHAT: FILE holds TEXT as it is (a fixed string)
has() {
	grep -qF -- "$2" "$1"
	ok "$3" || { printf '#   want: %s\n' "$2"; head -n 3 "$1" | cut -c1-300 | cat -v | sed 's/^/#   got:  /'; }
}

# ---- a store whose strings carry terminal controls ------------------------------
# B: JSON string text with OSC 0 (title), CSI 2J (clear), an OSC 8 link, OSC 52
# (clipboard), BEL, DEL and U+009B both raw and escaped, NEL, a right-to-left
# override, a lone surrogate, a backslash and an e-acute
B='x\u001b]0;TITLE\u0007\u001b[2J\u001b]8;;http://evil.example/\u001b\\L\u001b]8;;\u001b\\\u001b]52;c;cHduZWQ=\u0007\u007f'"$(printf '\177\302\233')"'\u009b\u0085\u202e\udc80\\\u00e9y'
Bsed=$(printf '%s' "$B" | sed 's/[\\&|]/\\&/g')
seed="$FIX/seed-example.json"
jq -c '.Records[0] | .requestParameters.roleSessionName = "s@B@"
	| .requestParameters.roleArn = "arn:aws:iam::607481580000:role/r@B@"
	| .requestParameters.tags = [{key: "k@B@", value: "v@B@"}]
	| .requestParameters.transitiveTagKeys = ["k@B@"]
	| .requestParameters.sourceIdentity = "si@B@"
	| .userAgent = "ua@B@"
	| .userIdentity.arn = "arn:aws:iam::607481580000:user/u@B@"
	| .userIdentity.userName = "u@B@"
	| .responseElements.assumedRoleUser.arn = "arn:aws:sts::607481580000:assumed-role/r@B@/s@B@"' "$seed" |
	sed "s|@B@|$Bsed|g" >"$T/hostile.jsonl"
K=ASIAY24FZZZZJJS7IPOU U=AKIAJWMRCSBBKQO4HQCQ
wdn-record -q "$T/hostile.jsonl" 2>"$T/err"
is "$?" 0 "an event whose strings carry terminal controls is recorded" || sed 's/^/#   /' "$T/err"

# ---- wdn-lookup --format text ----------------------------------------------------
for loc in C C.UTF-8 en_US.ISO-8859-1; do
	LC_ALL=$loc wdn-lookup --format text "$K" >"$T/text.$loc" 2>"$T/err.$loc"
	LC_ALL=$loc wdn-lookup --format text --descendants "$U" >>"$T/text.$loc" 2>>"$T/err.$loc"
	cat "$T/err.$loc" >>"$T/text.$loc"
	clean "$T/text.$loc" "--format text under LC_ALL=$loc: no raw control from the event reaches the terminal"
done
has "$T/text.C.UTF-8" 'session sx\x1b]0;TITLE\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\L' \
	"controls are shown as \\xNN escapes, the text around them kept"
has "$T/text.C.UTF-8" '\x7f\x7f\u009b\u009b\u0085\u202e\xed\xb2\x80\\' \
	"DEL as \\x7f; C1 and the bidi override as \\uNNNN; a surrogate's bytes as \\xNN; a backslash doubled"
has "$T/text.C.UTF-8" '\\éy' "under a UTF-8 locale other characters are shown as they are"
has "$T/text.C" '\\\u00e9y' "under another locale they are escaped as \\uNNNN"
ascii "$T/text.C" "LC_ALL=C: nothing but ASCII from the data"
ascii "$T/text.en_US.ISO-8859-1" "a Latin-1 locale: nothing but ASCII from the data (C1 bytes are controls there)"
for what in "session tags k" "tags k" "transitive k" "source identity si" "user/u" "role/r"; do
	has "$T/text.C.UTF-8" "$what"'x\x1b]0;TITLE' "the $what… string is escaped too"
done
if command -v script >/dev/null; then
	script -qec "wdn-lookup --format text $K; wdn-lookup --format text --descendants $U" /dev/null >"$T/tty" 2>&1
	LC_ALL=C sed 's/\x1b\[[0-2]\?m//g; s/\x1b\[33m//g; s/\r$//' "$T/tty" >"$T/tty.plain"
	clean "$T/tty.plain" "on a terminal the only escapes are wdn-lookup's own colours"
else
	skip "script(1) missing: no terminal"
fi

# ---- JSON output: DEL and C1 as \u escapes too ----------------------------------
wdn-lookup "$K" >"$T/json" 2>"$T/err"
wdn-lookup --descendants "$U" >>"$T/json" 2>>"$T/err"
printf '%s\n' "$K" '{"AccessKeyId":"'"$K"'","note":"'"$B"'"}' | wdn-chain >>"$T/json" 2>>"$T/err"
printf '%s\n' "$K" | wdn-tags >>"$T/json" 2>>"$T/err"
wdn-record "$T/hostile.jsonl" --store "$T/other.db" >>"$T/json" 2>>"$T/err"
clean "$T/json" "JSON output of lookup, chain, tags and record: DEL and C1 escaped as \\u007f, \\u0080-\\u009f"
is "$(jq -c 'select(.SessionName) | .SessionName' "$T/json" | sort -u)" "$(jq -c .requestParameters.roleSessionName "$T/hostile.jsonl")" \
	"the escaped JSON holds the same strings"
has "$T/json" '\u007F\u007F\u009B\u009B' "DEL and U+009B raw or escaped in the input are both \\u escapes in the output"

# ---- diagnostics: file names, key lines, arguments ------------------------------
E=$(printf '\033]0;TITLE\007\033[2J\033]52;c;cHduZWQ=\007\177\302\233\233\377')
name="$T/in${E}.jsonl"
printf '%s\n' '{"eventVersion":"1.08",' >"$name"
wdn-record "$name" "$T/nothing${E}.json" >/dev/null 2>"$T/diag" ; echo "exit $?" >>"$T/diag"
wdn-enrich "$name" "$T/nothing${E}.json" >/dev/null 2>>"$T/diag"; echo "exit $?" >>"$T/diag"
printf 'AKIA%s\n{"AccessKeyId":"AKIA\\u001b[2J\\u009b"}\n{"x":"%s\n{"AccessKeyId":1}\n' "$E" "$E" >"$T/lines"
for c in wdn-lookup wdn-chain wdn-tags; do
	"$c" <"$T/lines" >/dev/null 2>>"$T/diag"; echo "$c exit $?" >>"$T/diag"
done
wdn-lookup "AKIA$E" >/dev/null 2>>"$T/diag"; echo "exit $?" >>"$T/diag"
wdn-lookup "--x$E" >/dev/null 2>>"$T/diag"; echo "exit $?" >>"$T/diag"
wdn-lookup --at "$E" "$K" >/dev/null 2>>"$T/diag"; echo "exit $?" >>"$T/diag"
for loc in C C.UTF-8; do
	LC_ALL=$loc wdn-chain <"$T/lines" 2>&1 >/dev/null | LC_ALL=C grep -a line >"$T/diag.$loc"
	clean "$T/diag.$loc" "key lines: warnings under LC_ALL=$loc carry no raw control"
done
clean "$T/diag" "diagnostics quoting file names, key lines, arguments and options carry no raw control"
has "$T/diag" 'in\x1b]0;TITLE\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07\x7f' "a file name is quoted with its controls escaped"
has "$T/diag" "'AKIA\\x1b]0;TITLE" "a key line is quoted with its controls escaped"
is "$(grep -c '^wdn-[a-z]*: -: line 1: ' "$T/diag")" 3 "each of the three names the rejected line"
grep -q 'wdn-lookup exit 3' "$T/diag" && grep -q 'wdn-chain exit 3' "$T/diag" && grep -q 'wdn-tags exit 3' "$T/diag"
ok "rejected key lines still exit 3"

# ---- diagnostics: messages AWS sends --------------------------------------------
if command -v node >/dev/null 2>&1; then
	cat >"$T/aws.js" <<-'EOF'
	// every request fails; the error message carries terminal controls
	const http = require('http');
	const evil = '\u001b]0;TITLE\u0007\u001b[2J\u001b]52;c;cHduZWQ=\u0007\u007f\u009b';
	const s = http.createServer((req, res) => {
	  req.resume();
	  req.on('end', () => {
	    if (req.headers['x-amz-target']) {
	      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
	      res.end(JSON.stringify({ __type: 'com.amazon#ValidationException', message: 'bad' + evil }));
	    } else {
	      res.writeHead(403, { 'Content-Type': 'application/xml' });
	      res.end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no\u007f\u009b\u0085</Message></Error>');
	    }
	  });
	});
	s.listen(0, '127.0.0.1', () => { require('fs').writeFileSync(process.argv[2], String(s.address().port)); });
	setTimeout(() => process.exit(0), 60000);
	EOF
	node "$T/aws.js" "$T/port" &
	npid=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	url="http://127.0.0.1:$(cat "$T/port")"
	export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AWS_REGION=us-east-1
	wdn-lookup --store dynamodb:t --endpoint-url "$url" "$K" >/dev/null 2>"$T/aws"
	wdn-record --store "$T/s3.db" --endpoint-url "$url" s3://bucket/AWSLogs/ >/dev/null 2>>"$T/aws"
	kill "$npid" 2>/dev/null
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
	grep -q ValidationException "$T/aws" && grep -q AccessDenied "$T/aws"
	ok "DynamoDB and S3 errors reach stderr" || sed 's/^/#   /' "$T/aws"
	clean "$T/aws" "AWS error messages carry no raw control to stderr"
	has "$T/aws" 'bad\x1b]0;TITLE\x07' "an AWS message is shown with its controls escaped"
else
	skip "node missing: no fake AWS endpoint"
fi

# ---- line caps on standard input -------------------------------------------------
MAX=8388608
G1=ASIATJVZAAAARRT5X7PR G2=ASIAY24FZZZZIJJL6PUI
wdn-record -q "$seed"
# pad N: N bytes of 'A'
pad() { head -c "$1" /dev/zero | tr '\0' A; }
# lines: good, an over-long bare line, good, an over-long object with a valid
# key, good, a line at the cap exactly, and an over-long last line without newline
{
	echo "$G1"
	pad $((MAX + 1)); echo
	echo "{\"AccessKeyId\":\"$G2\"}"
	printf '{"AccessKeyId":"%s","pad":"' "$G1"; pad $((MAX * 2)); echo '"}'
	echo "$G1"
	l="{\"AccessKeyId\":\"$G2\",\"pad\":\"\"}"
	printf '{"AccessKeyId":"%s","pad":"' "$G2"; pad $((MAX - ${#l})); echo '"}'
	pad $((MAX + 5))
} >"$T/long"
for c in wdn-lookup wdn-chain wdn-tags; do
	"$c" <"$T/long" >"$T/out" 2>"$T/err"
	st=$?
	is "$(jq -r .AccessKeyId "$T/out" | tr '\n' ' ')" "$G1 $G2 $G1 $G2 " "$c: the lines around over-long ones are answered, in order"
	is "$st" 3 "$c: over-long lines exit 3"
	is "$(grep -o 'line [0-9]*: longer than [0-9]* bytes' "$T/err" | tr '\n' ',')" \
		"line 2: longer than $MAX bytes,line 4: longer than $MAX bytes,line 7: longer than $MAX bytes," \
		"$c: each over-long line is named by its number" || sed 's/^/#   /' "$T/err" | cut -c1-200
done

# memory: peak resident size, in MB, of CMD reading stdin
rss() {
	/usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null 2>&1
	echo $(($(tail -n 1 "$T/rss") / 1024))
}
if [ -x /usr/bin/time ] && ! case $WDN_BUILD in *asan*) true ;; *) false ;; esac; then
	m=$({ echo "$G1"; pad 300000000; echo; echo "$G2"; } | rss wdn-lookup)
	[ "$m" -lt 64 ]
	ok "wdn-lookup: a 300 MB line costs ${m} MB, not the line's size"
	# three 8 MB lines of 4 million values each, between good lines
	vals() { printf '{"AccessKeyId":"%s","x":[' "$1"; yes '0,0,0,0,0,0,0,0,' | head -n $(($2 / 8)) | tr -d '\n'; echo '0]}'; }
	{ echo "$G1"; for i in 1 2 3; do vals "$G2" 4000000; done; echo "$G2"; } >"$T/full"
	for c in wdn-chain wdn-tags; do
		m=$(rss "$c" <"$T/full")
		[ "$m" -lt 200 ]
		ok "$c: three 8 MB lines of 4 million values cost ${m} MB"
		"$c" <"$T/full" >"$T/out" 2>"$T/err"
		is "$(jq -r .AccessKeyId "$T/out" | tr '\n' ' ')" "$G1 $G2 " "$c: the lines around over-full ones are answered"
		is "$(grep -o 'line [0-9]*: more than [0-9]* values' "$T/err" | tr '\n' ',')" \
			"line 2: more than 262144 values,line 3: more than 262144 values,line 4: more than 262144 values," \
			"$c: each over-full line is named by its number" || sed 's/^/#   /' "$T/err" | cut -c1-200
	done
	# many lines of many values, each under the cap: answered, memory still bounded
	{ i=0; while [ $i -lt 40 ]; do vals "$G1" 200000; i=$((i + 1)); done; } >"$T/many"
	m=$(rss wdn-chain <"$T/many")
	[ "$m" -lt 200 ]
	ok "wdn-chain: 40 lines of 200 000 values cost ${m} MB"
	is "$(wdn-chain <"$T/many" | jq -r .Principal | sort | uniq -c | awk '{ print $1 }')" 40 "and all 40 are answered"
else
	skip "no /usr/bin/time, or an ASan build: memory not measured"
fi

# ---- --reject FILE is private ----------------------------------------------------
mode() { stat -c %a "$1"; }
{ echo '{"eventVersion":"1.08","responseElements":{"credentials":{"sessionToken":"SECRET"}},}'; jq -c '.Records[1]' "$seed"; } >"$T/bad.jsonl"
(umask 000; wdn-record --reject "$T/rej1" --store "$T/umask.db" "$T/bad.jsonl" >/dev/null 2>&1)
is "$(mode "$T/rej1")" 600 "wdn-record --reject creates its file 0600 whatever the umask"
is "$(mode "$T/umask.db")" 600 "the store is created 0600 whatever the umask"
for f in "$T/umask.db"-*; do
	[ -e "$f" ] || continue
	is "$(mode "$f")" 600 "the store's $(basename "$f" | sed 's/.*db-//') file is 0600"
done
(umask 000; wdn-enrich --reject "$T/rej2" "$T/bad.jsonl" >/dev/null 2>&1)
is "$(mode "$T/rej2")" 600 "wdn-enrich --reject creates its file 0600 whatever the umask"
echo "kept" >"$T/rej3"
chmod 644 "$T/rej3"
wdn-record --reject "$T/rej3" "$T/bad.jsonl" >/dev/null 2>"$T/err"
is "$?" 3 "an existing --reject file readable by others is used"
is "$(mode "$T/rej3")" 600 "and narrowed to 0600"
is "$(head -n 1 "$T/rej3"):$(wc -l <"$T/rej3" | tr -d ' ')" "kept:2" "and appended to, not truncated"
wdn-record --reject /dev/null "$T/bad.jsonl" >/dev/null 2>&1
is "$?" 3 "--reject /dev/null (not a regular file) still works"
if [ "$(id -u)" -eq 0 ]; then
	echo "theirs" >"$T/rej4"
	chown 65534 "$T/rej4" && chmod 666 "$T/rej4"
	wdn-record --reject "$T/rej4" "$T/bad.jsonl" >/dev/null 2>"$T/err"
	is "$?" 1 "a --reject file another user owns is refused"
	is "$(cat "$T/rej4"):$(mode "$T/rej4")" "theirs:666" "and left as it was"
	grep -q "rej4" "$T/err"
	ok "the refusal names the file" || sed 's/^/#   /' "$T/err"
else
	skip "not root: cannot make a file another user owns"
fi
if [ "$(id -u)" -eq 0 ]; then
	# another user's symlink to a file of ours, and another user's FIFO
	for n in 1 2 3; do
		printf 'mine %s\n' "$n" >"$T/vic$n" && chmod 644 "$T/vic$n"
		ln -s "$T/vic$n" "$T/rlink$n" && chown -h $((65533 + n)) "$T/rlink$n"
		"$([ "$n" = 2 ] && echo wdn-enrich || echo wdn-record)" --reject "$T/rlink$n" "$T/bad.jsonl" >/dev/null 2>"$T/err"
		is "$?" 1 "--reject through symlink $n of another user is refused"
		is "$(cat "$T/vic$n"):$(mode "$T/vic$n")" "mine $n:644" "and its target $n is left as it was"
	done
	ln -s "$T/rej-own" "$T/rlink-own" && : >"$T/rej-own"
	wdn-record --reject "$T/rlink-own" "$T/bad.jsonl" >/dev/null 2>&1
	is "$?:$(wc -l <"$T/rej-own" | tr -d ' ')" "3:1" "--reject through our own symlink is used"
	for n in 1 2; do
		mkfifo "$T/fifo$n" && chown $((65533 + n)) "$T/fifo$n"
		timeout 10 wdn-enrich --reject "$T/fifo$n" "$T/bad.jsonl" >/dev/null 2>"$T/err"
		is "$?" 1 "--reject on FIFO $n of another user is refused at once (124: it hung)"
	done
else
	skip "not root: cannot make another user's symlink or FIFO"
fi
wdn-record --reject /dev/stderr "$T/bad.jsonl" >/dev/null 2>"$T/err"
is "$?" 3 "--reject /dev/stderr (a root symlink to a descriptor) works"
grep -q sessionToken "$T/err"
ok "and the record is written there" || sed 's/^/#   /' "$T/err"

# ---- on a terminal, each JSON object ends its line --------------------------------
if command -v script >/dev/null; then
	# objects FILE: "LINES OBJECTS" of the pty transcript FILE
	objects() { tr -d '\r' <"$1" | grep -c .; tr -d '\r' <"$1" | jq -c . 2>/dev/null | wc -l | tr -d ' '; }
	printf '%s\n' "$G1" "$G2" "{\"AccessKeyId\":\"$G1\"}" >"$T/keys3"
	for c in wdn-chain wdn-tags; do
		script -qec "$c <'$T/keys3' 2>/dev/null" /dev/null >"$T/pty"
		is "$(objects "$T/pty" | tr '\n' ' ')" "3 3 " "$c on a terminal: one object per line"
	done
	script -qec "wdn-record --store '$T/pty.db' '$seed' 2>/dev/null" /dev/null >"$T/pty"
	n=$(wdn-record --store "$T/pty2.db" "$seed" 2>/dev/null | wc -l | tr -d ' ')
	is "$(objects "$T/pty" | tr '\n' ' ')" "$n $n " "wdn-record on a terminal: one object per line, as into a pipe"
	script -qec "wdn-lookup --no-trails $G1 $G2 2>/dev/null" /dev/null >"$T/pty"
	is "$(tr -d '\r' <"$T/pty" | jq -c .AccessKeyId | tr '\n' ' ')" "\"$G1\" \"$G2\" " "wdn-lookup on a terminal: still pretty, one document after another"
else
	skip "script(1) missing: no terminal"
fi

# ---- numbers on the command line are parsed strictly ------------------------------
# usage OPTION VALUE CMD...: the value is a usage error (exit 2) naming the option
usage() {
	_o=$1 _v=$2
	shift 2
	"$@" "$_o" "$_v" --help >/dev/null 2>"$T/err"
	_st=$?
	[ "$_st" -eq 2 ] && grep -q -- "$_o" "$T/err"
	ok "$* $_o '$_v' is a usage error" || echo "#   exit $_st: $(head -c 200 "$T/err")"
}
for v in '' ' 2' '2 ' '+2' '-2' '0x2' '2x' '2.0' '1e1' '0' '99999999999999999999' '18446744073709551617' '٢'; do
	usage -j "$v" wdn-enrich
	usage --ttl-days "$v" wdn-record --store dynamodb:t
	usage --max-messages "$v" wdn-record --lambda
done
usage -j 65 wdn-enrich
for v in '1/2junk' '1/' '/2' '' '1' '1//2' '1/2/3' '-1/2' '1/-2' '+1/2' '1/+2' ' 1/2' '1/ 2' '1 /2' '1/2 ' \
	'0x1/2' '1/0x2' '0/2' '3/2' '1/0' '1/99999999999999999999' '4294967297/4294967298' '1.0/2' '1/2.0'; do
	usage --shard "$v" wdn-enrich
done
for v in '' '0' '-1' '+1' '1x' '1 ' '0x10' '99999999999999999999' '9223372036854775808'; do
	usage --max-messages "$v" wdn-lookup --lambda
	usage --max-messages "$v" wdn-enrich --lambda
done
# times and dates: no trailing bytes, no impossible dates, nothing but the forms documented
for v in '' 'junk' 'nowx' 'now ' ' now' '2021-07-03T23:15:00Zjunk' '2021-07-03T23:15:00Z ' \
	'2021-02-30T00:00:00Z' '2021-07-03T24:00:01Z' '2021-07-03T23:60:00Z' '2021-13-01T00:00:00Z' \
	'2021-07-03T23:15:00+25:00' '2021-07-03T23:15:00Z2' '2021-07-03 junk'; do
	usage --at "$v" wdn-lookup
	usage --at "$v" wdn-chain
	usage --at "$v" wdn-tags
done
for v in '' '2021-07-3' '2021-07-033' '2021-07-03x' '2021/07/03' '2021-13-01' '2021-02-30' \
	'2021-00-01' '20210703xx' ' 2021-07-0' '2021-07-03T00:00:00Z'; do
	usage --since "$v" wdn-record
	usage --until "$v" wdn-record
	usage --since "$v" wdn-enrich
	usage --until "$v" wdn-enrich
	usage --athena-consolidate "$v" wdn-enrich
done
for a in "--at now" "--at 2021-07-03T23:15:00Z" "--at 2021-07-03T23:15:00.5+02:00"; do
	for c in wdn-lookup wdn-chain wdn-tags; do
		# shellcheck disable=SC2086
		$c $a --help >/dev/null 2>&1
		ok "$c $a is accepted"
	done
done
for a in "-j 1" "-j 64" "--jobs 8" "--shard 1/1" "--shard 2/3" "--shard 7/7"; do
	# shellcheck disable=SC2086 # split on purpose
	wdn-enrich $a --help >/dev/null 2>&1
	ok "wdn-enrich $a is accepted"
done
for a in "--ttl-days 1" "--ttl-days 365" "--max-messages 1 --lambda" "--max-messages 100 --lambda"; do
	# shellcheck disable=SC2086
	wdn-record --store dynamodb:t $a --help >/dev/null 2>&1
	ok "wdn-record $a is accepted"
done
done_testing
