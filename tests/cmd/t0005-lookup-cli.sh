#!/bin/sh
# wdn-lookup's interface: keys from arguments or stdin, unknown keys, usage
# errors, --at with recycled key IDs, no store at all.
. tests/cmd/lib.sh
wdn-record -q "$FIX/seed-example.json"

wdn-lookup notakey >"$T/out" 2>"$T/err"
is "$?" 2 "a string that is not a key is a usage error"
grep -q "'notakey' is not an access key ID" "$T/err"
ok "the usage error names it"
[ ! -s "$T/out" ]
ok "and prints nothing on stdout"
wdn-lookup --bogus ASIATJVZAAAARRT5X7PR >/dev/null 2>&1
is "$?" 2 "an unknown option is a usage error"

wdn-lookup ASIAY34FZKBOKMUTVV7A >"$T/out"
is "$?" 1 "an unknown key exits 1"
is "$(jq -c '[.Found, .KeyType, .AccountId, .Principal, .AccessKeyId]' "$T/out")" \
	'[false,"temporary","609629065308",null,"ASIAY34FZKBOKMUTVV7A"]' \
	"an unknown key still gets an object with its offline facts"
is "$(wdn-lookup AKIAJWMRCSBBKQO4HQCQ | jq -c '[.Found, .KeyType, .AccountId]')" '[true,"long-term","607481580000"]' \
	"a key only seen in use is found, its account from where it was used"

printf 'ASIATJVZAAAARRT5X7PR\n\n{"AccessKeyId":"ASIAY24FZZZZJJS7IPOU","other":1}\n' | wdn-lookup --no-trails >"$T/out"
is "$?" 0 "keys on stdin: bare and as objects"
is "$(jq -r .AccessKeyId "$T/out" | tr '\n' ' ')" "ASIATJVZAAAARRT5X7PR ASIAY24FZZZZJJS7IPOU " "one answer per line, in order"

wdn-lookup ASIATJVZAAAARRT5X7PR ASIAY34FZKBOKMUTVV7A >"$T/out"
is "$?" 1 "a run with any key not found exits 1"
is "$(wc -l <"$T/out" | tr -d ' ')" 2 "one compact line per key when stdout is not a terminal"

# recycled key IDs: the issuance in use at --at
ev=$(jq -c '.Records[0]' "$FIX/seed-example.json")
{
	echo "$ev" | jq -c '.eventID = "e-old" | .eventTime = "2021-01-01T00:00:00Z" | .requestParameters.roleArn = "arn:aws:iam::607481580000:role/Old" | .responseElements.credentials.expiration = "Jan 1, 2021 1:00:00 AM" | .responseElements.credentials.accessKeyId = "ASIAY24FZZZZRECYCLED"'
	echo "$ev" | jq -c '.eventID = "e-new" | .eventTime = "2022-06-01T12:00:00Z" | .requestParameters.roleArn = "arn:aws:iam::607481580000:role/New" | .responseElements.credentials.expiration = "Jun 1, 2022, 1:00:00 PM" | .responseElements.credentials.accessKeyId = "ASIAY24FZZZZRECYCLED"'
} >"$T/recycled.jsonl"
wdn-record -q "$T/recycled.jsonl"
p() { wdn-lookup --no-trails "$@" ASIAY24FZZZZRECYCLED | jq -r .Principal; }
is "$(p --at 2021-01-01T00:30:00Z)" "arn:aws:iam::607481580000:role/Old" "--at inside the first window picks the first issuance"
is "$(p --at 2022-06-01T12:30:00Z)" "arn:aws:iam::607481580000:role/New" "--at inside the second window picks the second"
is "$(p --at 2021-06-01T00:00:00Z)" "arn:aws:iam::607481580000:role/Old" "--at between windows picks the latest before"
is "$(p)" "arn:aws:iam::607481580000:role/New" "without --at, the latest"
is "$(wdn-lookup --no-trails --at 2020-01-01T00:00:00Z ASIAY24FZZZZRECYCLED | jq -c .Found)" false "--at before any issuance finds nothing"
wdn-lookup --at yesterday ASIATJVZAAAARRT5X7PR >/dev/null 2>&1
is "$?" 2 "--at that is not a time is a usage error"

# no store at all: the key's own facts, exit 1
WDN_STORE="$T/none.db" wdn-lookup ASIATJVZAAAARRT5X7PR >"$T/out" 2>"$T/err"
is "$?" 1 "with no store, a key is not found"
grep -q "no store at" "$T/err"
ok "and the missing store is named"
[ ! -e "$T/none.db" ]
ok "a lookup never creates a store"
is "$(jq -c '[.Found, .KeyType]' "$T/out")" '[false,"temporary"]' "the key's offline facts still come"

wdn-lookup -V | grep -q "^wdn-lookup (whodunnit) "
ok "--version"
wdn-lookup --help | grep -q "^usage: wdn-lookup"
ok "--help prints the synopsis"
done_testing
