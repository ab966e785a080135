#!/bin/sh
# wdn-lookup --format dot and --format markdown: Graphviz accepts the graph
# (dot -Tsvg), with one node per session plus the root and an edge per hop;
# the Markdown section renders (cmark-gfm) to one table whose rows have the
# seven columns, and one Mermaid block. Then the same for chains whose
# principals, session names and tags are hostile: quotes, backslashes,
# pipes, backticks, brackets, HTML, newlines and terminal controls stay
# text in every format and break nothing.
. tests/cmd/lib.sh
have_dot=1 have_cmark=1
command -v dot >/dev/null 2>&1 || have_dot=
command -v cmark-gfm >/dev/null 2>&1 || have_cmark=

wdn-record -q "$FIX/seed-example.json"
seed=ASIATJVZAAAARRT5X7PR

# dot_ok FILE WHAT: Graphviz renders FILE
dot_ok() {
	if [ -z "$have_dot" ]; then skip "graphviz not installed (make deps): $2"; return; fi
	dot -Tsvg "$1" >"$T/out.svg" 2>"$T/dot.err" && [ ! -s "$T/dot.err" ]
	ok "$2: dot -Tsvg accepts it" || sed 's/^/#   /' "$T/dot.err" | head -5
}
# md_ok FILE ROWS WHAT: the Markdown renders to one table of ROWS body rows
# of 9 cells each (Source and Integrity last), no HTML of its own but the table's, one Mermaid block
md_ok() {
	if [ -z "$have_cmark" ]; then skip "cmark-gfm not installed (make deps): $3"; return; fi
	cmark-gfm -e table "$1" >"$T/out.html"
	is "$(grep -c '^<tr>' "$T/out.html")" "$(($2 + 1))" "$3: one table, a header and $2 rows"
	is "$(awk '/<tr>/ { n = 0 } /<td|<th/ { n++ } /<\/tr>/ { print n }' "$T/out.html" | sort -u | tr '\n' ' ')" "9 " \
		"$3: every row has 9 cells"
	is "$(grep -o '<[a-z][a-z0-9]*' "$T/out.html" | sort -u | tr '\n' ' ')" \
		"<code <h2 <p <pre <strong <table <tbody <td <th <thead <tr " "$3: no element but the report's own"
	is "$(grep -c '^```' "$1")" 2 "$3: one fenced block"
	is "$(grep -c 'class="language-mermaid"' "$T/out.html")" 1 "$3: and it is Mermaid"
}

# ---- the seed's chain ------------------------------------------------------
wdn-lookup --format dot "$seed" >"$T/seed.dot"
is "$?" 0 "--format dot exits 0"
dot_ok "$T/seed.dot" "the seed's chain"
is "$(grep -c '^  s[0-9]* \[' "$T/seed.dot")" 3 "three sessions"
is "$(grep -c ' -> ' "$T/seed.dot")" 3 "three hops from the root"
grep -q 'root \[shape=ellipse, label="IAMUser\\nuser/asteele' "$T/seed.dot"
ok "the root is asteele"
grep -q 's0 \[label="role/whodunnit-e2e-RoleEverywhere\\nsession 1625353927984487000\\naccount 226947510000\\n2021-07-03T23:12:09Z to 2021-07-03T23:27:09Z\\nkey ASIATJVZAAAARRT5X7PR", penwidth=2\]' "$T/seed.dot"
ok "the key's own session: principal, session, account, validity, key, drawn bold" || grep 's0 ' "$T/seed.dot" | sed 's/^/#   /'

wdn-lookup --format markdown "$seed" >"$T/seed.md"
is "$?" 0 "--format markdown exits 0"
md_ok "$T/seed.md" 3 "the seed's report"
grep -q '^\*\*Answer\.\*\* The key acts as role/whodunnit-e2e-RoleEverywhere' "$T/seed.md"
ok "the answer in words"
grep -q 'Tags IAM evaluated for the session: b = c, c = c\.' "$T/seed.md"
ok "its tags, as the seed says: b=c, c=c" || grep Tags "$T/seed.md" | sed 's/^/#   /'
is "$(sed -n '/^```mermaid/,/^```$/p' "$T/seed.md" | grep -c -- '-->')" 3 "the Mermaid chain has the three hops"

wdn-lookup --format markdown --format dot AKIAQ3EGRIXZZZZZZZZZ >"$T/nf.dot"
is "$?" 1 "a key not found exits 1"
dot_ok "$T/nf.dot" "a key not found"
wdn-lookup --format markdown ASIAY24FZZZZNOTTHERE >"$T/nf.md"
grep -q 'No issuance or use of this key is recorded.*Not found is not proof' "$T/nf.md"
ok "its report says so, and that not found is not never used"

wdn-lookup --format yaml "$seed" >/dev/null 2>&1
is "$?" 2 "an unknown format is a usage error"

# two keys: two graphs, two report sections
wdn-lookup --format markdown "$seed" ASIAY24FZZZZIJJL6PUI >"$T/two.md"
is "$(grep -c '^## Access key' "$T/two.md")" 2 "one section per key"

# ---- descendants -------------------------------------------------------------
wdn-lookup --format dot --descendants AKIAJWMRCSBBKQO4HQCQ >"$T/desc.dot"
dot_ok "$T/desc.dot" "a user key's blast radius"
is "$(grep -c '^  d[0-9]* \[style="rounded,dashed"' "$T/desc.dot")" 3 "its three descendant sessions, dashed"
is "$(grep -c '^  d[0-9]* -> d[0-9]* ' "$T/desc.dot")" 2 "each under the session that issued it"

# ---- hostile names -------------------------------------------------------------
# shapes: quote, backslash, pipe, backtick fence, HTML, markdown link,
# newline, ESC sequences, BEL, DEL, C1, a Mermaid arrow and entity, DOT syntax
i=0
for evil in \
	'a"b' 'back\\slash\\' 'pi|pe|| x' '```js' '<img src=x onerror=alert(1)>' '[click](http://evil/)' \
	'line\nbreak\r' '\u001b]0;title\u0007\u001b[2J' '\u007f\u0085\u009b' '"] --> X["' '#quot;&amp;' \
	'}; digraph x {' '**bold** _it_ ~~s~~'; do
	i=$((i + 1))
	# the string as a JSON string's body when it is one (so \u escapes are
	# the characters), else as it is
	jq -c --arg e "$evil" '(($e | "\"" + . + "\"" | fromjson?) // $e) as $s |
		.Records |= map(.requestParameters.roleSessionName = $s |
		.requestParameters.tags = [{key: $s, value: "v|`"}] |
		.responseElements.assumedRoleUser.arn |= sub("/[^/]*$"; "/x"))' "$FIX/seed-example.json" >"$T/evil$i.json"
	wdn-record -q --store "$T/evil$i.db" "$T/evil$i.json" 2>/dev/null
	wdn-lookup --store "$T/evil$i.db" --format dot "$seed" >"$T/evil$i.dot"
	dot_ok "$T/evil$i.dot" "session name #$i"
	wdn-lookup --store "$T/evil$i.db" --format markdown "$seed" >"$T/evil$i.md"
	md_ok "$T/evil$i.md" 3 "session name #$i"
	# the session column says in every row what the words say: nothing ended a cell early
	if [ -n "$have_cmark" ]; then
		words=$(tr '\n' ' ' <"$T/out.html" | sed -n 's/.*(session \(.*\)), valid .*/\1/p')
		cells=$(tr '\n' ' ' <"$T/out.html" | sed 's/<tr>/\n/g' | awk -F'<td>' 'NF > 4 { sub(/<\/td>.*/, "", $5); print $5 }' | sort -u)
		is "$cells" "$words" "session name #$i: the table's session cells hold the whole name"
	fi
	# no control byte but newline in either, and valid UTF-8
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/evil$i.dot" "$T/evil$i.md" ||
		LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/evil$i.dot" "$T/evil$i.md" ||
		! iconv -f UTF-8 -t UTF-8 "$T/evil$i.md" >/dev/null 2>&1; then
		fail "session name #$i: a control byte or bad UTF-8 got through"
	else
		pass "session name #$i: no control byte, valid UTF-8"
	fi
	is "$(grep -c '^  s[0-9]* \[' "$T/evil$i.dot")" 3 "session name #$i: still three session nodes"
done

# ---- integrity in the Mermaid chain -------------------------------------------
# Each hop's edge drawn as its evidence stands, as in DOT: verified solid,
# unverified dashed, tampered thick and red and said so, inferred dotted and
# said so. edges FILE: each edge of the Mermaid block, root-most first, as
# "ARROW LABEL | LOOK" (LOOK its linkStyle, by edge number, or -)
edges() {
	awk '/^```mermaid$/ { on = 1; next } /^```$/ { on = 0 }
	on && $1 == "linkStyle" { st[$2] = substr($0, index($0, $2) + length($2) + 1); next }
	on && $2 ~ /^(-->|-[.]->|==>)[|]/ {
		a = $2; sub(/[|].*/, "", a); l = $0; sub(/^[^|]*[|]"/, "", l); sub(/"[|].*/, "", l)
		e[n++] = a " " l
	}
	END { for (i = 0; i < n; i++) print e[i] " | " ((i "") in st ? st[i ""] : "-") }' "$1"
}
V='--> AssumeRole | -'
D='--> AssumeRole | stroke-dasharray:8 4'
X='==> AssumeRole (tampered) | stroke:red,stroke-width:3px,color:red'
wdn-lookup --format markdown "$seed" >"$T/m.md"
is "$(edges "$T/m.md")" "$D
$D
$D" "Mermaid: hops recorded without digests are unverified: dashed"
wdn-record -q --store "$T/cfn.db" "$FIX/paths/cfn-stack.json"
wdn-lookup --store "$T/cfn.db" --format markdown ASIARTX3GSDSSY6KMDJ5 >"$T/m.md"
is "$(edges "$T/m.md" | head -n 1)" '-.-> AssumeRole (inferred) | stroke-dasharray:2 4' \
	"Mermaid: an inferred hop is dotted and says so" || sed -n '/^```mermaid/,/^```$/s/^/#   /p' "$T/m.md"
. tests/cmd/digest-trail.sh
if have_digest_tools && make_trail "$T/tr"; then
	wdn-record -q --store "$T/ok.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
	wdn-lookup --store "$T/ok.db" --format markdown "$seed" >"$T/m.md"
	is "$(edges "$T/m.md")" "$V
$V
$V" "Mermaid: verified hops are solid, with no style of their own"
	hop2=$T/tr/$LOGS/2021/07/03/${ACCT}_CloudTrail_us-east-1_20210703T2115Z_hop2bbbb.json.gz
	gzip -dc "$hop2" | sed 's/whodunnit-e2e-Secondary/whodunnit-e2e-Secondarz/' | gzip -n >"$T/h.gz"
	cp "$hop2" "$T/h.orig"
	mv "$T/h.gz" "$hop2"
	wdn-record -q --store "$T/bad.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
	cp "$T/h.orig" "$hop2"
	wdn-record -q --store "$T/bad.db" --public-keys "$T/keys-v2.json" "$T/tr" 2>/dev/null
	wdn-lookup --store "$T/bad.db" --format markdown "$seed" >"$T/m.md"
	is "$(edges "$T/m.md")" "$V
$X
$V" "Mermaid: the tampered hop is thick, red and says so; the verified ones solid"
	md_ok "$T/m.md" 3 "a report with a tampered hop"
else
	skip "a signed trail could not be made: verified and tampered edges"
fi
done_testing
