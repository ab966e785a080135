#!/bin/sh
# IAM facts over time (issue 3): a long-term key from CreateAccessKey to
# DeleteAccessKey; users renamed by UpdateUser (a key belongs to its user
# whatever it is called later); tags on roles and users as of the session's
# start; tags on OIDC and SAML providers. Fixtures in tests/fixtures/paths/.
. tests/cmd/lib.sh
. tests/cmd/paths.sh
DEV=111122223333
U="arn:aws:iam::$DEV:user"

# ---- CreateAccessKey / UpdateAccessKey / DeleteAccessKey ---------------------
use_store keys
wdn-record -q "$P/iam-access-keys.json"
is "$?" 0 "keys: the fixture records"
G1=AKIARTX3GSDSV7R6J3XN G2=AKIARTX3GSDSV2WD2F2O
ans_trails $G1
field '[.Principal, .PrincipalChain]' "[\"$U/grace\",[\"$U/grace\"]]" "CreateAccessKey: the key is its user's, not its creator's"
field '[.Identity.Type, .Identity.Arn, .Identity.AccessKeyId, .Identity.AccountId]' "[\"IAMUser\",\"$U/grace\",\"$G1\",\"$DEV\"]" "CreateAccessKey: Identity is the user's long-term key"
field '[.Complete, .Found, .KeyType, .SessionName, .AccountId]' "[true,true,\"long-term\",null,\"$DEV\"]" "CreateAccessKey: complete, long-term, no session"
field .Start '"2024-02-01T08:05:00Z"' "CreateAccessKey: Start is the creation"
field .End '"2024-04-01T17:45:00Z"' "DeleteAccessKey: End is the deletion"
field .Status '"Deleted"' "DeleteAccessKey: Status is Deleted"
field '[.StatusHistory[] | [.Time, .Status]]' '[["2024-02-01T08:05:00Z","Active"],["2024-03-01T12:00:00Z","Inactive"],["2024-03-02T09:30:00Z","Active"],["2024-04-01T17:45:00Z","Deleted"]]' "StatusHistory: created, deactivated, reactivated, deleted"
field '[.StatusHistory[].EventID]' "[\"$(event_id "$P/iam-access-keys.json" CreateAccessKey 1)\",\"$(event_id "$P/iam-access-keys.json" UpdateAccessKey 1)\",\"$(event_id "$P/iam-access-keys.json" UpdateAccessKey 2)\",\"$(event_id "$P/iam-access-keys.json" DeleteAccessKey 1)\"]" "StatusHistory: each change names its event"
field '[.Trails[].eventName, .Trails[0].requestParameters.userName]' '["CreateAccessKey","grace"]' "CreateAccessKey: Trails is the creation"
field .Tags '{"team":"data"}' "CreateAccessKey: Tags are the user's"
ans $G1 --at 2024-03-01T13:00:00Z
field '[.Status, .End, (.StatusHistory | length)]' '["Inactive",null,2]' "--at while deactivated: Inactive, not yet deleted"
ans $G1 --at 2024-03-15T00:00:00Z
field '[.Status, .End]' '["Active",null]' "--at after reactivation: Active"
ans $G2
field '[.Principal, .Identity.AccessKeyId, .Start]' "[\"$U/grace\",\"$G2\",\"2024-02-15T10:00:00Z\"]" "CreateAccessKey by the user herself (no userName asked): still hers"
field '[.Status, .End, (.StatusHistory | length)]' '["Active",null,1]' "a failed UpdateAccessKey changes nothing"

# ---- UpdateUser: renames ----------------------------------------------------
use_store rename
wdn-record -q "$P/iam-rename.json"
DAVE=AKIARTX3GSDS6GEA2ZAU NEWDAVE=AKIARTX3GSDS75BRSWQ2 FRANK=AKIARTX3GSDS2A6X35YK
ans $DAVE
field '[.Principal, .PrincipalChain, .Identity.Arn]' "[\"$U/david\",[\"$U/david\"],\"$U/david\"]" "renamed user: Principal follows the rename"
field .Tags '{"oncall":"yes","team":"sre"}' "renamed user: Tags are david's, tags from before the rename included"
field .ChainTags '{"oncall":"yes","team":"sre"}' "renamed user: so are ChainTags"
ans $DAVE --at 2024-01-25T00:00:00Z
field '[.Principal, .Identity.Arn, .Tags]' "[\"$U/dave\",\"$U/dave\",{\"team\":\"sre\"}]" "renamed user, --at before the rename: the old name"
ans $DAVE --at 2024-02-05T00:00:00Z
field '[.Principal, .Tags]' "[\"$U/david\",{\"oncall\":\"yes\",\"team\":\"sre\"}]" "renamed user, --at after the rename: the new name"
ans $NEWDAVE
field '[.Principal, .Tags]' "[\"$U/dave\",{\"team\":\"finance\"}]" "a new user under the old name is someone else"
ans $FRANK
field '[.Principal, .Identity.Arn]' "[\"$U/contractors/francis\",\"$U/contractors/francis\"]" "a key only seen in use follows its user's rename and new path"
field '[.Complete, .FirstSeen, .LastSeen]' '[true,"2024-01-21T10:00:00Z","2024-01-21T10:00:00Z"]' "a key only seen in use: complete, with when it was seen"
ans $FRANK --at 2024-01-25T00:00:00Z
field .Principal "\"$U/frank\"" "a key only seen in use, --at before the rename: the old name"
is "$(jq -c '.Records[] | select(.userIdentity.accessKeyId? == "'$DAVE'")' "$P/iam-rename.json" | wdn-chain | jq -c -s 'map(.Principal)')" \
	"[\"$U/dave\",\"$U/david\"]" "events piped through wdn-chain: each names the user as called at its own time"

# ---- tags on roles and users over time ---------------------------------------
use_store tags
wdn-record "$P/iam-tags.json" >"$T/rec" 2>"$T/err"
AN1=ASIARTX3GSDS7GR4FCXX AN2=ASIARTX3GSDSWIMC4A2F HEIDI=AKIARTX3GSDSXFL353B3
is "$(jq -r 'select(.AccessKeyId) | .EventName' "$T/rec" | tr '\n' ' ')" "AssumeRole AssumeRole CreateAccessKey " "wdn-record prints a line per issuance"
is "$(jq -r 'select(.Subject? // "" | startswith("tags:")) | .EventID' "$T/rec" | wc -l | tr -d ' ')" 6 "wdn-record prints a line per tag change (Create, Tag, Untag of a role and a user)"
grep -q ' 3 issuances, ' "$T/err"
ok "wdn-record counts the issuances"
ans $AN1
field .Tags '{"env":"prod","team":"bi"}' "role tags as of the session's start: a later UntagRole and TagRole do not change them"
field .ChainTags '{"env":"prod","team":"bi"}' "role tags as of the session's start: ChainTags likewise"
ans $AN1 --at 2024-03-04T10:30:00Z
field .Tags '{"env":"prod","team":"bi"}' "role tags as of the session's start, whatever --at"
ans $AN2
field '[.Tags | to_entries[] | [(.key | ascii_downcase), .value]]' '[["owner","grace"],["team","analytics"]]' "a later session sees the untag and the tags; keys compare case-insensitively"
field '.Tags | length' 2 "a key retagged in another case is one key"
ans $HEIDI --at 2024-01-20T00:00:00Z
field .Tags '{"project":"atlas"}' "user key: the user's tags at --at (CreateUser)"
ans $HEIDI --at 2024-02-10T00:00:00Z
field .Tags '{"clearance":"high","project":"atlas"}' "user key: after TagUser"
ans $HEIDI
field .Tags '{"clearance":"high"}' "user key: after UntagUser"

# ---- tags on OIDC and SAML providers -----------------------------------------
use_store providers
wdn-record -q "$P/iam-provider-tags.json" 2>"$T/err"
is "$?" 0 "provider tags: the fixture records"
wdn-record "$P/iam-provider-tags.json" 2>&1 >/dev/null | grep -q ' 0 issuances, 6 changes, '
ok "provider tags: Create, Tag and Untag of both providers are six changes"
wdn-record -q "$P/sts-oidc.json" "$P/sts-saml.json"
ans ASIARTX3GSDS2DATAAJW
field .Tags '{"repo":"octo-org/octo-repo"}' "provider tags are not the session's principal tags (OIDC)"
ans ASIARTX3GSDS6D4BFJER
field .Tags '{"CostCenter":"987654","Project":"Unicorn","team":"web"}' "provider tags are not the session's principal tags (SAML)"
field .Identity.ProviderTags '{"tier":"1","vendor":"okta"}' "the SAML provider's tags, as of the session's start, are on the root"
ans ASIARTX3GSDS2DATAAJW
field .Identity.ProviderTags '{"env":"ci","owner":"platform"}' "the OIDC provider's tags too: an UntagOpenIDConnectProvider after the session does not change them"

# ---- any order, duplicated, late ------------------------------------------------
order_free "IAM paths" "$P"/iam-*.json
done_testing
