#!/bin/sh
# Makes the AWS Lambda package (make lambda): a zip of bootstrap and the
# commands, all executable, for the provided.al2023 runtime. It first checks
# that each binary will load there: glibc symbol versions no newer than
# AL2023's 2.34, and no shared library but glibc's own (the others are
# linked statically; libcurl is opened at run time, and AL2023 has it).
#
#   sh deploy/package.sh ZIP BOOTSTRAP BINARY...
set -eu
zip=${1:?usage: package.sh ZIP BOOTSTRAP BINARY...} boot=${2:?usage: package.sh ZIP BOOTSTRAP BINARY...}
shift 2
[ $# -gt 0 ] || { echo "usage: package.sh ZIP BOOTSTRAP BINARY..." >&2; exit 2; }
glibc=2.34

command -v zip >/dev/null 2>&1 || { echo "package.sh: zip is not installed (make deps)" >&2; exit 1; }
need=
for bin in "$@"; do
	n=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n 1)
	if [ "$(printf '%s\n%s\n' "$n" "$glibc" | sort -V | tail -n 1)" != "$glibc" ]; then
		echo "package.sh: $bin needs glibc $n; Lambda's provided.al2023 has $glibc:" >&2
		objdump -T "$bin" | grep 'GLIBC_' | awk -v g="$glibc" '{ v = $0; sub(/.*GLIBC_/, "", v); sub(/[^0-9.].*/, "", v); print v, $NF }' |
			sort -V | awk -v g="$glibc" '{ split($1, a, "."); split(g, b, "."); if (a[1] > b[1] || (a[1] == b[1] && a[2] > b[2])) print "  " $2 " (GLIBC_" $1 ")" }' >&2
		exit 1
	fi
	for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
		case $lib in
		libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | ld-linux*) ;;
		*) echo "package.sh: $bin needs $lib, which Lambda's provided.al2023 may not have" >&2; exit 1 ;;
		esac
	done
	need=$(printf '%s\n%s\n' "$n" "$need" | sort -V | tail -n 1)
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/wdn-lambda.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp "$boot" "$stage/bootstrap"
names=bootstrap
for bin in "$@"; do
	cp "$bin" "$stage/${bin##*/}"
	names="$names ${bin##*/}"
done
(cd "$stage" && chmod 755 $names)
# the same sources make the same zip: fixed times, no owner fields
(cd "$stage" && touch -t 198001010000 $names)
mkdir -p "$(dirname "$zip")"
out=$(cd "$(dirname "$zip")" && pwd)/$(basename "$zip")
rm -f "$out"
# shellcheck disable=SC2086 # names is a list of file names without spaces
(cd "$stage" && zip -q -X "$out" $names)
echo "package.sh: $zip: $names ($(uname -m), glibc >= $need), $(wc -c <"$out" | tr -d ' ') bytes"
