#!/bin/sh
# Shell completions: completions/wdn.bash driven as bash-completion drives it
# (COMP_WORDS, COMP_CWORD, then the function given to `complete -F`); the
# zsh and fish files exist for every command, name the options its man page
# documents, and parse where those shells are installed.
. tests/cmd/lib.sh

comp="$WDN_TOP/completions"
bs=$(printf '\b')
cmds=
for c in "$WDN_TOP"/cmd/wdn-*.c; do
	cmds="$cmds $(basename "$c" .c)"
done

# man_longopts CMD: the long options man/CMD.1 documents under OPTIONS, sorted
man_longopts() {
	mandoc -T ascii -O width=200 "$WDN_TOP/man/$1.1" | sed "s/.$bs//g" |
		awk '/^[A-Z]/ { on = ($0 == "OPTIONS"); next } on && /^     -/' |
		tr ', ' '\n\n' | grep -- '^--' | sort -u | tr '\n' ' '
}

# ---- files for every command, naming the documented options -------------
for c in $cmds; do
	[ -f "$comp/_$c.zsh" ] && head -n 1 "$comp/_$c.zsh" | grep -qx "#compdef $c"
	ok "$c: completions/_$c.zsh starts with #compdef $c"
	[ -f "$comp/$c.fish" ] && grep -q "^complete -c $c " "$comp/$c.fish"
	ok "$c: completions/$c.fish completes $c"
	if ! command -v mandoc >/dev/null 2>&1 || [ ! -f "$WDN_TOP/man/$c.1" ]; then
		skip "$c: no mandoc or no man page: zsh and fish options not compared"
		continue
	fi
	want=$(man_longopts "$c")
	got=$(grep -o -e "'--[a-z-]*" -e "[{,]--[a-z-]*" "$comp/_$c.zsh" | tr -d "'{," | sort -u | tr '\n' ' ')
	is "$got" "$want" "$c: zsh file completes the long options of $c.1"
	got=$(sed -n "s/^complete -c $c .*-l \([a-z-]*\).*/--\1/p" "$comp/$c.fish" | sort -u | tr '\n' ' ')
	is "$got" "$want" "$c: fish file completes the long options of $c.1"
done

for sh in zsh fish; do
	if ! command -v "$sh" >/dev/null 2>&1; then
		skip "$sh not installed: its completion files not parsed"
		continue
	fi
	for f in "$comp"/*."$sh"; do
		"$sh" -n "$f" 2>"$T/err"
		ok "$sh -n $(basename "$f")" || sed 's/^/#   /' "$T/err"
	done
done

if ! command -v bash >/dev/null 2>&1; then
	skip "bash not installed: wdn.bash not driven"
	done_testing
	exit
fi

bash -n "$comp/wdn.bash" 2>"$T/err"
ok "bash -n wdn.bash" || sed 's/^/#   /' "$T/err"

# complete WORD...: the words of a command line, the last being completed
# (as bash splits it: "--store=sqlite:x" is --store = sqlite : x); prints
# COMPREPLY one per line, run in $T/cwd
mkdir -p "$T/cwd/trails" && : >"$T/cwd/trail.db" && : >"$T/cwd/other.json"
drive() {
	(cd "$T/cwd" && bash -c '
		. "$1" || exit 1
		shift
		spec=$(complete -p "$1" 2>/dev/null) || { echo "no completion for $1" >&2; exit 1; }
		fn=${spec#*-F }; fn=${fn%% *}
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 1
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$comp/wdn.bash" "$@")
}
# has WORD: the last completion offered WORD; lacks WORD: it did not
has() { grep -qx -- "$1" "$T/reply"; }
lacks() { ! grep -qx -- "$1" "$T/reply"; }
reply() { printf '#   offered: %s\n' "$(tr '\n' ' ' <"$T/reply")"; }

for c in $cmds; do
	drive "$c" -- >"$T/reply" 2>"$T/err"
	ok "$c: wdn.bash registers a completion" || sed 's/^/#   /' "$T/err"
	if command -v mandoc >/dev/null 2>&1 && [ -f "$WDN_TOP/man/$c.1" ]; then
		is "$(grep -- '^--' "$T/reply" | sort -u | tr '\n' ' ')" "$(man_longopts "$c")" \
			"$c --: offers exactly the long options of $c.1"
	fi
	drive "$c" - >"$T/reply"
	has -q && has -h && has -V && has --help
	ok "$c -: offers the short options too" || reply
done

drive wdn-record --st >"$T/reply"
has --store
ok "wdn-record --st: --store" || reply
drive wdn-record --re >"$T/reply"
has --reject && has --region && lacks --at
ok "wdn-record --re: --reject and --region, not wdn-lookup's --at" || reply
drive wdn-lookup --a >"$T/reply"
has --at && lacks --reject
ok "wdn-lookup --a: --at" || reply

# operands: files for wdn-record, nothing for wdn-lookup (keys)
drive wdn-record tr >"$T/reply"
has trails && has trail.db && lacks other.json
ok "wdn-record tr: files and directories" || reply
drive wdn-record -- --st >"$T/reply"
lacks --store
ok "wdn-record -- --st: no options after --" || reply
drive wdn-lookup '' >"$T/reply"
lacks trail.db
ok "wdn-lookup: no file names for key operands" || reply

# --store: the kinds of URL and files
drive wdn-lookup --store '' >"$T/reply"
has sqlite: && has dynamodb: && has trail.db
ok "--store: sqlite:, dynamodb: and files" || reply
drive wdn-lookup --store sq >"$T/reply"
has sqlite: && lacks dynamodb:
ok "--store sq: sqlite:" || reply
drive wdn-record --store sqlite : >"$T/reply"
has trail.db && has trails
ok "--store sqlite:: files after the prefix" || reply
drive wdn-record --store sqlite : tr >"$T/reply"
has trail.db && lacks sqlite:trail.db
ok "--store sqlite:tr: the file part only, as bash replaces after ':'" || reply
drive wdn-record --store = sq >"$T/reply"
has sqlite:
ok "--store=sq: sqlite:" || reply
drive wdn-record --store = sqlite : tr >"$T/reply"
has trail.db
ok "--store=sqlite:tr: the file part" || reply
drive wdn-record --reject '' >"$T/reply"
has other.json && lacks --store
ok "--reject: files" || reply

# --profile: names from the shared config and credentials files
mkdir -p "$T/aws"
cat >"$T/aws/config" <<'EOF'
[default]
region = eu-west-1
[profile dev]
[ profile prod-admin ]
source_profile = dev
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
[services local]
EOF
printf '[ci]\naws_access_key_id = AKIAEXAMPLE\n[default]\n' >"$T/aws/credentials"
export AWS_CONFIG_FILE="$T/aws/config" AWS_SHARED_CREDENTIALS_FILE="$T/aws/credentials"
drive wdn-record --profile '' >"$T/reply"
has default && has dev && has prod-admin && has ci
ok "--profile: profiles of AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE" || reply
lacks corp && lacks local && lacks sso-session && lacks profile
ok "--profile: not sso-session or services sections" || reply
is "$(grep -cx default "$T/reply")" 1 "--profile: a profile in both files is offered once"
drive wdn-lookup --profile d >"$T/reply"
has default && has dev && lacks ci
ok "--profile d: default and dev" || reply
drive wdn-lookup --profile = pr >"$T/reply"
has prod-admin
ok "--profile=pr: prod-admin" || reply
unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
mkdir -p "$HOME/.aws" && printf '[profile home-only]\n' >"$HOME/.aws/config"
drive wdn-lookup --profile '' >"$T/reply"
has home-only
ok "--profile: ~/.aws/config by default" || reply

drive wdn-lookup --at '' >"$T/reply"
has now
ok "--at: now" || reply
drive wdn-record --region eu-w >"$T/reply"
has eu-west-1 && lacks us-east-1
ok "--region eu-w: eu-west-*" || reply

done_testing
