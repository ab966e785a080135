#!/bin/sh
# Starts the protocol peers the integration tests run against, all on
# 127.0.0.1 with ports the OS picks: dynalite (DynamoDB, in memory), s3rver
# (S3, files under DIR/s3) and, in front of each, proxy.js, which checks every
# request's SigV4 signature with AWS's own signer and can inject faults.
#
#   sh tests/peers/start.sh DIR     then   set -a; . DIR/env; set +a
#   sh tests/peers/stop.sh DIR      always, e.g. trap '...' EXIT
#
# Writes DIR/env (endpoints, test credentials, AWS_REGION, the proxies' admin
# URLs), DIR/pids, DIR/*.port and the logs DIR/*.log. Installs the npm
# packages (tests/peers/node_modules) first if they are missing.
# The peers also end by themselves once the process that ran start.sh is gone
# (WDN_PEERS_OWNER=PID watches another process instead, 0 none).
# Exit status: 0 running; 2 cannot run here (no node >= 20 or npm, or the npm
# registry cannot be reached): a test should skip; 1 failed.
set -u
dir=${1:?usage: start.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/s3" && dir=$(cd "$dir" && pwd) || exit 1
key=${WDN_PEERS_KEY:-AKIDWDNTEST0000000001}
secret=${WDN_PEERS_SECRET:-wdnTestSecretKey/NotReal+0000000000000001}
region=us-east-1
owner=${WDN_PEERS_OWNER:-$PPID}

# dynalite needs node >= 20; the packages are installed on first use
sh "$here/npm-ci.sh" "$here" "$dir/npm.log" || exit $?

# Peers of an earlier start in this DIR go first.
[ -s "$dir/pids" ] && sh "$here/stop.sh" "$dir"
rm -f "$dir"/*.port "$dir/env"
: >"$dir/pids"
export WDN_PEERS_CREDS="$key:$secret" # to s3rver and the proxies, kept out of ps

failed() {
	echo "start.sh: $1" >&2
	for l in "$dir"/*.log; do
		[ -f "$l" ] && { echo "--- $l" >&2; tail -n 20 "$l" >&2; }
	done
	sh "$here/stop.sh" "$dir"
	exit 1
}

spawn() { # NAME ARGS...: node ARGS in the background, logging to DIR/NAME.log
	name=$1
	shift
	node "$@" --port-file "$dir/$name.port" --owner "$owner" </dev/null >"$dir/$name.log" 2>&1 &
	echo "$!" >>"$dir/pids"
	eval "pid_$(echo "$name" | tr -c 'a-z0-9\n' _)=\$!"
}

port_of() { # NAME: waits up to 30 s for the port NAME listens on and prints it
	pid=$(eval echo "\$pid_$(echo "$1" | tr -c 'a-z0-9\n' _)")
	i=0
	while [ ! -s "$dir/$1.port" ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		i=$((i + 1))
		[ "$i" -le 300 ] || return 1
		sleep 0.1
	done
	cat "$dir/$1.port"
}

spawn dynalite "$here/servers.js" dynalite
# s3rver makes continuation tokens with a cipher OpenSSL 3 keeps in its legacy provider
spawn s3rver --openssl-legacy-provider "$here/servers.js" s3rver --dir "$dir/s3"
ddb=$(port_of dynalite) || failed "dynalite did not start"
s3=$(port_of s3rver) || failed "s3rver did not start"
spawn proxy-dynamodb "$here/proxy.js" --service dynamodb --region "$region" \
	--upstream "http://127.0.0.1:$ddb"
spawn proxy-s3 "$here/proxy.js" --service s3 --region "$region" --upstream "http://127.0.0.1:$s3"
pddb=$(port_of proxy-dynamodb) || failed "the DynamoDB proxy did not start"
ps3=$(port_of proxy-s3) || failed "the S3 proxy did not start"

# Every one answers HTTP before the tests start.
i=0
until node "$here/servers.js" probe "http://127.0.0.1:$ddb/" "http://127.0.0.1:$s3/" \
	"http://127.0.0.1:$pddb/__stats" "http://127.0.0.1:$ps3/__stats"; do
	i=$((i + 1))
	[ "$i" -le 50 ] || failed "the peers do not answer"
	sleep 0.2
done

cat >"$dir/env.tmp" <<EOT
AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$pddb
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$ps3
AWS_ACCESS_KEY_ID=$key
AWS_SECRET_ACCESS_KEY=$secret
AWS_REGION=$region
WDN_PROXY_DYNAMODB=http://127.0.0.1:$pddb
WDN_PROXY_S3=http://127.0.0.1:$ps3
WDN_PEER_DYNALITE=http://127.0.0.1:$ddb
WDN_PEER_S3RVER=http://127.0.0.1:$s3
EOT
mv "$dir/env.tmp" "$dir/env"
echo "start.sh: peers up: DynamoDB proxy :$pddb -> dynalite :$ddb, S3 proxy :$ps3 -> s3rver :$s3" >&2
