#!/usr/bin/env bash
# HTTPS end to end: `coffer serve --tls-self-signed`, trusted by the aws CLI and boto3 through
# the AWS_CA_BUNDLE line it prints.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli
SERVE_ARGS=--tls-self-signed start_server

bundle_line=$(grep '^AWS_CA_BUNDLE=' "$E2E_DIR/stderr")
expect_match "the one line clients need" '^AWS_CA_BUNDLE=/.*/data/tls/ca\.pem$' "$bundle_line"
expect_match "endpoint is https" '^https://127\.0\.0\.1:[0-9]+$' "$ENDPOINT"
export "${bundle_line?}"

aws ssm put-parameter --name /tls/e2e --value over-https --type SecureString >/dev/null
expect_eq "aws CLI over HTTPS" over-https \
    "$(aws ssm get-parameter --name /tls/e2e --with-decryption --query Parameter.Value --output text)"

# Without the bundle the server's certificate is not trusted.
if err=$(env -u AWS_CA_BUNDLE aws ssm get-parameter --name /tls/e2e 2>&1); then
    fail "an untrusted certificate was accepted"
else
    expect_match "untrusted without AWS_CA_BUNDLE" 'SSL validation failed.*CERTIFICATE_VERIFY_FAILED' "$err"
fi

# boto3 reads AWS_CA_BUNDLE too; HTTP/1.1 is what botocore speaks.
out=$(python3 - <<'PY'
import boto3
sm = boto3.client("secretsmanager")
sm.create_secret(Name="tls/boto3", SecretString="from-boto3")
print(sm.get_secret_value(SecretId="tls/boto3")["SecretString"])
PY
)
expect_eq "boto3 over HTTPS" from-boto3 "$out"

finish
