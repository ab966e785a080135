# fish completion for wdn-record (whodunnit). The helpers are the same in
# every wdn-*.fish file.

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

complete -c wdn-record -s q -l quiet -d 'Print no issuances or changes and no summary'
complete -c wdn-record -s h -l help -d 'Print the usage and exit'
complete -c wdn-record -s V -l version -d 'Print the version and exit'
complete -c wdn-record -l store -x -a '(__wdn_store)' -d 'Store to write'
complete -c wdn-record -l reject -r -d 'Append rejected records to a file'
complete -c wdn-record -l since -x -d 'Leave out S3 objects of the days before a date (YYYY-MM-DD)'
complete -c wdn-record -l until -x -d 'Leave out S3 objects of the days after a date (YYYY-MM-DD)'
complete -c wdn-record -l create-table -d 'Create the DynamoDB table first'
complete -c wdn-record -l ttl-days -x -d 'Let DynamoDB items expire after N days'
complete -c wdn-record -l lambda -d "Run as an AWS Lambda function's runtime"
complete -c wdn-record -l sqs -x -d 'Record the messages of an SQS queue (its URL)'
complete -c wdn-record -l max-messages -x -d 'Stop after N messages or invocations'
complete -c wdn-record -l profile -x -a '(__wdn_profiles)' -d 'AWS profile'
complete -c wdn-record -l region -x -a '(__wdn_regions)' -d 'AWS region'
complete -c wdn-record -l endpoint-url -x -d 'AWS endpoint URL'
