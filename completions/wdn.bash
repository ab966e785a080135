# bash completion for the wdn-* commands of whodunnit.
#
# One file serves every command: it is installed once per command name in
# bash-completion/completions/, or sourced as it is. A command is one line of
# _wdn_commands: its name, what its operands are (files or none), and its own
# options, NAME:KIND for one that takes an argument (KIND as in _wdn_arg).

#               name        operands  options beyond the common ones
_wdn_commands=(
	'wdn-record  files     --reject:file --since:date --until:date --public-keys:file --create-table --ttl-days:number --lambda --sqs:url --max-messages:number --coverage'
	'wdn-lookup  none      --at:time --no-trails --descendants --format:format --lambda --max-messages:number'
	'wdn-chain   none      --at:time'
	'wdn-tags    none      --at:time'
	'wdn-enrich  files     -o:output --output:output --record -j:number --jobs:number --shard:shard --since:date --until:date --reject:file --athena-ddl --athena-consolidate:date --table:name --lambda --sqs:url --max-messages:number'
)
# every command has these (DESIGN.md section 6)
_wdn_common='-q --quiet -h --help -V --version --store:store --profile:profile --region:region --endpoint-url:url'

_wdn_regions='af-south-1 ap-east-1 ap-northeast-1 ap-northeast-2 ap-northeast-3
ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4
ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2
eu-west-1 eu-west-2 eu-west-3 il-central-1 me-central-1 me-south-1 sa-east-1
us-east-1 us-east-2 us-west-1 us-west-2 us-gov-east-1 us-gov-west-1
cn-north-1 cn-northwest-1'

# _wdn_spec CMD: set _wdn_ops (operands) and _wdn_opts (option specs) for CMD
_wdn_spec() {
	local line name ops opts
	_wdn_ops=files _wdn_opts=$_wdn_common
	for line in "${_wdn_commands[@]}"; do
		read -r name ops opts <<<"$line"
		if [[ $name == "$1" ]]; then
			_wdn_ops=$ops _wdn_opts="$_wdn_common $opts"
			return 0
		fi
	done
	return 1
}

# Profile names in the shared config file ([default], [profile NAME]) and
# credentials file ([NAME]), which the AWS CLI reads.
_wdn_profiles() {
	local f line name seen=' ' config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
	for f in "$config" "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}"; do
		[[ -r $f ]] || continue
		while IFS= read -r line || [[ -n $line ]]; do
			line=${line//[[:space:]]/}
			[[ $line == \[*\] ]] || continue
			name=${line:1:${#line}-2}
			if [[ $f == "$config" ]]; then
				# not [sso-session X], [services X] and the like
				if [[ $name == profile?* ]]; then
					name=${name#profile}
				elif [[ $name != default ]]; then
					continue
				fi
			fi
			[[ $seen == *" $name "* ]] && continue
			seen+="$name "
			printf '%s\n' "$name"
		done <"$f"
	done
}

# _wdn_arg KIND CUR: candidates for an option argument, one per line
_wdn_arg() {
	local f
	case $1 in
	file) compgen -f -- "$2" ;;
	store)
		case $2 in
		sqlite:*)
			compgen -f -- "${2#sqlite:}" | while IFS= read -r f; do
				printf 'sqlite:%s\n' "$f"
			done
			;;
		dynamodb:*) ;;
		*)
			compgen -W 'sqlite: dynamodb:' -- "$2"
			# a bare path is a SQLite store too; not completed as file
			# names, which would quote the ':' of the prefixes
			compgen -f -- "$2" | while IFS= read -r f; do
				[[ -d $f ]] && f+=/
				printf '%s\n' "$f"
			done
			;;
		esac
		;;
	output)
		# a directory, or s3://BUCKET/PREFIX
		case $2 in
		s3://*) ;; # bucket and prefix: typed
		*)
			compgen -W 's3://' -- "$2"
			compgen -d -- "$2" | while IFS= read -r f; do
				printf '%s/\n' "$f"
			done
			;;
		esac
		;;
	profile) compgen -W "$(_wdn_profiles)" -- "$2" ;;
	region) compgen -W "$_wdn_regions" -- "$2" ;;
	time) compgen -W 'now' -- "$2" ;;
	format) compgen -W 'json text markdown dot' -- "$2" ;;
	url) compgen -W 'http:// https://' -- "$2" ;;
	date | number | shard | name) ;; # typed, nothing to offer
	esac
}

# Words as typed: bash splits "--store=sqlite:x" at '=' and ':' (both in
# COMP_WORDBREAKS); glue the pieces back so that options see whole words.
# Sets _wdn_w (words up to the cursor's) and _wdn_cur (the cursor's word).
_wdn_words() {
	local i w n
	_wdn_w=()
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		n=${#_wdn_w[@]}
		if ((n > 1)) && [[ $w == [:=] || ${_wdn_w[n - 1]} == *[:=] ]]; then
			_wdn_w[n - 1]+=$w
		else
			_wdn_w+=("$w")
		fi
	done
	((i <= COMP_CWORD)) && _wdn_w+=('')
	_wdn_cur=${_wdn_w[${#_wdn_w[@]} - 1]}
}

_wdn() {
	local cur prev spec kind= word i n operands= opt= lead breaks=
	local -a reply=()
	_wdn_spec "${COMP_WORDS[0]##*/}"
	_wdn_words
	cur=$_wdn_cur
	n=${#_wdn_w[@]}
	prev=
	((n > 2)) && prev=${_wdn_w[n - 2]}
	for ((i = 1; i < n - 1; i++)); do
		[[ ${_wdn_w[i]} == -- ]] && operands=1
	done

	if [[ -z $operands ]]; then
		if [[ $cur == --*=* ]]; then
			opt=${cur%%=*}= # --opt=VALUE in one word
			prev=${cur%%=*}
			cur=${cur#*=}
		fi
		for spec in $_wdn_opts; do
			[[ $spec == "$prev":* ]] && kind=${spec#*:}
		done
	fi
	if [[ -n $kind ]]; then
		if [[ $kind == file || ($kind == store && $cur == *:*) ]]; then
			compopt -o filenames 2>/dev/null
		elif [[ $kind == url || $kind == store || $kind == output ]]; then
			compopt -o nospace 2>/dev/null
		fi
		while IFS= read -r word; do
			reply+=("$opt$word")
		done < <(_wdn_arg "$kind" "$cur")
		cur=$opt$cur
	elif [[ -z $operands && $cur == -* ]]; then
		for spec in $_wdn_opts; do
			spec=${spec%%:*}
			[[ $spec == "$cur"* ]] && reply+=("$spec")
		done
	elif [[ $_wdn_ops == files ]]; then
		compopt -o filenames 2>/dev/null
		while IFS= read -r word; do
			reply+=("$word")
		done < <(compgen -f -- "$cur")
	fi

	# bash replaces only the text after the last word break of the word:
	# drop what comes before it from each reply
	[[ $COMP_WORDBREAKS == *:* ]] && breaks+=:
	[[ $COMP_WORDBREAKS == *=* ]] && breaks+==
	lead=
	[[ -n $breaks ]] && lead=${cur%"${cur##*[$breaks]}"}
	COMPREPLY=()
	for word in "${reply[@]}"; do
		COMPREPLY+=("${word#"$lead"}")
	done
	return 0
}

for _wdn_line in "${_wdn_commands[@]}"; do
	complete -F _wdn "${_wdn_line%% *}"
done
unset _wdn_line
