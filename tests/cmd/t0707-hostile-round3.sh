#!/bin/sh
# Round 3's merged changes, attacked: a log file under a folder named like
# CloudTrail's other folders (a bucket prefix or a local copy's directory
# "CloudTrail-Digest", "CloudTrail-Insight") is still read as a log file,
# never taken for a digest (wdn-record: a "tampered digest"; wdn-enrich
# over S3: silently skipped), in a local tree and in a bucket. Characters
# that reorder what a reader sees (bidi controls: U+202E shows "gpj.exe" as
# "exe.jpg") are shown as their codes in the Markdown and Graphviz answers,
# as in the text one.
. tests/cmd/lib.sh
A=111122223333

# seen TIME KEY USER: the user's long-term key in use
seen() {
	jq -cn --arg t "$1" --arg k "$2" --arg u "$3" --arg a "$A" '{ Records: [{
		eventVersion: "1.09", eventSource: "s3.amazonaws.com", eventName: "ListBuckets",
		eventTime: $t, eventID: ("ev-" + $k), awsRegion: "us-east-1", recipientAccountId: $a,
		userIdentity: { type: "IAMUser", arn: ("arn:aws:iam::" + $a + ":user/" + $u),
			accountId: $a, accessKeyId: $k, userName: $u } }] }'
}

# a copy of a bucket whose trail writes under a prefix named like the digest
# or Insights folder, and one with a plain prefix
n=0
for pre in CloudTrail-Digest CloudTrail-Insight logs/CloudTrail-Digest/x plain; do
	n=$((n + 1))
	d="$T/$pre/AWSLogs/$A/CloudTrail/us-east-1/2024/01/02"
	mkdir -p "$d"
	k=AKIAQQQQQQQQPREFIX0$n
	seen 2024-01-02T00:00:0${n}Z "$k" "user$n" | gzip >"$d/${A}_CloudTrail_us-east-1_20240102T000${n}Z_abcd$n.json.gz"
	wdn-record -q --store "$T/p$n.db" "$T/$pre/"
	is "$?" 0 "prefix '$pre': the copy records"
	got=$(wdn-lookup --no-trails --store "$T/p$n.db" "$k" 2>&1 | jq -r .Principal)
	is "$got" "arn:aws:iam::$A:user/user$n" "prefix '$pre': the log file under it was read"
done

# ---- bidi controls in --format markdown and dot ----------------------------
i=0
for evil in 'ab\u202egpj.exe' '\u2066iso\u2069' 'x\u202ay\u202bz\u202c\u202d' '\u200eL\u200fR\u061c' \
	'admin\u2067\u202e' 'tail\u2068'; do
	i=$((i + 1))
	jq -c --arg e "$evil" '("\"" + $e + "\"" | fromjson) as $s |
		.Records |= map(.requestParameters.roleSessionName = $s |
		.requestParameters.tags = [{key: $s, value: $s}] |
		.responseElements.assumedRoleUser.arn |= sub("/[^/]*$"; "/x"))' \
		"$FIX/seed-example.json" >"$T/bidi$i.json"
	wdn-record -q --store "$T/bidi$i.db" "$T/bidi$i.json" 2>/dev/null
	for f in markdown dot; do
		wdn-lookup --store "$T/bidi$i.db" --format $f ASIATJVZAAAARRT5X7PR >"$T/bidi$i.$f"
		# U+061C, U+200E/F, U+202A..E, U+2066..9 in UTF-8
		if LC_ALL=C grep -n "$(printf '\330\234\|\342\200[\216\217\252-\256]\|\342\201[\246-\251]')" \
			"$T/bidi$i.$f" >"$T/bidi.hits"; then
			fail "--format $f, session name #$i: a bidi control got through"
			sed 's/^/#   /' "$T/bidi.hits" | head -3
		else
			pass "--format $f, session name #$i: no bidi control"
		fi
	done
	grep -q 'session [^ ]*\\u[0-9a-f]\{4\}' "$T/bidi$i.markdown"
	ok "--format markdown, session name #$i: shown as its code" || grep -m1 'Answer' "$T/bidi$i.markdown" | sed 's/^/#   /'
done

# ---- the same in a bucket: S3 listing, --since, wdn-enrich ------------------
. tests/peers/use.sh
peers_up || { done_testing; exit; }
s3() { # s3 METHOD PATH [FILE]: a signed request (the proxy checks signatures)
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $(sha256sum <"${3:-/dev/null}" | cut -d' ' -f1)" \
		-X "$1" ${3:+-T "$3"} "$AWS_ENDPOINT_URL_S3/$2" >/dev/null
}
s3 PUT trail
ok "bucket created"
n=0
for pre in CloudTrail-Digest CloudTrail-Insight a/CloudTrail-Digest/b; do
	n=$((n + 1))
	k=AKIAQQQQQQQQBUCKET0$n
	seen 2024-01-02T00:00:0${n}Z "$k" "user$n" | gzip >"$T/s3-$n.json.gz"
	s3 PUT "trail/$pre/AWSLogs/$A/CloudTrail/us-east-1/2024/01/02/${A}_CloudTrail_us-east-1_20240102T000${n}Z_s$n.json.gz" \
		"$T/s3-$n.json.gz"
	wdn-record -q --store "$T/s$n.db" --since 2024-01-02 "s3://trail/$pre/"
	is "$?" 0 "s3://trail/$pre/: wdn-record exits 0"
	got=$(wdn-lookup --no-trails --store "$T/s$n.db" "$k" 2>&1 | jq -r .Principal)
	is "$got" "arn:aws:iam::$A:user/user$n" "s3://trail/$pre/: the log file under it was recorded"
	got=$(wdn-enrich --store "$T/s$n.db" "s3://trail/$pre/" 2>"$T/enrich.err" | jq -r '.userIdentity.accessKeyId? // .' | sort -u)
	is "$got" "$k" "s3://trail/$pre/: wdn-enrich reads its event"
done
done_testing
