#!/bin/sh
# Makes the AWS Lambda package (make lambda): a zip of bootstrap and
# wdn-record, both executable, for the provided.al2023 runtime. It first
# checks that the binary will load there: glibc symbol versions no newer
# than AL2023's 2.34, and no shared library but glibc's own (the others are
# linked statically; libcurl is opened at run time, and AL2023 has it).
#
#   sh deploy/package.sh ZIP WDN_RECORD BOOTSTRAP
set -eu
zip=${1:?usage: package.sh ZIP WDN_RECORD BOOTSTRAP} bin=${2:?} boot=${3:?}
glibc=2.34

command -v zip >/dev/null 2>&1 || { echo "package.sh: zip is not installed (make deps)" >&2; exit 1; }
need=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n 1)
if [ "$(printf '%s\n%s\n' "$need" "$glibc" | sort -V | tail -n 1)" != "$glibc" ]; then
	echo "package.sh: $bin needs glibc $need; Lambda's provided.al2023 has $glibc:" >&2
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

stage=$(mktemp -d "${TMPDIR:-/tmp}/wdn-lambda.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp "$boot" "$stage/bootstrap"
cp "$bin" "$stage/wdn-record"
chmod 755 "$stage/bootstrap" "$stage/wdn-record"
# the same sources make the same zip: fixed times, no owner fields
touch -t 198001010000 "$stage/bootstrap" "$stage/wdn-record"
mkdir -p "$(dirname "$zip")"
out=$(cd "$(dirname "$zip")" && pwd)/$(basename "$zip")
rm -f "$out"
(cd "$stage" && zip -q -X "$out" bootstrap wdn-record)
echo "package.sh: $zip: bootstrap + wdn-record ($(uname -m), glibc >= $need), $(wc -c <"$out" | tr -d ' ') bytes"
