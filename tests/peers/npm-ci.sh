#!/bin/sh
# Installs the npm packages of a folder of the tests (its package-lock.json,
# into its node_modules) when they are missing or were installed from
# another lock file (a copy of the lock installed from is kept in
# node_modules). No install scripts: nothing the tests use needs one.
#
#   sh tests/peers/npm-ci.sh FOLDER LOG
#
# Exit status: 0 installed; 2 cannot install here (no node >= 20 or npm, or
# the npm registry cannot be reached): a test should skip; 1 failed.
set -u
here=${1:?usage: npm-ci.sh FOLDER LOG} log=${2:?usage: npm-ci.sh FOLDER LOG}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "npm-ci.sh: node and npm are not installed" >&2
	exit 2
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	echo "npm-ci.sh: node $(node --version) is too old: the test packages need node >= 20" >&2
	exit 2
fi
stamp=$here/node_modules/.wdn-installed-lock.json
cmp -s "$here/package-lock.json" "$stamp" && exit 0
echo "npm-ci.sh: npm ci --prefix $here" >&2
if ! npm ci --prefix "$here" --ignore-scripts --no-audit --no-fund --no-update-notifier \
	--fetch-timeout=60000 --fetch-retries=1 >"$log" 2>&1; then
	if grep -Eq 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ENETUNREACH|EHOSTUNREACH|network' "$log"; then
		echo "npm-ci.sh: npm ci cannot reach the npm registry:" \
			"$(grep -m 1 -E 'code E|E[A-Z]+' "$log" | sed 's/^npm error //')" >&2
		exit 2
	fi
	echo "npm-ci.sh: npm ci failed:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
cp "$here/package-lock.json" "$stamp"
