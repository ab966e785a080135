#!/bin/sh
# Source rules a compiler does not check: the functions STYLE bans in this
# project (unbounded copies, non-reentrant time and tokenising, unchecked
# number parsing) appear nowhere in C code; comments name no file outside
# the repository.
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

# Comments say the rule where it applies, not "see DESIGN.md section N".
hits=$(grep -nE 'DESIGN\.md|STYLE\.md|\.\./shared' $srcs 2>/dev/null | grep -v 'testdata' || true)
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
