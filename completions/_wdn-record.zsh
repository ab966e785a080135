#compdef wdn-record
# zsh completion for wdn-record (whodunnit). The helpers are the same in every
# _wdn-* file; whichever loads first defines them.

(( $+functions[_wdn_profiles] )) ||
_wdn_profiles() {
	# [default] and [profile NAME] in the config file, [NAME] in the credentials file
	local f line expl config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
	local -a names
	for f in $config ${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}; do
		[[ -r $f ]] || continue
		while IFS= read -r line || [[ -n $line ]]; do
			line=${line//[[:space:]]/}
			[[ $line == \[*\] ]] || continue
			line=${line[2,-2]}
			if [[ $f == $config ]]; then
				if [[ $line == profile?* ]]; then
					line=${line#profile}
				elif [[ $line != default ]]; then
					continue
				fi
			fi
			names+=($line)
		done <$f
	done
	names=(${(u)names})
	_wanted profiles expl 'AWS profile' compadd -a names
}

(( $+functions[_wdn_store] )) ||
_wdn_store() {
	local expl ret=1
	if compset -P 'sqlite:'; then
		_files
	elif compset -P 'dynamodb:'; then
		_message 'DynamoDB table name'
	else
		_wanted store-kinds expl 'store kind' compadd -S '' - sqlite: dynamodb: && ret=0
		_files && ret=0
		return ret
	fi
}

(( $+functions[_wdn_regions] )) ||
_wdn_regions() {
	local expl
	local -a regions
	regions=(
		af-south-1 ap-east-1 ap-northeast-1 ap-northeast-2 ap-northeast-3
		ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3
		ap-southeast-4 ca-central-1 ca-west-1 eu-central-1 eu-central-2
		eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3
		il-central-1 me-central-1 me-south-1 sa-east-1 us-east-1 us-east-2
		us-west-1 us-west-2 us-gov-east-1 us-gov-west-1 cn-north-1 cn-northwest-1
	)
	_wanted regions expl 'AWS region' compadd -a regions
}

_arguments -s -S \
	'(-q --quiet)'{-q,--quiet}'[print no issuances or changes and no summary]' \
	'(- *)'{-h,--help}'[print the usage and exit]' \
	'(- *)'{-V,--version}'[print the version and exit]' \
	'--store=[store to write]:store URL:_wdn_store' \
	'--reject=[append rejected records to a file]:reject file:_files' \
	'--since=[leave out S3 objects of the days before a date]:date (YYYY-MM-DD):' \
	'--until=[leave out S3 objects of the days after a date]:date (YYYY-MM-DD):' \
	'--create-table[create the DynamoDB table first]' \
	'--ttl-days=[let DynamoDB items expire after some days]:days:' \
	'(--sqs *)''--lambda[run as the runtime of an AWS Lambda function]' \
	'(--lambda *)''--sqs=[record the messages of an SQS queue]:queue URL:_urls' \
	'--max-messages=[stop after N messages or invocations]:number:' \
	'--profile=[AWS profile]:profile:_wdn_profiles' \
	'--region=[AWS region]:region:_wdn_regions' \
	'--endpoint-url=[AWS endpoint URL]:URL:_urls' \
	'*:trail file or directory:_files'
