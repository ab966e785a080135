#!/bin/sh
# wdn-lookup --format text: the chain as a tree for people; colour only on a
# terminal and never with NO_COLOR.
. tests/cmd/lib.sh
wdn-record -q "$FIX/seed-example.json"
wdn-lookup --format text ASIATJVZAAAARRT5X7PR >"$T/out"
is "$?" 0 "--format text exits 0"
is "$(head -1 "$T/out")" "ASIATJVZAAAARRT5X7PR  temporary key, account 226947510000" "the first line names the key"
is "$(sed -n 2p "$T/out")" "IAMUser: user/asteele (607481580000)  key AKIAJWMRCSBBKQO4HQCQ" "then the root"
grep "└─ role/" "$T/out" | awk -F'└' '{ print length($1) }' | tr '\n' ' ' >"$T/indent"
is "$(cat "$T/indent")" "0 3 6 " "each session one level deeper than its parent, root first"
grep -q "^tags b=c c=c   transitive -$" "$T/out"
ok "then the effective tags, sorted"
! grep -q "$(printf '\033')" "$T/out"
ok "no colour into a pipe"
wdn-lookup --format text ASIAY34FZKBOKMUTVV7A >"$T/nf"
is "$?" 1 "an unknown key still exits 1"
grep -q "not found" "$T/nf"
ok "and says so"
wdn-lookup --format yaml ASIATJVZAAAARRT5X7PR >/dev/null 2>&1
is "$?" 2 "another format is a usage error"
if command -v script >/dev/null; then
	script -qec "wdn-lookup --format text ASIATJVZAAAARRT5X7PR" /dev/null >"$T/tty" 2>&1
	grep -q "$(printf '\033')\[1m" "$T/tty"
	ok "colour on a terminal"
	NO_COLOR=1 script -qec "wdn-lookup --format text ASIATJVZAAAARRT5X7PR" /dev/null >"$T/tty2" 2>&1
	! grep -q "$(printf '\033')\[" "$T/tty2"
	ok "none on a terminal with NO_COLOR"
	script -qec "wdn-lookup --no-trails ASIATJVZAAAARRT5X7PR" /dev/null >"$T/pretty" 2>&1
	grep -q '^  "Principal": ' "$T/pretty"
	ok "JSON is indented on a terminal"
else
	skip "script(1) missing: no terminal to test colour on"
fi
done_testing
