#!/usr/bin/env bash
# The seed's access rule with real clients: a Copilot execution role for (demo, test), assumed
# through an aws CLI profile (role_arn + source_profile), reads exactly the secrets tagged
# copilot-application=demo, copilot-environment=test and nothing else; denials name the
# assumed-role session and never echo a secret. Then IAM user basics (access keys, policies,
# the 5-second key/policy cache, signature errors) and the audit trail of a denial.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli
# Audit records also go, as JSON lines, to the server's stdout ($E2E_DIR/stdout).
export COFFER_AUDIT_LOG=-
start_server

ACCOUNT=000000000000
ROLE=demo-test-ExecutionRole
ROLE_ARN=arn:aws:iam::$ACCOUNT:role/$ROLE
MYSQL='{"engine": "mysql","username": "user1","password": "i29wwX!%9wFV","host": "","dbname": "myDatabase","port": "3306"}'
DEMO_TEST=(Key=copilot-application,Value=demo Key=copilot-environment,Value=test)

# --- As the root: the role, Copilot's execution-role policy, and the secrets. ---
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}'
expect_eq "root is the caller" "arn:aws:iam::$ACCOUNT:root" "$(aws sts get-caller-identity --query Arn --output text)"
expect_eq "create-role" "$ROLE_ARN" \
    "$(aws iam create-role --role-name "$ROLE" --assume-role-policy-document "$TRUST" --query Role.Arn --output text)"
# internal/pkg/template/templates/workloads/partials/cf/executionrole.yml for AppName=demo,
# EnvName=test, with Partition=aws, Region=us-east-1, AccountId=000000000000 (kms statements dropped).
POLICY=$(cat <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ssm:GetParameters"],
      "Resource": ["arn:aws:ssm:us-east-1:000000000000:parameter/*"],
      "Condition": {
        "StringEquals": {
          "ssm:ResourceTag/copilot-application": "demo",
          "ssm:ResourceTag/copilot-environment": "test"
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": ["secretsmanager:GetSecretValue"],
      "Resource": ["arn:aws:secretsmanager:us-east-1:000000000000:secret:*"],
      "Condition": {
        "StringEquals": {
          "secretsmanager:ResourceTag/copilot-application": "demo",
          "secretsmanager:ResourceTag/copilot-environment": "test"
        }
      }
    }
  ]
}
JSON
)
aws iam put-role-policy --role-name "$ROLE" --policy-name demo-test-svcSecretsPolicy --policy-document "$POLICY"
expect_eq "list-role-policies" demo-test-svcSecretsPolicy \
    "$(aws iam list-role-policies --role-name "$ROLE" --query 'PolicyNames[]' --output text)"
# Role tags, as Copilot sets them on its roles: tag, list (sorted by key), untag.
aws iam tag-role --role-name "$ROLE" --tags "${DEMO_TEST[@]}" Key=owner,Value=platform
expect_eq "list-role-tags" "copilot-application=demo copilot-environment=test owner=platform" \
    "$(aws iam list-role-tags --role-name "$ROLE" --query "join(' ', Tags[].join('=', [Key, Value]))" --output text)"
aws iam untag-role --role-name "$ROLE" --tag-keys OWNER
expect_eq "untag-role (keys without case)" "copilot-application copilot-environment" \
    "$(aws iam list-role-tags --role-name "$ROLE" --query "join(' ', Tags[].Key)" --output text)"

aws ssm put-parameter --name GH_WEBHOOK_SECRET --value secretvalue1234 --type SecureString --tags "${DEMO_TEST[@]}" >/dev/null
aws ssm put-parameter --name PROD_ONLY --value prodvalue5678 --type SecureString \
    --tags Key=copilot-application,Value=demo Key=copilot-environment,Value=prod >/dev/null
aws ssm put-parameter --name UNTAGGED --value untaggedvalue --type SecureString >/dev/null
MYSQL_ARN=$(aws secretsmanager create-secret --name mysql --secret-string "$MYSQL" --tags "${DEMO_TEST[@]}" --query ARN --output text)
OTHER_ARN=$(aws secretsmanager create-secret --name other-app-db --secret-string otherdbvalue \
    --tags Key=copilot-application,Value=other Key=copilot-environment,Value=test --query ARN --output text)

# --- The execution role through an aws CLI profile. ---
# The CLI caches assumed-role credentials in ~/.aws/cli/cache, keyed by the profile's role
# settings: a HOME of our own keeps an earlier run's (now unknown) session out of this one.
CFG=$(mktemp -d)
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$E2E_DIR" "$CFG"' EXIT
cat >"$CFG/credentials" <<EOF
[base]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
EOF
cat >"$CFG/config" <<EOF
[profile base]
region = us-east-1

[profile exec]
role_arn = $ROLE_ARN
source_profile = base
region = us-east-1

[profile exec-named]
role_arn = $ROLE_ARN
role_session_name = e2e-session
source_profile = base
region = us-east-1

[profile exec-endpoint]
role_arn = $ROLE_ARN
role_session_name = e2e-endpoint
source_profile = base
region = us-east-1
endpoint_url = $ENDPOINT
EOF
# as_profile PROFILE ARGS... : the aws CLI with only the config files for credentials. The
# endpoint stays AWS_ENDPOINT_URL, which the CLI (botocore's "environment_global" endpoint)
# also uses for the AssumeRole call its assume-role credential provider makes.
as_profile() {
    local profile=$1; shift
    (
        unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
        export HOME=$CFG AWS_CONFIG_FILE=$CFG/config AWS_SHARED_CREDENTIALS_FILE=$CFG/credentials
        aws "$@" --profile "$profile"
    )
}
as_exec() { as_profile exec "$@"; }

SESSION_ARN=$(as_exec sts get-caller-identity --query Arn --output text)
expect_match "assumed-role ARN, botocore's default session name" \
    "^arn:aws:sts::$ACCOUNT:assumed-role/$ROLE/botocore-session-[0-9]+\$" "$SESSION_ARN"
expect_eq "the cached session is reused" "$SESSION_ARN" "$(as_exec sts get-caller-identity --query Arn --output text)"
out=$(as_profile exec-named sts get-caller-identity --output json)
expect_eq "role_session_name: exact ARN" "arn:aws:sts::$ACCOUNT:assumed-role/$ROLE/e2e-session $ACCOUNT" \
    "$(json_get 'd["Arn"] + " " + d["Account"]' "$out")"
expect_match "UserId is the role id and the session name" '^AROA[A-Z0-9]{17}:e2e-session$' "$(json_get 'd["UserId"]' "$out")"
expect_eq "UserId's role id is the role's" "$(aws iam get-role --role-name "$ROLE" --query Role.RoleId --output text):e2e-session" \
    "$(json_get 'd["UserId"]' "$out")"
# The other supported way: endpoint_url in the profile (botocore >= 1.31), no AWS_ENDPOINT_URL.
expect_eq "endpoint_url in the profile reaches Coffer for AssumeRole too" \
    "arn:aws:sts::$ACCOUNT:assumed-role/$ROLE/e2e-endpoint" \
    "$(unset AWS_ENDPOINT_URL; as_profile exec-endpoint sts get-caller-identity --query Arn --output text)"

# Allowed: the (demo, test)-tagged parameter and secret.
expect_eq "GetParameters on GH_WEBHOOK_SECRET" "GH_WEBHOOK_SECRET secretvalue1234" \
    "$(as_exec ssm get-parameters --names GH_WEBHOOK_SECRET --with-decryption --query 'Parameters[0].[Name,Value]' --output text | tr '\t' ' ')"
expect_eq "no invalid parameters" "[]" \
    "$(json_get 'd["InvalidParameters"]' "$(as_exec ssm get-parameters --names GH_WEBHOOK_SECRET --with-decryption --output json)")"
expect_eq "GetSecretValue on mysql by name" "$MYSQL" \
    "$(as_exec secretsmanager get-secret-value --secret-id mysql --query SecretString --output text)"
# ECS asks with the partial ARN Copilot renders for `secretsmanager: mysql`.
expect_eq "GetSecretValue on mysql by partial ARN" "$MYSQL" \
    "$(as_exec secretsmanager get-secret-value --secret-id "arn:aws:secretsmanager:us-east-1:$ACCOUNT:secret:mysql" --query SecretString --output text)"
expect_eq "GetSecretValue on mysql by full ARN" "$MYSQL_ARN" \
    "$(as_exec secretsmanager get-secret-value --secret-id "$MYSQL_ARN" --query ARN --output text)"

# Denied: everything else. expect_denied DESCRIPTION CODE EXPECTED-MESSAGE COMMAND... : the
# command fails with CODE and exactly that message (unless it is "-": then the caller checks
# $LAST_ERROR), and nothing it prints, on stdout or stderr, holds a secret value.
expect_denied() {
    local desc=$1 code=$2 message=$3; shift 3
    local all
    if all=$("$@" 2>&1); then
        fail "$desc: expected $code, command succeeded: $all"
        return
    fi
    if [[ "$all" == *"An error occurred ($code) when calling the "*" operation: "* ]]; then
        pass
        [ "$message" == - ] || expect_eq "$desc: message" "$message" "${all#*operation: }"
    else
        fail "$desc: expected $code, got: $all"
    fi
    for value in secretvalue1234 'i29wwX' prodvalue5678 untaggedvalue otherdbvalue; do
        expect_absent "$desc: no secret value in the output" "$value" "$all"
    done
    LAST_ERROR=$all
}
# denial ACTION RESOURCE : the message AWS gives for an implicit deny of an identity-based policy.
denial() {
    echo "User: $SESSION_ARN is not authorized to perform: $1 on resource: $2 because no identity-based policy allows the $1 action"
}
SSM_ARN=arn:aws:ssm:us-east-1:$ACCOUNT:parameter
expect_denied "GetParameters PROD_ONLY (demo/prod)" AccessDeniedException \
    "$(denial ssm:GetParameters "$SSM_ARN/PROD_ONLY")" \
    as_exec ssm get-parameters --names PROD_ONLY --with-decryption
expect_match "the denial's shape" \
    "^User: arn:aws:sts::$ACCOUNT:assumed-role/$ROLE/[^ ]+ is not authorized to perform: ssm:GetParameters on resource: $SSM_ARN/PROD_ONLY because no identity-based policy allows the ssm:GetParameters action\$" \
    "${LAST_ERROR#*operation: }"
expect_denied "GetParameters UNTAGGED" AccessDeniedException \
    "$(denial ssm:GetParameters "$SSM_ARN/UNTAGGED")" \
    as_exec ssm get-parameters --names UNTAGGED --with-decryption
# One denied name fails the whole call: the allowed value is not returned either.
expect_denied "GetParameters GH_WEBHOOK_SECRET + PROD_ONLY" AccessDeniedException \
    "$(denial ssm:GetParameters "$SSM_ARN/PROD_ONLY")" \
    as_exec ssm get-parameters --names GH_WEBHOOK_SECRET PROD_ONLY --with-decryption
# The policy allows ssm:GetParameters only, not ssm:GetParameter.
expect_denied "GetParameter (singular) GH_WEBHOOK_SECRET" AccessDeniedException \
    "$(denial ssm:GetParameter "$SSM_ARN/GH_WEBHOOK_SECRET")" \
    as_exec ssm get-parameter --name GH_WEBHOOK_SECRET --with-decryption
expect_denied "PutParameter" AccessDeniedException \
    "$(denial ssm:PutParameter "$SSM_ARN/GH_WEBHOOK_SECRET")" \
    as_exec ssm put-parameter --name GH_WEBHOOK_SECRET --value hijacked --type SecureString --overwrite
expect_denied "GetSecretValue other-app-db by full ARN" AccessDeniedException \
    "$(denial secretsmanager:GetSecretValue "$OTHER_ARN")" \
    as_exec secretsmanager get-secret-value --secret-id "$OTHER_ARN"
# AWS names the resource as the caller gave the SecretId ("... on resource: other-app-db because ...").
expect_denied "GetSecretValue other-app-db by name" AccessDeniedException \
    "$(denial secretsmanager:GetSecretValue other-app-db)" \
    as_exec secretsmanager get-secret-value --secret-id other-app-db
expect_denied "PutSecretValue mysql" AccessDeniedException \
    "$(denial secretsmanager:PutSecretValue "$MYSQL_ARN")" \
    as_exec secretsmanager put-secret-value --secret-id "$MYSQL_ARN" --secret-string hijacked
expect_error "IAM is not in the policy either" AccessDenied as_exec iam list-users
expect_eq "IAM's denial" "$(denial iam:ListUsers "arn:aws:iam::$ACCOUNT:user/")" "$(error_message)"
expect_eq "nothing was overwritten" "secretvalue1234 $MYSQL" \
    "$(aws ssm get-parameter --name GH_WEBHOOK_SECRET --with-decryption --query Parameter.Value --output text) $(aws secretsmanager get-secret-value --secret-id mysql --query SecretString --output text)"

# --- IAM user basics. ---
expect_eq "create-user" "arn:aws:iam::$ACCOUNT:user/alice" \
    "$(aws iam create-user --user-name alice --query User.Arn --output text)"
key=$(aws iam create-access-key --user-name alice --output json)
ALICE_ID=$(json_get 'd["AccessKey"]["AccessKeyId"]' "$key")
ALICE_SECRET=$(json_get 'd["AccessKey"]["SecretAccessKey"]' "$key")
expect_eq "create-access-key: user and status" "alice Active" \
    "$(json_get 'd["AccessKey"]["UserName"] + " " + d["AccessKey"]["Status"]' "$key")"
expect_match "access key id shape" '^AKIA[A-Z0-9]{16}$' "$ALICE_ID"
expect_match "secret access key shape" '^[A-Za-z0-9/+]{40}$' "$ALICE_SECRET"
expect_eq "list-access-keys" "$ALICE_ID" \
    "$(aws iam list-access-keys --user-name alice --query 'AccessKeyMetadata[].AccessKeyId' --output text)"
as_alice() { AWS_ACCESS_KEY_ID=$ALICE_ID AWS_SECRET_ACCESS_KEY=$ALICE_SECRET aws "$@"; }
expect_eq "alice's identity needs no policy" "arn:aws:iam::$ACCOUNT:user/alice" \
    "$(as_alice sts get-caller-identity --query Arn --output text)"
expect_error "alice without a policy" AccessDeniedException as_alice ssm describe-parameters
expect_eq "alice's denial" \
    "User: arn:aws:iam::$ACCOUNT:user/alice is not authorized to perform: ssm:DescribeParameters on resource: * because no identity-based policy allows the ssm:DescribeParameters action" \
    "$(error_message)"
expect_error "alice may not assume the role (the trust policy delegates to the account's policies)" AccessDenied \
    as_alice sts assume-role --role-arn "$ROLE_ARN" --role-session-name alice
expect_match "the AssumeRole denial names alice, the action and the role" \
    "^User: arn:aws:iam::$ACCOUNT:user/alice is not authorized to perform: sts:AssumeRole on resource: $ROLE_ARN( |\$)" \
    "$(error_message)"

# poll_until SECONDS COMMAND... : run COMMAND every 0.25 s until it succeeds; fail after SECONDS.
poll_until() {
    local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s%N)" -ge "$deadline" ]; then return 1; fi
        sleep 0.25
    done
}
# fails_with CODE COMMAND... : COMMAND fails and names CODE.
fails_with() { local code=$1 err; shift; ! err=$("$@" 2>&1 >/dev/null) && [[ "$err" == *"($code)"* ]]; }

aws iam put-user-policy --user-name alice --policy-name describe \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:DescribeParameters","Resource":"*"}]}'
# Coffer caches a key and its policies for 5 s: the new policy applies within 6.
poll_until 6 as_alice ssm describe-parameters && pass || fail "alice's new policy did not apply within 6 s"
expect_eq "alice describes parameters" "GH_WEBHOOK_SECRET PROD_ONLY UNTAGGED" \
    "$(as_alice ssm describe-parameters --query 'Parameters[].Name' --output text | tr '\t' '\n' | sort | paste -sd' ')"
expect_error "alice still may not read values" AccessDeniedException \
    as_alice ssm get-parameters --names GH_WEBHOOK_SECRET --with-decryption

# A request signed with the wrong secret.
SIGNATURE_MESSAGE="The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
expect_error "wrong secret, SSM" InvalidSignatureException \
    env AWS_ACCESS_KEY_ID="$ALICE_ID" AWS_SECRET_ACCESS_KEY="${ALICE_SECRET}x" aws ssm describe-parameters
expect_eq "wrong secret, SSM message" "$SIGNATURE_MESSAGE" "$(error_message)"
expect_error "wrong secret, Secrets Manager" InvalidSignatureException \
    env AWS_ACCESS_KEY_ID="$ALICE_ID" AWS_SECRET_ACCESS_KEY="${ALICE_SECRET}x" aws secretsmanager list-secrets
expect_error "wrong secret, STS" SignatureDoesNotMatch \
    env AWS_ACCESS_KEY_ID="$ALICE_ID" AWS_SECRET_ACCESS_KEY="${ALICE_SECRET}x" aws sts get-caller-identity
expect_eq "wrong secret, STS message" "$SIGNATURE_MESSAGE" "$(error_message)"
expect_error "wrong secret, IAM" SignatureDoesNotMatch \
    env AWS_ACCESS_KEY_ID="$ALICE_ID" AWS_SECRET_ACCESS_KEY="${ALICE_SECRET}x" aws iam list-users
expect_error "unknown key, SSM" UnrecognizedClientException \
    env AWS_ACCESS_KEY_ID=AKIAE2EUNKNOWNKEY000 AWS_SECRET_ACCESS_KEY=whatever aws ssm describe-parameters
expect_eq "unknown key message" "The security token included in the request is invalid." "$(error_message)"

# Deleting the key: rejected within the cache window.
aws iam delete-access-key --user-name alice --access-key-id "$ALICE_ID"
expect_eq "no keys left" "" "$(aws iam list-access-keys --user-name alice --query 'AccessKeyMetadata[].AccessKeyId' --output text)"
poll_until 6 fails_with UnrecognizedClientException as_alice ssm describe-parameters && pass \
    || fail "the deleted key was still accepted after 6 s"
expect_error "deleted key, SSM" UnrecognizedClientException as_alice ssm describe-parameters
expect_eq "deleted key message" "The security token included in the request is invalid." "$(error_message)"
expect_error "deleted key, STS" InvalidClientTokenId as_alice sts get-caller-identity

# --- Audit: the denied GetParameters on PROD_ONLY, with its principal. ---
# audit_has_denial JSON-OR-LINES : exit 0 if a record is the denied GetParameters on PROD_ONLY
# by the assumed-role session. Accepts a JSON array, an object holding one, or JSON lines.
audit_has_denial() {
    python3 - "$1" "$SESSION_ARN" "$SSM_ARN/PROD_ONLY" <<'PY'
import json, sys
text, principal, resource = sys.argv[1:4]
try:
    doc = json.loads(text)
    records = doc if isinstance(doc, list) else next((v for v in doc.values() if isinstance(v, list)), [])
except ValueError:
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
def matches(r):
    return (isinstance(r, dict) and r.get("event_name") == "GetParameters"
            and r.get("error_code") == "AccessDeniedException"
            and r.get("principal_arn") == principal and resource in r.get("resources", []))
sys.exit(0 if any(matches(r) for r in records) else 1)
PY
}
poll_until 5 eval 'audit_has_denial "$(cat "$E2E_DIR/stdout")"' && pass \
    || fail "audit log (--audit-log): no AccessDeniedException GetParameters on PROD_ONLY by $SESSION_ARN"

# `coffer audit ls --json` / `coffer audit verify` read the store, so stop the server first:
# it flushes the audit queue on SIGTERM.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
audit() { COFFER_DATA_DIR="$E2E_DIR/data" "$COFFER" audit "$@"; }
listing=$(audit ls --json --limit 0 2>&1) || fail "coffer audit ls --json failed: $listing"
audit_has_denial "$listing" && pass \
    || fail "coffer audit ls --json: no AccessDeniedException GetParameters on PROD_ONLY by $SESSION_ARN"
# The filters find exactly that record: event, principal and resource.
denied=$(audit ls --json --limit 0 --event GetParameters --principal "$SESSION_ARN" --resource "$SSM_ARN/PROD_ONLY" 2>&1)
expect_eq "audit ls filters: the two denied GetParameters naming PROD_ONLY" \
    "AccessDeniedException ssm.amazonaws.com $SESSION_ARN|AccessDeniedException ssm.amazonaws.com $SESSION_ARN" \
    "$(python3 -c 'import json,sys; print("|".join(r["error_code"] + " " + r["event_source"] + " " + r["principal_arn"] for r in map(json.loads, sys.argv[1].splitlines())))' "$denied")"
expect_eq "audit ls: GetParameters naming GH_WEBHOOK_SECRET: two allowed, one denied (with PROD_ONLY)" \
    "AccessDeniedException OK OK" \
    "$(python3 -c 'import json,sys; print(" ".join(sorted(r["error_code"] or "OK" for r in map(json.loads, sys.argv[1].splitlines()))))' \
        "$(audit ls --json --limit 0 --event GetParameters --principal "$SESSION_ARN" --resource "$SSM_ARN/GH_WEBHOOK_SECRET")")"
expect_absent "the audit trail holds no secret value" secretvalue1234 "$listing"
expect_absent "the audit trail holds no secret value" 'i29wwX' "$listing"
verify=$(audit verify 2>&1) && pass || fail "coffer audit verify exited non-zero: $verify"
expect_match "verify reports an intact chain" '^audit chain intact: [0-9]+ records$' "$verify"
# Tamper with the denied record (erase its error code): verify must notice, at that record.
seq=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].splitlines()[0])["seq"])' "$denied")
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE audit_log SET error_code = NULL WHERE seq = ?", (int(sys.argv[2]),)); c.commit()' \
    "$E2E_DIR/data/coffer.db" "$seq"
if verify=$(audit verify 2>&1); then
    fail "coffer audit verify accepted an edited record: $verify"
else
    expect_match "verify names the edited record" "audit chain broken at record $seq: " "$verify"
fi

finish
