# fish completion for the wdn-* commands of whodunnit: the part they share.
#
# Installed as vendor_functions.d/__wdn_complete.fish, which fish loads the
# first time a command's own file (wdn-CMD.fish, in vendor_completions.d)
# calls __wdn_complete CMD. __wdn_complete registers the options every
# command has, and each command's own from the switch below.

function __wdn_profiles --description 'AWS profiles in the shared config and credentials files'
    set -l config ~/.aws/config
    set -q AWS_CONFIG_FILE; and set config $AWS_CONFIG_FILE
    set -l creds ~/.aws/credentials
    set -q AWS_SHARED_CREDENTIALS_FILE; and set creds $AWS_SHARED_CREDENTIALS_FILE
    begin
        if test -r $config
            # [default] and [profile NAME]; not [sso-session X] and the like
            string replace -rf '^\s*\[\s*profile\s+([^\]\s]+)\s*\]\s*$' '$1' <$config
            string replace -rf '^\s*\[\s*(default)\s*\]\s*$' '$1' <$config
        end
        if test -r $creds
            string replace -rf '^\s*\[\s*([^\]\s]+)\s*\]\s*$' '$1' <$creds
        end
    end | sort -u
end

function __wdn_store --description 'store URLs: sqlite:PATH, dynamodb:TABLE, or a path'
    set -l tok (commandline -ct)
    switch $tok
        case 'sqlite:*'
            for f in (__fish_complete_path (string replace -r '^sqlite:' '' -- $tok))
                echo sqlite:$f
            end
        case 'dynamodb:*'
        case '*'
            printf '%s\t%s\n' sqlite: 'SQLite file' dynamodb: 'DynamoDB table'
            __fish_complete_path $tok
    end
end

function __wdn_regions --description 'AWS regions'
    printf '%s\n' af-south-1 ap-east-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 \
        ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 \
        ap-southeast-4 ca-central-1 ca-west-1 eu-central-1 eu-central-2 \
        eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3 \
        il-central-1 me-central-1 me-south-1 sa-east-1 us-east-1 us-east-2 \
        us-west-1 us-west-2 us-gov-east-1 us-gov-west-1 cn-north-1 cn-northwest-1
end

function __wdn_output --description 'output: a directory or s3://BUCKET/PREFIX'
    set -l tok (commandline -ct)
    switch $tok
        case 's3://*'
        case '*'
            printf '%s\t%s\n' s3:// 'S3 bucket and prefix'
            __fish_complete_directories $tok
    end
end

function __wdn_complete --argument-names cmd --description 'Register the completions of a wdn-* command'
    # -q says something else to each command; wdn-record writes the store
    set -l quiet 'Accepted; warnings still printed'
    set -l store 'Store to read'
    switch $cmd
        case wdn-record
            set quiet 'Print no issuances or changes and no summary'
            set store 'Store to write'
            complete -c $cmd -l reject -r -d 'Append rejected records to a file'
            complete -c $cmd -l since -x -d 'Leave out S3 objects of the days before a date (YYYY-MM-DD)'
            complete -c $cmd -l until -x -d 'Leave out S3 objects of the days after a date (YYYY-MM-DD)'
            complete -c $cmd -l public-keys -r -d 'CloudTrail public keys to verify digest files with'
            complete -c $cmd -l create-table -d 'Create the DynamoDB table first'
            complete -c $cmd -l ttl-days -x -d 'Let DynamoDB items expire after N days'
            complete -c $cmd -l lambda -d "Run as an AWS Lambda function's runtime"
            complete -c $cmd -l sqs -x -d 'Record the messages of an SQS queue (its URL)'
            complete -c $cmd -l max-messages -x -d 'Stop after N messages or invocations'
            complete -c $cmd -l coverage -d 'Print the gaps in what the recorded digests show delivered'
        case wdn-lookup
            set quiet 'No warning when answering from the keys alone'
            complete -c $cmd -f # operands are keys
            complete -c $cmd -l at -x -a now -d 'The key as in use at a time (ISO 8601)'
            complete -c $cmd -l no-trails -d 'Leave out the issuing events'
            complete -c $cmd -l descendants -d 'Add every session issued from the key'
            complete -c $cmd -l format -x -a 'json text markdown dot' -d 'Output format'
            complete -c $cmd -l lambda -d 'Run as the runtime of the lookup API function'
            complete -c $cmd -l max-messages -x -d 'Stop after N invocations'
        case wdn-chain wdn-tags
            complete -c $cmd -f # operands are keys
            complete -c $cmd -l at -x -a now -d 'Resolve keys as in use at a time (ISO 8601)'
        case wdn-enrich
            set quiet 'Print no summary and no progress'
            complete -c $cmd -s o -l output -x -a '(__wdn_output)' -d 'Write partitioned files into a directory or S3 prefix'
            complete -c $cmd -l record -d 'Record every input in the store first'
            complete -c $cmd -s j -l jobs -x -d 'Enrich up to N inputs at once (1-64)'
            complete -c $cmd -l shard -x -d 'Take the Kth of N shares of the inputs (K/N)'
            complete -c $cmd -l since -x -d 'Leave out S3 objects of the days before a date (YYYY-MM-DD)'
            complete -c $cmd -l until -x -d 'Leave out S3 objects of the days after a date (YYYY-MM-DD)'
            complete -c $cmd -l reject -r -d 'Append rejected records to a file'
            complete -c $cmd -l athena-ddl -d 'Print the Athena tables and view for the output and exit'
            complete -c $cmd -l athena-consolidate -x -d 'Print the daily step that rewrites a day (YYYY-MM-DD) as Parquet'
            complete -c $cmd -l table -x -d 'View name for --athena-ddl and --athena-consolidate'
            complete -c $cmd -l lambda -d 'Run as the runtime of the stream enrichment function'
            complete -c $cmd -l sqs -x -d 'Enrich the log files an SQS queue is notified of (its URL)'
            complete -c $cmd -l max-messages -x -d 'Stop after N messages or invocations'
    end
    complete -c $cmd -s q -l quiet -d $quiet
    complete -c $cmd -s h -l help -d 'Print the usage and exit'
    complete -c $cmd -s V -l version -d 'Print the version and exit'
    complete -c $cmd -l store -x -a '(__wdn_store)' -d $store
    complete -c $cmd -l profile -x -a '(__wdn_profiles)' -d 'AWS profile'
    complete -c $cmd -l region -x -a '(__wdn_regions)' -d 'AWS region'
    complete -c $cmd -l endpoint-url -x -d 'AWS endpoint URL'
end
