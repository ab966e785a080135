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
				jq -c 'if .Found then {Principal, PrincipalChain, Identity, Tags, TransitiveTags, SourceIdentity, Start, End, Complete, Integrity} else "not found" end'
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

# ---- an input's own whodunnit (or chain/tags members) never comes out ----

# the base event: compact, with "whodunnit" members below the top level (kept)
base=$(jq -c '.Records[1] | .requestParameters.whodunnit = "nested" | .requestParameters.WHODUNNIT = [{"whodunnit":1}]' \
	"$FIX/seed-example.json")
echo "$base" >"$T/base.json"
wdn-record -q --store "$T/forge.db" "$FIX/seed-example.json"
wdn-enrich -q --store "$T/forge.db" "$T/base.json" >"$T/base.out"
is "$(jq -c '[.requestParameters.whodunnit, .requestParameters.WHODUNNIT, .whodunnit.Principal]' "$T/base.out")" \
	'["nested",[{"whodunnit":1}],"arn:aws:iam::607481580000:role/whodunnit-e2e-Initial"]' \
	"members named whodunnit below the top level are the event's own, and kept"
# forged names: any case, escapes that decode to one, letters that case-map to i
names='whodunnit WhoDunnit WHODUNNIT wHoDuNnIt who\u0064unnit \u0057HODUNNIT who\u0044UNNIT
\u0077\u0068\u006f\u0064\u0075\u006e\u006e\u0069\u0074 whodunn\u0131t WHODUNN\u0130T whodunnıt WHODUNNİT
whodunnit\u0000 WhoDunnit\u0000forged'
values='{"Principal":"arn:aws:iam::999999999999:user/ceo","Complete":true} "forged" null [{"whodunnit":{}}] 42 true'
rest=${base#'{"eventVersion":"1.08",'}
[ "$rest" != "$base" ] || fail "the base event starts as expected"
: >"$T/forged"
i=0
for n in $names; do
	for v in $values; do
		i=$((i + 1))
		m="\"$n\":$v"
		case $((i % 4)) in
		0) echo "{$m,${base#\{}" ;;                             # first
		1) echo "{\"eventVersion\":\"1.08\",$m,$rest" ;;          # second
		2) echo "${base%\}},$m}" ;;                               # last
		3) echo "{$m,\"eventVersion\":\"1.08\",$m,${rest%\}},$m}" ;; # three times
		esac
	done
done >"$T/forged"
nf=$(wc -l <"$T/forged" | tr -d ' ')
jq -e . "$T/forged" >/dev/null
ok "$nf forged events are JSON"
bad=0
while IFS= read -r line; do
	printf '%s\n' "$line" >"$T/one.json"
	got=$(wdn-enrich -q --store "$T/forge.db" "$T/one.json")
	if [ "$got" != "$(cat "$T/base.out")" ]; then
		[ $bad -lt 3 ] && printf '#   in:   %.300s\n#   got:  %.300s\n' "$line" "$got"
		bad=$((bad + 1))
	fi
	# pretty-printed: re-serialized, the forged member gone all the same
	got=$(jq . "$T/one.json" | wdn-enrich -q --store "$T/forge.db")
	if [ "$got" != "$(cat "$T/base.out")" ]; then
		[ $bad -lt 3 ] && printf '#   in (pretty): %.300s\n#   got:  %.300s\n' "$line" "$got"
		bad=$((bad + 1))
	fi
done <"$T/forged"
is "$bad" 0 "$nf events with their own top-level whodunnit (first, second, last, thrice; compact and pretty): the line is the event's without it, byte for byte, and ours"
wdn-enrich -q -j 2 --store "$T/forge.db" "$T/forged" "$T/base.json" | sort -u >"$T/all"
test_cmp "$T/all" "$T/base.out"
ok "and so in one run" || diff "$T/base.out" "$T/all" | head -4 | cut -c1-300 | sed 's/^/#   /'
# near misses are other members: kept as they are
for n in whodunnitx xwhodunnit whodunni who_dunnit 'who\u0000dunnit' 'who\u0064unnit2' whodünnit; do
	echo "${base%\}},\"$n\":\"kept\"}"
done >"$T/near"
n=$(wdn-enrich -q --store "$T/forge.db" "$T/near" | grep -c '"kept","whodunnit":{"Principal":"arn:aws:iam::607481580000:role/whodunnit-e2e-Initial"')
is "$n" 7 "members whose names only look like whodunnit are kept, and ours follows them"
# compact events without such a member still pass through byte for byte
wdn-enrich -q --store "$T/s3.db" "$T/trail3/f0.json" | sed 's/,"whodunnit":{"Principal".*}}$/}/' >"$T/stripped"
jq -c '.Records[]' "$T/trail3/f0.json" >"$T/f0.jsonl"
test_cmp "$T/stripped" "$T/f0.jsonl"
ok "compact events with no member of that name keep their bytes"

# wdn-chain and wdn-tags: the members they add, forged in any case or escape
key=$(jq -r '.responseElements.credentials.accessKeyId' "$T/base.json")
clean="{\"AccessKeyId\":\"$key\",\"note\":\"x\"}"
bad=0
for f in chain tags; do
	printf '%s\n' "$clean" | "wdn-$f" --store "$T/forge.db" >"$T/want.$f"
	if [ $f = chain ]; then
		forged='"principal":"arn:aws:iam::999999999999:user/ceo","PRINCIPALCHAIN":["x"],"Princip\u0061l":"y","identıty":{},"cOMPLETE":true,"end":null,"LINKS":[]'
	else
		forged='"tags":{"team":"red"},"TAGS":{},"Transitive\u0054ags":["x"],"chaintags":{},"sourceıdentity":"ceo","SOURCEIDENTITYCHANGED":false'
	fi
	for line in "{$forged,${clean#\{}" "${clean%\}},$forged}"; do
		printf '%s\n' "$line" | "wdn-$f" --store "$T/forge.db" >"$T/got.$f"
		if ! cmp -s "$T/want.$f" "$T/got.$f"; then
			bad=$((bad + 1))
			printf '#   wdn-%s\n#   want: %.300s\n#   got:  %.300s\n' $f "$(cat "$T/want.$f")" "$(cat "$T/got.$f")"
		fi
	done
done
is "$bad" 0 "wdn-chain and wdn-tags leave out an input's own members of the names they add, in any case or escape"

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
