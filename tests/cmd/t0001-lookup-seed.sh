#!/bin/sh
# The prototype's example lookup (shared/seed/whodunnit-README.txt): record its
# three AssumeRole events and look up ASIATJVZAAAARRT5X7PR.
. tests/cmd/lib.sh
K=ASIATJVZAAAARRT5X7PR

# from the fixtures' folder: each link's Source is the input as given
bin=$(cd "$WDN_BIN" && pwd) # WDN_BIN may be relative
(cd "$FIX" && "$bin/wdn-record" seed-example.json) >"$T/rec" 2>"$T/err"
is "$?" 0 "wdn-record exits 0"
test_cmp "$WDN_TOP/tests/cmd/expected/seed-record.jsonl" "$T/rec"
ok "wdn-record prints one line per issuance, as expected"
grep -q '1 inputs, 3 events, 3 issuances' "$T/err"
ok "wdn-record summarises on stderr"

wdn-lookup "$K" >"$T/out"
is "$?" 0 "wdn-lookup of a known key exits 0"
j() { jq -c "$1" "$T/out"; }
is "$(j '.Principal')" '"arn:aws:iam::226947510000:role/whodunnit-e2e-RoleEverywhere"' "Principal is the RoleEverywhere role"
is "$(j '.PrincipalChain')" '["arn:aws:iam::226947510000:role/whodunnit-e2e-RoleEverywhere","arn:aws:iam::607481580000:role/whodunnit-e2e-Secondary","arn:aws:iam::607481580000:role/whodunnit-e2e-Initial","arn:aws:iam::607481580000:user/asteele"]' "PrincipalChain has four entries ending at user/asteele"
is "$(j '.Tags')" '{"b":"c","c":"c"}' "Tags are the session's effective tags"
is "$(j '.ChainTags')" '{"a":"a","b":"c","c":"c","d":"b"}' "ChainTags fold every hop, later wins"
is "$(j '.TransitiveTags')" '[]' "TransitiveTags is empty"
is "$(j '.Start')" '"2021-07-03T23:12:09Z"' "Start is the issuing event time"
is "$(j '.End')" '"2021-07-03T23:27:09Z"' "End is the credentials' expiration"
is "$(j '[.Trails[].eventID]')" '["b4066adf-d9af-4ad7-ae62-eaaac953e304","bd031a4b-eeb3-47ec-bb35-c8372a556c6d","bd1f4773-8432-446a-b492-61f4137c4486"]' "Trails are the three issuing events, leaf first"
is "$(j '[keys_unsorted[] | select(. == "Principal" or . == "PrincipalChain" or . == "Tags" or . == "TransitiveTags" or . == "Start" or . == "End" or . == "Trails")]')" '["Principal","PrincipalChain","Tags","TransitiveTags","Start","End","Trails"]' "the prototype's fields come in the prototype's order"
is "$(j '[.Trails[].responseElements.credentials.sessionToken] | unique')" '["REDACTED"]' "session tokens are redacted in Trails"
is "$(j '.Trails[0].requestParameters')" "$(jq -c '.Records[2].requestParameters' "$FIX/seed-example.json")" "trail events keep their members as recorded"
is "$(j '[.Complete, .Found, .KeyType, .Identity.Type, .Identity.Arn, .Identity.AccessKeyId]')" '[true,true,"temporary","IAMUser","arn:aws:iam::607481580000:user/asteele","AKIAJWMRCSBBKQO4HQCQ"]' "the root is asteele's long-term key"

wdn-lookup --no-trails "$K" >"$T/nt"
test_cmp "$WDN_TOP/tests/cmd/expected/seed-lookup-no-trails.json" "$T/nt"
ok "--no-trails output matches the expected file"
is "$(jq -c 'has("Trails")' "$T/nt")" false "--no-trails leaves Trails out"

echo '{"AccessKeyId": "ASIATJVZAAAARRT5X7PR"}' | wdn-lookup --no-trails >"$T/stdin"
test_cmp "$T/nt" "$T/stdin"
ok "the prototype's input object on stdin gives the same answer"

is "$(wdn-lookup --no-trails ASIAY24FZZZZJJS7IPOU | jq -c '.PrincipalChain | length')" 2 "a middle key's chain is shorter"
done_testing
