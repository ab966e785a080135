#!/bin/sh
# Secrets never appear on stdout, stderr, in the store or in logs: the test
# credentials' secret key and session token after every command has run with
# them, and the session tokens inside recorded events after recording.
. tests/cmd/lib.sh
seed="$FIX/seed-example.json"
out="$T/captured"
mkdir -p "$out"
n=0
run() { n=$((n + 1)); "$@" >"$out/$n.out" 2>"$out/$n.err"; }
tokens=$(jq -r '.Records[].responseElements.credentials.sessionToken' "$seed")

# commands that reach no AWS endpoint (a closed port): their errors name no secret
export AWS_ACCESS_KEY_ID=AKIDWDNSECRETTEST001 AWS_SECRET_ACCESS_KEY=wdnSecretKeyMustNotLeak0123456789abcdefXY
export AWS_SESSION_TOKEN=wdnSessionTokenMustNotLeakFwoGZXIvYXdzEJr AWS_REGION=us-east-1 AWS_MAX_ATTEMPTS=2
secret=$AWS_SECRET_ACCESS_KEY token=$AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL=http://127.0.0.1:9
run wdn-record --store dynamodb:t "$seed"
run wdn-record s3://bucket/prefix/
run wdn-lookup --store dynamodb:t ASIATJVZAAAARRT5X7PR
run wdn-enrich -o s3://bucket/out "$seed"
grep -q "127.0.0.1" "$out"/*.err
ok "the unreachable endpoint is reported"
unset AWS_ENDPOINT_URL

# every command, for real, on the embedded store
run wdn-record --reject "$T/rej" "$seed" "$WDN_TOP/tests/fixtures/paths"
run wdn-lookup --descendants ASIATJVZAAAARRT5X7PR AKIAJWMRCSBBKQO4HQCQ
run sh -c "echo ASIATJVZAAAARRT5X7PR | wdn-chain | wdn-tags"
run sh -c "jq -c '.Records[]' '$seed' | wdn-chain"
passthrough="$out/$n.out" # a filter passes its input events through as they are
run wdn-enrich -q -o "$T/enriched" "$seed"

# and against the protocol peers, with credentials they accept
. tests/peers/use.sh
if peers_up; then
	secret2=$AWS_SECRET_ACCESS_KEY
	run wdn-record --store dynamodb:s --create-table "$seed"
	run wdn-lookup --store dynamodb:s ASIATJVZAAAARRT5X7PR
	curl -s -X POST -d '{"rate":1,"kinds":["503"]}' "$(peers_admin dynamodb)/__faults" >/dev/null
	AWS_MAX_ATTEMPTS=2 run wdn-record --store dynamodb:s "$seed"
	curl -s -X POST -d '{}' "$(peers_admin dynamodb)/__faults" >/dev/null
	cat "$PEERS"/*.log >"$out/peers.log" 2>/dev/null
else
	secret2=$secret
fi

leaks() { # leaks NEEDLE: files under $T holding it (the peers' own config aside)
	grep -rl -F -- "$1" "$T" 2>/dev/null | grep -v "/peers/env$\|/peers/.*\.json$" || true
}
is "$(leaks "$secret")" "" "the secret key appears in no output, log, store or file"
is "$(leaks "$secret2")" "" "nor the peers' test secret"
is "$(leaks "$token")" "" "nor the session token"
for t in $tokens; do
	is "$(leaks "$t" | grep -v -x -F "$passthrough" | grep -v "/enriched/")" "" \
		"the event's session token ${t%????????}… is not stored or shown (filters and enrich pass events through as they are)"
done
is "$(stat -c %a "$WDN_STORE")" 600 "the store is private to its owner"
done_testing
