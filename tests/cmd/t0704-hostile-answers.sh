#!/bin/sh
# Hostile answers: what wdn-enrich adds to an event must not depend on what
# else shares the run, nor be forgeable by the event itself.
#
# - An event's whodunnit is the same whichever files are enriched with it, in
#   whatever order, with -j 1 or -j 2, and equals what wdn-lookup --at its
#   eventTime answers for its key (renames, tag changes, key status and the
#   issuance or sighting in use at that time), from SQLite and DynamoDB alike.
# - An input's own "whodunnit" member (any case, any escape) is dropped, so
#   the output has one, ours; likewise the members wdn-chain/wdn-tags add.
. tests/cmd/lib.sh

# ---- trails whose answers change with time (tests/cmd/gentimes.awk) ----

# gen DIR SEED FILES STEPS: the trail as FILES CloudTrail log files in DIR
gen() {
	mkdir -p "$1"
	awk -v seed="$2" -v files="$3" -v steps="$4" -f tests/cmd/gentimes.awk >"$1.lines" || return 1
	_i=0
	while [ $_i -lt "$3" ]; do
		awk -F '\t' -v f=$_i '$1 == f { printf "%s%s", (n++ ? "," : "{\"Records\":["), $2 } END { print (n ? "]}" : "{\"Records\":[]}") }' \
			"$1.lines" >"$1/f$_i.json"
		_i=$((_i + 1))
	done
}

# answers FILE: "eventID<TAB>whodunnit" of each enriched line, sorted
answers() { jq -r '"\(.eventID)\t\(.whodunnit | tojson)"' "$1" | sort; }

# same_answers NAME WANT GOT: the two answer lists agree, else the first diffs
same_answers() {
	if cmp -s "$2" "$3"; then pass "$1"; else
		fail "$1"
		diff "$2" "$3" | head -6 | cut -c1-400 | sed 's/^/#   /'
	fi
}

# lookups STORE ENRICHED: for each event of ENRICHED with a key, what
# wdn-lookup --at its eventTime answers, as "eventID<TAB>whodunnit-shaped";
# where it finds nothing, what the event alone tells (enriched with no store)
lookups() {
	jq -c 'del(.whodunnit)' "$2" >"$T/bare.jsonl"
	wdn-enrich -q --store "$T/no-store.db" "$T/bare.jsonl" 2>/dev/null >"$T/told.jsonl"
	jq -r 'select(.userIdentity.accessKeyId != null) | "\(.eventID) \(.eventTime) \(.userIdentity.accessKeyId)"' "$2" |
		while read -r id at key; do
			printf '%s\t' "$id"
			wdn-lookup --store "$1" --no-trails --at "$at" "$key" 2>/dev/null |
				jq -c 'if .Found then {Principal, PrincipalChain, Identity, Tags, TransitiveTags, SourceIdentity, Start, End, Complete} else "not found" end'
		done | sort >"$T/looked"
	jq -r '"\(.eventID)\t\(.whodunnit | tojson)"' "$T/told.jsonl" | sort |
		join -t "$(printf '\t')" -a 1 "$T/looked" - | awk -F '\t' '{ print $1 "\t" ($2 == "\"not found\"" ? $3 : $2) }'
}
keyed() { # the answers of the events made with a key, in lookups' shape
	jq -r 'select(.userIdentity.accessKeyId != null) | "\(.eventID)\t\(.whodunnit | tojson)"' "$1" | sort
}

# property STORE DIR NAME: every way of enriching DIR's files gives each event
# the same whodunnit, and it is the lookup at the event's time
property() {
	_s=$1 _d=$2 _w=$3
	files=$(ls "$_d"/f*.json)
	rev=$(ls "$_d"/f*.json | sort -r)
	mid=$(ls "$_d"/f*.json | awk '{ v[NR] = $0 } END { for (i = 2; i <= NR; i += 2) print v[i]; for (i = 1; i <= NR; i += 2) print v[i] }')
	: >"$T/alone"
	for f in $files; do
		wdn-enrich -q --store "$_s" "$f" >>"$T/alone" || fail "$_w: wdn-enrich $f alone"
	done
	answers "$T/alone" >"$T/want"
	is "$(wc -l <"$T/want" | tr -d ' ')" "$(cat "$_d"/f*.json | jq '.Records | length' | paste -sd+ | bc)" \
		"$_w: each file alone, every event once"
	# shellcheck disable=SC2086
	for order in "$files" "$rev" "$mid"; do
		for j in 1 2; do
			wdn-enrich -q -j $j --store "$_s" $order >"$T/all" 2>"$T/err"
			answers "$T/all" >"$T/got"
			same_answers "$_w: all files together (-j $j, $(echo $order | sed "s,$_d/,,g")): the answers of each file alone" \
				"$T/want" "$T/got"
		done
	done
	# one stream of every event, time order: the worst case for a cache
	jq -c '.Records[]' $files | jq -sc 'sort_by(.eventTime)[]' >"$T/stream.jsonl"
	wdn-enrich -q --store "$_s" "$T/stream.jsonl" >"$T/all"
	answers "$T/all" >"$T/got"
	same_answers "$_w: every event in one stream in time order: the same answers" "$T/want" "$T/got"
	jq -c '.Records[]' $rev | jq -sc 'sort_by(.eventTime) | reverse[]' >"$T/stream.jsonl"
	wdn-enrich -q --store "$_s" "$T/stream.jsonl" >"$T/all"
	answers "$T/all" >"$T/got"
	same_answers "$_w: and in reverse time order" "$T/want" "$T/got"
	# the lookup at each event's time
	lookups "$_s" "$T/alone" >"$T/look"
	keyed "$T/alone" >"$T/mine"
	same_answers "$_w: each event's whodunnit is wdn-lookup --at its eventTime ($(wc -l <"$T/look" | tr -d ' ') events)" \
		"$T/look" "$T/mine"
}

seeds="3 11"
for seed in $seeds; do
	D="$T/trail$seed"
	gen "$D" $seed 4 90 || fail "generating trail $seed"
	wdn-record -q --store "$T/s$seed.db" "$D"
	is "$?" 0 "trail $seed recorded"
	property "$T/s$seed.db" "$D" "trail $seed"
	cp "$T/want" "$T/want-sqlite$seed"
done

# ---- the same against DynamoDB (the protocol peers): the stores answer alike ----

. tests/peers/use.sh
if peers_up; then
	for seed in $seeds; do
		D="$T/trail$seed"
		wdn-record -q --store "dynamodb:answers$seed" --create-table "$D"
		is "$?" 0 "trail $seed recorded into DynamoDB"
		property "dynamodb:answers$seed" "$D" "trail $seed, DynamoDB"
		same_answers "trail $seed: DynamoDB's answers are SQLite's" "$T/want-sqlite$seed" "$T/want"
	done
fi

done_testing
