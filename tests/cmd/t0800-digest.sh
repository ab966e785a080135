#!/bin/sh
# CloudTrail log file integrity on local copies: wdn-record verifies the
# digest files among its inputs (signed here as CloudTrail signs them) and
# exits 4 when a log file was altered or deleted, or a digest was.
. tests/cmd/lib.sh
. tests/cmd/digest-trail.sh
have_digest_tools || { done_testing; exit; }
make_trail "$T/tr" || { fail "making the signed trail"; done_testing; exit; }
hop2="$T/tr/$LOGS/2021/07/03/${ACCT}_CloudTrail_us-east-1_20210703T2115Z_hop2bbbb.json.gz"
hop3="$T/tr/$LOGS/2021/07/03/${ACCT}_CloudTrail_us-east-1_20210703T2215Z_hop3cccc.json.gz"

# run NAME ARGS...: wdn-record into a fresh store; $T/NAME.err, $T/NAME.rc
run() {
	_name=$1
	shift
	rm -f "$WDN_STORE"*
	wdn-record -q "$@" >"$T/$_name.out" 2>"$T/$_name.err"
	echo $? >"$T/$_name.rc"
}
counts() { wdn-record --store "$T/c.db" "$@" 2>&1 >/dev/null | sed -n 's/^wdn-record: \([0-9]* digests; .*\)/\1/p'; rm -f "$T/c.db"*; }
show() { sed 's/^/#   /' "$1"; }

for v in v2 v1; do
	run intact-$v --public-keys "$T/keys-$v.json" "$T/tr"
	is "$(cat "$T/intact-$v.rc")" 0 "intact trail, keys as AWS CLI $v prints them: exit 0"
	is "$(cat "$T/intact-$v.err")" "" "and nothing reported" || show "$T/intact-$v.err"
done
is "$(counts --public-keys "$T/keys-v2.json" "$T/tr")" \
	"6 digests; log files 4 verified, 0 tampered, 2 unverified" \
	"offline, the logs only the newest digest (and the unsigned backfill) covers stay unverified"
is "$(wdn-lookup --no-trails ASIATJVZAAAARRT5X7PR --store "$T/c2.db" 2>/dev/null | jq -r '.Found')" "false" \
	"(a store of its own per check)"
wdn-record -q --store "$T/chain.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
is "$(wdn-lookup --store "$T/chain.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 \
	"the 3-hop chain across three hours is recorded"

# one byte of a proving log changed (the chain's second hop)
cp -r "$T/tr" "$T/t1"
gzip -dc "$hop2" | sed 's/whodunnit-e2e-Secondary/whodunnit-e2e-Secondarz/' | gzip -n >"$T/t1/${hop2#"$T/tr/"}"
run byte --public-keys "$T/keys-v2.json" "$T/t1"
is "$(cat "$T/byte.rc")" 4 "one byte of a proving log changed: exit 4"
grep -q "hop2bbbb.json.gz': tampered: its SHA-256 is not the one digest" "$T/byte.err"
ok "the file is named, and why" || show "$T/byte.err"
is "$(grep -c . "$T/byte.err")" 1 "and nothing else is reported" || show "$T/byte.err"
wdn-record -q --store "$T/tamp.db" --public-keys "$T/keys-v2.json" "$T/t1" 2>/dev/null
is "$(wdn-lookup --store "$T/tamp.db" --no-trails ASIAY24FZZZZIJJL6PUI | jq -r .Principal)" \
	"arn:aws:iam::607481580000:role/whodunnit-e2e-Secondarz" "tampered events are still recorded"

# a compressed file whose gzip bytes differ but whose content does not: intact
cp -r "$T/tr" "$T/t2"
gzip -dc "$hop2" | gzip -9 >"$T/t2/${hop2#"$T/tr/"}"
run regz --public-keys "$T/keys-v2.json" "$T/t2"
is "$(cat "$T/regz.rc")" 0 "a log compressed anew (same content) still verifies: the hash is of the uncompressed bytes"

# events appended as a second gzip member: readers take every member, so the
# hash must cover them too (a hash of the first member alone would pass)
cp -r "$T/tr" "$T/t8"
event 0 2021-07-03T21:30:00Z | jq -c '{Records: [.eventID = "forged-1"]}' | gzip -n >>"$T/t8/${hop2#"$T/tr/"}"
run member --public-keys "$T/keys-v2.json" "$T/t8"
is "$(cat "$T/member.rc")" 4 "a gzip member appended to a log: exit 4"
grep -q "hop2bbbb.json.gz': tampered" "$T/member.err"
ok "named as tampered" || show "$T/member.err"

# a listed log deleted
cp -r "$T/tr" "$T/t3"
rm "$T/t3/${hop3#"$T/tr/"}"
run gone --public-keys "$T/keys-v2.json" "$T/t3"
is "$(cat "$T/gone.rc")" 4 "a listed log deleted: exit 4"
grep -q "'s3://ct-bucket/$LOGS/2021/07/03/${ACCT}_CloudTrail_us-east-1_20210703T2215Z_hop3cccc.json.gz': missing: listed by digest" "$T/gone.err"
ok "the missing object key is reported" || show "$T/gone.err"

# a digest altered: its logs are not verified, and the chain is broken
cp -r "$T/tr" "$T/t4"
gzip -dc "$T/tr/$d21" | sed 's/"newestEventTime":"2021-07-03T22:01:00Z"/"newestEventTime":"2021-07-03T22:01:01Z"/' |
	gzip -n >"$T/t4/$d21"
run dig --public-keys "$T/keys-v2.json" "$T/t4"
is "$(cat "$T/dig.rc")" 4 "a digest altered: exit 4"
grep -q "digest '.*20210703T220100Z.json.gz': its signature does not verify" "$T/dig.err"
ok "the digest is named" || show "$T/dig.err"
grep -q "hop2bbbb.json.gz': tampered: the digest listing it failed" "$T/dig.err"
ok "the log it lists is not verified (tampered)" || show "$T/dig.err"
grep -q "digest chain broken: .*previousDigestHashValue" "$T/dig.err"
ok "the next digest's hash of it no longer matches: chain broken" || show "$T/dig.err"
is "$(counts --public-keys "$T/keys-v2.json" "$T/t4")" "6 digests; log files 3 verified, 1 tampered, 2 unverified" \
	"the other digests' logs still verify"

# a digest in the middle deleted: a break in the chain
cp -r "$T/tr" "$T/t5"
rm "$T/t5/$d22"
run hole --public-keys "$T/keys-v2.json" "$T/t5"
is "$(cat "$T/hole.rc")" 4 "a digest deleted from the middle of the chain: exit 4"
grep -q "digest chain broken: the digest before '.*20210704T000100Z.json.gz' is missing (s3://ct-bucket/$d22)" "$T/hole.err"
ok "the break is reported with the missing digest's key" || show "$T/hole.err"

# a digest that is not one
cp -r "$T/tr" "$T/t6"
echo '{"digestStartTime":"2021-07-03T21:01:00Z"}' | gzip -n >"$T/t6/$d21"
run junk --public-keys "$T/keys-v2.json" "$T/t6"
is "$(cat "$T/junk.rc")" 4 "a digest file that is not a digest: exit 4"
grep -q "tampered digest '.*20210703T220100Z.json.gz': not a valid digest file: no digestEndTime" "$T/junk.err"
ok "named, and why" || show "$T/junk.err"

# keys that do not fit
printf '{"PublicKeyList":[]}' >"$T/nokeys.json"
run nokey --public-keys "$T/nokeys.json" "$T/tr"
is "$(cat "$T/nokey.rc")" 0 "no key for the fingerprint: nothing can be verified, nothing is wrong (exit 0)"
is "$(counts --public-keys "$T/nokeys.json" "$T/tr")" "6 digests; log files 0 verified, 0 tampered, 6 unverified" \
	"every log unverified"
openssl genrsa -out "$T/other.pem" 2048 2>/dev/null
sed "s|\"Value\":\"[^\"]*\"|\"Value\":\"$(openssl rsa -in "$T/other.pem" -pubout -outform DER 2>/dev/null | base64 -w0)\"|" \
	"$T/keys-v2.json" >"$T/wrongkey.json"
run wrong --public-keys "$T/wrongkey.json" "$T/tr"
is "$(cat "$T/wrong.rc")" 4 "another key under the same fingerprint (SubjectPublicKeyInfo DER): the signatures fail, exit 4"
printf '{"PublicKeyList":[{"Fingerprint":"x"}]}' >"$T/badkeys.json"
wdn-record --public-keys "$T/badkeys.json" "$T/tr" >/dev/null 2>"$T/bad.err"
is "$?" 1 "a --public-keys file that is no key list: exit 1"
grep -q "public-keys: .*PublicKeyList\[0\] has no Fingerprint and Value" "$T/bad.err"
ok "saying why" || show "$T/bad.err"

# a log file no digest lists (delivered before validation began): unverified
cp -r "$T/tr" "$T/t7"
put_log "$T/t7" 03 20210703T1955Z early001 "$(event 0 2021-07-03T19:50:00Z | jq -c '.eventID = "early-1"')"
run early --public-keys "$T/keys-v2.json" "$T/t7"
is "$(cat "$T/early.rc")" 0 "a log file no digest lists: nothing reported"
is "$(counts --public-keys "$T/keys-v2.json" "$T/t7")" "6 digests; log files 4 verified, 0 tampered, 3 unverified" \
	"and counted unverified"

wdn-record --lambda --public-keys "$T/keys-v2.json" </dev/null >/dev/null 2>"$T/lam.err"
is "$?" 2 "--public-keys with --lambda: a usage error" || show "$T/lam.err"

# the logs only, no digests: nothing is verified, nothing is hashed
run logs --public-keys "$T/keys-v2.json" "$T/tr/$LOGS"
is "$(cat "$T/logs.rc")" 0 "logs without digests: exit 0"

# ListPublicKeys through a stand-in for CloudTrail (no --public-keys)
if ! command -v node >/dev/null 2>&1 || ! [ -d "$WDN_TOP/tests/peers/node_modules" ]; then
	skip "node or the peers' modules missing: ListPublicKeys not tried"
else
	# the API's form: epoch times; an unrelated key first, so it pages
	jq -c '{PublicKeyList: ([{Value: "AAAA", ValidityStartTime: 1625097600, ValidityEndTime: 1627776000,
		Fingerprint: "00000000000000000000000000000000"}] + [.PublicKeyList[] | .ValidityStartTime = 1625097600 |
		.ValidityEndTime = 1627776000])}' "$T/keys-v2.json" >"$T/api-keys.json"
	node "$WDN_TOP/tests/peers/cloudtrail.js" --keys "$T/api-keys.json" --cred AKIDCT:ctsecret \
		--port-file "$T/ct.port" --owner $$ 2>"$T/ct.log" &
	ctpid=$!
	i=0
	while ! [ -s "$T/ct.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	port=$(cat "$T/ct.port" 2>/dev/null)
	AWS_ENDPOINT_URL_CLOUDTRAIL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=AKIDCT AWS_SECRET_ACCESS_KEY=ctsecret \
		run api "$T/tr"
	is "$(cat "$T/api.rc")" 0 "keys from ListPublicKeys (AWS_ENDPOINT_URL_CLOUDTRAIL): exit 0" || show "$T/api.err"
	AWS_ENDPOINT_URL_CLOUDTRAIL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=AKIDCT AWS_SECRET_ACCESS_KEY=ctsecret \
		run apib "$T/t1"
	is "$(cat "$T/apib.rc")" 4 "and a changed byte is found with them"
	curl -s "http://127.0.0.1:$port/__log" >"$T/ct.json"
	is "$(jq '[.[] | select(.ok)] | length' "$T/ct.json")" 4 "two signed calls per run, one page each" ||
		show "$T/ct.json"
	is "$(jq -r '.[0].start < 1625346060 and .[0].end > 1625360460' "$T/ct.json")" true \
		"asking for the span of the digests' end times"
	AWS_ENDPOINT_URL_CLOUDTRAIL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=AKIDCT AWS_SECRET_ACCESS_KEY=wrong \
		AWS_MAX_ATTEMPTS=1 run apibad "$T/tr"
	is "$(cat "$T/apibad.rc")" 1 "ListPublicKeys refused: exit 1"
	grep -q "cannot fetch CloudTrail's public keys: .*InvalidSignatureException" "$T/apibad.err"
	ok "saying so" || show "$T/apibad.err"
	kill "$ctpid" 2>/dev/null
fi
done_testing
