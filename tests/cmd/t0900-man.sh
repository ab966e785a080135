#!/bin/sh
# Man pages: mandoc-lint clean; one page per command, whose SYNOPSIS is the
# command's usage and whose OPTIONS the command accepts; the common options
# -h, -V and an unknown one behave as the pages say.
. tests/cmd/lib.sh

man="$WDN_TOP/man"
version=$(sed -n 's/^#define WDN_VERSION "\(.*\)"/\1/p' "$WDN_TOP/lib/wdn.h")
bs=$(printf '\b')
have_mandoc=
command -v mandoc >/dev/null 2>&1 && have_mandoc=1

# render PAGE: plain text, no overstrike, lines not wrapped
render() { mandoc -T ascii -O width=200 "$1" | sed "s/.$bs//g"; }
# section PAGE NAME: the rendered body of section NAME
section() { render "$1" | awk -v s="$2" '/^[A-Z]/ { on = ($0 == s); next } on'; }
# opts: the option names in a usage text on stdin, in order
opts() { tr -s ' \t[]|' '\n\n\n\n\n' | grep -- '^-' | tr '\n' ' '; }
# squeeze: the text on stdin on one line, single spaces
squeeze() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

cmds=
for c in "$WDN_TOP"/cmd/wdn-*.c; do
	cmds="$cmds $(basename "$c" .c)"
done

# ---- every page lints clean ------------------------------------------------
for page in "$man"/*.[1-9]; do
	name=$(basename "$page")
	if [ -z "$have_mandoc" ]; then
		skip "mandoc not installed: $name not linted"
		continue
	fi
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && [ -z "$out" ]
	ok "$name: mandoc -T lint -W warning is clean"
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'
done
[ -f "$man/wdn.7" ]
ok "wdn.7 exists"

# ---- no page for a command that does not exist, and no dangling references
for page in "$man"/wdn-*.1; do
	c=$(basename "$page" .1)
	[ -f "$WDN_TOP/cmd/$c.c" ]
	ok "$c.1 documents an existing command"
done
for page in "$man"/*.[1-9]; do
	bad=
	for ref in $(grep -h '^\.Xr wdn' "$page" | awk '{ print $2 "." $3 }'); do
		[ -f "$man/$ref" ] || bad="$bad $ref"
	done
	is "$bad" "" "$(basename "$page"): every wdn page it refers to exists"
done

# ---- per command ----------------------------------------------------------
for c in $cmds; do
	page="$man/$c.1"
	[ -f "$page" ]
	ok "$c: man/$c.1 exists"
	[ -f "$page" ] || continue

	help=$("$c" --help 2>&1)
	ok "$c --help exits 0"
	case $help in "usage: $c "*) pass "$c --help prints the usage" ;;
	*) fail "$c --help prints the usage"; echo "#   got: $help" ;; esac
	is "$("$c" -h 2>&1)" "$help" "$c -h is --help"

	out=$("$c" --version 2>"$T/err")
	ok "$c --version exits 0"
	is "$out" "$c (whodunnit) $version" "$c --version prints the version"
	is "$(cat "$T/err")" "" "$c --version: nothing on stderr"
	is "$("$c" -V 2>&1)" "$out" "$c -V is --version"

	"$c" --no-such-option >"$T/out" 2>"$T/err"
	is "$?" 2 "$c: an unknown option exits 2"
	is "$(cat "$T/out")" "" "$c: an unknown option prints nothing on stdout"
	grep -q "^usage: $c " "$T/err"
	ok "$c: an unknown option prints the usage on stderr"

	if [ -z "$have_mandoc" ]; then
		skip "mandoc not installed: $c SYNOPSIS and OPTIONS not compared"
		continue
	fi
	render "$page" | awk 'NR > 1 && /^NAME/ { getline; print; exit }' | grep -q "^ *$c - "
	ok "$c.1: NAME is $c"

	syn=$(section "$page" SYNOPSIS)
	is "$(printf '%s\n' "$syn" | opts)" "$(printf '%s\n' "$help" | opts)" \
		"$c: options in SYNOPSIS = options in --help"
	is "$(printf '%s\n' "$syn" | squeeze)" "$(printf '%s\n' "$help" | sed 's/^usage: //' | squeeze)" \
		"$c: SYNOPSIS reads as the usage"

	# OPTIONS items: "-q, --quiet", "--store URL"
	items=$(section "$page" OPTIONS | grep '^     -' | sed 's/^ *//')
	documented=$(printf '%s\n' "$items" | tr ',' '\n' | awk '{ print $1 }' | grep -- '^-' | tr '\n' ' ')
	missing=
	for o in $(printf '%s\n' "$help" | opts) -h --help -V --version -q --quiet; do
		case " $documented " in *" $o "*) ;; *) missing="$missing $o" ;; esac
	done
	is "$missing" "" "$c: OPTIONS documents every option of the usage, and -h -V --quiet"

	# each documented option is accepted (followed by --help, which stops the run)
	set -f
	old_ifs=$IFS
	IFS='
'
	for item in $(printf '%s\n' "$items" | tr ',' '\n' | sed 's/^ *//'); do
		IFS=$old_ifs
		set -- $item
		o=$1 arg=${2:-}
		case $o in -*) ;; *) continue ;; esac
		case $arg in
		'') set -- "$o" ;;
		TIME) set -- "$o" now ;;
		FILE) set -- "$o" "$T/option-file" ;;
		DATE) set -- "$o" 2021-07-03 ;;
		N) set -- "$o" 1 ;;
		K/N) set -- "$o" 1/1 ;;
		*"|"*) set -- "$o" "${arg%%|*}" ;; # a choice: its first word
		*) set -- "$o" x ;;
		esac
		# -V answers before --help does: either way the option was accepted
		"$c" "$@" --help >/dev/null 2>"$T/err"
		ok "$c accepts documented option '$*'" || sed 's/^/#   /' "$T/err"
	done
	IFS=$old_ifs
	set +f

	for s in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		render "$page" | grep -q "^$s\$"
		ok "$c.1 has the section $s"
	done
done

done_testing
