# Sourced by an integration test, after tests/cmd/lib.sh, to run it against the
# protocol peers (dynalite, s3rver, and the SigV4-checking proxies):
#
#	. tests/peers/use.sh
#	peers_up || { done_testing; exit; }
#
# peers_up starts them in $T/peers, stops them when the test exits however it
# exits, and exports what start.sh wrote to $T/peers/env: AWS_ENDPOINT_URL_DYNAMODB,
# AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and
# the proxies' admin URLs WDN_PROXY_DYNAMODB, WDN_PROXY_S3. Where the peers
# cannot run (no node >= 20 or npm, npm registry unreachable) it prints a
# visible skip and returns 1; when they fail to start it fails and returns 1.
PEERS="$T/peers"
peers_up() {
	trap 'sh "$WDN_TOP/tests/peers/stop.sh" "$PEERS"; rm -rf "$T"' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sh "$WDN_TOP/tests/peers/start.sh" "$PEERS" 2>"$T/peers.err"
	case $? in
	0)
		set -a
		. "$PEERS/env"
		set +a
		;;
	2)
		skip "protocol peers: $(tail -n 1 "$T/peers.err" | sed 's/^[a-z-]*[.]sh: //')"
		return 1
		;;
	*)
		fail "the protocol peers start"
		sed 's/^/#   /' "$T/peers.err"
		return 1
		;;
	esac
}
# peers_admin dynamodb|s3: the URL of that proxy's admin endpoints
peers_admin() {
	case $1 in
	dynamodb) echo "$WDN_PROXY_DYNAMODB" ;;
	s3) echo "$WDN_PROXY_S3" ;;
	*) echo "peers_admin: $1?" >&2; return 1 ;;
	esac
}
# peers_faults dynamodb|s3 JSON: sets the proxy's fault injection, e.g.
# '{"rate":1,"kinds":["throttle"],"count":2}'; '{}' turns it off.
peers_faults() { curl -sSf -X POST -d "$2" "$(peers_admin "$1")/__faults" >/dev/null; }
# peers_stats dynamodb|s3 [JQ-FILTER]: the proxy's counters (or part of them)
peers_stats() { curl -sSf "$(peers_admin "$1")/__stats" | jq -r "${2:-.}"; }
# peers_reset dynamodb|s3: zeroes the proxy's counters
peers_reset() { curl -sSf -X POST "$(peers_admin "$1")/__reset" >/dev/null; }
