#!/bin/sh
# The protocol peers of the integration tests (tests/peers): dynalite and
# s3rver behind proxies that check every SigV4 signature with AWS's own signer
# and inject faults. Skips where node/npm or the npm registry are missing.
exec sh tests/peers/selftest.sh
