#!/bin/sh
# wdn-record commits inputs in groups (issue 15): one transaction spans up
# to 64 inputs, each behind its own savepoint, and the group's sightings are
# written just before its commit. An input cut short anywhere in a group
# keeps nothing and its neighbours everything; a run killed between inputs
# leaves only whole groups, each committed issuance with its sightings; a
# group whose commit fails names every input it loses; and a run records
# what one run per input records, byte for byte.
. tests/cmd/lib.sh
A=111122223333

require sqlite3 "to read the stores"

# events N: input N's events: an issuance by a caller key, then a use of
# the key it issued, then a use of a key every input shares
events() {
	n=$(printf '%08d' "$1")
	printf '{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/u%s","accountId":"%s","accessKeyId":"AKIAGROUPCALL%s"},"eventTime":"2024-01-02T00:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::%s:role/R%s","roleSessionName":"s%s"},"responseElements":{"credentials":{"accessKeyId":"ASIAGROUPISSU%s","sessionToken":"x","expiration":"Jan 2, 2024, 1:00:01 AM"},"assumedRoleUser":{"assumedRoleId":"AROAGROUP:s%s","arn":"arn:aws:sts::%s:assumed-role/R%s/s%s"}},"eventID":"ev-%s","recipientAccountId":"%s"},' \
		$A "$n" $A "$n" $A "$n" "$n" "$n" "$n" $A "$n" "$n" "$n" $A
	printf '{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAGROUP:s%s","arn":"arn:aws:sts::%s:assumed-role/R%s/s%s","accountId":"%s","accessKeyId":"ASIAGROUPISSU%s"},"eventTime":"2024-01-02T00:10:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"use-%s","recipientAccountId":"%s"},' \
		"$n" $A "$n" "$n" $A "$n" "$n" $A
	printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/shared","accountId":"%s","accessKeyId":"AKIAGROUPSHARED00000"},"eventTime":"2024-01-02T00:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"sh-%s","recipientAccountId":"%s"}]}' \
		$A $A "$(($1 % 60))" "$n" $A
}
# inputs DIR FROM TO: inputs FROM..TO as DIR/in-NNNN.json.gz (in that order)
inputs() {
	mkdir -p "$1"
	i=$2
	while [ "$i" -le "$3" ]; do
		events "$i" | gzip >"$1/$(printf 'in-%04d' "$i").json.gz"
		i=$((i + 1))
	done
}
issued() { sqlite3 "$1" "select substr(key_id, 14) from issuance order by key_id" | paste -sd' ' -; }
seen() { sqlite3 "$1" "select substr(key_id, 14) from sighting where key_id like 'ASIA%' order by key_id" | paste -sd' ' -; }
seq_list() { seq -f '%08g' "$1" "$2" | paste -sd' ' -; }

# ---- an input cut short in the middle of a group: nothing of it kept --------
# cut where: within its first event (nothing recorded yet), after its
# issuance (recorded, then undone), in gzip's trailer; first, middle, last
for c in 1:40:plain 5:900:plain 9:1200:gzip 2:20:gzip 9:30:plain; do
	at=${c%%:*} rest=${c#*:} bytes=${rest%%:*} kind=${rest#*:}
	d="$T/cut-$at-$bytes-$kind"
	inputs "$d" 1 9
	f="$d/$(printf 'in-%04d' "$at").json.gz"
	if [ "$kind" = plain ]; then
		events "$at" | head -c "$bytes" | gzip >"$f"
	else
		gzip -dc "$f" >"$T/whole" && gzip <"$T/whole" >"$T/whole.gz"
		head -c "$(($(wc -c <"$T/whole.gz") - 4))" "$T/whole.gz" >"$f"
	fi
	wdn-record -q --store "$d.db" "$d" 2>"$d.err"
	is "$?" 1 "input $at cut short ($kind, $bytes): the run fails"
	want=$(for i in 1 2 3 4 5 6 7 8 9; do [ "$i" = "$at" ] || printf '%08d\n' "$i"; done | paste -sd' ' -)
	is "$(issued "$d.db")" "$want" "input $at cut short: its issuance undone, its 8 neighbours' kept"
	is "$(seen "$d.db")" "$want" "input $at cut short: its sightings undone, its neighbours' kept"
	grep -q "reading '.*in-000$at.json.gz'" "$d.err"
	ok "input $at cut short: named" || cat "$d.err"
done

# ---- an input holding more than the recorder keeps in memory ---------------
# An input's issuances and changes wait in memory until it is read whole
# (256 KiB of them); past that the input's savepoint opens and they are
# written. 600 issuances of about 1.2 KB, a TagRole every 40: cut in gzip's
# trailer, nothing of it is kept, whichever way its records went; whole, it
# is recorded as a run of it alone records it.
big() { # big N: input N's 600 issuances and 15 tag changes
	pad=$(printf '%01000d' 0)
	printf '{"Records":['
	j=0
	while [ "$j" -lt 600 ]; do
		k=$(printf '%04d%04d' "$1" "$j")
		[ "$j" -gt 0 ] && printf ','
		printf '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/big","accountId":"%s","accessKeyId":"AKIAGROUPBIGCALLER00"},"eventTime":"2024-01-03T00:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","requestParameters":{"roleArn":"arn:aws:iam::%s:role/Big","roleSessionName":"p%s"},"responseElements":{"credentials":{"accessKeyId":"ASIAGROUPBIGI%s","sessionToken":"x","expiration":"Jan 3, 2024, 1:00:01 AM"},"assumedRoleUser":{"assumedRoleId":"AROABIG:b%s","arn":"arn:aws:sts::%s:assumed-role/Big/b%s"}},"eventID":"big-%s","recipientAccountId":"%s"}' \
			$A $A $A "$pad" "$k" "$k" $A "$k" "$k" $A
		if [ $((j % 40)) -eq 0 ]; then
			printf ',{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/big","accountId":"%s","accessKeyId":"AKIAGROUPBIGCALLER00"},"eventTime":"2024-01-03T00:00:%02dZ","eventSource":"iam.amazonaws.com","eventName":"TagRole","requestParameters":{"roleName":"Big%s","tags":[{"key":"k","value":"v%s"}]},"eventID":"tag-%s","recipientAccountId":"%s"}' \
				$A $A $((j / 40)) "$1" "$j" "$k" $A
		fi
		j=$((j + 1))
	done
	printf ']}'
}
d="$T/big"
inputs "$d" 1 3
big 2 | gzip >"$d/in-0002.json.gz"
wdn-record -q --store "$T/big-all.db" "$d"
is "$?" 0 "an input of 600 issuances among two: recorded"
is "$(sqlite3 "$T/big-all.db" "select count(*) from issuance; select count(*) from change")" "602
15" "an input of 600 issuances among two: every issuance and change"
same_as_each "$d" "$T/big-all.db" "an input of 600 issuances"
gzip -dc "$d/in-0002.json.gz" | gzip >"$T/big.gz"
head -c "$(($(wc -c <"$T/big.gz") - 4))" "$T/big.gz" >"$d/in-0002.json.gz"
wdn-record -q --store "$T/big-cut.db" "$d" 2>"$T/big-cut.err"
is "$?" 1 "the input of 600 issuances cut in gzip's trailer: the run fails"
is "$(issued "$T/big-cut.db")" "00000001 00000003" \
	"the input of 600 issuances cut: none of its issuances kept, its neighbours' kept"
is "$(sqlite3 "$T/big-cut.db" "select count(*) from change; select count(*) from sighting where key_id like '%BIG%'")" "0
0" "the input of 600 issuances cut: none of its changes or sightings kept"

# ---- one run, or a run per input: the same store ---------------------------
inputs "$T/many" 1 150
wdn-record -q --store "$T/one.db" "$T/many"
is "$?" 0 "150 inputs recorded in one run"
same_as_each "$T/many" "$T/one.db" "150 inputs in groups"
is "$(issued "$T/one.db")" "$(seq_list 1 150)" "every input's issuance"
is "$(seen "$T/one.db")" "$(seq_list 1 150)" "every input's sighting"
got=$(wdn-record --store "$T/summary.db" "$T/many" 2>&1 >/dev/null)
is "$got" "wdn-record: 150 inputs, 450 events, 150 issuances, 0 changes, 450 keys seen, 0 rejected, 0 refused" \
	"the summary counts as before: keys seen in each input"

# ---- killed between inputs: whole groups only ------------------------------
# 70 inputs, then a FIFO that never ends: when wdn-record opens it, the
# first 70 were read whole; killed then, the run keeps the first group (64
# inputs, with their sightings) and nothing of the 6 after it.
for n in 70 130; do
	d="$T/kill$n"
	inputs "$d" 1 "$n"
	mkfifo "$d/zz-fifo.json"
	exec 3<>"$d/zz-fifo.json" # held open both ways: never an end for the reader
	wdn-record -q --store "$d.db" "$d" 2>"$d.err" &
	pid=$!
	# once it holds the FIFO open, every input before it was read whole
	i=0
	while [ "$i" -lt 600 ] && kill -0 "$pid" 2>/dev/null &&
	      ! ls -l "/proc/$pid/fd" 2>/dev/null | grep -q zz-fifo; do
		sleep 0.1
		i=$((i + 1))
	done
	printf '{"Records":[' >&3
	sleep 0.5
	kill -0 "$pid" 2>/dev/null
	ok "killed after $n inputs: the run was still reading the FIFO" || cat "$d.err"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	exec 3>&-
	whole=$((n / 64 * 64))
	is "$(issued "$d.db")" "$(seq_list 1 "$whole")" \
		"killed after $n inputs: the first $whole (whole groups) kept, no more"
	is "$(seen "$d.db")" "$(seq_list 1 "$whole")" \
		"killed after $n inputs: each kept issuance with its sightings, no other"
	rm -f "$d/zz-fifo.json"
	wdn-record -q --store "$d.db" "$d"
	is "$(issued "$d.db")" "$(seq_list 1 "$n")" "killed after $n inputs: a rerun records the rest"
done

# ---- a group's commit fails: every input it loses is named -----------------
# the store refuses the sighting of input 6's issued key, written at the
# group's end: the group (inputs 1 to 9) is rolled back, each named
inputs "$T/refuse" 1 9
wdn-record -q --store "$T/refuse.db" "$T/refuse/in-0001.json.gz"
sqlite3 "$T/refuse.db" "delete from issuance; delete from sighting;
	create trigger refuse before insert on sighting when new.key_id = 'ASIAGROUPISSU00000006'
	begin select raise(fail, 'refused by a trigger'); end;"
wdn-record -q --store "$T/refuse.db" "$T/refuse" 2>"$T/refuse.err"
is "$?" 1 "a group's commit fails: the run fails"
is "$(issued "$T/refuse.db")" "" "a group's commit fails: nothing of it kept"
for i in 1 2 3 4 5 6 7 8 9; do
	grep -q "'.*refuse/in-000$i.json.gz': not recorded: its group of inputs was not committed" "$T/refuse.err"
	ok "a group's commit fails: input $i named as lost" || cat "$T/refuse.err"
done
done_testing
