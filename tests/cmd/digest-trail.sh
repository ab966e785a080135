# Sourced by the digest tests (t08NN): builds a CloudTrail trail with digest
# files signed, as CloudTrail signs them, by a test RSA key made here.
#
#   make_trail DIR
#
# DIR/AWSLogs/111122223333/CloudTrail/us-east-1/2021/07/0[34]/ holds the
# seed's 3-hop AssumeRole chain spread over hours 20, 21 and 22, a noise file
# in hour 20, a late file in hour 21 and a use of the leaf key in hour 00;
# CloudTrail-Digest/ holds one digest per hour (20 starting, 23 empty, 00
# the newest) and a backfill digest for the late file. Also made:
#   $T/key.pem                the private key; $T/keys-v2.json, $T/keys-v1.json
#                             the public key as `aws cloudtrail list-public-keys`
#                             prints it (CLI v2: ISO 8601 times; v1: epoch)
#   $T/sigs                   "OBJECT-KEY SIGNATURE-HEX" per digest
# Needs openssl, jq, gzip, sha256sum.
ACCT=111122223333
BUCKET=ct-bucket
LOGS=AWSLogs/$ACCT/CloudTrail/us-east-1
DIGS=AWSLogs/$ACCT/CloudTrail-Digest/us-east-1
FP=5f1ce8a52b8a4b7b37ffa9fe8c5c2d10

have_digest_tools() {
	for t in openssl jq gzip sha256sum; do
		command -v "$t" >/dev/null 2>&1 || { skip "$t is not installed"; return 1; }
	done
}

# event N TIME: the seed's Nth record at another time, compact
event() { jq -c --arg t "$2" ".Records[$1] | .eventTime = \$t" "$FIX/seed-example.json"; }

# put_log DIR DAY STAMP NAME EVENT...: a log file as CloudTrail writes one
put_log() {
	_d=$1 _day=$2 _stamp=$3 _name=$4
	shift 4
	mkdir -p "$_d/$LOGS/2021/07/$_day"
	printf '{"Records":[%s]}\n' "$(printf '%s\n' "$@" | paste -sd, -)" |
		gzip -n >"$_d/$LOGS/2021/07/$_day/${ACCT}_CloudTrail_us-east-1_${_stamp}_$_name.json.gz"
}

# digest DIR DAY STAMP START END PREV-OBJECT|- [backfill] < list of log paths (under DIR)
digest() {
	_d=$1 _day=$2 _stamp=$3 _start=$4 _end=$5 _prev=$6 _bf=${7:+_backfill}
	_obj="$DIGS/2021/07/$_day/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_${_stamp}${_bf}.json.gz"
	_files='[]'
	while read -r _f; do
		_h=$(gzip -dc "$_d/$_f" | sha256sum | cut -d' ' -f1)
		_files=$(printf '%s' "$_files" | jq -c --arg b "$BUCKET" --arg o "$_f" --arg h "$_h" \
			'. + [{s3Bucket: $b, s3Object: $o, hashValue: $h, hashAlgorithm: "SHA-256",
			       newestEventTime: "2021-07-03T20:12:09Z", oldestEventTime: "2021-07-03T20:12:09Z"}]')
	done
	if [ "$_prev" = - ]; then
		_pb=null _po=null _ph=null _pa=null _ps=null
	else
		_pb="\"$BUCKET\"" _po="\"$_prev\""
		_ph="\"$(gzip -dc "$_d/$_prev" | sha256sum | cut -d' ' -f1)\"" _pa='"SHA-256"'
		_ps="\"$(awk -v k="$_prev" '$1 == k { print $2 }' "$T/sigs")\""
	fi
	mkdir -p "$_d/$(dirname "$_obj")"
	jq -n -c --arg s "$_start" --arg e "$_end" --arg b "$BUCKET" --arg o "$_obj" --arg fp "$FP" \
		--argjson files "$_files" --argjson pb "$_pb" --argjson po "$_po" --argjson ph "$_ph" \
		--argjson pa "$_pa" --argjson ps "$_ps" \
		'{awsAccountId: "111122223333", digestStartTime: $s, digestEndTime: $e, digestS3Bucket: $b,
		  digestS3Object: $o, digestPublicKeyFingerprint: $fp, digestSignatureAlgorithm: "SHA256withRSA",
		  newestEventTime: $e, oldestEventTime: $s, previousDigestS3Bucket: $pb,
		  previousDigestS3Object: $po, previousDigestHashValue: $ph, previousDigestHashAlgorithm: $pa,
		  previousDigestSignature: $ps, logFiles: $files}' >"$T/digest.json"
	# what CloudTrail signs: end time, bucket/key, hex SHA-256 of the
	# uncompressed digest, the previous signature (or "null")
	printf '%s\n%s/%s\n%s\n%s' "$_end" "$BUCKET" "$_obj" "$(sha256sum <"$T/digest.json" | cut -d' ' -f1)" \
		"$(jq -r '.previousDigestSignature // "null"' "$T/digest.json")" >"$T/tosign"
	_sig=$(openssl dgst -sha256 -sign "$T/key.pem" -hex <"$T/tosign" | sed 's/.*= *//')
	echo "$_obj $_sig" >>"$T/sigs"
	gzip -n <"$T/digest.json" >"$_d/$_obj"
}

make_trail() {
	_d=$1
	rm -rf "$_d"
	mkdir -p "$_d"
	: >"$T/sigs"
	[ -f "$T/key.pem" ] || openssl genrsa -out "$T/key.pem" 2048 2>/dev/null || return 1
	_der=$(openssl rsa -in "$T/key.pem" -RSAPublicKey_out -outform DER 2>/dev/null | base64 -w0)
	printf '{"PublicKeyList":[{"Value":"%s","ValidityStartTime":"2021-07-01T00:00:00+00:00","ValidityEndTime":"2021-08-01T00:00:00+00:00","Fingerprint":"%s"}]}\n' \
		"$_der" "$FP" >"$T/keys-v2.json"
	printf '{\n    "PublicKeyList": [\n        {\n            "Value": "%s",\n            "ValidityStartTime": 1625097600.0,\n            "ValidityEndTime": 1627776000.0,\n            "Fingerprint": "%s"\n        }\n    ]\n}\n' \
		"$_der" "$FP" >"$T/keys-v1.json"
	put_log "$_d" 03 20210703T2015Z hop1aaaa "$(event 0 2021-07-03T20:12:09Z)"
	put_log "$_d" 03 20210703T2035Z noise001 "$(event 0 2021-07-03T20:30:00Z | jq -c '.eventName = "GetCallerIdentity" | .eventID = "noise-1"')"
	put_log "$_d" 03 20210703T2115Z hop2bbbb "$(event 1 2021-07-03T21:12:09Z)"
	put_log "$_d" 03 20210703T2120Z late0001 "$(event 0 2021-07-03T21:10:00Z | jq -c '.eventName = "GetCallerIdentity" | .eventID = "late-1"')"
	put_log "$_d" 03 20210703T2215Z hop3cccc "$(event 2 2021-07-03T22:12:09Z)"
	put_log "$_d" 04 20210704T0010Z leafdddd "$(event 2 2021-07-04T00:05:00Z | jq -c '.eventName = "GetCallerIdentity" | .eventID = "leaf-1" | .userIdentity.accessKeyId = "ASIATJVZAAAARRT5X7PR"')"
	_l=$LOGS/2021/07
	d20=$DIGS/2021/07/03/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210703T210100Z.json.gz
	d21=$DIGS/2021/07/03/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210703T220100Z.json.gz
	d22=$DIGS/2021/07/03/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210703T230100Z.json.gz
	d23=$DIGS/2021/07/04/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210704T000100Z.json.gz
	d00=$DIGS/2021/07/04/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210704T010100Z.json.gz
	dbf=$DIGS/2021/07/03/${ACCT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20210703T223000Z_backfill.json.gz
	printf '%s\n' "$_l/03/${ACCT}_CloudTrail_us-east-1_20210703T2015Z_hop1aaaa.json.gz" \
		"$_l/03/${ACCT}_CloudTrail_us-east-1_20210703T2035Z_noise001.json.gz" |
		digest "$_d" 03 20210703T210100Z 2021-07-03T20:01:00Z 2021-07-03T21:01:00Z -
	echo "$_l/03/${ACCT}_CloudTrail_us-east-1_20210703T2115Z_hop2bbbb.json.gz" |
		digest "$_d" 03 20210703T220100Z 2021-07-03T21:01:00Z 2021-07-03T22:01:00Z "$d20"
	echo "$_l/03/${ACCT}_CloudTrail_us-east-1_20210703T2215Z_hop3cccc.json.gz" |
		digest "$_d" 03 20210703T230100Z 2021-07-03T22:01:00Z 2021-07-03T23:01:00Z "$d21"
	digest "$_d" 04 20210704T000100Z 2021-07-03T23:01:00Z 2021-07-04T00:01:00Z "$d22" </dev/null
	echo "$_l/04/${ACCT}_CloudTrail_us-east-1_20210704T0010Z_leafdddd.json.gz" |
		digest "$_d" 04 20210704T010100Z 2021-07-04T00:01:00Z 2021-07-04T01:01:00Z "$d23"
	echo "$_l/03/${ACCT}_CloudTrail_us-east-1_20210703T2120Z_late0001.json.gz" |
		digest "$_d" 03 20210703T223000Z 2021-07-03T21:01:00Z 2021-07-03T22:30:00Z - backfill
}
