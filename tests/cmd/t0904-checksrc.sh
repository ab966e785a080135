#!/bin/sh
# Source rules a compiler does not check: the functions banned in this
# project (unbounded copies, non-reentrant time and tokenising, unchecked
# number parsing) appear nowhere in C code; comments in the code, the tests
# and the Makefile name no document outside the repository, but say the
# rule where it applies (tests may still read the shared test data).
. tests/cmd/lib.sh

cd "$WDN_TOP" || exit 1
srcs=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$srcs" ] || srcs=$(find lib cmd tests deploy -name '*.[ch]' ! -path '*/node_modules/*')

# banned NAME WHY
banned() {
	# a call: the name as a word followed by "(", outside comments and strings
	hits=$(for f in $srcs; do
		sed -e 's://.*$::' -e 's:"\([^"\\]\|\\.\)*":"":g' "$f" |
			grep -nE "(^|[^A-Za-z0-9_>.])$1[[:space:]]*\(" | sed "s|^|$f:|"
	done)
	if [ -z "$hits" ]; then pass "no $1(): $2"; else
		fail "no $1(): $2"
		printf '%s\n' "$hits" | sed 's/^/#   /'
	fi
}
banned sprintf "unbounded; use snprintf or wdn_buf"
banned vsprintf "unbounded; use vsnprintf or wdn_buf"
banned strcpy "unbounded; use memcpy with a known length"
banned strcat "unbounded; use wdn_buf"
banned strtok "keeps hidden state; scan with pointers"
banned atoi "no error detection; parse strictly"
banned atol "no error detection; parse strictly"
banned gmtime "static result; use gmtime_r or the library's civil time"
banned localtime "static result and time zones; use UTC"
banned gets "unbounded"

# Comments say the rule where it applies, not "see the design document,
# section N": no design or style document named, in C, scripts or the
# Makefile, and nothing of the shared directory but its test data. The
# words are pieced together so that this file does not name them itself.
others=$(git ls-files '*.sh' '*.js' '*.awk' '*.mk' Makefile 2>/dev/null)
[ -n "$others" ] || others=$(find Makefile tests deploy -name Makefile -o -name '*.sh' -o -name '*.js' -o -name '*.awk' |
	grep -v node_modules)
d=DESIG s=STYL
hits=$(grep -nE "(^|[^A-Za-z])(${d}N|${s}E)([^A-Za-z]|\$)|\.\./shared" $srcs $others 2>/dev/null | grep -v 'testdata' || true)
if [ -z "$hits" ]; then pass "no comment points outside the repository"; else
	fail "no comment points outside the repository"
	printf '%s\n' "$hits" | sed 's/^/#   /'
fi

# Tests reach a module's static functions through a WDN_UNITTEST seam
# (lib/testing.h), never by compiling its .c file into theirs.
hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]*\.c[">]' $srcs 2>/dev/null || true)
if [ -z "$hits" ]; then pass "no file includes a .c file"; else
	fail "no file includes a .c file"
	printf '%s\n' "$hits" | sed 's/^/#   /'
fi
done_testing
