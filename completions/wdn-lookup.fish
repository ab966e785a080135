# fish completion for wdn-lookup (whodunnit). The helpers are the same in
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

complete -c wdn-lookup -f
complete -c wdn-lookup -s q -l quiet -d 'No warning when answering from the keys alone'
complete -c wdn-lookup -s h -l help -d 'Print the usage and exit'
complete -c wdn-lookup -s V -l version -d 'Print the version and exit'
complete -c wdn-lookup -l store -x -a '(__wdn_store)' -d 'Store to read'
complete -c wdn-lookup -l at -x -a now -d 'The key as in use at a time (ISO 8601)'
complete -c wdn-lookup -l no-trails -d 'Leave out the issuing events'
complete -c wdn-lookup -l descendants -d 'Add every session issued from the key'
complete -c wdn-lookup -l format -x -a 'json text' -d 'Output format'
complete -c wdn-lookup -l profile -x -a '(__wdn_profiles)' -d 'AWS profile'
complete -c wdn-lookup -l region -x -a '(__wdn_regions)' -d 'AWS region'
complete -c wdn-lookup -l endpoint-url -x -d 'AWS endpoint URL'
