#!/bin/sh
# CloudTrail log file integrity from S3 (s3rver behind the SigV4-checking
# proxy): each digest object carries its signature in x-amz-meta-signature,
# so every digest verifies, the newest included.
. tests/cmd/lib.sh
. tests/cmd/digest-trail.sh
have_digest_tools || { done_testing; exit; }
. tests/peers/use.sh
peers_up || { done_testing; exit; }

s3() { # s3 CURL-ARGS... (signed as the test client)
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
}
s3mb() { s3 -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" -X PUT "$AWS_ENDPOINT_URL_S3/$1" >/dev/null; }
s3put() { # s3put BUCKET KEY FILE [HEADER...]
	_b=$1 _k=$2 _f=$3 _to=$AWS_ENDPOINT_URL_S3
	shift 3
	# curl 7.88 signs x-amz-meta-signature-algorithm before x-amz-meta-signature
	# (it sorts "name:value" lines, not names), which the proxy rightly
	# refuses: objects with both go straight to s3rver, reads go through the proxy
	[ $# -gt 2 ] && _to="http://127.0.0.1:$(cat "$PEERS/s3rver.port")"
	s3 -H "x-amz-content-sha256: $(sha256sum <"$_f" | cut -d' ' -f1)" "$@" -T "$_f" "$_to/$_b/$_k" >/dev/null
}
# upload DIR BUCKET: every file, digests with their signatures as metadata
upload() {
	(cd "$1" && find AWSLogs -type f) | while read -r k; do
		sig=$(awk -v k="$k" '$1 == k { print $2 }' "$T/sigs")
		if [ -n "$sig" ]; then
			s3put "$2" "$k" "$1/$k" -H "x-amz-meta-signature: $sig" -H "x-amz-meta-signature-algorithm: SHA256withRSA"
		else
			s3put "$2" "$k" "$1/$k"
		fi || { echo "upload $k failed" >&2; return 1; }
	done
}
counts() { sed -n 's/^wdn-record: \([0-9]* digests; .*\)/\1/p' "$1"; }
show() { sed 's/^/#   /' "$1"; }

make_trail "$T/tr" || { fail "making the signed trail"; done_testing; exit; }
s3mb "$BUCKET" && upload "$T/tr" "$BUCKET"
ok "the signed trail is in S3, digests with x-amz-meta-signature"
s3 -I -H "x-amz-content-sha256: $(printf '' | sha256sum | cut -d' ' -f1)" "$AWS_ENDPOINT_URL_S3/$BUCKET/$d00" >"$T/head"
grep -qi '^x-amz-meta-signature: [0-9a-f]\{512\}' "$T/head"
ok "the emulator and the signing proxy keep x-amz-meta-* headers" || show "$T/head"

wdn-record --public-keys "$T/keys-v2.json" "s3://$BUCKET/AWSLogs/" >/dev/null 2>"$T/err"
is "$?" 0 "intact trail from S3: exit 0"
is "$(counts "$T/err")" "6 digests; log files 6 verified, 0 tampered, 0 unverified" \
	"every log verified, those of the newest digest and the backfill included" || show "$T/err"
is "$(grep -vc '^wdn-record: [0-9]* \(inputs\|digests\)' "$T/err")" 0 "nothing reported" || show "$T/err"
is "$(peers_stats s3 .rejected)" 0 "the proxy accepted every signature"

# one byte changed in the newest digest's log: only S3's metadata can tell
leaf="$LOGS/2021/07/04/${ACCT}_CloudTrail_us-east-1_20210704T0010Z_leafdddd.json.gz"
gzip -dc "$T/tr/$leaf" | sed 's/leaf-1/leaf-2/' | gzip -n >"$T/leaf.gz"
s3put "$BUCKET" "$leaf" "$T/leaf.gz"
wdn-record --public-keys "$T/keys-v1.json" "s3://$BUCKET/AWSLogs/" >/dev/null 2>"$T/err"
is "$?" 4 "a byte changed in a log only the newest digest lists: exit 4"
grep -q "'s3://$BUCKET/$leaf': tampered: its SHA-256 is not the one digest" "$T/err"
ok "named by its s3:// URI" || show "$T/err"
s3put "$BUCKET" "$leaf" "$T/tr/$leaf"

# the newest digest's metadata signature replaced by another's
s3put "$BUCKET" "$d00" "$T/tr/$d00" -H "x-amz-meta-signature: $(awk -v k="$d23" '$1 == k { print $2 }' "$T/sigs")" \
	-H "x-amz-meta-signature-algorithm: SHA256withRSA"
wdn-record --public-keys "$T/keys-v2.json" "s3://$BUCKET/AWSLogs/" >/dev/null 2>"$T/err"
is "$?" 4 "a digest whose metadata signature is not its own: exit 4"
grep -q "tampered digest 's3://$BUCKET/$d00': its signature does not verify" "$T/err"
ok "the digest is named" || show "$T/err"
s3put "$BUCKET" "$d00" "$T/tr/$d00"
wdn-record --public-keys "$T/keys-v2.json" "s3://$BUCKET/AWSLogs/" >/dev/null 2>"$T/err"
is "$(counts "$T/err")" "6 digests; log files 5 verified, 0 tampered, 1 unverified" \
	"a digest object with no metadata: its logs unverified, as offline" || show "$T/err"

# a digest copied to another place: not where it says it was delivered
s3put "$BUCKET" "moved/$d21" "$T/tr/$d21" -H "x-amz-meta-signature: $(awk -v k="$d21" '$1 == k { print $2 }' "$T/sigs")"
wdn-record --public-keys "$T/keys-v2.json" "s3://$BUCKET/moved/" >/dev/null 2>"$T/err"
is "$?" 4 "a digest moved from where CloudTrail put it: exit 4"
grep -q "is not at the location it names" "$T/err"
ok "saying so" || show "$T/err"

# --since/--until: logs outside the dates are not missing
wdn-record --since 2021-07-04 --public-keys "$T/keys-v2.json" "s3://$BUCKET/AWSLogs/" >/dev/null 2>"$T/err"
is "$?" 0 "--since selects digests too, and reports no log outside it missing" || show "$T/err"
done_testing
