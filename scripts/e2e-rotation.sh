#!/usr/bin/env bash
# Rotation with a real rotation function: examples/rotation/lambda_function.py (AWS's
# rotation template protocol, boto3) registered as a command function acting as an IAM role,
# run by `coffer serve`'s rotation runner through the four steps after `aws secretsmanager
# rotate-secret`; the server's log shows the function's lines and no value. Then a rotation
# whose createSecret is denied: nothing moves, AWSPENDING stays on the new version, another
# RotateSecret is refused, and once the denial is lifted the runner's retry (a minute later)
# completes it. Last, the audit trail's Invoke records. About 70 s, most of it that minute.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli
PYTHON=$VENV/bin/python
RUNNER=$ROOT/examples/rotation/runner.py

# The function's stderr reaches the server's log at level info; lib-e2e starts the server
# with RUST_LOG=warn, so start it through a wrapper that asks for info (the log must show the
# function's lines, and no secret value).
WRAP=$(mktemp -d)
printf '#!/bin/sh\nRUST_LOG=info exec "%s" "$@"\n' "$COFFER" >"$WRAP/coffer"
chmod +x "$WRAP/coffer"
COFFER=$WRAP/coffer start_server
trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$E2E_DIR" "$WRAP"' EXIT
LOG=$E2E_DIR/stderr
# SERVE_ARGS=--tls-self-signed runs it all over HTTPS: the function gets AWS_CA_BUNDLE from
# the server, the aws CLI and boto3 here from the line the server prints.
if bundle_line=$(grep -m1 '^AWS_CA_BUNDLE=' "$LOG"); then export "$bundle_line"; fi

ACCOUNT=000000000000
ROLE=rotator
ROLE_ARN=arn:aws:iam::$ACCOUNT:role/$ROLE
SECRETS=arn:aws:secretsmanager:us-east-1:$ACCOUNT:secret
sm() { aws secretsmanager "$@"; }
# store CMD... : a store command of the server's data directory (as the server sees it).
store() { COFFER_DATA_DIR="$E2E_DIR/data" "$COFFER" "$@"; }
# stages VERSIONS-TO-STAGES-JSON V... : "V=STAGE,STAGE ..." for the versions V in that order,
# then any other version the JSON names.
stages() {
    python3 -c 'import json,sys
d=json.loads(sys.argv[1]); order=sys.argv[2:]+sorted(v for v in d if v not in sys.argv[2:])
print(" ".join(v+"="+",".join(sorted(d.get(v,[]))) for v in order))' "$@"
}

# --- The role the function acts as: what AWS's template needs, on secrets tagged for rotation. ---
TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
expect_eq "create-role" "$ROLE_ARN" \
    "$(aws iam create-role --role-name "$ROLE" --assume-role-policy-document "$TRUST" --query Role.Arn --output text)"
POLICY=$(cat <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                 "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
      "Resource": "$SECRETS:*",
      "Condition": {"StringEquals": {"secretsmanager:ResourceTag/rotation": "enabled"}}
    },
    {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"}
  ]
}
JSON
)
aws iam put-role-policy --role-name "$ROLE" --policy-name rotation --policy-document "$POLICY"

# --- The function: the example handler through its runner, with the venv's python (boto3). ---
ARN=$(store rotation register mysql-rotation --role "$ROLE" -- "$PYTHON" "$RUNNER")
expect_eq "register prints the function's ARN" "arn:aws:lambda:us-east-1:$ACCOUNT:function:mysql-rotation" "$ARN"

# --- Rotate a JSON credential. ---
OLD='{"username":"admin","password":"old"}'
out=$(sm create-secret --name mysql --secret-string "$OLD" --tags Key=rotation,Value=enabled --output json)
MYSQL_ARN=$(json_get 'd["ARN"]' "$out")
V1=$(json_get 'd["VersionId"]' "$out")
out=$(sm rotate-secret --secret-id mysql --rotation-lambda-arn "$ARN" \
    --rotation-rules '{"ScheduleExpression":"rate(30 days)"}' --output json)
V2=$(json_get 'd["VersionId"]' "$out")
expect_eq "rotate-secret returns the secret" "$MYSQL_ARN mysql" "$(json_get 'd["ARN"] + " " + d["Name"]' "$out")"
expect_match "rotate-secret returns a new version id" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$V2"
[ "$V1" != "$V2" ] && pass || fail "the rotation's version must be new: $V2"

# boto3 waits for the rotation (LastRotatedDate, 60 s at most) and reads the result.
result=$("$PYTHON" - mysql <<'PY'
import json, sys, time, boto3
client, secret = boto3.client("secretsmanager"), sys.argv[1]
deadline = time.time() + 60
while True:
    d = client.describe_secret(SecretId=secret)
    if "LastRotatedDate" in d or time.time() > deadline:
        break
    time.sleep(0.25)
cur = client.get_secret_value(SecretId=secret)
prev = client.get_secret_value(SecretId=secret, VersionStage="AWSPREVIOUS")
print(json.dumps({
    "rotated": "LastRotatedDate" in d,
    "stages": {v: sorted(s) for v, s in d["VersionIdsToStages"].items()},
    "enabled": d.get("RotationEnabled"),
    "lambda": d.get("RotationLambdaARN"),
    "next": "NextRotationDate" in d,
    "next_after_last": "NextRotationDate" in d and "LastRotatedDate" in d
                       and (d["NextRotationDate"] - d["LastRotatedDate"]).days in (29, 30),
    "current_version": cur["VersionId"],
    "current": json.loads(cur["SecretString"]),
    "previous": prev["SecretString"],
}))
PY
)
expect_eq "LastRotatedDate appears within 60 s" true "$(json_get 'd["rotated"]' "$result")"
expect_eq "stages: AWSCURRENT on the new version, AWSPREVIOUS on the old, no AWSPENDING" \
    "$V1=AWSPREVIOUS $V2=AWSCURRENT" "$(stages "$(json_get 'd["stages"]' "$result")" "$V1" "$V2")"
expect_eq "GetSecretValue returns the rotation's version" "$V2" "$(json_get 'd["current_version"]' "$result")"
expect_eq "the username is kept, no other key appears" '["password", "username"] admin' \
    "$(json_get 'json.dumps(sorted(d["current"])) + " " + d["current"]["username"]' "$result")"
NEW_PASSWORD=$(json_get 'd["current"]["password"]' "$result")
expect_match "the new password: 32 characters, none of the excluded ones" '^[^/@"'"'"'\\]{32}$' "$NEW_PASSWORD"
expect_eq "AWSPREVIOUS holds the old value" "$OLD" "$(json_get 'd["previous"]' "$result")"
expect_eq "RotationEnabled, the function's ARN, NextRotationDate" "true $ARN true" \
    "$(json_get '" ".join([json.dumps(d["enabled"]), d["lambda"], json.dumps(d["next"])])' "$result")"
expect_eq "NextRotationDate is 30 days after LastRotatedDate" true "$(json_get 'd["next_after_last"]' "$result")"
expect_eq "the steps got the secret's ARN as SecretId" 1 \
    "$(grep -c "finishSecret: set AWSCURRENT to version $V2 for $MYSQL_ARN\." "$LOG")"
for step in "createSecret: put a new value" "setSecret: no external system" "testSecret: version $V2" "finishSecret: set AWSCURRENT"; do
    expect_eq "the function's log line ($step) reaches the server's log" 1 "$(grep -c "$step" "$LOG")"
done
expect_absent "the log holds no new password" "$NEW_PASSWORD" "$(cat "$LOG")"
expect_absent "the log holds no old value" '"password":"old"' "$(cat "$LOG")"
expect_absent "the log holds no credentials" "$AWS_SECRET_ACCESS_KEY" "$(cat "$LOG")"

# --- A rotation that fails: the secret's resource policy denies the function PutSecretValue. ---
BROKEN=$(store rotation register frozen-rotation --role "$ROLE" -- "$PYTHON" "$RUNNER")
out=$(sm create-secret --name frozen --secret-string '{"username":"app","password":"frozen-pw-1"}' \
    --tags Key=rotation,Value=enabled --output json)
FROZEN_ARN=$(json_get 'd["ARN"]' "$out")
F1=$(json_get 'd["VersionId"]' "$out")
DENY=$(cat <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"$ROLE_ARN"},
 "Action":"secretsmanager:PutSecretValue","Resource":"*"}]}
JSON
)
sm put-resource-policy --secret-id frozen --resource-policy "$DENY" >/dev/null
F2=$(sm rotate-secret --secret-id frozen --rotation-lambda-arn "$BROKEN" \
    --rotation-rules '{"ScheduleExpression":"rate(30 days)"}' --query VersionId --output text)
# The runner logs the failed attempt (a warning, with the step and why).
deadline=$(( $(date +%s) + 30 ))
until grep -q 'rotation failed.*secret=frozen' "$LOG" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.25; done
failed=$(grep -m1 'rotation failed.*secret=frozen' "$LOG" || true)
expect_match "the failure is logged, naming createSecret and the next try" \
    "step createSecret: .*exited with.*retry.*Some" "$failed"
grep -q 'AccessDeniedException) when calling the PutSecretValue operation' "$LOG" && pass \
    || fail "the function's log does not show the denied PutSecretValue"
out=$(sm describe-secret --secret-id frozen --output json)
expect_eq "stages unchanged; AWSPENDING stays on the rotation's version" \
    "$F1=AWSCURRENT $F2=AWSPENDING" "$(stages "$(json_get 'd["VersionIdsToStages"]' "$out")" "$F1" "$F2")"
expect_eq "no LastRotatedDate" False "$(json_get 'str("LastRotatedDate" in d)' "$out")"
expect_eq "the value is unchanged" '{"username":"app","password":"frozen-pw-1"}' \
    "$(sm get-secret-value --secret-id frozen --query SecretString --output text)"
expect_error "AWSPENDING has no value" ResourceNotFoundException \
    sm get-secret-value --secret-id frozen --version-stage AWSPENDING
expect_error "another rotate-secret while one is under way" InvalidRequestException \
    sm rotate-secret --secret-id frozen
expect_eq "its message" "A previous rotation isn't complete. That rotation will be reattempted." "$(error_message)"

# Lifting the denial, the runner's retry (60 s after the failure) completes the same rotation:
# createSecret finds the version still without a value and puts one.
sm delete-resource-policy --secret-id frozen >/dev/null
out=$("$PYTHON" - frozen <<'PY'
import json, sys, time, boto3
client, secret = boto3.client("secretsmanager"), sys.argv[1]
deadline = time.time() + 90
while "LastRotatedDate" not in (d := client.describe_secret(SecretId=secret)) and time.time() < deadline:
    time.sleep(0.5)
print(json.dumps({"rotated": "LastRotatedDate" in d, "stages": d["VersionIdsToStages"],
                  "value": json.loads(client.get_secret_value(SecretId=secret)["SecretString"])}))
PY
)
expect_eq "the retry rotates the secret" true "$(json_get 'd["rotated"]' "$out")"
expect_eq "the retry used the same version" "$F1=AWSPREVIOUS $F2=AWSCURRENT" \
    "$(stages "$(json_get 'd["stages"]' "$out")" "$F1" "$F2")"
expect_eq "the retried rotation's value: username kept, password new" "app True" \
    "$(json_get 'd["value"]["username"] + " " + str(d["value"]["password"] not in ("", "frozen-pw-1"))' "$out")"
expect_absent "the log holds no value of the frozen secret" frozen-pw-1 "$(cat "$LOG")"
expect_absent "the log holds no rotated password" "$(json_get 'd["value"]["password"]' "$out")" "$(cat "$LOG")"

# The first secret is not affected.
expect_eq "the first secret is still rotated" "$NEW_PASSWORD" \
    "$(sm get-secret-value --secret-id mysql --query SecretString --output text | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])')"

# --- The audit trail: one Invoke record per step, the failed one marked. ---
# `coffer audit ls` reads the store: stop the server first (it flushes its audit queue).
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
# invokes SECRET-ARN : the Invoke records naming the secret, oldest first ("OK" or the error).
invokes() {
    store audit ls --json --limit 0 --event Invoke --resource "$1" \
        | python3 -c 'import json,sys; print(" ".join(reversed([json.loads(l)["error_code"] or "OK" for l in sys.stdin])))'
}
expect_eq "audit: four invocations for mysql" "OK OK OK OK" "$(invokes "$MYSQL_ARN")"
expect_eq "audit: the failed createSecret, then the retry's four steps" "RotationStepFailed OK OK OK OK" \
    "$(invokes "$FROZEN_ARN")"
finish
