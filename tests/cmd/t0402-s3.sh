#!/bin/sh
# s3:// inputs and outputs through s3rver behind the SigV4-checking proxy:
# wdn-record over single-account and organisation layouts (digests skipped,
# --since/--until), wdn-enrich from S3 to S3 (whole objects, reruns add
# nothing), and both through injected faults.
. tests/cmd/lib.sh
. tests/peers/use.sh
peers_up || { done_testing; exit; }
admin=$(peers_admin s3)
seed="$FIX/seed-example.json"

# a small test client: the proxy checks its signatures too
s3put() { # s3put BUCKET KEY FILE
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $(sha256sum <"$3" | cut -d' ' -f1)" \
		-T "$3" "$AWS_ENDPOINT_URL_S3/$1/$2" >/dev/null
}
s3mb() {
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		-X PUT "$AWS_ENDPOINT_URL_S3/$1" >/dev/null
}
s3mb trail && s3mb out
ok "buckets created"

# the seed events split over two days and two layouts, plus a digest file
jq -c '.Records[0]' "$seed" | gzip -c >"$T/a.json.gz"
jq -c '.Records[1]' "$seed" | gzip -c >"$T/b.json.gz"
jq -c '{Records: [.Records[2]]}' "$seed" | gzip -c >"$T/c.json.gz"
printf '{"awsAccountId":"607481580000","digestStartTime":"2021-07-03T23:00:00Z"}' | gzip -c >"$T/digest.json.gz"
base=AWSLogs/607481580000/CloudTrail/us-east-1/2021/07
s3put trail "$base/02/607481580000_CloudTrail_us-east-1_20210702T2310Z_a.json.gz" "$T/a.json.gz"
s3put trail "$base/03/607481580000_CloudTrail_us-east-1_20210703T2310Z_b.json.gz" "$T/b.json.gz"
s3put trail "AWSLogs/o-abc123/226947510000/CloudTrail/us-east-1/2021/07/03/226947510000_CloudTrail_us-east-1_20210703T2315Z_c.json.gz" "$T/c.json.gz"
s3put trail "AWSLogs/607481580000/CloudTrail-Digest/us-east-1/2021/07/03/607481580000_CloudTrail-Digest_us-east-1_x.json.gz" "$T/digest.json.gz"

wdn-record s3://trail/AWSLogs/ >"$T/rec" 2>"$T/err"
is "$?" 4 "wdn-record s3://bucket/prefix exits 4: the digest among the objects is not one (t0801 has real ones)"
grep -q "tampered digest 's3://trail/AWSLogs/607481580000/CloudTrail-Digest/.*not a valid digest file" "$T/err"
ok "it is read as a digest, not as events, and reported" || sed 's/^/# /' "$T/err"
grep -q "3 inputs, 3 events, 3 issuances" "$T/err"
ok "it reads every log object of both layouts" || sed 's/^/# /' "$T/err"
is "$(wdn-lookup --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 "the chain recorded from S3 is whole"
is "$(curl -s "$admin/__stats" | jq .rejected)" 0 "the proxy accepted every signature"

rm -f "$WDN_STORE"*
wdn-record --since 2021-07-03 s3://trail/AWSLogs/ 2>"$T/err" >/dev/null
grep -q "2 inputs" "$T/err"
ok "--since selects by the date in the key"
rm -f "$WDN_STORE"*
wdn-record --until 2021-07-02 s3://trail/AWSLogs/ 2>"$T/err" >/dev/null
grep -q "1 inputs" "$T/err"
ok "--until too"

# many objects: pagination
i=0
while [ $i -lt 1003 ]; do
	printf '{"Records":[]}' >"$T/e.json"
	s3put trail "many/$(printf %04d $i).json" "$T/e.json" || break
	i=$((i + 1))
done
wdn-record s3://trail/many/ 2>"$T/err" >/dev/null
grep -q "1003 inputs" "$T/err"
ok "a listing of more than one page (1003 objects) is read whole" || sed 's/^/# /' "$T/err"

# enrich from S3 to S3
rm -f "$WDN_STORE"*
wdn-enrich -q --record -o s3://out/enriched s3://trail/AWSLogs/ 2>"$T/err"
is "$?" 0 "wdn-enrich --record -o s3:// exits 0"
list() {
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$AWS_ENDPOINT_URL_S3/out?list-type=2&prefix=enriched%2F" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}
list >"$T/keys"
is "$(grep -c '^enriched/account=[0-9]*/region=[a-z0-9-]*/day=2021-07-0[23]/.*\.json\.gz$' "$T/keys")" 3 "three partition files, Hive style"
get() {
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$AWS_ENDPOINT_URL_S3/out/$1"
}
for k in $(grep '\.json\.gz$' "$T/keys" | grep -v _whodunnit); do get "$k" | zcat; done >"$T/events"
is "$(wc -l <"$T/events" | tr -d ' ')" 3 "every event written once"
is "$(jq -r 'select(.responseElements.credentials.accessKeyId == "ASIATJVZAAAARRT5X7PR") | .whodunnit.PrincipalChain | length' "$T/events")" 3 \
	"a session issued in one object resolves in another (--record)"
before=$(list | wc -l)
wdn-enrich -o s3://out/enriched s3://trail/AWSLogs/ 2>"$T/err"
grep -q "0 inputs enriched, 3 skipped as done" "$T/err"
ok "a rerun skips the inputs already done" || sed 's/^/# /' "$T/err"
is "$(list | wc -l)" "$before" "and writes nothing"

# through faults: 30% throttled, failed or dropped, every event once
curl -s -X POST -d '{"rate":0.3,"kinds":["throttle","500","503","drop"],"seed":3}' "$admin/__faults" >/dev/null
AWS_MAX_ATTEMPTS=12 wdn-enrich -q -o s3://out/faulty s3://trail/AWSLogs/ 2>"$T/err"
st=$?
curl -s -X POST -d '{}' "$admin/__faults" >/dev/null
is "$st" 0 "enriching from and to S3 through faults succeeds"
list2() {
	curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$AWS_ENDPOINT_URL_S3/out?list-type=2&prefix=faulty%2F" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}
for k in $(list2 | grep '\.json\.gz$' | grep -v _whodunnit); do get "$k" | zcat; done >"$T/fevents"
is "$(wc -l <"$T/fevents" | tr -d ' ')" 3 "and writes every event exactly once"
[ "$(curl -s "$admin/__stats" | jq .injected)" -gt 0 ]
ok "faults were injected"
done_testing
