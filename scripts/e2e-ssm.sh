#!/usr/bin/env bash
# The seed scenario's Parameter Store half, driven by the aws CLI against `coffer serve`.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli
start_server

# Bring your own secret, tagged for application demo / environment test (the seed document).
out=$(aws ssm put-parameter --name GH_WEBHOOK_SECRET --value secretvalue1234 --type SecureString \
    --tags Key=copilot-application,Value=demo Key=copilot-environment,Value=test --output json)
expect_eq "put returns version 1" '1 Standard' "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["Version"], d["Tier"])' "$out")"

expect_eq "get with decryption" secretvalue1234 \
    "$(aws ssm get-parameter --name GH_WEBHOOK_SECRET --with-decryption --query Parameter.Value --output text)"
cipher=$(aws ssm get-parameter --name GH_WEBHOOK_SECRET --query Parameter.Value --output text)
[ "$cipher" != secretvalue1234 ] && [[ "$cipher" != *secretvalue1234* ]] && pass || fail "value without decryption must be ciphertext, got $cipher"
expect_eq "type" SecureString "$(aws ssm get-parameter --name GH_WEBHOOK_SECRET --query Parameter.Type --output text)"
expect_eq "arn" arn:aws:ssm:us-east-1:000000000000:parameter/GH_WEBHOOK_SECRET \
    "$(aws ssm get-parameter --name GH_WEBHOOK_SECRET --query Parameter.ARN --output text)"
expect_eq "tags" "copilot-application=demo copilot-environment=test" \
    "$(aws ssm list-tags-for-resource --resource-type Parameter --resource-id GH_WEBHOOK_SECRET --query 'TagList[].[Key,Value]' --output text | awk '{printf "%s%s=%s", (NR>1?" ":""), $1, $2}')"

# Overwrite: a new version; tags and overwrite cannot be combined.
expect_error "tags with overwrite" ValidationException \
    aws ssm put-parameter --name GH_WEBHOOK_SECRET --value x --type SecureString --overwrite --tags Key=a,Value=b
expect_eq "overwrite bumps the version" 2 \
    "$(aws ssm put-parameter --name GH_WEBHOOK_SECRET --value secretvalue5678 --overwrite --query Version --output text)"
expect_error "no overwrite" ParameterAlreadyExists aws ssm put-parameter --name GH_WEBHOOK_SECRET --value y --type SecureString
expect_eq "history" "1 secretvalue1234 2 secretvalue5678" \
    "$(aws ssm get-parameter-history --name GH_WEBHOOK_SECRET --with-decryption --query 'Parameters[].[Version,Value]' --output text | tr '\t\n' '  ' | sed 's/ $//')"

# Labels and selectors.
expect_eq "label" 1 "$(aws ssm label-parameter-version --name GH_WEBHOOK_SECRET --parameter-version 1 --labels stable --query ParameterVersion --output text)"
expect_eq "get by label" secretvalue1234 \
    "$(aws ssm get-parameter --name GH_WEBHOOK_SECRET:stable --with-decryption --query Parameter.Value --output text)"
expect_eq "get by version" secretvalue5678 \
    "$(aws ssm get-parameter --name GH_WEBHOOK_SECRET:2 --with-decryption --query Parameter.Value --output text)"
expect_error "missing version" ParameterVersionNotFound aws ssm get-parameter --name GH_WEBHOOK_SECRET:9

# By path, the way `coffer secret init` lays parameters out.
for env in test prod; do
    aws ssm put-parameter --name "/copilot/demo/$env/secrets/db_password" --value "pw-$env" --type SecureString >/dev/null
done
aws ssm put-parameter --name /copilot/demo/test/other --value o --type String >/dev/null
expect_eq "by path, one level" /copilot/demo/test/other \
    "$(aws ssm get-parameters-by-path --path /copilot/demo/test --query 'Parameters[].Name' --output text)"
expect_eq "by path, recursive" "/copilot/demo/test/other /copilot/demo/test/secrets/db_password" \
    "$(aws ssm get-parameters-by-path --path /copilot/demo/test --recursive --query 'Parameters[].Name' --output text | tr '\t' ' ')"
expect_eq "by path, decrypted" pw-prod \
    "$(aws ssm get-parameters-by-path --path /copilot/demo/prod/secrets --with-decryption --query 'Parameters[0].Value' --output text)"
expect_eq "get-parameters invalid" "missing" \
    "$(aws ssm get-parameters --names GH_WEBHOOK_SECRET missing --query 'InvalidParameters' --output text)"
expect_eq "describe with tag filter" GH_WEBHOOK_SECRET \
    "$(aws ssm describe-parameters --parameter-filters Key=tag:copilot-environment,Values=test --query 'Parameters[].Name' --output text)"

# Tags.
aws ssm add-tags-to-resource --resource-type Parameter --resource-id GH_WEBHOOK_SECRET --tags Key=team,Value=core
aws ssm remove-tags-from-resource --resource-type Parameter --resource-id GH_WEBHOOK_SECRET --tag-keys copilot-environment
expect_eq "tags after add/remove" "copilot-application team" \
    "$(aws ssm list-tags-for-resource --resource-type Parameter --resource-id GH_WEBHOOK_SECRET --query 'TagList[].Key' --output text | tr '\t' ' ')"
expect_error "tags on missing" InvalidResourceId aws ssm list-tags-for-resource --resource-type Parameter --resource-id nope

# Errors.
expect_error "bad hierarchy" ValidationException aws ssm put-parameter --name a/b --value v --type String
expect_error "reserved prefix" ValidationException aws ssm put-parameter --name awsx --value v --type String
expect_error "no type" ValidationException aws ssm put-parameter --name untyped --value v
expect_eq "no type message" "A parameter type is required when you create a parameter." "${LAST_ERROR##*: }"
expect_error "bad filter key" InvalidFilterKey aws ssm get-parameters-by-path --path /copilot --parameter-filters Key=Name,Values=x

# Delete.
aws ssm delete-parameter --name GH_WEBHOOK_SECRET
expect_error "deleted" ParameterNotFound aws ssm get-parameter --name GH_WEBHOOK_SECRET
expect_eq "delete-parameters" "/copilot/demo/prod/secrets/db_password nope" \
    "$(aws ssm delete-parameters --names /copilot/demo/prod/secrets/db_password nope --query '[DeletedParameters[0],InvalidParameters[0]]' --output text | tr '\t' ' ')"

finish
