#!/bin/sh
# The test helpers explain their failures: test_cmp and cmp_ok show the
# difference (as TAP comments), never a bare "not ok".
. "$(dirname "$0")/lib.sh"

# run SCRIPT: the TAP a helper prints, run in a shell of its own
run() {
	printf '. "%s/tests/cmd/lib.sh"\n%s\ndone_testing\n' "$WDN_TOP" "$1" >"$T/script.sh"
	(cd "$WDN_TOP" && sh "$T/script.sh") >"$T/tap" 2>&1
}
printf 'one\ntwo\nthree\n' >"$T/want"
printf 'one\nTWO\nthree\n' >"$T/got"
printf 'one\ntwo\nthree\nfour\n' >"$T/longer"
for pair in "got:-two:+TWO" "longer:+four:+four"; do
	f=${pair%%:*} rest=${pair#*:} minus=${rest%%:*} plus=${rest#*:}
	run "test_cmp '$T/want' '$T/$f'; ok 'files agree'"
	grep -q '^not ok 1 - files agree' "$T/tap" && grep -qxF "#   $minus" "$T/tap" && grep -qxF "#   $plus" "$T/tap"
	ok "test_cmp: a difference ($f) fails and shows its lines" || sed 's/^/#   | /' "$T/tap"
	run "cmp_ok '$T/want' '$T/$f' 'files agree'"
	grep -q '^not ok 1 - files agree' "$T/tap" && grep -qxF "#   $plus" "$T/tap"
	ok "cmp_ok: a difference ($f) fails and shows its lines" || sed 's/^/#   | /' "$T/tap"
done
run "test_cmp '$T/want' '$T/want'; ok 'files agree'; printf 'one\\ntwo\\nthree\\n' | test_cmp - '$T/want'; ok 'stdin agrees'"
[ "$(grep -c '^ok' "$T/tap")" -eq 2 ] && ! grep -q '^#' "$T/tap"
ok "test_cmp: equal files (and standard input) pass in silence" || sed 's/^/#   | /' "$T/tap"
done_testing
