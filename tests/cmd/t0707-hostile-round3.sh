#!/bin/sh
# Round 3's merged changes, attacked: a log file under a folder named like
# CloudTrail's other folders (a bucket prefix or a local copy's directory
# "CloudTrail-Digest", "CloudTrail-Insight") is still read as a log file,
# never silently taken for a digest.
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
done_testing
