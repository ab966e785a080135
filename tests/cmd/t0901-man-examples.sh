#!/bin/sh
# The man pages' EXAMPLES are run, as jq runs its manual's: each "$ command"
# line of a display (with "> " continuation lines) runs with sh in a scratch
# directory holding tests/fixtures, against a fresh store per page; the
# sample trail is recorded first unless the page's examples record it. An
# example exits 0, or N when its line ends with a comment saying "exits N";
# the lines shown after it, if any, are its exact standard output.
. tests/cmd/lib.sh

if ! command -v mandoc >/dev/null 2>&1; then
	skip "mandoc not installed: examples not extracted"
	done_testing
	exit
fi
bs=$(printf '\b')

# extract PAGE DIR: one case per example into DIR/N.cmd, DIR/N.status and,
# when output is shown, DIR/N.out
extract() {
	mandoc -T ascii -O width=400 "$1" | sed "s/.$bs//g" |
	awk -v dir="$2" '
	function finish() {
		if (!n) return
		status = 0
		if (match(cmd, /#[^#\n]*exits [0-9]+[ \t]*$/)) {
			s = substr(cmd, RSTART, RLENGTH)
			gsub(/[^0-9]/, "", s)
			status = s
		}
		printf "%s\n", cmd > (dir "/" n ".cmd"); close(dir "/" n ".cmd")
		printf "%s\n", status > (dir "/" n ".status"); close(dir "/" n ".status")
		if (nout) {
			printf "%s", out > (dir "/" n ".out"); close(dir "/" n ".out")
		}
		incase = 0
	}
	/^[A-Z]/ { finish(); inex = ($0 == "EXAMPLES"); next }
	!inex { next }
	/^ +\$ / {
		finish()
		ind = index($0, "$") - 1
		n++; incase = 1; nout = 0; out = ""
		cmd = substr($0, ind + 3)
		next
	}
	!incase { next }
	substr($0, 1, ind) == sprintf("%" ind "s", "") && length($0) > ind {
		line = substr($0, ind + 1)
		if (!nout && substr(line, 1, 2) == "> ") { cmd = cmd "\n" substr(line, 3); next }
		nout++; out = out line "\n"
		next
	}
	{ finish() }
	END { finish() }'
}

for page in "$WDN_TOP"/man/*.[1-9]; do
	name=$(basename "$page")
	cases="$T/cases/$name"
	dir="$T/run/$name"
	mkdir -p "$cases" "$dir/tests"
	extract "$page" "$cases"
	n=$(ls "$cases" | grep -c '\.cmd$')
	case $name in
	*.1) [ "$n" -gt 0 ]; ok "$name: has examples ($n)" ;;
	esac
	[ "$n" -gt 0 ] || continue

	cp -R "$FIX" "$dir/tests/fixtures"
	export WDN_STORE="$dir/wdn.db"
	if ! cat "$cases"/*.cmd | grep -q 'wdn-record'; then
		(cd "$dir" && wdn-record -q tests/fixtures/seed-example.json)
		ok "$name: sample trail recorded for its examples"
	fi
	i=1
	while [ "$i" -le "$n" ]; do
		c="$cases/$i"
		cmd=$(cat "$c.cmd")
		first=$(head -n 1 "$c.cmd" | tr -d '\\')
		want=$(cat "$c.status")
		i=$((i + 1))
		if grep -q 'jq ' "$c.cmd" && ! command -v jq >/dev/null 2>&1; then
			skip "$name: jq not installed: $first"
			continue
		fi
		(cd "$dir" && sh -c "$cmd") >"$T/out" 2>"$T/err"
		got=$?
		is "$got" "$want" "$name: \$ $first"
		[ "$got" = "$want" ] || sed 's/^/#   stderr: /' "$T/err" | head -5
		if [ -f "$c.out" ]; then
			if cmp -s "$T/out" "$c.out"; then
				pass "$name: output as shown: $first"
			else
				fail "$name: output as shown: $first"
				diff "$c.out" "$T/out" | sed 's/^/#   /' | head -20
			fi
		fi
	done
done

done_testing
