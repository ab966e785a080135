#!/bin/sh
# Shell completions: completions/wdn.bash driven as bash-completion drives it
# (COMP_WORDS, COMP_CWORD, then the function given to `complete -F`); zsh's
# completions/_wdn and fish's completions/wdn.fish (with one wdn-CMD.fish a
# command, which fish loads by name) serve every command, parse, and, where
# those shells are installed, offer what a typed line wants: the options its
# man page documents, store URLs, profiles and the rest.
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
have_man() { command -v mandoc >/dev/null 2>&1 && [ -f "$WDN_TOP/man/$1.1" ]; }

# has WORD: the last completion offered WORD; lacks WORD: it did not
has() { grep -qx -- "$1" "$T/reply"; }
lacks() { ! grep -qx -- "$1" "$T/reply"; }
reply() { printf '#   offered: %s\n' "$(tr '\n' ' ' <"$T/reply")"; }

# a directory to complete in, and the shared AWS config and credentials files
mkdir -p "$T/cwd/trails" && : >"$T/cwd/trail.db" && : >"$T/cwd/other.json"
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

# ---- zsh and fish: one shared file, every command ------------------------
want=$(printf '%s\n' $cmds | sort | tr '\n' ' ')
first=$(head -n 1 "$comp/_wdn")
[ "${first%% *}" = "#compdef" ]
ok "completions/_wdn starts with #compdef"
is "$(printf '%s\n' ${first#\#compdef} | sort | tr '\n' ' ')" "$want" "completions/_wdn: #compdef names every command"
grep -q '^function __wdn_complete ' "$comp/wdn.fish"
ok "completions/wdn.fish defines __wdn_complete"
for c in $cmds; do
	[ -f "$comp/$c.fish" ] && grep -qx "__wdn_complete $c" "$comp/$c.fish"
	ok "$c: completions/$c.fish calls __wdn_complete $c"
done

parse() { # SH FILE...: SH -n FILE for each, where SH is installed
	sh=$1
	shift
	if ! command -v "$sh" >/dev/null 2>&1; then
		skip "$sh not installed: its completion files not parsed"
		return
	fi
	for f; do
		if "$sh" -n "$f" 2>"$T/err"; then
			pass "$sh -n $(basename "$f")"
		else
			fail "$sh -n $(basename "$f")"
			sed 's/^/#   /' "$T/err"
		fi
	done
}
parse zsh "$comp/_wdn"
parse fish "$comp"/*.fish

# A line as typed before TAB | words offered | words not offered. zsh and fish
# complete "CMD --" and "CMD -" for every command, then these, in $T/cwd with
# the AWS files above.
cat >"$T/cases" <<'EOF'
wdn-record --st|--store|
wdn-record --re|--reject --region|--at
wdn-lookup --a|--at|--reject
wdn-enrich --a|--athena-ddl|--at
wdn-record tr|trail.db trails|other.json
wdn-record -- --st||--store
wdn-lookup ||trail.db
wdn-lookup --store |sqlite: dynamodb: trail.db|
wdn-lookup --store sq|sqlite:|dynamodb:
wdn-record --store sqlite:tr|sqlite:trail.db sqlite:trails|
wdn-record --store=sq|--store=sqlite:|
wdn-record --reject |other.json|--store
wdn-enrich -o |s3:// trails|trail.db
wdn-record --profile |default dev prod-admin ci|corp local sso-session profile
wdn-lookup --profile d|default dev|ci
wdn-lookup --at |now|
wdn-lookup --format |json text|
wdn-record --region eu-w|eu-west-1|us-east-1
EOF
{
	for c in $cmds; do printf '%s --\n%s -\n' "$c" "$c"; done
	cut -d'|' -f1 "$T/cases"
} >"$T/lines"

# zsh -f zdrive.zsh DIR OUT LINES: types each line of LINES, then TAB, into
# an interactive zsh with compinit and DIR first in fpath; what it offers for
# the Nth line goes to OUT/N, one per line. Exits 2 without zsh/zpty.
cat >"$T/zdrive.zsh" <<'EOF'
zmodload zsh/zpty 2>/dev/null || exit 2
dir=$1 out=$2
cat >$out/setup <<SETUP
PS1= RPS1=
bindkey -e
unsetopt auto_list list_beep beep
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -D
integer n=0
# compadd as completion functions call it, writing down what it offers;
# with -O, -A or -D it filters for its caller and offers nothing
compadd() {
	local -a hits
	if [[ \${(j: :)@[1,(i)(-|--)]} == *-[OAD]\ * ]]; then
		builtin compadd "\$@"
		return
	fi
	builtin compadd -O hits "\$@"
	(( \$#hits )) && print -rl -- "\$IPREFIX\${^hits[@]}" >>${(q)out}/\$n
	builtin compadd "\$@"
}
capture() {
	(( ++n ))
	: >${(q)out}/\$n
	_main_complete
	: >${(q)out}/\$n.done
}
zle -C capture complete-word capture
bindkey '^I' capture
# ready once zle reads keys: before, the terminal would take ^U itself
zle-line-init() { : >${(q)out}/ready }
zle -N zle-line-init
SETUP
# await FILE: up to 10 s, reading what the shell writes to its terminal
await() {
	integer i
	for i in {1..200}; do
		[[ -e $1 ]] && return
		while zpty -rt z junk '*'; do :; done
		sleep 0.05
	done
	return 1
}
zpty z zsh -f -i
zpty -w z "source ${(q)out}/setup"
await $out/ready || { zpty -d z; exit 1 }
integer n=0
for line in "${(@f)$(<$3)}"; do
	(( ++n ))
	zpty -w -n z "$line"$'\t\C-u' # TAB, then ^U empties the line
	await $out/$n.done || break
done
zpty -d z
[[ -e $out/$n.done ]]
EOF

# offered SH N: the words SH offered for line N (no fish descriptions, no
# trailing / of directories)
offered() { cut -f1 "$T/$1/$2" 2>/dev/null | sed 's:\([^/]\)/$:\1:' | sort -u; }

check() { # SH: the answers of SH, in $T/SH/1...
	n=0
	for c in $cmds; do
		offered "$1" $((n += 1)) >"$T/reply"
		if have_man "$c"; then
			is "$(grep -- '^--' "$T/reply" | tr '\n' ' ')" "$(man_longopts "$c")" \
				"$1: $c --: offers exactly the long options of $c.1"
		fi
		offered "$1" $((n += 1)) >"$T/reply"
		if has -q && has -h && has -V && has --help; then
			pass "$1: $c -: offers the short options too"
		else
			fail "$1: $c -: offers the short options too"
			reply
		fi
	done
	while IFS='|' read -r line yes no; do
		offered "$1" $((n += 1)) >"$T/reply"
		what="$1: '$line': ${yes:-nothing}${no:+, not $no}"
		r=pass
		for w in $yes; do has "$w" || r=fail; done
		for w in $no; do lacks "$w" || r=fail; done
		$r "$what"
		[ $r = pass ] || reply
	done <"$T/cases"
}

aws() { AWS_CONFIG_FILE="$T/aws/config" AWS_SHARED_CREDENTIALS_FILE="$T/aws/credentials" "$@"; }
if command -v zsh >/dev/null 2>&1; then
	mkdir "$T/zsh"
	(cd "$T/cwd" && aws zsh -f "$T/zdrive.zsh" "$comp" "$T/zsh" "$T/lines")
	r=$?
	if [ $r -eq 2 ]; then
		skip "zsh has no zsh/zpty: _wdn not driven"
	else
		[ $r -eq 0 ]
		ok "zsh completes every line (in a zpty)"
		check zsh
	fi
else
	skip "zsh not installed: _wdn not driven"
fi
if command -v fish >/dev/null 2>&1; then
	# fish loads CMD.fish from fish_complete_path when completing CMD (a
	# command on PATH); __wdn_complete is sourced, as installed it loads too
	mkdir "$T/fish"
	(cd "$T/cwd" && aws fish -c '
		set fish_complete_path $argv[1] $fish_complete_path
		source $argv[1]/wdn.fish
		set -l n 0
		for line in (cat $argv[3])
			set n (math $n + 1)
			complete -C "$line" >$argv[2]/$n
		end' "$comp" "$T/fish" "$T/lines")
	ok "fish completes every line"
	check fish
else
	skip "fish not installed: wdn.fish not driven"
fi

# ---- bash ------------------------------------------------------------------
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
for c in $cmds; do
	drive "$c" -- >"$T/reply" 2>"$T/err"
	ok "$c: wdn.bash registers a completion" || sed 's/^/#   /' "$T/err"
	if have_man "$c"; then
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
