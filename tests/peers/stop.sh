#!/bin/sh
# Stops the peers tests/peers/start.sh DIR started (the pids in DIR/pids):
# TERM, then KILL whatever still runs 5 s later. Safe to run twice.
dir=${1:?usage: stop.sh DIR}
[ -f "$dir/pids" ] || exit 0
pids=
for p in $(cat "$dir/pids"); do
	# Only our node processes: a stale pid may belong to someone else by now.
	if [ -r "/proc/$p/cmdline" ] && ! tr '\0' ' ' <"/proc/$p/cmdline" | grep -q 'peers/'; then
		continue
	fi
	kill "$p" 2>/dev/null && pids="$pids $p"
done
i=0
while [ -n "$pids" ]; do
	alive=
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && alive="$alive $p"
	done
	pids=$alive
	[ -z "$pids" ] && break
	i=$((i + 1))
	if [ "$i" -gt 50 ]; then
		kill -9 $pids 2>/dev/null
		break
	fi
	sleep 0.1
done
rm -f "$dir/pids"
exit 0
