#!/bin/sh
# Adds CloudTrail digest files to a generated trail (make bench): for each
# account and region, one digest per hour of log files, chained, signed
# SHA256withRSA as CloudTrail signs them with a key made here. Writes
# OUT/AWSLogs/... (log files linked, not copied) and OUT/keys.json (the key
# list as `aws cloudtrail list-public-keys` prints it).
#
#   sh tests/bench/digests.sh TRAIL-DIR OUT-DIR
# Needs openssl, jq, gzip, sha256sum.
set -eu
src=$1 out=$2
bucket=bench-bucket fp=be0c4b5e7c1f2a3d4e5f60718293a4b5
rm -rf "$out"
mkdir -p "$out"
openssl genrsa -out "$out/key.pem" 2048 2>/dev/null
der=$(openssl rsa -in "$out/key.pem" -RSAPublicKey_out -outform DER 2>/dev/null | base64 -w0)
printf '{"PublicKeyList":[{"Value":"%s","ValidityStartTime":"2000-01-01T00:00:00Z","ValidityEndTime":"2100-01-01T00:00:00Z","Fingerprint":"%s"}]}\n' \
	"$der" "$fp" >"$out/keys.json"
(cd "$src" && find AWSLogs -type f -name '*.json.gz') | sort >"$out/.files"
while read -r f; do
	mkdir -p "$out/$(dirname "$f")"
	ln -s "$(cd "$src" && pwd)/$f" "$out/$f"
done <"$out/.files"
# one stream per account/region; its files by hour (the name's YYYYMMDDTHH)
sed 's|^\(AWSLogs/[0-9]*/CloudTrail/[^/]*\)/.*_\([0-9]\{8\}T[0-9][0-9]\)[0-9][0-9]Z_.*|\1 \2 &|' "$out/.files" >"$out/.hours"
awk '{ print $1 }' "$out/.hours" | sort -u | while read -r stream; do
	acct=$(echo "$stream" | cut -d/ -f2) region=$(echo "$stream" | cut -d/ -f4)
	prev= prevsig=
	# and an empty digest after the last hour: it signs for the one before,
	# so every log file verifies offline
	{ awk -v s="$stream" '$1 == s { print $2 }' "$out/.hours" | sort -u; echo next; } | while read -r hour; do
		if [ "$hour" = next ]; then
			end=$(date -u -d "$(echo "$end" | sed 's|^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z|\1-\2-\3 \4:\5:\6|') UTC + 1 hour" +%Y%m%dT%H%M%SZ)
		else
			end=$(date -u -d "$(echo "$hour" | sed 's|^\(....\)\(..\)\(..\)T\(..\)|\1-\2-\3 \4:01:00|') UTC + 1 hour" +%Y%m%dT%H%M%SZ)
		fi
		day=$(echo "$end" | sed 's|^\(....\)\(..\)\(..\).*|\1/\2/\3|')
		obj="AWSLogs/$acct/CloudTrail-Digest/$region/$day/${acct}_CloudTrail-Digest_${region}_bench_${region}_$end.json.gz"
		iso=$(echo "$end" | sed 's|^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z|\1-\2-\3T\4:\5:\6Z|')
		awk -v s="$stream" -v h="$hour" '$1 == s && $2 == h { print $3 }' "$out/.hours" |
			while read -r f; do
				printf '{"s3Bucket":"%s","s3Object":"%s","hashValue":"%s","hashAlgorithm":"SHA-256"}\n' \
					"$bucket" "$f" "$(gzip -dc "$src/$f" | sha256sum | cut -d' ' -f1)"
			done | jq -s -c . >"$out/.list"
		if [ -n "$prev" ]; then
			pv=$(jq -n -c --arg b "$bucket" --arg o "$prev" --arg h "$(gzip -dc "$out/$prev" | sha256sum | cut -d' ' -f1)" \
				--arg s "$prevsig" '{previousDigestS3Bucket: $b, previousDigestS3Object: $o,
				previousDigestHashValue: $h, previousDigestHashAlgorithm: "SHA-256", previousDigestSignature: $s}')
		else
			pv='{"previousDigestSignature":null}'
		fi
		jq -n -c --arg e "$iso" --arg b "$bucket" --arg o "$obj" --arg fp "$fp" --argjson pv "$pv" \
			--slurpfile l "$out/.list" \
			'{digestStartTime: $e, digestEndTime: $e, digestS3Bucket: $b, digestS3Object: $o,
			  digestPublicKeyFingerprint: $fp, digestSignatureAlgorithm: "SHA256withRSA"} + $pv +
			 {logFiles: $l[0]}' >"$out/.digest"
		sig=$(printf '%s\n%s/%s\n%s\n%s' "$iso" "$bucket" "$obj" "$(sha256sum <"$out/.digest" | cut -d' ' -f1)" \
			"$(jq -r '.previousDigestSignature // "null"' "$out/.digest")" |
			openssl dgst -sha256 -sign "$out/key.pem" -hex | sed 's/.*= *//')
		mkdir -p "$out/$(dirname "$obj")"
		gzip -n <"$out/.digest" >"$out/$obj"
		echo "$obj $sig" >>"$out/.sigs"
		prev=$obj prevsig=$sig
	done
done
rm -f "$out/.files" "$out/.hours" "$out/.list" "$out/.digest"
