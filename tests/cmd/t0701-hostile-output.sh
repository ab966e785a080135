#!/bin/sh
# wdn-enrich -o under attack: inputs whose names collide, runs whose PIDs
# collide (PID namespaces sharing a volume), symlinks planted in the output
# tree, trees others can write, more partitions than file descriptors, names
# longer than a file name, and event times in other zones and formats. Each
# input must own its output; nothing outside the tree is touched; every
# event is written exactly once or the input fails loudly.
. tests/cmd/lib.sh

# ev ID TIME [ACCOUNT [REGION]]: one compact event
ev() {
	printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"%s"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"%s","eventID":"%s","recipientAccountId":"%s"}\n' \
		"${3:-111122223333}" "$2" "${4:-us-east-1}" "$1" "${3:-111122223333}"
}
# ids DIR: the eventIDs of every output file of the tree DIR, sorted
ids() { find "$1" -name '*.json.gz' ! -path '*/_whodunnit/*' -exec zcat {} + 2>/dev/null | jq -r .eventID | sort; }
# same GOT-FILE WANT-FILE DESCRIPTION: the two files are equal, else a diff
same() {
	if cmp -s "$1" "$2"; then pass "$3"; else
		fail "$3"
		diff "$2" "$1" | head -20 | sed 's/^/#   /'
	fi
}
# lines N WORD: ids WORD-1 .. WORD-N, one a line, as the events are made
mkevents() { # mkevents FILE WORD N TIME
	i=1
	while [ "$i" -le "$3" ]; do ev "$2-$i" "$4"; i=$((i + 1)); done >"$1"
}

# ---- 2. inputs with the same base name own their output names ---------------
mkdir -p "$T/in/a" "$T/in/b" "$T/in/c" "$T/in/d"
mkevents "$T/in/a/events.json" a 3 2023-07-10T10:00:00Z
mkevents "$T/in/b/events.json" b 4 2023-07-10T11:00:00Z
mkevents "$T/in/c/x" cx 2 2023-07-10T12:00:00Z
mkevents "$T/in/c/x.json" cxj 2 2023-07-10T12:30:00Z
mkevents "$T/in/c/x.json.gz.src" cxg 5 2023-07-10T13:00:00Z
gzip -c "$T/in/c/x.json.gz.src" >"$T/in/c/x.json.gz" && rm "$T/in/c/x.json.gz.src"
mkevents "$T/in/d/x.json" dx 1 2023-07-10T14:00:00Z
mkevents "$T/in/d/X.JSON" dX 1 2023-07-10T14:00:00Z
for f in "$T"/in/*/*; do zcat -f "$f"; done | jq -r .eventID | sort >"$T/want-all"
for j in 1 2; do
	rm -rf "$T/o$j"
	wdn-enrich -q -j $j -o "$T/o$j" "$T/in/a/events.json" "$T/in/b/events.json" "$T/in/c" "$T/in/d" 2>"$T/err"
	is "$?" 0 "-j $j: inputs with colliding base names are enriched"
	ids "$T/o$j" >"$T/got"
	same "$T/got" "$T/want-all" "-j $j: every event of every input is in the tree once (same base names, x / x.json / x.json.gz)"
done
wdn-enrich -o "$T/o1" "$T/in/a/events.json" "$T/in/b/events.json" "$T/in/c" "$T/in/d" 2>"$T/err"
grep -q "0 inputs enriched, 7 skipped as done" "$T/err"
ok "a rerun skips each of them" || sed 's/^/#   /' "$T/err"
ids "$T/o1" >"$T/got"
same "$T/got" "$T/want-all" "and the tree still holds every event once"
# one run after the other: the second does not replace the first's output
rm -rf "$T/o3"
wdn-enrich -q -o "$T/o3" "$T/in/a/events.json" && wdn-enrich -q -o "$T/o3" "$T/in/b/events.json"
ok "two runs, one input each, same base name"
cat "$T/in/a/events.json" "$T/in/b/events.json" | jq -r .eventID | sort >"$T/want"
ids "$T/o3" >"$T/got"
same "$T/got" "$T/want" "both inputs' events are in the tree"
# the same input named two ways is one input: a rerun from elsewhere adds nothing
(cd "$T/in" && wdn-enrich -o "$T/o3" a/events.json ./b/../b/events.json 2>"$T/err")
grep -q "0 inputs enriched, 2 skipped as done" "$T/err"
ok "an input named by another path is still done" || sed 's/^/#   /' "$T/err"

# ---- 16. long names: file names near the limit, paths of 300 and 1024+ -------
long() { head -c "$1" /dev/zero | tr '\0' "$2"; }
mkdir -p "$T/long"
n240="$T/long/$(long 240 a).json"
n251="$T/long/$(long 251 b)"
mkevents "$n240" l240 2 2023-07-10T10:00:00Z
mkevents "$n251" l251 2 2023-07-10T10:00:00Z
d="$T/long"
while [ ${#d} -lt 300 ]; do d="$d/$(long 60 c)"; done
mkdir -p "$d" && mkevents "$d/$(long 100 d).json" l300 2 2023-07-10T10:00:00Z
d="$T/long"
while [ ${#d} -lt 1030 ]; do d="$d/$(long 200 e)"; done
mkdir -p "$d" && mkevents "$d/$(long 230 f).json.gz.txt" l1024 2 2023-07-10T10:00:00Z
find "$T/long" -type f -exec cat {} + | jq -r .eventID | sort >"$T/want"
wdn-enrich -q -o "$T/ol" "$T/long" 2>"$T/err"
is "$?" 0 "inputs with long names (file names of 240 and 251 characters, paths of 300 and 1030) are enriched" ||
	sed 's/^/#   /' "$T/err"
ids "$T/ol" >"$T/got"
same "$T/got" "$T/want" "every event of them is written"
wdn-enrich -o "$T/ol" "$T/long" 2>"$T/err"
grep -q "0 inputs enriched, 4 skipped as done" "$T/err"
ok "and a rerun skips them all" || sed 's/^/#   /' "$T/err"
n=$(find "$T/ol" -name '*.json.gz' | awk -F/ '{ if (length($NF) > m) m = length($NF) } END { print m + 0 }')
[ "$n" -le 128 ]
ok "output names are bounded ($n characters at most)"

# ---- 16. day= is the event's UTC date ----------------------------------------
{
	ev tz-west "2023-07-10T23:45:00-05:00"
	ev tz-east "2023-07-11T02:00:00+05:00"
	ev tz-frac "2023-07-10T23:59:59.999Z"
	ev tz-noon "2023-12-31T12:00:00+14:00"
	ev old-new "Jul 10, 2023, 11:45:00 PM"
	ev old-old "Jul 3, 2021 11:27:09 PM"
	ev bad-str "yesterday, around tea"
	ev bad-iso "2023-13-45T99:00:00Z"
	ev bad-num 20230710
	printf '%s\n' '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"no-time","recipientAccountId":"111122223333"}'
} >"$T/days.json"
wdn-enrich -q -o "$T/od" "$T/days.json" 2>"$T/err"
is "$?" 3 "events with zoned and old-style times are enriched; those with unreadable times rejected"
for f in $(find "$T/od" -name '*.json.gz' ! -path '*/_whodunnit/*'); do
	day=${f#*/day=}; day=${day%%/*}
	zcat "$f" | jq -r --arg d "$day" '"\(.eventID) \($d)"'
done | sort >"$T/got"
sort >"$T/want" <<'EOF'
tz-west 2023-07-11
tz-east 2023-07-10
tz-frac 2023-07-10
tz-noon 2023-12-30
old-new 2023-07-10
old-old 2021-07-03
EOF
same "$T/got" "$T/want" "day= is the UTC date of eventTime, never a piece of its text"
is "$(grep -c 'is not a time\|no eventTime' "$T/err")" 4 "each unreadable time is reported" || sed 's/^/#   /' "$T/err"

# ---- 11. more partitions than any bound on open files -------------------------
i=0
while [ $i -lt 1100 ]; do
	t=$((1600000000 + i * 86400))
	ev "p-$i" "$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)"
	[ $((i % 4)) -eq 0 ] && ev "q-$i" "$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)" 222233334444 eu-west-1
	i=$((i + 1))
done >"$T/many.json"
jq -r .eventID "$T/many.json" | sort >"$T/want"
(ulimit -n 64 && wdn-enrich -q -o "$T/om" "$T/many.json") 2>"$T/err"
is "$?" 0 "one input over 1375 partitions is written, with 64 open files allowed" || sed 's/^/#   /' "$T/err" | head -5
ids "$T/om" >"$T/got"
same "$T/got" "$T/want" "every event once"
is "$(find "$T/om" -name '*.json.gz' ! -path '*/_whodunnit/*' | wc -l | tr -d ' ')" 1375 "one file per partition"
bad=0
for f in $(find "$T/om" -name '*.json.gz' ! -path '*/_whodunnit/*' | head -50); do gzip -t "$f" || bad=1; done
is "$bad" 0 "and each file is whole gzip"
wdn-enrich -o "$T/om" "$T/many.json" 2>"$T/err"
grep -q "0 inputs enriched, 1 skipped as done" "$T/err"
ok "a rerun skips it" || sed 's/^/#   /' "$T/err"

# ---- 3. the output tree: ownership, modes, planted symlinks -------------------
mkevents "$T/s.json" s 2 2023-07-10T10:00:00Z
# trees others can write, or owned by someone else, are refused with the reason
for mode in 0777 0775 1777 0757; do
	rm -rf "$T/w" && mkdir "$T/w" && chmod "$mode" "$T/w"
	wdn-enrich -q -o "$T/w" "$T/s.json" 2>"$T/err"
	is "$?" 1 "an output tree of mode $mode is refused"
	grep -q "writable by others" "$T/err"
	ok "and the message says why" || sed 's/^/#   /' "$T/err"
	is "$(find "$T/w" | wc -l | tr -d ' ')" 1 "and nothing is written in it"
done
if [ "$(id -u)" = 0 ]; then
	rm -rf "$T/w" && mkdir "$T/w" && chown 65534 "$T/w"
	wdn-enrich -q -o "$T/w" "$T/s.json" 2>"$T/err"
	is "$?" 1 "an output tree owned by another user is refused"
	grep -q "not owned by" "$T/err"
	ok "and the message says why" || sed 's/^/#   /' "$T/err"
	rm -rf "$T/w" && mkdir "$T/w" && ln -s "$T/w" "$T/wl" && chown -h 65534 "$T/wl"
	wdn-enrich -q -o "$T/wl" "$T/s.json" 2>"$T/err"
	is "$?" 1 "an output path that is another user's symlink is refused"
	is "$(find "$T/w" | wc -l | tr -d ' ')" 1 "and nothing is written where it points"
else
	skip "ownership refusals need root to make another user's tree"
fi
# a fresh tree: _whodunnit and what is under it are private
rm -rf "$T/ok" && wdn-enrich -q -o "$T/ok" "$T/s.json"
is "$(stat -c %a "$T/ok/_whodunnit" "$T/ok/_whodunnit/tmp" "$T/ok/_whodunnit/done" | tr '\n' ' ')" "700 700 700 " \
	"_whodunnit/, tmp/ and done/ are made 0700"

# the victim: a private file outside the tree, and a directory of its own
vsum=$(printf 'root only\n' | md5sum)
plant() { # plant TREE...: fresh trees, a fresh victim file and directory
	rm -rf "$T/t" "$T/else" && mkdir -p "$@" "$T/else" && : >"$T/else/keep"
	printf 'root only\n' >"$T/secret" && chmod 600 "$T/secret"
}
victim_ok() { # victim_ok DESCRIPTION: the secret unchanged, nothing put in $T/else
	is "$(md5sum <"$T/secret")" "$vsum" "$1: the file outside the tree is untouched"
	is "$(find "$T/else" ! -name keep | wc -l | tr -d ' ')" 1 "$1: nothing is written where a symlink points"
	[ -f "$T/else/keep" ]
	ok "$1: nothing is removed there"
}
# _whodunnit, _whodunnit/tmp, _whodunnit/done planted as symlinks
for link in _whodunnit _whodunnit/tmp _whodunnit/done; do
	plant "$T/t/_whodunnit" && chmod 700 "$T/t/_whodunnit" && : >"$T/else/4000000.0.0"
	[ "$link" = _whodunnit ] && rmdir "$T/t/_whodunnit"
	ln -s "$T/else" "$T/t/$link"
	wdn-enrich -q -o "$T/t" "$T/s.json" 2>"$T/err"
	is "$?" 1 "$link planted as a symlink: the run refuses"
	[ -f "$T/else/4000000.0.0" ]
	ok "$link planted: no file is removed where it points"
	rm -f "$T/else/4000000.0.0"
	victim_ok "$link"
done
# a temp file planted as a symlink to the secret; PID 1 in a PID namespace
# is what made the old predictable names predictable
if unshare --pid --fork true 2>/dev/null; then
	plant "$T/t/_whodunnit/tmp"
	chmod 700 "$T/t/_whodunnit" "$T/t/_whodunnit/tmp"
	for n in 1 2 3 4 5; do for w in 0 1; do for s in 0 1 2 3; do
		ln -s "$T/secret" "$T/t/_whodunnit/tmp/$n.$w.$s"
	done; done; done
	unshare --pid --fork wdn-enrich -q -o "$T/t" "$T/s.json" 2>"$T/err"
	is "$?" 0 "temp files planted as symlinks: the run goes on"
	victim_ok "planted temp files"
	jq -r .eventID "$T/s.json" | sort >"$T/want"
	ids "$T/t" >"$T/got"
	same "$T/got" "$T/want" "planted temp files: every event is written"
else
	skip "unshare --pid unavailable: no PID-1 temp-file test"
fi
# partition directories planted as symlinks, at each level
rm -rf "$T/p0" && wdn-enrich -q -o "$T/p0" "$T/s.json"
part=$(cd "$T/p0" && find . -name '*.json.gz' ! -path './_whodunnit/*' | sed 's|^\./||')
pdir=${part%/*}
for lvl in 1 2 3; do
	sub=$(echo "$pdir" | cut -d/ -f1-$lvl)
	plant "$T/t"
	case $sub in */*) mkdir -p "$T/t/${sub%/*}" ;; esac
	ln -s "$T/else" "$T/t/$sub"
	wdn-enrich -q -o "$T/t" "$T/s.json" 2>"$T/err"
	is "$?" 1 "partition directory ${sub##*/} planted as a symlink: the input fails"
	victim_ok "${sub##*/} planted"
	[ -z "$(ls "$T/t/_whodunnit/done")" ]
	ok "${sub##*/} planted: the input is not marked done"
done
# the output file itself planted as a symlink: replaced, never written through
plant "$T/t/$pdir"
ln -s "$T/secret" "$T/t/$part"
wdn-enrich -q -o "$T/t" "$T/s.json" 2>"$T/err"
is "$?" 0 "an output file planted as a symlink: the input is written"
victim_ok "output file planted"
[ -f "$T/t/$part" ] && [ ! -L "$T/t/$part" ]
ok "the symlink is replaced by the output file"
# a marker planted as a symlink to an existing file does not mark the input done
marker=$(ls "$T/p0/_whodunnit/done")
plant "$T/t/_whodunnit/done" && chmod -R 700 "$T/t/_whodunnit"
ln -s "$T/secret" "$T/t/_whodunnit/done/$marker"
wdn-enrich -o "$T/t" "$T/s.json" 2>"$T/err"
grep -q "1 inputs enriched, 0 skipped" "$T/err"
ok "a marker planted as a symlink does not mark the input done" || sed 's/^/#   /' "$T/err"
jq -r .eventID "$T/s.json" | sort >"$T/want"
ids "$T/t" >"$T/got"
same "$T/got" "$T/want" "so its events are written"
is "$(md5sum <"$T/secret")" "$vsum" "and the file the marker pointed to is untouched"

# ---- 1. temp files: unique across PID namespaces; only the stale removed -------
# A run in another container (its own PID 1) is writing: its lock is held.
rm -rf "$T/t" && mkdir -p "$T/t/_whodunnit/tmp" && chmod -R 700 "$T/t/_whodunnit"
tmpd="$T/t/_whodunnit/tmp"
live=4000001a4e5f60718293a4b5c6d7e8f9
dead=4000002a4e5f60718293a4b5c6d7e8f9
printf 'live\n' >"$tmpd/4000000.0.0"
printf 'live\n' >"$tmpd/$live.lock" && printf 'live\n' >"$tmpd/$live.0"
printf 'dead\n' >"$tmpd/$dead.lock" && printf 'dead\n' >"$tmpd/$dead.0" && printf 'dead\n' >"$tmpd/$dead.1"
flock "$tmpd/4000000.0.0" flock "$tmpd/$live.lock" sleep 60 &
holder=$!
sleep 0.5
wdn-enrich -q -o "$T/t" "$T/s.json"
is "$?" 0 "a run beside another run's temp files"
is "$(cd "$tmpd" && ls | sort | tr '\n' ' ')" "4000000.0.0 $live.0 $live.lock " \
	"temp files whose lock is held are kept, those nobody holds are removed"
is "$(cat "$tmpd/4000000.0.0" "$tmpd/$live.0")" "live
live" "and the kept ones are untouched"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# Two runs as PID 1 of their own PID namespaces, sharing the tree, at once.
if unshare --pid --fork true 2>/dev/null; then
	rm -rf "$T/t" && mkdir -p "$T/t" "$T/pa" "$T/pb"
	mkevents "$T/pa/events.json" ns-a 200 2023-07-10T10:00:00Z
	mkevents "$T/pb/events.json" ns-b 300 2023-07-10T10:00:00Z
	mkfifo "$T/fifo"
	unshare --pid --fork wdn-enrich -q -o "$T/t" "$T/fifo" 2>"$T/err-a" &
	a=$!
	exec 7>"$T/fifo"
	head -n 100 "$T/pa/events.json" >&7
	i=0
	while [ $i -lt 100 ] && [ -z "$(ls "$T/t/_whodunnit/tmp" 2>/dev/null | grep -v '\.lock$')" ]; do
		sleep 0.1; i=$((i + 1))
	done
	unshare --pid --fork wdn-enrich -q -o "$T/t" "$T/pb/events.json" 2>"$T/err-b"
	is "$?" 0 "PID namespaces: the second run (also PID 1) succeeds"
	tail -n +101 "$T/pa/events.json" >&7
	exec 7>&-
	wait "$a"
	is "$?" 0 "PID namespaces: the first run (also PID 1) succeeds" || sed 's/^/#   /' "$T/err-a"
	for f in $(find "$T/t" -name '*.json.gz' ! -path '*/_whodunnit/*'); do
		zcat "$f" | jq -r .eventID | sed 's/-[0-9]*$//' | sort -u | tr '\n' ' '
		echo
	done | sort >"$T/got"
	printf 'ns-a \nns-b \n' >"$T/want"
	same "$T/got" "$T/want" "PID namespaces: each output file holds one input's events"
	cat "$T/pa/events.json" "$T/pb/events.json" | jq -r .eventID | sort >"$T/want"
	ids "$T/t" >"$T/got"
	same "$T/got" "$T/want" "PID namespaces: every event of both once"
else
	skip "unshare --pid unavailable: no PID-namespace collision test"
fi

# ---- 2 and 16 with -o s3://: colliding and long names against the S3 peer -----
. tests/peers/use.sh
if peers_up; then
	s3curl() { # s3curl [curl args...] URL-PATH
		curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
	}
	empty=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	s3put() { s3curl -H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)" -T "$3" "$AWS_ENDPOINT_URL_S3/$1/$2" >/dev/null; }
	s3mb() { s3curl -H "x-amz-content-sha256: $empty" -X PUT "$AWS_ENDPOINT_URL_S3/$1" >/dev/null; }
	s3ls() { # s3ls BUCKET PREFIX
		s3curl -H "x-amz-content-sha256: $empty" "$AWS_ENDPOINT_URL_S3/$1?list-type=2&prefix=$(echo "$2" | sed 's|/|%2F|g')" |
			grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
	}
	s3ids() { # s3ids BUCKET PREFIX: the eventIDs of its output objects
		for k in $(s3ls "$1" "$2" | grep '\.json\.gz$' | grep -v _whodunnit); do
			s3curl -H "x-amz-content-sha256: $empty" "$AWS_ENDPOINT_URL_S3/$1/$k" | zcat
		done | jq -r .eventID | sort
	}
	s3mb trail && s3mb out
	ok "buckets created"
	s3put trail p1/events.json "$T/in/a/events.json" &&
		s3put trail p2/events.json "$T/in/b/events.json" &&
		s3put trail q/x "$T/in/c/x" &&
		s3put trail q/x.json "$T/in/c/x.json" &&
		s3put trail q/x.json.gz "$T/in/c/x.json.gz"
	ok "objects with colliding base names uploaded"
	k300=$(long 140 g)/$(long 140 h)/$(long 10 i).json
	k1024=$(long 200 j)/$(long 200 k)/$(long 200 l)/$(long 200 m)/$(long 200 n)/$(long 18 o).json
	s3put trail "$k300" "$n240" && s3put trail "$k1024" "$n251"
	ok "objects with keys of ${#k300} and ${#k1024} characters uploaded"
	cat "$T/in/a/events.json" "$T/in/b/events.json" "$T/in/c/x" "$T/in/c/x.json" "$n240" "$n251" >"$T/s3in"
	zcat "$T/in/c/x.json.gz" >>"$T/s3in"
	jq -r .eventID "$T/s3in" | sort >"$T/want"
	wdn-enrich -q -o s3://out/coll/ s3://trail/ 2>"$T/err"
	is "$?" 0 "-o s3://: inputs with colliding and long names are enriched" || sed 's/^/#   /' "$T/err"
	s3ids out coll/ >"$T/got"
	same "$T/got" "$T/want" "-o s3://: every event of every object is there once"
	wdn-enrich -o s3://out/coll/ s3://trail/ 2>"$T/err"
	grep -q "0 inputs enriched, 7 skipped as done" "$T/err"
	ok "-o s3://: a rerun skips them all" || sed 's/^/#   /' "$T/err"
	wdn-enrich -q -o s3://out/local/ "$T/in/a/events.json" "$T/in/b/events.json" "$T/in/c" 2>"$T/err"
	is "$?" 0 "-o s3:// from local inputs with colliding base names"
	cat "$T/in/a/events.json" "$T/in/b/events.json" "$T/in/c/x" "$T/in/c/x.json" >"$T/s3in"
	zcat "$T/in/c/x.json.gz" >>"$T/s3in"
	jq -r .eventID "$T/s3in" | sort >"$T/want"
	s3ids out local/ >"$T/got"
	same "$T/got" "$T/want" "-o s3:// from local inputs: every event once"
fi

# ---- names Athena would skip, links, the tree inside its input, a cut input ---
# names: output file names never start with '_' or '.', whatever the input's first byte
rm -rf "$T/nm" "$T/nmo" && mkdir "$T/nm"
for n in " trail" "$(printf '\303\251v\303\251nements')" "$(printf '\320\273\320\276\320\263')" \
	"$(printf '\tx')" "_under" ".dot" "#hash" "$(printf '\377y')"; do
	i=$((${i:-0} + 1)) && ev "nm-$i" 2024-03-01T00:00:00Z >"$T/nm/$n.json"
done
wdn-enrich -q -o "$T/nmo" "$T/nm"
is "$?" 0 "inputs named with a leading space, non-ASCII, control, '_', '.', '#'"
find "$T/nmo" -name '*.json.gz' ! -path '*/_whodunnit/*' | sed 's|.*/||' | grep '^[._]' >"$T/got"
is "$(wc -l <"$T/got" | tr -d ' ')" 0 "no output name starts with '_' or '.'" || sed 's/^/#   /' "$T/got"
is "$(ids "$T/nmo" | wc -l | tr -d ' ')" 8 "and all 8 events are there"
# a file symlink names the same input as its target: done, not enriched again
rm -rf "$T/ln" "$T/lno" && mkdir -p "$T/ln/data"
mkevents "$T/ln/data/events.json" ln 3 2024-03-01T00:00:00Z
ln -s data/events.json "$T/ln/latest.json"
ln -s "$T/ln/data/events.json" "$T/ln/abs.json.gz"
wdn-enrich -q -o "$T/lno" "$T/ln/data/events.json"
for l in latest.json abs.json.gz; do
	wdn-enrich -o "$T/lno" "$T/ln/$l" 2>"$T/err"
	grep -q "0 inputs enriched, 1 skipped as done" "$T/err"
	ok "the input through symlink $l is skipped as done" || sed 's/^/#   /' "$T/err"
done
is "$(ids "$T/lno" | uniq -d | wc -l | tr -d ' '):$(ids "$T/lno" | wc -l | tr -d ' ')" "0:3" \
	"each event of a linked input is written once"
# an output tree inside the input directory is not read back
for sub in out deep/er/out; do
	rm -rf "$T/self" && mkdir "$T/self"
	mkevents "$T/self/a.json" self 2 2024-03-01T00:00:00Z
	for run in 1 2 3; do
		wdn-enrich -o "$T/self/$sub" "$T/self" 2>"$T/err"
		is "$?" 0 "-o $sub inside the input directory: run $run succeeds" || sed 's/^/#   /' "$T/err"
	done
	ids "$T/self/$sub" >"$T/got"
	printf 'self-1\nself-2\n' >"$T/want"
	same "$T/got" "$T/want" "-o $sub inside the input directory: each event once after three runs"
done
# a truncated input is counted as failed, not enriched
rm -rf "$T/cut" "$T/cuto" && mkdir "$T/cut"
mkevents "$T/cut/e.src" cut 50 2024-03-01T00:00:00Z
gzip -c "$T/cut/e.src" >"$T/cut/e.gz"
for sz in 60 300 $(($(wc -c <"$T/cut/e.gz") - 4)); do
	head -c "$sz" "$T/cut/e.gz" >"$T/cut/c$sz.json.gz"
done
mkevents "$T/cut/whole.json" whole 2 2024-03-01T00:00:00Z
rm "$T/cut/e.src" "$T/cut/e.gz"
wdn-enrich -o "$T/cuto" "$T/cut" 2>"$T/err"
is "$?" 1 "truncated inputs fail the run"
grep -q "1 inputs enriched, 0 skipped as done, 3 failed" "$T/err"
ok "the summary counts the 3 cut inputs as failed" || sed 's/^/#   /' "$T/err"

# ---- every directory on the -o path and in the partitions ---------------------
ev p1 2024-03-01T00:00:00Z >"$T/p.json"
if [ "$(id -u)" = 0 ]; then
	# another user's symlink, or directory, anywhere on the way
	for sub in "x/out" "x/a/b/out" "x/a/out/deeper"; do
		rm -rf "$T/pv" "$T/pl" && mkdir -m 700 "$T/pv" && ln -s "$T/pv" "$T/pl" && chown -h 65534 "$T/pl"
		wdn-enrich -q -o "$T/pl/${sub#x/}" "$T/p.json" 2>"$T/err"
		is "$?" 1 "-o through another user's symlink ($sub) is refused" || sed 's/^/#   /' "$T/err"
		is "$(find "$T/pv" | wc -l | tr -d ' ')" 1 "and nothing is made where it points ($sub)"
	done
	rm -rf "$T/pv" "$T/pl" && mkdir -m 700 "$T/pv" && ln -s "$T/pv" "$T/pl"
	wdn-enrich -q -o "$T/pl/out" "$T/p.json" 2>"$T/err"
	is "$?" 0 "-o through the user's own symlink is used" || sed 's/^/#   /' "$T/err"
	for how in "chown 65534" "chmod 777" "chmod 757" "chmod 775"; do
		rm -rf "$T/pd" && mkdir -m 755 "$T/pd" && $how "$T/pd"
		wdn-enrich -q -o "$T/pd/a/out" "$T/p.json" 2>"$T/err"
		is "$?" 1 "-o below a directory after '$how' is refused" || sed 's/^/#   /' "$T/err"
		grep -q "on the way" "$T/err"
		ok "and the message names it" || sed 's/^/#   /' "$T/err"
	done
	rm -rf "$T/pd" && mkdir -m 1777 "$T/pd"
	wdn-enrich -q -o "$T/pd/out" "$T/p.json" 2>"$T/err"
	is "$?" 0 "-o below a sticky directory others write (like /tmp) is used" || sed 's/^/#   /' "$T/err"
	# a partition directory another user owns or can write
	for part in account=111122223333 account=111122223333/region=us-east-1 \
		account=111122223333/region=us-east-1/day=2024-03-01; do
		for how in "chown 65534" "chmod 777" "chmod 775"; do
			rm -rf "$T/po" && mkdir -m 755 "$T/po" && mkdir -p "$T/po/$part" && $how "$T/po/$part"
			wdn-enrich -q -o "$T/po" "$T/p.json" 2>"$T/err"
			is "$?" 1 "a partition directory after '$how' ($part) is refused" || sed 's/^/#   /' "$T/err"
			is "$(find "$T/po" -name '*.json.gz' ! -path '*/_whodunnit/*' | wc -l | tr -d ' ')" 0 \
				"and nothing is committed in it ($part, $how)"
			grep -q "${part##*/}' is" "$T/err"
			ok "and the message names the directory" || sed 's/^/#   /' "$T/err"
		done
	done
else
	skip "directories of another user need root"
fi

done_testing
